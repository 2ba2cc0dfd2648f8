"""ParamsStore and ParamsWatcher on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from core.signals import RuleError, SignalEngine, SignalParams
from core.signals.params_store import PARAMS, ParamsStore, ParamsWatcher
from core.storage.db import create_engine

NEW_WEIGHTS = {
    "weight_smart_burst": 0.5,
    "weight_momentum": 0.2,
    "weight_liquidity": 0.2,
    "weight_risk": 0.1,
}


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[ParamsStore]:
    async with ParamsStore(db_url) as s:
        yield s


async def _write_row_by_hand(url: str, params: object) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(PARAMS)
                .where(PARAMS.c.name == "default")
                .values(params=params)  # updated_at left as it was
            )
    finally:
        await engine.dispose()


async def test_load_gives_the_defaults_when_nothing_is_stored(store: ParamsStore) -> None:
    assert await store.load() == SignalParams()
    assert await store.read() is None


async def test_saved_params_load_back_equal(store: ParamsStore) -> None:
    params = SignalParams.from_dict(
        {**NEW_WEIGHTS, "min_strength": 2.0, "rules": [{"kind": "top10", "max_pct": 20}]}
    )
    await store.save(params, updated_by="admin:1")
    assert await store.load() == params
    stored = await store.read()
    assert stored is not None and stored.updated_by == "admin:1"
    assert await store.load("other") == SignalParams()  # names are separate


async def test_save_validates_a_mapping_and_names_the_bad_field(store: ParamsStore) -> None:
    with pytest.raises(RuleError) as err:
        await store.save({"smart_k": 7}, updated_by="admin:1")
    assert err.value.field == "smart_k" and "0-3" in str(err.value)
    with pytest.raises(RuleError, match=r"rules\[0\]\.min_wallets"):
        await store.save(
            {
                "rules": [
                    {"kind": "smart_buy_burst", "min_wallets": 0, "min_sol": 1, "window_min": 5}
                ]
            },
            updated_by="admin:1",
        )
    assert await store.read() is None  # nothing written
    saved = await store.save(NEW_WEIGHTS, updated_by="admin:1")
    assert saved.weight_smart_burst == 0.5 and await store.load() == saved


async def test_changed_since_sees_only_newer_rows(store: ParamsStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert await store.changed_since(before) is None
    await store.save(NEW_WEIGHTS, updated_by="admin:1")
    changed = await store.changed_since(before)
    assert changed is not None and changed.weight_risk == 0.1
    stored = await store.read()
    assert stored is not None and await store.changed_since(stored.updated_at) is None


async def test_a_bad_row_written_by_hand_makes_load_name_the_field(
    db_url: str, store: ParamsStore
) -> None:
    await store.save(NEW_WEIGHTS, updated_by="admin:1")
    await _write_row_by_hand(db_url, {**NEW_WEIGHTS, "weight_risk": 0.9})
    with pytest.raises(RuleError, match="weight_"):
        await store.load()


async def _wait_for(condition: object, timeout_s: float = 5.0) -> None:
    async def loop() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    await asyncio.wait_for(loop(), timeout_s)


async def test_watcher_hands_new_params_to_a_running_engine_and_ignores_a_bad_row(
    db_url: str, store: ParamsStore
) -> None:
    engine = SignalEngine(await store.load(), {}, lambda: 150.0)
    seen: list[SignalParams] = []

    def on_change(params: SignalParams) -> None:
        engine.update_params(params)
        seen.append(params)

    watcher = ParamsWatcher(store, on_change, poll_s=0.05, since=datetime.now(UTC))
    task = asyncio.create_task(watcher.run())
    try:
        await store.save(NEW_WEIGHTS, updated_by="admin:1")
        await _wait_for(lambda: len(seen) == 1)
        assert engine.params.weight_smart_burst == 0.5
        assert watcher.current == engine.params

        with capture_logs() as logs:
            await _write_row_by_hand(db_url, {**NEW_WEIGHTS, "smart_k": "lots"})
            await _wait_for(lambda: any(e["event"] == "signal_params_invalid" for e in logs))
            await asyncio.sleep(0.2)  # several more polls
        invalid = [e for e in logs if e["event"] == "signal_params_invalid"]
        assert len(invalid) == 1 and invalid[0]["field"] == "smart_k"  # logged once
        assert len(seen) == 1 and engine.params.weight_smart_burst == 0.5  # last good kept

        await store.save({**NEW_WEIGHTS, "smart_k": 1.0}, updated_by="admin:2")
        await _wait_for(lambda: len(seen) == 2)
        assert engine.params.smart_k == 1.0
    finally:
        watcher.stop()
        await asyncio.wait_for(task, 2.0)


async def test_watcher_without_since_delivers_the_stored_row_once(store: ParamsStore) -> None:
    await store.save(NEW_WEIGHTS, updated_by="admin:1")
    seen: list[SignalParams] = []

    async def on_change(params: SignalParams) -> None:
        seen.append(params)

    watcher = ParamsWatcher(store, on_change, poll_s=60)
    assert (await watcher.poll()) is not None
    assert await watcher.poll() is None
    assert [p.weight_risk for p in seen] == [0.1]


async def test_watcher_retries_when_the_callback_fails(store: ParamsStore) -> None:
    calls: list[SignalParams] = []

    def flaky(params: SignalParams) -> None:
        calls.append(params)
        if len(calls) == 1:
            raise RuntimeError("engine busy")

    watcher = ParamsWatcher(store, flaky, poll_s=60, since=datetime.now(UTC) - timedelta(1))
    await store.save(NEW_WEIGHTS, updated_by="admin:1")
    assert await watcher.poll() is None and watcher.current is None
    assert await watcher.poll() is not None and len(calls) == 2


async def test_a_row_stored_before_the_activity_parameters_existed_loads_with_defaults(
    store: ParamsStore, db_url: str
) -> None:
    await store.save(SignalParams(), updated_by="admin")
    old = {k: v for k, v in SignalParams().to_dict().items() if not k.startswith("activity_")}
    await _write_row_by_hand(db_url, {**old, "min_strength": 2.0})
    loaded = await store.load()
    assert loaded.min_strength == 2.0
    assert loaded.activity_window_s == 600
    assert loaded.activity_v_min_lamports == 50 * 1_000_000_000
    assert loaded.activity_global_v_min_lamports == 500 * 1_000_000_000
    assert loaded.activity_cooldown_s == 600
