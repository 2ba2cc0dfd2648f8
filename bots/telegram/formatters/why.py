"""The "Why 2.3x?" block: ``core.signals.explain.explain_text`` rendered for Telegram.

In English the text is exactly ``explain_text``'s (HTML-escaped; a test holds them equal); in
French the same lines are translated. Default rule labels ("Smart Buy Burst (N≥3, …)", "No
Mint"…) and risk penalty labels ("top holder 31%", "mint authority unknown") come from core in
English: their known forms are translated, anything else (a rule the user named) is shown as is.
Cluster reasons ("co-buy", "funder <address>") are data and shown as is.
"""

from __future__ import annotations

import math
import re

from bots.telegram.formatters.numbers import esc
from bots.telegram.i18n import Translator, translator
from core.risk.report import Check
from core.signals.explain import compact
from core.signals.risk import Penalty
from core.signals.signal import LIQUIDITY, MOMENTUM, RISK, SMART_BURST, Signal

_RULE_HEAD = re.compile(
    r"^(Smart Buy Burst|Push Time|No Mint|No Freeze|LP Burnt|Top10|Liquidity|Impact)"
    r"((?: [(<≥≤].*)?)$",
    re.S,
)
_CHECK_NAMES = {
    Check.MINT_AUTHORITY: "mint authority",
    Check.FREEZE_AUTHORITY: "freeze authority",
    Check.TOP_HOLDER: "top holder",
    Check.TRANSFER_TAX: "transfer tax",
    Check.DEV_SELLING: "dev selling",
}


def _duration(seconds: float, _: Translator) -> str:
    if seconds % 60 == 0:
        return _("{n}m").format(n=f"{seconds / 60:g}")
    return _("{n}s").format(n=f"{seconds:g}")


def _check_name(check: Check, _: Translator) -> str:
    if check is Check.MINT_AUTHORITY:
        return _("mint authority")
    if check is Check.FREEZE_AUTHORITY:
        return _("freeze authority")
    if check is Check.TOP_HOLDER:
        return _("top holder")
    if check is Check.TRANSFER_TAX:
        return _("transfer tax")
    return _("dev selling")


def penalty_label(p: Penalty, _: Translator) -> str:
    """The penalty's label in the translator's language (core's own text when unrecognised)."""
    english = _CHECK_NAMES.get(p.check)
    label = p.label
    if english is None:
        return label
    if label == f"{english} unknown":
        return _("{what} unknown").format(what=_check_name(p.check, _))
    if label == "mint authority active":
        return _("mint authority active")
    if label == "freeze authority active":
        return _("freeze authority active")
    if label == "dev sold":
        return _("dev sold")
    if label == f"{english} above limit":
        return _("{what} above limit").format(what=_check_name(p.check, _))
    if label.startswith(english + " "):
        return f"{_check_name(p.check, _)}{label[len(english) :]}"
    return label


def rule_label(label: str, _: Translator) -> str:
    """Translate the head of a default rule label ("Smart Buy Burst (…)"); names kept as is."""
    match = _RULE_HEAD.match(label)
    if match is None:
        return label
    head, rest = match.groups()
    heads = {
        "Smart Buy Burst": _("Smart Buy Burst"),
        "Push Time": _("Push Time"),
        "No Mint": _("No Mint"),
        "No Freeze": _("No Freeze"),
        "LP Burnt": _("LP Burnt"),
        "Top10": _("Top10"),
        "Liquidity": _("Liquidity"),
        "Impact": _("Impact"),
    }
    rest = rest.replace(" for ", _(" for "))
    return heads[head] + rest


def _strength_line(s: Signal, _: Translator) -> str:
    c, w = s.components, s.weights
    return _(
        "Strength {strength} = {w_smart}×SmartBurst {smart} + {w_momentum}×Momentum {momentum}"
        " + {w_liquidity}×Liquidity {liquidity} + {w_risk}×Risk {risk}"
    ).format(
        strength=f"{s.strength:.1f}",
        w_smart=f"{w[SMART_BURST]:.2f}",
        smart=f"{c[SMART_BURST]:.1f}",
        w_momentum=f"{w[MOMENTUM]:.2f}",
        momentum=f"{c[MOMENTUM]:.1f}",
        w_liquidity=f"{w[LIQUIDITY]:.2f}",
        liquidity=f"{c[LIQUIDITY]:.1f}",
        w_risk=f"{w[RISK]:.2f}",
        risk=f"{c[RISK]:.1f}",
    )


def _smart_line(s: Signal, _: Translator) -> str:
    value = f"{s.components[SMART_BURST]:.1f}"
    sol = s.inputs["smart_sol"]
    n = int(s.inputs["smart_buyers"])
    k = s.inputs["smart_k"]
    window = _duration(s.inputs["smart_window_s"], _)
    if n == 0:
        return _("SmartBurst {value}: no tracked wallet bought in {window}").format(
            value=value, window=window
        )
    log_part = math.log10(sol + 1.0)
    raw = log_part + k * n
    text = _.ngettext(
        "SmartBurst {value}: {sol} SOL from {n} tracked wallet in {window}",
        "SmartBurst {value}: {sol} SOL from {n} tracked wallets in {window}",
        n,
    ).format(value=value, sol=f"{sol:.1f}", n=n, window=window)
    capped = _(", capped at 3") if raw > 3.0 else ""
    return f"{text} (log10({sol + 1.0:.1f}) = {log_part:.2f}, + {k:g}×{n} = {raw:.2f}{capped})"


def _momentum_line(s: Signal, _: Translator) -> str:
    i = s.inputs
    return _("Momentum {value}: 1m return {r1} (z {z1}), 5m {r5}, volume ×{accel}").format(
        value=f"{s.components[MOMENTUM]:.1f}",
        r1=f"{i['return_1m']:+.0%}",
        z1=f"{i['z_1m']:.1f}",
        r5=f"{i['return_5m']:+.0%}",
        accel=f"{i['volume_accel']:.1f}",
    )


def _liquidity_line(s: Signal, _: Translator) -> str:
    i = s.inputs
    impact = i["impact_pct"]
    if math.isfinite(impact):
        moves = _("{size} SOL moves price {impact}%").format(
            size=f"{i['impact_size_sol']:g}", impact=f"{impact:.1f}"
        )
    else:
        moves = _("no reserves known")
    return _("Liquidity {value}: {usd} USD, {moves}").format(
        value=f"{s.components[LIQUIDITY]:.1f}", usd=compact(i["liquidity_usd"]), moves=moves
    )


def _risk_line(s: Signal, _: Translator) -> str:
    parts = [f"−{p.amount:.1f} {penalty_label(p, _)}" for p in s.risk_penalties]
    return _("Risk {value}: {penalties}").format(
        value=f"{s.components[RISK]:.1f}",
        penalties=", ".join(parts) if parts else _("no penalty"),
    )


def why_text(signal: Signal, lang: str) -> str:
    """The lines of "Why 2.3x?" as plain text (English: ``explain_text(signal)`` exactly)."""
    _ = translator(lang)
    fired = (
        ", ".join(rule_label(r, _) for r in signal.rules_fired)
        if signal.rules_fired
        else _("none")
    )
    lines = [
        _strength_line(signal, _),
        _smart_line(signal, _),
        _momentum_line(signal, _),
        _liquidity_line(signal, _),
        _risk_line(signal, _),
        _("Rules fired: {rules}").format(rules=fired),
    ]
    buyers = len(signal.smart_buyers)
    for _cid, members, why in signal.clusters:
        lines.append(
            _("Cluster: {k} of {n} smart buyers are one entity ({why})").format(
                k=len(members), n=buyers, why=why
            )
        )
    return "\n".join(lines)


def why_block(signal: Signal, lang: str) -> str:
    """The "Why 2.3x?" answer as Telegram HTML (every line escaped; rule names are user text)."""
    return esc(why_text(signal, lang))
