"""explain_text renders the exact "Why 2.3x?" block of docs UX.md."""

from __future__ import annotations

import math

from core.risk.report import Check
from core.signals.explain import compact, explain_text
from core.signals.risk import Penalty
from core.signals.signal import Signal, SignalReason

UX_BLOCK = """\
Strength 2.3 = 0.40×SmartBurst 3.0 + 0.25×Momentum 1.8 + 0.20×Liquidity 1.6 + 0.15×Risk 2.4
SmartBurst 3.0: 9.8 SOL from 4 tracked wallets in 5m (log10(10.8) = 1.03, + 0.5×4 = 3.03, capped at 3)
Momentum 1.8: 1m return +18% (z 2.1), 5m +41%, volume ×3.2
Liquidity 1.6: 18.5k USD, 1 SOL moves price 2.1%
Risk 2.4: −0.6 top holder 31%
Rules fired: Smart Buy Burst (N≥3, ≥5 SOL, 5m), No Mint, No Freeze"""  # noqa: E501


def ux_signal(**over: object) -> Signal:
    inputs = {
        "smart_sol": 9.8,
        "smart_buyers": 4.0,
        "smart_k": 0.5,
        "smart_window_s": 300.0,
        "return_1m": 0.18,
        "z_1m": 2.1,
        "return_5m": 0.41,
        "volume_accel": 3.2,
        "liquidity_usd": 18_500.0,
        "impact_pct": 2.1,
        "impact_size_sol": 1.0,
    }
    fields: dict = dict(
        mint="7xKXpump",
        at=1_754_000_000,
        sequence=1,
        reason=SignalReason.FIRST,
        strength=2.33,
        components={"smart_burst": 3.0, "momentum": 1.8, "liquidity": 1.6, "risk": 2.4},
        weights={"smart_burst": 0.40, "momentum": 0.25, "liquidity": 0.20, "risk": 0.15},
        inputs=inputs,
        rules_fired=("Smart Buy Burst (N≥3, ≥5 SOL, 5m)", "No Mint", "No Freeze"),
        rule_results=(),
        risk_badges=(),
        risk_penalties=(Penalty(Check.TOP_HOLDER, 0.6, "top holder 31%"),),
        smart_buyers=(),
    )
    fields.update(over)
    return Signal(**fields)


def test_explain_text_reproduces_the_ux_block() -> None:
    assert explain_text(ux_signal()) == UX_BLOCK


def test_explain_text_without_smart_buyers_penalties_or_rules() -> None:
    s = ux_signal(
        components={"smart_burst": 0.0, "momentum": 0.0, "liquidity": 0.0, "risk": 3.0},
        inputs={
            **ux_signal().inputs,
            "smart_sol": 0.0,
            "smart_buyers": 0.0,
            "impact_pct": math.inf,
            "liquidity_usd": 0.0,
        },
        rules_fired=(),
        risk_penalties=(),
    )
    lines = explain_text(s).splitlines()
    assert lines[1] == "SmartBurst 0.0: no tracked wallet bought in 5m"
    assert lines[3] == "Liquidity 0.0: 0 USD, no reserves known"
    assert lines[4] == "Risk 3.0: no penalty"
    assert lines[5] == "Rules fired: none"


def test_uncapped_smart_burst_omits_capped_and_uses_singular() -> None:
    s = ux_signal(
        inputs={**ux_signal().inputs, "smart_sol": 9.0, "smart_buyers": 1.0},
        components={**ux_signal().components, "smart_burst": 1.5},
    )
    # log10(9 + 1) = 1.00, + 0.5×1 = 1.50
    assert explain_text(s).splitlines()[1] == (
        "SmartBurst 1.5: 9.0 SOL from 1 tracked wallet in 5m (log10(10.0) = 1.00, + 0.5×1 = 1.50)"
    )


def test_compact_numbers() -> None:
    assert [compact(950), compact(18_500), compact(1_250_000)] == ["950", "18.5k", "1.2M"]
