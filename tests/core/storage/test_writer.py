from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import asyncpg
import pytest
from prometheus_client import REGISTRY

from core.storage.migrate import upgrade
from core.storage.records import TradeRecord
from core.storage.repository import Repository
from core.storage.types import unix_to_utc
from core.storage.writer import BatchWriter
from tests.core.storage import factories as f

N_TRADES = 5_000
N_MINTS = 50


async def _eventually(predicate, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition driven by the writer's background task (not a speed assertion)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("condition not reached")
        await asyncio.sleep(0.02)


def _as_record(row: object) -> TradeRecord:
    return TradeRecord(
        signature=row.signature,  # type: ignore[attr-defined]
        event_index=row.event_index,  # type: ignore[attr-defined]
        slot=row.slot,  # type: ignore[attr-defined]
        block_time=int(row.block_time.timestamp()),  # type: ignore[attr-defined]
        program=row.program,  # type: ignore[attr-defined]
        mint=row.mint,  # type: ignore[attr-defined]
        trader=row.trader,  # type: ignore[attr-defined]
        is_buy=row.is_buy,  # type: ignore[attr-defined]
        sol_lamports=row.sol_lamports,  # type: ignore[attr-defined]
        token_amount_raw=row.token_amount_raw,  # type: ignore[attr-defined]
        price_sol=row.price_sol,  # type: ignore[attr-defined]
        virtual_sol_reserves=row.virtual_sol_reserves,  # type: ignore[attr-defined]
        virtual_token_reserves=row.virtual_token_reserves,  # type: ignore[attr-defined]
        real_sol_reserves=row.real_sol_reserves,  # type: ignore[attr-defined]
        real_token_reserves=row.real_token_reserves,  # type: ignore[attr-defined]
        pool=row.pool,  # type: ignore[attr-defined]
    )


async def test_batched_writes_read_back_exactly_including_u64_above_2_63(db_url: str) -> None:
    trades = [f.trade(i) for i in range(N_TRADES)]
    async with BatchWriter(db_url, max_batch=700, flush_interval_ms=50) as writer:
        await writer.add_many(f.mint(i) for i in range(N_MINTS))
        await writer.add_many(trades)
        await writer.add_many(f.complete(i) for i in range(0, N_MINTS, 5))
        await writer.add_many(f.pool(i) for i in range(0, N_MINTS, 5))
        await writer.add_many(f.tick(i) for i in range(N_MINTS))

    async with Repository(db_url) as repo:
        counts = await repo.counts()
        assert counts["trades"] == N_TRADES
        assert counts["tokens"] == N_MINTS
        assert counts["pools"] == N_MINTS // 5
        assert counts["ticks"] == N_MINTS
        stored: list[TradeRecord] = []
        for i in range(N_MINTS):
            stored.extend(_as_record(t) for t in await repo.recent_trades(f.mint_address(i), 500))
        token = await repo.token(f.mint_address(5))
        ticks = await repo.ticks(f.mint_address(3), 60)

    assert sorted(stored, key=lambda t: t.slot) == trades
    assert any(t.sol_lamports > 2**63 for t in stored)
    assert token is not None
    assert token.name == "Token 5"
    assert token.supply_raw == 1_000_000_000_000_000
    assert token.complete is True
    assert token.completed_at == unix_to_utc(f.complete(5).completed_at)
    assert token.created_at == datetime.fromtimestamp(f.mint(5).created_at, UTC)
    assert [(t.open_price_sol, t.high_price_sol, t.volume_lamports) for t in ticks] == [
        (1.0, 2.0, 1_000)
    ]


async def test_recent_trades_are_newest_first_and_limited(db_url: str) -> None:
    mint = f.mint_address(1)
    async with BatchWriter(db_url) as writer:
        await writer.add_many(f.trade(i, mint=mint) for i in range(20))
    async with Repository(db_url) as repo:
        recent = await repo.recent_trades(mint, limit=3)
    assert [t.slot for t in recent] == [f.trade(i).slot for i in (19, 18, 17)]


async def test_replayed_trades_are_stored_once(db_url: str) -> None:
    trades = [f.trade(i) for i in range(300)]
    async with BatchWriter(db_url, max_batch=100) as writer:
        await writer.add_many(trades)
        await writer.flush()
        await writer.add_many(trades[:150])  # a gap fill re-delivers what was already stored
        await writer.add_many(trades[250:])  # ... twice in the same batch
    async with Repository(db_url) as repo:
        assert (await repo.counts())["trades"] == 300


async def test_two_events_of_one_transaction_are_both_stored(db_url: str) -> None:
    async with BatchWriter(db_url) as writer:
        await writer.add(f.trade(1, event_index=0))
        await writer.add(f.trade(1, event_index=1))
    async with Repository(db_url) as repo:
        assert (await repo.counts())["trades"] == 2


async def test_writer_flushes_when_a_buffer_reaches_max_batch(db_url: str) -> None:
    async with (
        BatchWriter(db_url, max_batch=10, flush_interval_ms=600_000) as writer,
        Repository(db_url) as repo,
    ):
        await writer.add_many(f.trade(i) for i in range(9))
        await asyncio.sleep(0.2)
        assert (await repo.counts())["trades"] == 0  # below max_batch, timer far away
        await writer.add(f.trade(9))

        async def all_stored() -> bool:
            return (await repo.counts())["trades"] == 10

        await _eventually(all_stored)


async def test_writer_flushes_small_batches_on_its_timer(db_url: str) -> None:
    async with (
        BatchWriter(db_url, max_batch=10_000, flush_interval_ms=50) as writer,
        Repository(db_url) as repo,
    ):
        await writer.add_many(f.trade(i) for i in range(3))

        async def stored() -> bool:
            return (await repo.counts())["trades"] == 3

        await _eventually(stored)
        assert writer.buffered == 0


async def test_completion_seen_before_the_launch_keeps_both(db_url: str) -> None:
    async with BatchWriter(db_url) as writer:
        await writer.add(f.complete(7))
        await writer.flush()
        async with Repository(db_url) as repo:
            minimal = await repo.token(f.mint_address(7))
        await writer.add(f.mint(7))
    async with Repository(db_url) as repo:
        token = await repo.token(f.mint_address(7))
    assert minimal is not None and minimal.complete and minimal.name is None
    assert token is not None
    assert token.complete is True
    assert token.name == "Token 7"
    assert token.bonding_curve == f.mint(7).bonding_curve


async def test_a_later_record_with_missing_fields_does_not_erase_known_ones(db_url: str) -> None:
    async with BatchWriter(db_url) as writer:
        await writer.add(f.mint(3))
        await writer.add(f.pool(3))
        await writer.flush()
        await writer.add(f.mint(3, supply_raw=None, token_program=None, symbol="NEW"))
        await writer.add(f.pool(3, creator=None, lp_mint=None, quote_reserve_raw=7))
    async with Repository(db_url) as repo:
        token = await repo.token(f.mint_address(3))
        counts = await repo.counts()
    assert token is not None
    assert token.symbol == "NEW"
    assert token.supply_raw == 1_000_000_000_000_000
    assert token.token_program == f.mint(3).token_program
    assert counts["pools"] == 1


async def test_writing_an_existing_tick_bucket_merges_it(db_url: str) -> None:
    async with BatchWriter(db_url) as writer:
        await writer.add(f.tick(1, prices=(1.0, 2.0, 0.5, 1.5), volume_lamports=1_000))
        await writer.flush()
        await writer.add(
            f.tick(
                1,
                prices=(9.0, 3.0, 0.7, 2.5),
                volume_lamports=500,
                buys=1,
                sells=4,
                net_flow_lamports=-200,
            )
        )
        await writer.add(f.tick(1, prices=(9.0, 1.0, 0.1, 0.9), volume_lamports=1))
    async with Repository(db_url) as repo:
        (tick,) = await repo.ticks(f.mint_address(1), 60)
    assert (tick.open_price_sol, tick.high_price_sol, tick.low_price_sol) == (1.0, 3.0, 0.1)
    assert tick.close_price_sol == 0.9
    assert (tick.volume_lamports, tick.buys, tick.sells) == (1_501, 5, 6)
    assert tick.net_flow_lamports == 300 - 200 + 300


async def test_ticks_since_skips_older_buckets(db_url: str) -> None:
    async with BatchWriter(db_url) as writer:
        await writer.add_many(f.tick(1, bucket_start=f.BASE_TIME + 60 * k) for k in range(5))
    async with Repository(db_url) as repo:
        ticks = await repo.ticks(f.mint_address(1), 60, since=unix_to_utc(f.BASE_TIME + 180))
    assert [t.bucket_start for t in ticks] == [
        unix_to_utc(f.BASE_TIME + 180),
        unix_to_utc(f.BASE_TIME + 240),
    ]


async def test_batch_is_kept_while_the_database_fails_and_written_once_it_recovers(
    empty_db_url: str,
) -> None:
    # No migration yet: every flush fails ("no such table"), nothing may be lost.
    async with BatchWriter(
        empty_db_url, max_batch=10, flush_interval_ms=20, retry_initial_s=0.01, retry_max_s=0.05
    ) as writer:
        await writer.add_many(f.trade(i) for i in range(25))
        with pytest.raises((asyncpg.UndefinedTableError, sqlite3.OperationalError)):
            await writer.flush()
        assert writer.buffered == 25
        await upgrade(empty_db_url)
        await writer.add_many(f.trade(i) for i in range(25, 30))
    async with Repository(empty_db_url) as repo:
        assert (await repo.counts())["trades"] == 30


async def test_add_waits_when_the_buffer_cap_is_reached_instead_of_dropping(
    empty_db_url: str,
) -> None:
    writer = BatchWriter(
        empty_db_url,
        max_batch=5,
        max_buffered=10,
        flush_interval_ms=20,
        retry_initial_s=0.01,
        retry_max_s=0.05,
    )
    await writer.start()
    await writer.add_many(f.trade(i) for i in range(10))  # fills the cap; flushes fail
    blocked = asyncio.create_task(writer.add(f.trade(10)))
    await asyncio.sleep(0.2)
    assert not blocked.done()  # backpressure: the producer waits
    assert writer.buffered == 10
    await upgrade(empty_db_url)  # the database comes back
    await asyncio.wait_for(blocked, timeout=10)
    await writer.aclose()
    async with Repository(empty_db_url) as repo:
        assert (await repo.counts())["trades"] == 11


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_flushes_and_failures_show_in_the_storage_metrics(empty_db_url: str) -> None:
    async with BatchWriter(empty_db_url, flush_interval_ms=600_000) as writer:
        backend = writer.backend_name
        errors_before = sum(
            _sample("solsignals_storage_flush_errors_total", backend=backend, error=name)
            for name in ("UndefinedTableError", "OperationalError")
        )
        await writer.add_many(f.trade(i) for i in range(4))
        with pytest.raises((asyncpg.UndefinedTableError, sqlite3.OperationalError)):
            await writer.flush()
        errors_after = sum(
            _sample("solsignals_storage_flush_errors_total", backend=backend, error=name)
            for name in ("UndefinedTableError", "OperationalError")
        )
        assert errors_after == errors_before + 1
        assert _sample("solsignals_storage_buffered_records", backend=backend) == 4

        await upgrade(empty_db_url)
        rows = dict(table="trades", backend=backend)
        written_before = _sample("solsignals_storage_rows_written_total", **rows)
        latency_before = _sample("solsignals_storage_flush_seconds_count", **rows)
        await writer.add(f.trade(0))  # a duplicate: handed over, but not a new row
        assert await writer.flush() == 5
        assert _sample("solsignals_storage_rows_written_total", **rows) == written_before + 4
        assert _sample("solsignals_storage_flush_seconds_count", **rows) == latency_before + 1
        assert _sample("solsignals_storage_buffered_records", backend=backend) == 0
