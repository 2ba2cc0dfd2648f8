"""The auto-trade loop on real Redis streams: signals in (``signals.out``), intents out
(``autotrade.out``); and a worker buying what the user confirmed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis.asyncio as aioredis

from core.bus.streams import StreamConsumer, StreamPublisher
from core.signals.codec import STREAM as SIGNALS
from core.signals.codec import signal_to_stream_fields
from core.storage.migrate import upgrade
from core.trading.autotrade import STREAM as INTENTS
from core.trading.autotrade import AutoTradeMode, IntentState
from core.trading.autotrade_store import AutoTradeStore
from core.trading.order_store import OrderStore
from core.trading.orders import LegKind, OrderState
from tests.core.trading.conftest import SOL, Desk, make_user
from tests.core.trading.test_autotrade import MINT, rule, signal
from tests.workers.conftest import WorkerProcess, eventually, python_workers, worker_env
from workers.autotrade import GROUP, consume


async def read_all(client: aioredis.Redis, stream: str) -> list[dict[str, str]]:
    return [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _id, fields in await client.xrange(stream)
    ]


async def test_signals_become_one_pending_intent_per_rule_and_mint(
    pg_url: str, redis_url: str
) -> None:
    await upgrade(pg_url)
    user = await make_user(pg_url)
    store = AutoTradeStore(pg_url)
    await store.add_rule(rule(user))
    client = aioredis.Redis.from_url(redis_url)
    consumer = StreamConsumer(client, SIGNALS, GROUP, "test")
    await consumer.ensure_group(start_id="0")
    signals = StreamPublisher(client, SIGNALS)
    await signals.publish(signal_to_stream_fields(signal(MINT)))
    await signals.publish({"mint": MINT, "json": "{not json"})
    await signals.publish(signal_to_stream_fields(signal(MINT)))  # the mint re-alerts
    await signals.publish(signal_to_stream_fields(signal("Other" + MINT[5:], strength=1.0)))

    stats = await consume(store, consumer, StreamPublisher(client, INTENTS), owner="w")

    assert stats.signals == 4
    assert [(i.mint, i.state) for i in stats.intents] == [(MINT, IntentState.PENDING)]
    published = await read_all(client, INTENTS)
    assert [(p["kind"], p["mint"], p["user_id"]) for p in published] == [
        ("pending", MINT, str(user))
    ]
    assert "Strength 2.00 >= 1.8" in published[0]["why"]
    assert await consumer.pending_count() == 0  # everything acknowledged, the bad entry too
    assert stats.ready == []  # nothing to buy before the user confirms
    await client.aclose()
    await store.aclose()


@pytest.mark.slow
async def test_the_worker_buys_what_the_user_confirmed_and_arms_the_template(
    desk: Desk, redis_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    store = AutoTradeStore(desk.db_url)
    await store.add_rule(
        rule(
            desk.user_id,
            mode=AutoTradeMode.CONFIRM,
            wallet=str(desk.wallet),
            buy_lamports=SOL // 4,
        )
    )
    client = aioredis.Redis.from_url(redis_url)
    worker = workers(*python_workers(), env=worker_env(desk, redis_url))

    async def listening() -> bool:  # the loop made its consumer group on signals.out
        return bool(await client.exists(SIGNALS))

    await eventually(listening, "the auto-trade loop listening", logs=worker)
    await StreamPublisher(client, SIGNALS).publish(signal_to_stream_fields(signal(str(desk.mint))))

    async def asked() -> bool:
        return any(p["kind"] == "pending" for p in await read_all(client, INTENTS))

    await eventually(asked, "a pending confirmation on autotrade.out", logs=worker)
    pending = next(p for p in await read_all(client, INTENTS) if p["kind"] == "pending")
    assert desk.tokens() == 0  # nothing bought before the user says so
    await store.confirm(int(pending["intent_id"]), user_id=desk.user_id)  # the bot's Confirm

    async def bought() -> bool:
        return any(p["kind"] == "done" for p in await read_all(client, INTENTS))

    await eventually(bought, "the confirmed auto-buy done", logs=worker)
    done = next(p for p in await read_all(client, INTENTS) if p["kind"] == "done")
    assert desk.tokens() > 0
    orders = OrderStore(desk.db_url)
    armed = await orders.of_position(int(done["position_id"]))
    assert [(o.kind, o.state) for o in armed] == [
        (LegKind.TAKE_PROFIT, OrderState.ARMED),
        (LegKind.STOP_LOSS, OrderState.ARMED),
    ]
    trade = await desk.store.get(f"auto-{pending['rule_id']}-{desk.mint}")
    assert trade is not None and trade.amount_raw == SOL // 4
    await orders.aclose()
    await client.aclose()
    await store.aclose()
    await worker.stop()
