from __future__ import annotations

import dataclasses

import pytest

from core.alerts import should_alert
from core.risk.report import Check, Verdict
from core.signals.risk import RiskBadge
from core.signals.signal import Signal, SignalReason
from core.users import QuietHours, UserSettings

NOON = 1_754_049_600  # 2025-08-01 12:00 UTC
NIGHT = NOON + 12 * 3600  # 00:00 UTC


def _signal(**over: object) -> Signal:
    base = Signal(
        mint="PepeTwo1111111111111111111111111111111pump",
        at=NOON,
        sequence=1,
        reason=SignalReason.FIRST,
        strength=2.3,
        components={"smart_burst": 3.0, "momentum": 1.8, "liquidity": 1.6, "risk": 2.4},
        weights={"smart_burst": 0.4, "momentum": 0.25, "liquidity": 0.2, "risk": 0.15},
        inputs={"liquidity_usd": 18_500.0},
        rules_fired=(),
        rule_results=(),
        risk_badges=(
            RiskBadge(Check.MINT_AUTHORITY, Verdict.PASS),
            RiskBadge(Check.FREEZE_AUTHORITY, Verdict.UNKNOWN),
            RiskBadge(Check.TOP10, Verdict.FAIL, 38.0),
        ),
        risk_penalties=(),
        smart_buyers=(("whale1", 5.0), ("kol_ana", 3.0)),
    )
    return dataclasses.replace(base, **over)  # type: ignore[arg-type]


TAGS = {"whale1": frozenset({"whale"}), "kol_ana": frozenset({"kol"})}


@pytest.mark.parametrize(
    ("settings", "sent", "reason"),
    [
        (UserSettings(), True, "ok"),
        (UserSettings(alerts=False), False, "alerts are off"),
        (UserSettings(min_strength=2.5), False, "strength 2.3 < your minimum 2.5"),
        (UserSettings(no_mint=True), True, "ok"),
        # freeze authority is unknown: "no freeze" cannot be vouched for
        (UserSettings(no_freeze=True), False, "freeze authority not known to be absent"),
        (UserSettings(top10_max_pct=30.0), False, "top 10 hold 38% ≥ your 30%"),
        (UserSettings(top10_max_pct=40.0), True, "ok"),
        (UserSettings(min_liquidity_usd=20_000), False, "liquidity 18,500 USD < your 20,000 USD"),
        (UserSettings(tags=("kol",)), True, "ok"),
        (UserSettings(tags=("sniper",)), False, "no smart buyer tagged sniper"),
    ],
)
def test_each_setting_filters_as_the_user_set_it(
    settings: UserSettings, sent: bool, reason: str
) -> None:
    decision = should_alert(_signal(), settings, wallet_tags=TAGS, now_s=NOON)
    assert (decision.send, decision.reason) == (sent, reason)


def test_quiet_hours_hold_alerts_at_night_only() -> None:
    settings = UserSettings(quiet_hours=QuietHours(23, 7))
    assert not should_alert(_signal(), settings, wallet_tags=TAGS, now_s=NIGHT).send
    assert should_alert(_signal(), settings, wallet_tags=TAGS, now_s=NOON).send
