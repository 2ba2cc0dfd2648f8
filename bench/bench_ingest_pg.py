"""Sustained TradeRecord throughput into PostgreSQL through BatchWriter, and peak RSS.

Creates a temporary database on the server given by SOLSIGNALS_BENCH_PG (default
postgresql://postgres@127.0.0.1:5432/postgres), migrates it, writes N trades (default 200,000;
SOLSIGNALS_BENCH_EVENTS) through ``BatchWriter`` with its defaults, prints events/s and peak RSS,
and drops the database. Target: >= 10,000 events/s. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_ingest_pg.py
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.programs import Program
from core.storage.migrate import upgrade
from core.storage.records import TradeRecord
from core.storage.writer import BatchWriter

SERVER_DSN = os.environ.get("SOLSIGNALS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
EVENTS = int(os.environ.get("SOLSIGNALS_BENCH_EVENTS", "200000"))


def _trade(i: int) -> TradeRecord:
    return TradeRecord(
        signature=f"{i:064d}bench".ljust(88, "s"),
        event_index=0,
        slot=300_000_000 + i // 50,
        block_time=1_735_689_600 + i // 100,
        program=Program.PUMP,
        mint=f"mint{i % 2_000:05d}".ljust(44, "m"),
        trader=f"trader{i % 10_000:06d}".ljust(44, "t"),
        is_buy=i % 3 != 0,
        sol_lamports=100_000_000 + i,
        token_amount_raw=3_500_000_000_000 + i,
        price_sol=2.8e-8,
        virtual_sol_reserves=30_000_000_000 + i,
        virtual_token_reserves=1_073_000_000_000_000 - i,
        real_sol_reserves=i,
        real_token_reserves=793_100_000_000_000 - i,
    )


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def main() -> None:
    name = f"solsignals_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(SERVER_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{SERVER_DSN.rsplit('/', 1)[0]}/{name}"
    try:
        await upgrade(url)
        trades = [_trade(i) for i in range(EVENTS)]
        rss_before = _peak_rss_mib()
        started = time.perf_counter()
        async with BatchWriter(url) as writer:
            for record in trades:
                await writer.add(record)
        elapsed = time.perf_counter() - started
        conn = await asyncpg.connect(url)
        stored = await conn.fetchval("SELECT count(*) FROM trades")
        await conn.close()
        print(f"events:         {EVENTS}")
        print(f"stored rows:    {stored}")
        print(f"elapsed:        {elapsed:.2f} s")
        print(f"throughput:     {EVENTS / elapsed:,.0f} events/s (target >= 10,000)")
        print(f"flushes:        {writer.flushes}")
        print(
            f"peak RSS:       {_peak_rss_mib():.0f} MiB (after building records: {rss_before:.0f})"
        )
    finally:
        admin = await asyncpg.connect(SERVER_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
