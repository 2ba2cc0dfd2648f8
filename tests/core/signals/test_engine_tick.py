"""SignalEngine.tick: re-scoring every live mint, done only for the mints that could change.

The incremental tick must emit exactly what a full re-score (``tick(now, full=True)``) emits:
checked signal for signal on the simulated market's replay stream, with risk reports, a moving
SOL price, late trades, a parameter reload and a tracked-wallet reload, and on the cases that
only the clock or the SOL price can trigger.
"""

from __future__ import annotations

import dataclasses
import random

from core.decode import decode_logs
from core.ingest.normalize import Normalizer
from core.replay.market import SimulatedMarket
from core.risk.report import Verdict
from core.signals import SignalEngine, SignalParams, SignalReason
from core.signals.signal import Signal
from core.storage.records import (
    CurveCompleteRecord,
    MintRecord,
    PoolRecord,
    Record,
    TradeRecord,
)
from tests.core.signals.factories import MINT, SOL, T0, clean_report, launch, report, trade

SMART = {f"smart{i}": frozenset({"kol"}) for i in range(10)}


def _replay_records(seed: int, txs: int) -> tuple[SimulatedMarket, list[Record]]:
    market = SimulatedMarket(seed=seed)
    normalizer = Normalizer()
    records: list[Record] = []
    for tx in market.transactions(start_slot=1, start_time=T0, limit=txs):
        events = decode_logs(
            tx.logs, signature=tx.signature, slot=tx.slot, block_time=tx.block_time, err=tx.err
        )
        records.extend(normalizer.records(events))
    return market, records


def _feed(engine: SignalEngine, rec: Record) -> Signal | None:
    if isinstance(rec, TradeRecord):
        return engine.on_trade(rec)
    if isinstance(rec, MintRecord):
        engine.on_mint(rec)
    elif isinstance(rec, CurveCompleteRecord):
        engine.on_complete(rec)
    elif isinstance(rec, PoolRecord):
        engine.on_pool(rec)
    return None


def test_incremental_tick_emits_what_a_full_rescore_emits_on_the_replay_stream() -> None:
    market, records = _replay_records(seed=21, txs=20_000)
    smart = {address: frozenset({"smart"}) for address in market.smart_wallets}
    sol_usd = [150.0]
    incremental = SignalEngine(SignalParams(), smart, lambda: sol_usd[0])
    full = SignalEngine(SignalParams(), smart, lambda: sol_usd[0])
    rng = random.Random(3)
    got: list[tuple[str, Signal]] = []
    want: list[tuple[str, Signal]] = []
    last_tick = T0
    mints: list[str] = []
    for i, rec in enumerate(records):
        if isinstance(rec, TradeRecord) and rec.block_time and rng.random() < 0.01:
            rec = dataclasses.replace(rec, block_time=rec.block_time - rng.randint(1, 30))  # late
        for engine, out in ((incremental, got), (full, want)):
            signal = _feed(engine, rec)
            if signal is not None:
                out.append(("trade", signal))
        if isinstance(rec, MintRecord):
            mints.append(rec.mint)
        if mints and i % 400 == 0:  # a risk report arrives (clean, partial or failing)
            mint = rng.choice(mints[-50:])
            risk = rng.choice(
                [
                    clean_report(mint),
                    report(mint),
                    report(mint, mint_authority=Verdict.FAIL, top10=(Verdict.PASS, 12.0)),
                ]
            )
            incremental.set_risk(mint, risk)
            full.set_risk(mint, risk)
        if i % 700 == 0:
            sol_usd[0] = rng.uniform(60.0, 300.0)
        if i == len(records) // 2:
            params = SignalParams(min_strength=1.4, realert_step=0.2, smart_window_s=240)
            incremental.update_params(params)
            full.update_params(params)
        if i == 2 * len(records) // 3:
            fewer = dict(list(smart.items())[::2])
            incremental.set_smart_wallets(fewer)
            full.set_smart_wallets(fewer)
        t = rec.block_time if isinstance(rec, TradeRecord) and rec.block_time else last_tick
        if t >= last_tick + 3:
            last_tick = t
            got.extend(("tick", s) for s in incremental.tick(t))
            want.extend(("tick", s) for s in full.tick(t, full=True))
    end = last_tick + 1_000  # everything has left every window; no mint is idle long enough
    got.extend(("tick", s) for s in incremental.tick(end))
    want.extend(("tick", s) for s in full.tick(end, full=True))
    assert got == want
    assert sum(1 for how, _ in want if how == "tick") >= 3  # the ticks themselves emit
    assert len(want) >= 50
    # ... while re-scoring fewer mints, and none once nothing can change any more
    assert incremental.stats.tick_scored < 0.6 * full.stats.tick_scored
    scored = incremental.stats.tick_scored, full.stats.tick_scored
    assert incremental.tick(end + 5) == full.tick(end + 5, full=True) == []
    assert incremental.stats.tick_scored == scored[0]
    assert full.stats.tick_scored == scored[1] + full.live_mints > scored[1]


def _push_gated_engine() -> SignalEngine:
    rules = SignalParams.from_dict(
        {
            "rules": [
                {"kind": "push_time", "window_min": 1, "min_net_sol_per_min": 1, "required": True}
            ]
        }
    ).rules
    e = SignalEngine(SignalParams(min_strength=1.0, rules=rules), SMART, lambda: 150.0)
    e.on_mint(launch())
    e.set_risk(MINT, clean_report())
    return e


def test_tick_emits_once_a_sell_blocking_a_required_rule_leaves_its_window() -> None:
    for full in (False, True):
        e = _push_gated_engine()
        e.on_trade(trade(t=T0, trader="whale", buy=False, sol=20.0))
        for i in range(4):  # strong smart buying, but the 1 m net flow is still negative
            assert e.on_trade(trade(t=T0 + 30 + i, trader=f"smart{i}", sol=3.0)) is None
        assert e.tick(T0 + 59, full=full) == []
        [s] = e.tick(T0 + 61, full=full)  # the sell left the 1 m window: +12 SOL net
        assert (s.reason, s.at) == (SignalReason.FIRST, T0 + 61)
        assert e.tick(T0 + 62, full=full) == []


def test_tick_emits_when_a_higher_sol_price_lifts_liquidity_over_a_required_rule() -> None:
    rules = SignalParams.from_dict(
        {"rules": [{"kind": "min_liquidity", "min_usd": 20_000, "required": True}]}
    ).rules
    sol_usd = [100.0]
    for full in (False, True):
        sol_usd[0] = 100.0
        e = SignalEngine(SignalParams(min_strength=1.0, rules=rules), SMART, lambda: sol_usd[0])
        e.on_mint(launch())
        e.set_risk(MINT, clean_report())
        for i in range(4):  # 60 SOL real: 12,000 USD of liquidity at 100 USD
            e.on_trade(trade(t=T0 + i, trader=f"smart{i}", sol=3.0, real_sol=60 * SOL))
        assert e.tick(T0 + 5, full=full) == []
        sol_usd[0] = 90.0
        assert e.tick(T0 + 6, full=full) == []
        sol_usd[0] = 200.0  # 24,000 USD
        [s] = e.tick(T0 + 7, full=full)
        assert s.reason is SignalReason.FIRST and s.inputs["sol_usd"] == 200.0
        assert e.tick(T0 + 8, full=full) == []


def test_a_late_trade_after_a_tick_counts_at_the_tick_clock_whether_or_not_rescored() -> None:
    counted = []
    for full in (False, True):
        e = SignalEngine(SignalParams(), SMART, lambda: 150.0)
        e.on_mint(launch())
        e.on_trade(trade(t=T0, trader="a"))
        e.on_mint(launch(mint="other"))  # keeps the engine clock moving
        e.tick(T0 + 100, full=full)
        e.on_trade(trade(t=T0 + 50, trader="b"))  # older than the tick: counted at T0 + 100
        w = e.windows(MINT)
        assert w is not None
        counted.append((w.now, w.buys(60), w.unique_buyers(60)))
    assert counted[0] == counted[1] == (T0 + 100, 1, 1)
