"""Per-user alert filtering: a signal goes to a user only if it passes their settings.

Pure: the signal, the user's settings, the tags of tracked wallets and the time in; a decision
with the reason out (so a user asking "why didn't I get PEPE2?" can be answered). A filter on
risk data that is unknown does not pass: "no mint" means *known* to have no mint authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from core.risk.report import Check, Verdict
from core.signals.signal import Signal
from core.users.settings import UserSettings


@dataclass(frozen=True, slots=True)
class Decision:
    send: bool
    reason: str  # "ok" or what filtered it, e.g. "strength 1.6 < your minimum 2.0"


def _verdict(signal: Signal, check: Check) -> tuple[Verdict, float | int | str | None]:
    for badge in signal.risk_badges:
        if badge.check is check:
            return badge.verdict, badge.value
    return Verdict.UNKNOWN, None


def should_alert(
    signal: Signal,
    settings: UserSettings,
    *,
    wallet_tags: Mapping[str, frozenset[str]],
    now_s: int,
) -> Decision:
    if not settings.alerts:
        return Decision(False, "alerts are off")
    if signal.strength < settings.min_strength:
        return Decision(
            False, f"strength {signal.strength:.1f} < your minimum {settings.min_strength:.1f}"
        )
    if settings.no_mint and _verdict(signal, Check.MINT_AUTHORITY)[0] is not Verdict.PASS:
        return Decision(False, "mint authority not known to be renounced")
    if settings.no_freeze and _verdict(signal, Check.FREEZE_AUTHORITY)[0] is not Verdict.PASS:
        return Decision(False, "freeze authority not known to be absent")
    if settings.top10_max_pct is not None:
        verdict, value = _verdict(signal, Check.TOP10)
        if verdict is Verdict.UNKNOWN or not isinstance(value, int | float):
            return Decision(False, "top 10 share unknown")
        if value >= settings.top10_max_pct:
            return Decision(
                False, f"top 10 hold {value:.0f}% ≥ your {settings.top10_max_pct:.0f}%"
            )
    if settings.min_liquidity_usd > 0:
        liquidity = signal.inputs.get("liquidity_usd", 0.0)
        if liquidity < settings.min_liquidity_usd:
            return Decision(
                False,
                f"liquidity {liquidity:,.0f} USD < your {settings.min_liquidity_usd:,.0f} USD",
            )
    if settings.tags:
        wanted = set(settings.tags)
        if not any(wallet_tags.get(a, frozenset()) & wanted for a, _sol in signal.smart_buyers):
            return Decision(False, f"no smart buyer tagged {', '.join(sorted(wanted))}")
    if settings.quiet_hours is not None:
        hour = datetime.fromtimestamp(now_s, UTC).hour
        if settings.quiet_hours.covers(hour):
            return Decision(False, "quiet hours")
    return Decision(True, "ok")
