"""Auto-trade rule messages: the /autotrade list, what adding or changing a rule did, the
confirmation direct mode needs, and the syntax. Pure functions of core data.

    <b>Auto-trade rules</b> · 2
    #3 <b>burst</b> · ✅ on · confirm
       Strength ≥ 2 · smart ≥ 3 (kol, smart) · buy 0.5 SOL · TP/SL safe
"""

from __future__ import annotations

from collections.abc import Sequence

from bots.telegram.formatters.numbers import clip, esc, sol_from_lamports
from bots.telegram.i18n import Translator, translator
from core.trading.autotrade import AutoTradeMode, AutoTradeRule
from core.trading.template_text import PRESET_TEXTS, format_percent, preset_name, render_text

NAME_MAX = 32
USAGE = (
    "/autotrade add <name> strength>=2 smart>=3 [tags=kol,smart] buy=0.5 [mode=confirm|direct]"
    " [tpsl=safe | tp 50:50 sl 25] [slippage=150]"
)
EXAMPLE = "/autotrade add burst strength>=2 smart>=3 tags=kol buy=0.2 tpsl=safe"


def mode_text(mode: AutoTradeMode, _: Translator) -> str:
    if mode is AutoTradeMode.DIRECT:
        return _("⚡ direct (buys without asking)")
    return _("confirm (asks you first)")


def template_text(rule: AutoTradeRule, _: Translator) -> str:
    if rule.template is None:
        return _("no TP/SL")
    name = preset_name(rule.template)
    shown = name if name is not None else f"<code>{esc(render_text(rule.template))}</code>"
    return _("TP/SL {template}").format(template=shown)


def rule_lines(rule: AutoTradeRule, _: Translator) -> list[str]:
    state = _("✅ on") if rule.enabled else _("⏸ off")
    head = f"#{rule.id} <b>{esc(clip(rule.name, NAME_MAX))}</b> · {state} · " + mode_text(
        rule.mode, _
    )
    smart = _("smart ≥ {n}").format(n=rule.min_smart_buyers)
    if rule.tags:
        smart += f" ({esc(', '.join(rule.tags))})"
    details = [
        _("Strength ≥ {s}").format(s=f"{rule.min_strength:g}"),
        smart,
        _("buy {sol}").format(sol=sol_from_lamports(rule.buy_lamports)),
        template_text(rule, _),
    ]
    if rule.slippage_bps is not None:
        details.append(_("slippage {pct}").format(pct=format_percent(rule.slippage_bps) + "%"))
    return [head, "   " + " · ".join(details)]


def limits_note(lang: str) -> str:
    _ = translator(lang)
    return _(
        "Limits always apply: every auto-buy is checked against your per-trade and daily SOL "
        "limits, price impact, liquidity and the no-go list, and simulated before it is sent."
    )


def rules_list(rules: Sequence[AutoTradeRule], lang: str, *, note: str | None = None) -> str:
    _ = translator(lang)
    lines = []
    if note:
        lines += [note, ""]
    lines.append(_("<b>Auto-trade rules</b> · {n}").format(n=len(rules)))
    if not rules:
        lines.append(_("No rules yet. Add one with:"))
        lines.append(f"<code>{esc(EXAMPLE)}</code>")
    for rule in rules:
        lines += rule_lines(rule, _)
    lines.append(limits_note(lang))
    return "\n".join(lines)


def added(rule: AutoTradeRule, limits: str, lang: str) -> str:
    """A rule was stored (a confirm-mode one is on at once)."""
    _ = translator(lang)
    return "\n".join(
        [
            _("✅ Auto-trade rule #{id} added.").format(id=rule.id),
            *rule_lines(rule, _),
            limits_note(lang),
            limits,
        ]
    )


def direct_prompt(rule: AutoTradeRule, limits: str, lang: str) -> str:
    """A direct-mode rule waits (off) for the user's explicit go."""
    _ = translator(lang)
    return "\n".join(
        [
            _(
                "⚡ Rule #{id} is in direct mode: it will buy {sol} WITHOUT asking you each time "
                "a signal matches. It stays off until you confirm."
            ).format(id=rule.id, sol=sol_from_lamports(rule.buy_lamports)),
            *rule_lines(rule, _),
            limits_note(lang),
            limits,
        ]
    )


def changed(rule: AutoTradeRule, action: str, lang: str, *, cancelled: int = 0) -> str:
    """The note after a button: on | off | kept | removed (``cancelled``: the pending auto-buy
    questions the removal cancelled)."""
    _ = translator(lang)
    name = esc(clip(rule.name, NAME_MAX))
    if action == "on":
        return _("✅ Rule #{id} {name} is on.").format(id=rule.id, name=name)
    if action == "off":
        return _("⏸ Rule #{id} {name} is off.").format(id=rule.id, name=name)
    if action == "kept":
        return _("Rule #{id} {name} kept; nothing changed.").format(id=rule.id, name=name)
    removed = _("🗑 Rule #{id} {name} removed; the auto-buys it made stay in the history.").format(
        id=rule.id, name=name
    )
    if not cancelled:
        return removed
    questions = _.ngettext(
        "✖ {n} pending auto-buy question cancelled: nothing was bought.",
        "✖ {n} pending auto-buy questions cancelled: nothing was bought.",
        cancelled,
    ).format(n=cancelled)
    return removed + "\n" + questions


def removal_question(rule: AutoTradeRule, pending: int, lang: str) -> str:
    """Asked before a rule is removed: what goes with it (``pending``: its auto-buy questions
    still waiting for an answer)."""
    _ = translator(lang)
    lines = [_("🗑 Remove rule «{name}»?").format(name=esc(clip(rule.name, NAME_MAX)))]
    if pending:
        lines.append(
            _.ngettext(
                "Its {n} pending auto-buy question will be cancelled.",
                "Its {n} pending auto-buy questions will be cancelled.",
                pending,
            ).format(n=pending)
        )
    lines += rule_lines(rule, _)
    lines.append(_("The auto-buys it made stay in the history."))
    return "\n".join(lines)


def already_removed(rule_id: int, lang: str) -> str:
    """A press on a rule removed meanwhile (plain text: a button's alert)."""
    _ = translator(lang)
    return _("Rule #{id} was removed already. Nothing changed.").format(id=rule_id)


def not_yours(rule_id: int, lang: str) -> str:
    """A press on someone else's rule, or on a rule that does not exist (plain text)."""
    _ = translator(lang)
    return _("There is no auto-trade rule #{id} of yours.").format(id=rule_id)


def remove_usage(lang: str) -> str:
    _ = translator(lang)
    return _("Which rule? Send {usage} with the number /autotrade shows, e.g. {example}.").format(
        usage="<code>/autotrade remove &lt;id&gt;</code>",
        example="<code>/autotrade remove 3</code>",
    )


def usage(lang: str) -> str:
    _ = translator(lang)
    presets = ", ".join(PRESET_TEXTS)
    return "\n".join(
        [
            _("Usage: {usage}").format(usage=f"<code>{esc(USAGE)}</code>"),
            _("Example: {example}").format(example=f"<code>{esc(EXAMPLE)}</code>"),
            _("TP/SL presets: {presets}. Default mode: confirm.").format(presets=presets),
            _("Remove a rule: {usage} (asks first).").format(
                usage="<code>/autotrade remove &lt;id&gt;</code>"
            ),
        ]
    )


def bad_key(key: str, value: str, expected: str, lang: str) -> str:
    """``buy=lots``: what the key takes (``expected`` is plain text, escaped here)."""
    _ = translator(lang)
    return _('{key}: "{value}" is not accepted; expected {expected}.').format(
        key=esc(clip(key, 20)), value=esc(clip(value, 40)), expected=esc(expected)
    )


def trading_needed(lang: str) -> str:
    _ = translator(lang)
    return _("Auto-trade buys from your trading wallet: turn trading on first with /trading on.")
