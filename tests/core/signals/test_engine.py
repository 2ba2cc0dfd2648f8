"""SignalEngine: emission (first, rise, no repeat, new burst), risk inputs, eviction, reloads."""

from __future__ import annotations

import math

import pytest

from core.market import amm, curve
from core.risk.report import Check, Verdict
from core.signals import SignalEngine, SignalParams, SignalReason, explain_text
from core.storage.records import CurveCompleteRecord, TradeRecord
from tests.core.signals.factories import (
    CREATOR,
    MINT,
    SOL,
    T0,
    clean_report,
    launch,
    pool,
    report,
    trade,
)

SMART = {f"smart{i}": frozenset({"kol"}) for i in range(10)}
SOL_USD = 150.0
# Curve state used by every trade: 90 SOL virtual, 60 SOL real (30 SOL virtual offset).
VSOL = 90 * SOL
VTOK = curve.INITIAL_VIRTUAL_TOKEN_RESERVES_RAW * 30 // 90
REAL = 60 * SOL


def curve_trade(**kw: object) -> TradeRecord:
    return trade(vsol=VSOL, vtok=VTOK, real_sol=REAL, **kw)  # type: ignore[arg-type]


def liquidity_quality_of_the_test_curve() -> float:
    # liquidity = 2 × 60 SOL × 150 USD = 18,000 USD -> log10(18_000 / 1_000) / log10(100) = 0.628
    liq = math.log10(18.0) / 2
    impact = curve.price_impact_pct(SOL, VSOL, VTOK)  # ≈ 100 × 1 / 90 = 1.11 %
    depth = amm.depth_1pct_lamports(VSOL) / SOL  # 90 × (√1.01 - 1) ≈ 0.449 SOL
    return liq + (1 - impact / 10) + depth


LQ = liquidity_quality_of_the_test_curve()


def engine(**params: object) -> SignalEngine:
    e = SignalEngine(SignalParams(**params), SMART, lambda: SOL_USD)  # type: ignore[arg-type]
    e.on_mint(launch())
    return e


def test_first_signal_when_strength_crosses_min_strength() -> None:
    e = engine()
    e.set_risk(MINT, clean_report())
    assert e.tick(T0) == []  # no trades: below 1.5
    # one smart wallet, 1 SOL: SB = log10(2) + 0.5 = 0.80; 0.4×0.80 + 0.2×LQ + 0.15×3 = 1.16
    assert e.on_trade(curve_trade(t=T0, trader="smart0")) is None
    # two: SB = log10(3) + 1.0 = 1.48 -> 1.43 < 1.5
    assert e.on_trade(curve_trade(t=T0 + 1, trader="smart1")) is None
    s = e.on_trade(curve_trade(t=T0 + 2, trader="smart2"))
    assert s is not None
    # three: SB = log10(4) + 1.5 = 2.10; momentum 0 (flat price, no volume baseline)
    sb = math.log10(4) + 1.5
    assert s.components == pytest.approx(
        {"smart_burst": sb, "momentum": 0.0, "liquidity": LQ, "risk": 3.0}
    )
    assert s.strength == pytest.approx(0.4 * sb + 0.2 * LQ + 0.15 * 3)  # ≈ 1.68
    assert (s.reason, s.sequence, s.at, s.mint) == (SignalReason.FIRST, 1, T0 + 2, MINT)
    assert s.inputs["liquidity_usd"] == pytest.approx(18_000.0)
    assert s.inputs["smart_sol"] == 3.0 and s.inputs["smart_buyers"] == 3.0
    assert s.smart_buyers == (("smart0", 1.0), ("smart1", 1.0), ("smart2", 1.0))
    assert "No Mint" in s.rules_fired and "No Freeze" in s.rules_fired
    assert "Smart Buy Burst (N≥3, ≥5 SOL, 5m)" not in s.rules_fired  # 3 SOL < 5 SOL
    assert explain_text(s).startswith("Strength 1.7 = 0.40×SmartBurst 2.1 + ")


def _first(e: SignalEngine) -> None:
    e.set_risk(MINT, clean_report())
    for i in range(3):
        e.on_trade(curve_trade(t=T0 + i, trader=f"smart{i}"))


def test_no_repeat_while_strength_does_not_rise_by_the_step() -> None:
    e = engine()
    _first(e)
    assert e.on_trade(curve_trade(t=T0 + 3, trader="crowd")) is None
    assert e.on_trade(curve_trade(t=T0 + 4, trader="smart0")) is None  # same wallet again
    assert e.tick(T0 + 5) == []


def test_rise_when_strength_climbs_realert_step_above_last_signal() -> None:
    e = engine()
    _first(e)
    # smart3 buys 5 SOL: SB = log10(3 + 5 + 1) + 0.5×4 = 2.95; +0.4×(2.95 - 2.10) = +0.34 ≥ 0.3
    s = e.on_trade(curve_trade(t=T0 + 3, trader="smart3", sol=5.0))
    assert s is not None and (s.reason, s.sequence) == (SignalReason.RISE, 2)
    assert s.smart_buyers[0] == ("smart3", 5.0)
    assert "Smart Buy Burst (N≥3, ≥5 SOL, 5m)" in s.rules_fired  # 4 wallets, 8 SOL


def test_new_burst_after_smart_buyers_dropped_below_n() -> None:
    e = engine()
    _first(e)
    # 6+ minutes later the first burst has left the 5 m window
    assert e.on_trade(curve_trade(t=T0 + 400, trader="crowd")) is None
    assert e.windows(MINT).unique_smart_buyers(300) == 0  # type: ignore[union-attr]
    e.on_trade(curve_trade(t=T0 + 401, trader="smart5"))
    assert e.on_trade(curve_trade(t=T0 + 402, trader="smart6")) is None
    s = e.on_trade(curve_trade(t=T0 + 403, trader="smart7"))
    # same Strength as the first signal (not a rise), but a new burst of 3 wallets
    assert s is not None and (s.reason, s.sequence) == (SignalReason.NEW_BURST, 2)
    assert e.on_trade(curve_trade(t=T0 + 404, trader="smart8")) is None  # same burst continues


def test_dev_selling_seen_by_the_engine_costs_the_risk_penalty() -> None:
    e = engine()
    e.set_risk(MINT, clean_report())
    e.on_trade(curve_trade(t=T0, trader=CREATOR, buy=False, sol=0.5))
    signals = [
        e.on_trade(curve_trade(t=T0 + 1 + i, trader=f"smart{i}", sol=2.0)) for i in range(4)
    ]
    # 3 wallets × 2 SOL: 0.4×(log10(7) + 1.5) + 0.2×LQ + 0.15×2.0 ≈ 1.63 ≥ 1.5
    s = signals[2]
    assert s is not None
    assert s.components["risk"] == pytest.approx(2.0)  # 3 - 1 (dev sold)
    assert [p.label for p in s.risk_penalties] == ["dev sold"]
    badge = next(b for b in s.risk_badges if b.check is Check.DEV_SELLING)
    assert badge.verdict is Verdict.FAIL


def test_risk_report_arriving_later_is_scored_at_tick() -> None:
    e = engine(min_strength=1.6)
    for i in range(3):  # unknown risk: 3 - 4 × 0.3 = 1.8 -> Strength ≈ 1.50 < 1.6
        assert e.on_trade(curve_trade(t=T0 + i, trader=f"smart{i}")) is None
    e.set_risk(MINT, clean_report())
    [s] = e.tick(T0 + 3)
    assert s.reason is SignalReason.FIRST and s.components["risk"] == 3.0
    assert e.tick(T0 + 4) == []


def test_unknown_risk_never_satisfies_filter_rules_in_a_signal() -> None:
    e = engine(min_strength=1.0)
    e.set_risk(MINT, report(mint_authority=Verdict.UNKNOWN, top10=(Verdict.UNKNOWN, 10.0)))
    for i in range(3):
        s = e.on_trade(curve_trade(t=T0 + i, trader=f"smart{i}"))
    assert s is not None
    fired = {r.name: r.fired for r in s.rule_results}
    assert fired["No Mint"] is False and fired["Top10 <30%"] is False
    assert fired["LP Burnt"] is True  # still on the curve


def test_required_rule_gates_emission_until_it_fires() -> None:
    e = engine(
        rules=SignalParams.from_dict({"rules": [{"kind": "no_mint", "required": True}]}).rules
    )
    e.set_risk(MINT, report(freeze_authority=Verdict.PASS))
    for i in range(5):
        assert e.on_trade(curve_trade(t=T0 + i, trader=f"smart{i}", sol=3.0)) is None
    e.set_risk(MINT, clean_report())
    [s] = e.tick(T0 + 5)
    assert s.reason is SignalReason.FIRST and s.rules_fired == ("No Mint",)


def test_pool_liquidity_uses_pool_reserves_after_migration() -> None:
    e = engine(min_strength=0.0)
    e.on_complete(CurveCompleteRecord(MINT, "curve1", T0, 1, "c"))
    sol_res, token_res = 85 * SOL, 206_900_000_000_000
    e.on_pool(pool(sol_res=sol_res, token_res=token_res))
    [s] = e.tick(T0)
    assert s.inputs["on_curve"] == 0.0
    assert s.inputs["liquidity_usd"] == pytest.approx(2 * 85 * SOL_USD)  # 25,500 USD
    assert s.inputs["impact_pct"] == pytest.approx(amm.price_impact_pct(SOL, token_res, sol_res))
    assert s.inputs["depth_1pct_sol"] == amm.depth_1pct_lamports(sol_res) / SOL


def test_max_live_mints_evicts_the_least_recently_active() -> None:
    e = engine(max_live_mints=100)
    for i in range(500):
        e.on_trade(trade(t=T0 + i, mint=f"mint{i}", trader="crowd"))
    assert e.live_mints == 100
    assert e.windows("mint399") is None and e.windows("mint400") is not None
    assert e.stats.evicted_cap == 401  # 400 mints + the launched MINT


def test_idle_mints_are_forgotten_after_the_ttl() -> None:
    e = engine(idle_ttl_s=60)
    e.on_trade(trade(t=T0, mint="old", trader="crowd"))
    e.on_trade(trade(t=T0 + 100, mint="fresh", trader="crowd"))
    e.tick(T0 + 100)
    assert e.windows("old") is None and e.windows(MINT) is None
    assert e.windows("fresh") is not None and e.live_mints == 1


def test_update_params_applies_without_restart() -> None:
    e = engine()
    _first(e)
    e.update_params(
        SignalParams.from_dict(
            {
                "min_strength": 1.0,
                "rules": [{"kind": "push_time", "window_min": 2, "min_net_sol_per_min": 1}],
            }
        )
    )
    w = e.windows(MINT)
    assert w is not None and w.lengths_s == (60, 120, 300, 900)
    assert w.buys(120) == 3 and w.net_flow_lamports(120) == 3 * SOL
    # 3 SOL over 2 minutes = 1.5 SOL/min ≥ 1: the push rule fires on the next signal
    s = e.on_trade(curve_trade(t=T0 + 3, trader="smart3", sol=5.0))
    assert s is not None and s.rules_fired[0] == "Push Time (≥1 SOL/min net, 2m)"
