"""The signal rules list (/rules) as Telegram HTML::

    Signal rules
    Global
    ✅ #1 Smart Buy Burst (N≥3, ≥5 SOL, 5m) · smart_buy_burst: min_wallets 3, min_sol 5,
       window_min 5 · on
    Yours
    ⏸ #4 KOL burst · smart_buy_burst: min_wallets 2, min_sol 3, window_min 5, tags kol · off
    Add: /rules add <name> <json>, for example
    <code>/rules add Smart Buy Burst {"kind": "smart_buy_burst", …}</code>
    …

One line per rule: state emoji, id, name (the label shown in "Rules fired"), kind, parameters,
on / off. A stored row that no longer validates shows its error (translated) instead of
parameters. At
most 18 rules are listed (the message stays under Telegram's limit); the rest are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bots.telegram.formatters.errors import core_message
from bots.telegram.formatters.numbers import clip, esc
from bots.telegram.i18n import Translator, translator
from core.signals.rules import RuleKind
from core.signals.rules_store import StoredRule

NAME_MAX = 48
MAX_SHOWN = 18  # lines of at most ~170 characters: the message stays under 4096
PARAMS_MAX = 80
EXAMPLE_JSON = '{"kind": "smart_buy_burst", "min_wallets": 3, "min_sol": 5, "window_min": 5}'
EXAMPLE_ADD = f"/rules add Smart Buy Burst {EXAMPLE_JSON}"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "/".join(str(v) for v in value)
    return str(value)


def rule_params(stored: StoredRule) -> str:
    """ "min_wallets 3, min_sol 5, window_min 5, tags kol/smart" (empty for kinds without
    fields; no tags means any tracked wallet and is left out)."""
    if stored.rule is None:
        return ""
    fields = {
        k: v
        for k, v in stored.rule.to_dict().items()
        if k not in ("kind", "name") and v not in ([], ())
    }
    return ", ".join(f"{key} {_value(value)}" for key, value in fields.items())


def rule_line(stored: StoredRule, _: Translator) -> str:
    """One rule on one line (HTML)."""
    emoji = "✅" if stored.enabled else "⏸"
    if stored.rule is None:
        emoji = "⚠️"
    head = f"{emoji} #{stored.id} <b>{esc(clip(stored.name, NAME_MAX))}</b>"
    kind = esc(clip(stored.kind, 24))
    if stored.rule is None:
        error = core_message(stored.error, _.lang) if stored.error is not None else ""
        problem = _("invalid: {error}").format(error=esc(clip(error, PARAMS_MAX)))
        detail = f"{kind}: {problem}"
    else:
        params = rule_params(stored)
        detail = f"{kind}: {esc(clip(params, PARAMS_MAX))}" if params else kind
    state = _("on") if stored.enabled else _("off")
    return f"{head} · {detail} · {state}"


def rules_help(_: Translator) -> str:
    kinds = ", ".join(k.value for k in RuleKind)
    return "\n".join(
        (
            esc(_("Add your own: /rules add <name> <json>, for example:")),
            f"<code>{esc(EXAMPLE_ADD)}</code>",
            _("Kinds: {kinds}.").format(kinds=kinds),
            esc(_("Change one: /rules enable|disable|remove <id>, or the buttons.")),
        )
    )


def shown_rules(rules: Sequence[StoredRule]) -> list[StoredRule]:
    """The rules ``rules_list`` shows lines for, global ones first (the keyboard offers
    buttons for these): at most ``MAX_SHOWN``, so the message stays under 4096 characters."""
    ordered = [r for r in rules if r.is_global] + [r for r in rules if not r.is_global]
    return ordered[:MAX_SHOWN]


def _section(title: str, rules: Sequence[StoredRule], empty: str, _: Translator) -> list[str]:
    lines = [f"<b>{title}</b>"]
    lines += [rule_line(r, _) for r in rules] if rules else [empty]
    return lines


def rules_list(rules: Sequence[StoredRule], lang: str, *, note: str | None = None) -> str:
    """Global rules, then the user's own, then how to add and change rules. ``note`` (HTML)
    goes first, e.g. what the last action did."""
    _ = translator(lang)
    shown = shown_rules(rules)
    lines = [note] if note else []
    lines.append(f"<b>{_('Signal rules')}</b>")
    lines += _section(
        _("Global (everyone; admins change them)"),
        [r for r in shown if r.is_global],
        _("No global rules."),
        _,
    )
    lines += _section(
        _("Yours"), [r for r in shown if not r.is_global], _("No rules of your own yet."), _
    )
    hidden = len(rules) - len(shown)
    if hidden:
        lines.append(
            esc(
                _.ngettext(
                    "… and {n} more rule: change it by id (/rules enable|disable|remove <id>).",
                    "… and {n} more rules: change them by id (/rules enable|disable|remove <id>).",
                    hidden,
                ).format(n=hidden)
            )
        )
    lines += ["", rules_help(_)]
    return "\n".join(lines)
