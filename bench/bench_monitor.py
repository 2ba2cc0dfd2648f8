"""Order monitor throughput: positions evaluated per second by one worker.

Creates a temporary PostgreSQL database on SOLSIGNALS_BENCH_PG (default
postgresql://postgres@127.0.0.1:5432/postgres), migrates it, opens N positions (default 10,000;
SOLSIGNALS_BENCH_POSITIONS) over M mints (default 1,000; SOLSIGNALS_BENCH_MINTS), each with a
TP/SL bracket of five orders (two take profits, stop loss, trailing stop, time exit), and one
fresh stored trade per mint (prices come from the stored live stream, no Jupiter). Then:

- ``evaluate``: the pure trigger evaluation alone, positions/s;
- ``pass (quiet)``: full monitor passes (``workers.monitor.run_pass``: query, price, evaluate,
  save trailing peaks) where nothing fires, positions/s;
- ``pass (1 % fire)``: one pass after the price of 1 % of the mints fell 40 %: their stop
  losses are claimed in PostgreSQL (row locks, OCO cancellations, audit rows).

Prints figures; asserts nothing.

    .venv/bin/python bench/bench_monitor.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.log import configure_logging
from core.programs import Program
from core.storage.db import create_engine
from core.storage.migrate import upgrade
from core.storage.models import PositionStatus, User
from core.storage.records import TradeRecord
from core.storage.writer import BatchWriter
from core.trading.order_store import OrderStore, OrderView, attach_in
from core.trading.orders import OrderTemplate, Price, TakeProfit, evaluate
from core.trading.positions import POSITIONS
from core.trading.pricing import MarkPrices
from workers.monitor import run_pass

SERVER_DSN = os.environ.get("SOLSIGNALS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
POSITION_COUNT = int(os.environ.get("SOLSIGNALS_BENCH_POSITIONS", "10000"))
MINT_COUNT = int(os.environ.get("SOLSIGNALS_BENCH_MINTS", "1000"))
PASSES = 5
VSOL, VTOK = 40_000_000_000, 800_000_000_000_000
HELD = 10_000_000_000
BRACKET = OrderTemplate(
    take_profits=(TakeProfit(5_000, 3_000), TakeProfit(10_000, 3_000)),
    stop_loss_bps=3_000,
    trailing_bps=2_000,
    time_exit_s=86_400,
)


def mint(i: int) -> str:
    return f"BenchMint{i:05d}".ljust(44, "m")


def trade(i: int, at: int, *, vsol: int = VSOL) -> TradeRecord:
    return TradeRecord(
        signature=f"bench{i:010d}{at}".ljust(88, "s"),
        event_index=0,
        slot=300_000_000 + i,
        block_time=at,
        program=Program.PUMP,
        mint=mint(i),
        trader="BenchTrader".ljust(44, "t"),
        is_buy=True,
        sol_lamports=100_000_000,
        token_amount_raw=2_000_000_000,
        price_sol=vsol / VTOK * 1_000,
        virtual_sol_reserves=vsol,
        virtual_token_reserves=VTOK,
        real_sol_reserves=vsol - 30_000_000_000,
        real_token_reserves=VTOK - 279_900_000_000_000,
    )


async def seed(url: str, now: datetime) -> None:
    engine = create_engine(url)
    users: sa.Table = User.__table__  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        user = (
            await conn.execute(
                users.insert()
                .values(language="en", role="registered", settings={"trading_enabled": True})
                .returning(users.c.id)
            )
        ).scalar_one()
        entry = Price(VSOL, VTOK).value_lamports(HELD)  # bought at today's price
        rows = [
            {
                "user_id": user,
                "wallet": "BenchWallet".ljust(44, "w"),
                "mint": mint(i % MINT_COUNT),
                "status": PositionStatus.OPEN.value,
                "entry_lamports": entry,
                "token_amount_raw": HELD,
                "bought_token_raw": HELD,
                "bought_lamports": entry,
                "realized_pnl_lamports": 0,
                "opened_at": now,
                "idempotency_key": f"bench-buy-{i}",
            }
            for i in range(POSITION_COUNT)
        ]
        for start in range(0, len(rows), 5_000):
            await conn.execute(POSITIONS.insert(), rows[start : start + 5_000])
        ids = [r.id for r in await conn.execute(sa.select(POSITIONS.c.id))]
    for start in range(0, len(ids), 1_000):
        async with engine.begin() as conn:
            for position_id in ids[start : start + 1_000]:
                await attach_in(
                    conn, position_id, BRACKET, user_id=int(user), actor="bench", now=now
                )
    await engine.dispose()
    async with BatchWriter(url) as writer:
        await writer.add_many(trade(i, int(now.timestamp())) for i in range(MINT_COUNT))


async def run(url: str) -> None:
    now = datetime.now(UTC)
    started = time.perf_counter()
    await seed(url, now)
    print(
        f"bench_monitor: {POSITION_COUNT} positions x 5 orders over {MINT_COUNT} mints, "
        f"PostgreSQL (seeded in {time.perf_counter() - started:.1f} s)"
    )
    store = OrderStore(url)
    prices = MarkPrices(url, max_age_s=3_600)

    watched = await store.watched(limit=POSITION_COUNT)
    price = Price(VSOL, VTOK)
    t = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for position in watched:
            evaluate(position.legs, position.held_tokens_raw, price, now)
    evaluated = rounds * len(watched) / (time.perf_counter() - t)
    print(f"  evaluate (pure):       {evaluated:>12,.0f} positions/s")

    async def nothing(_order: OrderView) -> None:
        return None

    seconds = []
    for _ in range(PASSES):
        stats = await run_pass(store, prices, owner="bench", on_claimed=nothing)
        assert stats.claimed == 0 and stats.positions == POSITION_COUNT
        seconds.append(stats.seconds)
    best, median = min(seconds), sorted(seconds)[len(seconds) // 2]
    print(
        f"  pass (quiet):          {POSITION_COUNT / median:>12,.0f} positions/s "
        f"(median {median * 1000:.0f} ms per pass, best {best * 1000:.0f} ms)"
    )

    crashed = max(1, MINT_COUNT // 100)
    later = now + timedelta(seconds=1)
    async with BatchWriter(url) as writer:  # 1 % of the mints fall 40 %: stop losses fire
        await writer.add_many(
            trade(i, int(later.timestamp()), vsol=VSOL * 6 // 10) for i in range(crashed)
        )
    stats = await run_pass(store, prices, owner="bench", on_claimed=nothing)
    print(
        f"  pass (1 % fire):       {stats.positions / stats.seconds:>12,.0f} positions/s "
        f"({stats.claimed} stop losses claimed in {stats.seconds * 1000:.0f} ms)"
    )
    await prices.aclose()
    await store.aclose()


async def main() -> None:
    name = f"solsignals_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(SERVER_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{SERVER_DSN.rsplit('/', 1)[0]}/{name}"
    try:
        await upgrade(url)
        await run(url)
    finally:
        admin = await asyncpg.connect(SERVER_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    configure_logging("warning", "console")
    asyncio.run(main())
