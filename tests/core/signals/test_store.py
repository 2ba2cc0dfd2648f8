"""SignalStore on PostgreSQL and SQLite: save / read back, latest, history, top now."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from core.signals import Signal
from core.signals.store import SignalStore
from tests.core.signals.factories import T0
from tests.core.signals.test_codec import engine_signals, unknown_liquidity_signal


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SignalStore]:
    async with SignalStore(db_url) as s:
        yield s


def _with(s: Signal, **changes: object) -> Signal:
    return dataclasses.replace(s, **changes)  # type: ignore[arg-type]


async def test_saved_signals_read_back_equal(store: SignalStore) -> None:
    signals = [*engine_signals(), unknown_liquidity_signal()]
    await store.save(signals)
    history = await store.history(signals[0].mint, 10)
    # newest first; the unknown-liquidity signal (at T0) is the oldest
    assert sorted(history, key=lambda s: (s.at, s.sequence)) == sorted(
        signals, key=lambda s: (s.at, s.sequence)
    )
    assert history[0] == signals[2]  # new burst at T0 + 403
    assert await store.latest(signals[0].mint) == signals[2]


async def test_latest_of_an_unknown_mint_is_none(store: SignalStore) -> None:
    assert await store.latest("nothing") is None
    assert await store.history("nothing", 5) == []
    await store.save([])


async def test_history_is_limited_and_newest_first(store: SignalStore) -> None:
    signals = engine_signals()
    await store.save(signals)
    assert [s.sequence for s in await store.history(signals[0].mint, 2)] == [3, 2]


async def test_top_now_ranks_each_mints_latest_signal_by_strength(store: SignalStore) -> None:
    [a1, a2, _] = engine_signals("MintA")
    b = _with(engine_signals("MintB")[0], strength=2.9, at=T0 + 100)
    c = _with(engine_signals("MintC")[0], strength=2.0, at=T0 + 50)
    old = _with(engine_signals("MintOld")[0], strength=3.0, at=T0 - 3600)
    a_late = _with(a2, strength=1.0, at=T0 + 200, sequence=9)  # A's latest is weak
    await store.save([a1, a2, b, c, old])
    await store.save([a_late])

    top = await store.top(since=T0 - 60, limit=10)
    assert [(s.mint, s.strength) for s in top] == [
        ("MintB", 2.9),
        ("MintC", 2.0),
        ("MintA", 1.0),  # one per mint: the latest, not the strongest
    ]
    assert [s.mint for s in await store.top(since=T0 - 60, limit=1)] == ["MintB"]
    strong = await store.top(since=T0 - 60, limit=10, min_strength=1.5)
    assert [s.mint for s in strong] == ["MintB", "MintC"]
    since_dt = datetime.fromtimestamp(T0 - 7200, UTC)
    assert [s.mint for s in await store.top(since=since_dt, limit=2)] == ["MintOld", "MintB"]
