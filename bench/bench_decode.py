"""Throughput of ``decode_logs`` on realistic Pump.fun buy log sets (one core).

The log sets are the real log lines of two mainnet buys (2024-12 10-field and 2025-05 16-field
TradeEvents, 30-40 lines each) with the ``Program data:`` line re-encoded so every transaction
carries a fresh mint, user and creator (so the pubkey cache sees realistic misses).

Run: .venv/bin/python bench/bench_decode.py [N_TXS] [--profile]

``--profile`` runs the same loop under cProfile and prints the 25 functions with the most own
time (the figures are then slower than without it; compare proportions, not rates).
"""

from __future__ import annotations

import base64
import cProfile
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.decode import DecodeStats, decode_logs
from tests import shared_dir

FIXTURES = shared_dir.FIXTURES / "mainnet"


def _base_logs() -> list[list[str]]:
    rpc = json.loads((FIXTURES / "soltxs_pumpfun_buy_rpc.json").read_text())["result"]
    block = json.loads(
        (FIXTURES / "chainstack_raw_tx_from_blockSubscribe_2025-05.json").read_text()
    )
    return [rpc["meta"]["logMessages"], block["meta"]["logMessages"]]


def _variant(logs: list[str], rng: random.Random) -> list[str]:
    out = []
    for line in logs:
        if line.startswith("Program data: "):
            raw = bytearray(base64.b64decode(line[14:]))
            if raw[:8].hex() == "bddb7fd34ee661ee":
                raw[8:40] = rng.randbytes(32)  # mint
                raw[57:89] = rng.randbytes(32)  # user
                if len(raw) >= 209:
                    raw[177:209] = rng.randbytes(32)  # creator (16-field layout)
            line = "Program data: " + base64.b64encode(bytes(raw)).decode()
        out.append(line)
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--profile"]
    profile = len(args) < len(sys.argv) - 1
    n_txs = int(args[0]) if args else 50_000
    rng = random.Random(7)
    bases = _base_logs()
    sets = [_variant(bases[i % len(bases)], rng) for i in range(n_txs)]
    lines = sum(len(s) for s in sets) / len(sets)
    stats = DecodeStats()
    profiler = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    events = 0
    for i, logs in enumerate(sets):
        events += len(decode_logs(logs, signature="sig", slot=i, stats=stats))
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - t0
    print(f"python {sys.version.split()[0]} pid {os.getpid()}")
    print(f"{n_txs} txs, {lines:.1f} log lines/tx, {events} events, failures {stats.failed}")
    print(f"decode_logs: {events / elapsed:,.0f} events/s ({elapsed / n_txs * 1e6:.2f} us/tx)")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
