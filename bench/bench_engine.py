"""Signal engine throughput: aggregate + score per trade, 1,000 tracked wallets, 10,000 live mints.

Synthetic Pump.fun curve trades from a seeded RNG (about 10 % by tracked wallets, buys 60 %),
spread over simulated time; records are built before timing, so the figure is the engine alone.
Prints events/s and peak RSS (ru_maxrss). A benchmark, not a test: nothing is asserted.

    .venv/bin/python bench/bench_engine.py [--trades 500000] [--mints 10000] [--wallets 1000]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.market import curve
from core.programs import LAMPORTS_PER_SOL, Program
from core.signals import SignalEngine, SignalParams
from core.storage.records import MintRecord, TradeRecord


def _address(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(
        rng.choices("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", k=40)
    )


def build(n_trades: int, n_mints: int, n_wallets: int, seed: int, trades_per_s: int):
    rng = random.Random(seed)
    smart = {
        _address(rng, "S"): frozenset(rng.sample(["kol", "smart", "whale", "sniper"], k=2))
        for _ in range(n_wallets)
    }
    smart_list = list(smart)
    crowd = [_address(rng, "W") for _ in range(50_000)]
    mints = [_address(rng, "M") for _ in range(n_mints)]
    t0 = 1_754_000_000
    mint_records = [
        MintRecord(m, "Tok", "TOK", "", crowd[i % len(crowd)], "bc", t0, 1, f"c{i}")
        for i, m in enumerate(mints)
    ]
    reserves = {
        m: [curve.INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS, curve.INITIAL_VIRTUAL_TOKEN_RESERVES_RAW]
        for m in mints
    }
    # Activity is skewed: a few hot mints get most trades (Zipf-like weights).
    weights = [1.0 / (i + 1) ** 0.8 for i in range(n_mints)]
    chosen = rng.choices(mints, weights=weights, k=n_trades)
    trades = []
    for i, mint in enumerate(chosen):
        is_smart = rng.random() < 0.10
        trader = rng.choice(smart_list) if is_smart else rng.choice(crowd)
        is_buy = rng.random() < 0.6 or is_smart
        vsol, vtok = reserves[mint]
        lamports = int(rng.expovariate(1.0) * 0.5 * LAMPORTS_PER_SOL) + 1_000_000
        if is_buy:
            tokens = vtok * lamports // (vsol + lamports)
            vsol, vtok = vsol + lamports, vtok - tokens
        else:
            lamports = min(lamports, vsol - curve.INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS)
            if lamports <= 0:
                is_buy, lamports = True, 10_000_000
                tokens = vtok * lamports // (vsol + lamports)
                vsol, vtok = vsol + lamports, vtok - tokens
            else:
                tokens = vtok * lamports // (vsol - lamports)
                vsol, vtok = vsol - lamports, vtok + tokens
        reserves[mint] = [vsol, vtok]
        trades.append(
            TradeRecord(
                signature=f"s{i}",
                event_index=0,
                slot=i // 4,
                block_time=t0 + i // trades_per_s,
                program=Program.PUMP,
                mint=mint,
                trader=trader,
                is_buy=is_buy,
                sol_lamports=lamports,
                token_amount_raw=tokens,
                price_sol=curve.price_sol(vsol, vtok),
                virtual_sol_reserves=vsol,
                virtual_token_reserves=vtok,
                real_sol_reserves=vsol - curve.INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS,
                real_token_reserves=None,
            )
        )
    return smart, mint_records, trades


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trades", type=int, default=500_000)
    ap.add_argument("--mints", type=int, default=10_000)
    ap.add_argument("--wallets", type=int, default=1_000)
    ap.add_argument("--trades-per-s", type=int, default=2_000, help="simulated market rate")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    t = time.perf_counter()
    smart, mint_records, trades = build(
        args.trades, args.mints, args.wallets, args.seed, args.trades_per_s
    )
    print(
        f"built {len(trades):,} trades over {len(mint_records):,} mints "
        f"in {time.perf_counter() - t:.1f} s"
    )

    rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine = SignalEngine(SignalParams(), smart, lambda: 150.0)
    for record in mint_records:
        engine.on_mint(record)
    signals = 0
    on_trade = engine.on_trade
    t = time.perf_counter()
    for trade in trades:
        if on_trade(trade) is not None:
            signals += 1
    elapsed = time.perf_counter() - t
    end = trades[-1].block_time or 0
    t = time.perf_counter()
    ticked = engine.tick(end)  # the first tick: every mint launched since is due
    tick_s = time.perf_counter() - t
    first_scored = s0 = engine.stats.tick_scored
    t = time.perf_counter()
    ticked += engine.tick(end + 1)  # a second later: only mints whose windows changed
    tick2_s = time.perf_counter() - t
    second_scored = engine.stats.tick_scored - s0
    t = time.perf_counter()
    ticked += engine.tick(end + 1, full=True)  # the reference: every live mint re-scored
    full_s = time.perf_counter() - t
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = engine.stats
    print(f"engine: {len(trades) / elapsed:,.0f} trades/s ({elapsed:.2f} s for {len(trades):,})")
    print(
        f"  live mints {engine.live_mints:,}, signals {signals:,} (+{len(ticked)} at tick), "
        f"momentum scored {s.momentum_scored:,}, liquidity scored {s.liquidity_scored:,}"
    )
    print(
        f"  ticks over {engine.live_mints:,} live mints: first {tick_s * 1e3:.1f} ms "
        f"({first_scored:,} re-scored), 1 s later {tick2_s * 1e3:.1f} ms ({second_scored:,} "
        f"re-scored), full re-score {full_s * 1e3:.1f} ms"
    )
    print(
        f"  peak RSS {peak_rss_mb:,.0f} MB; {rss_before_mb:,.0f} MB before the engine started "
        f"(the pre-built records), so the engine adds about {peak_rss_mb - rss_before_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
