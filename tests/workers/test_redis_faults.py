"""Redis loses or repeats a sell job: the order's state lives in PostgreSQL, so the sell
happens exactly once either way."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from rq.job import Job

from core.trading.order_store import OrderStore, OrderView
from core.trading.orders import OrderState, OrderTemplate, TakeProfit
from core.trading.pricing import MarkPrices
from tests.core.trading.conftest import SOL, Desk
from tests.workers.conftest import (
    WorkerProcess,
    buy_position,
    eventually,
    python_workers,
    sells_landed,
    whale_buy,
    worker_env,
)
from workers import queues
from workers.monitor import run_pass

pytestmark = pytest.mark.slow


async def claim_and_enqueue(
    desk: Desk, redis_url: str, *, copies: int
) -> tuple[OrderView, list[str]]:
    """A monitor pass in this process: the take profit is claimed and its sell job queued
    ``copies`` times on the real ``orders`` queue."""
    position = await buy_position(desk)
    store = OrderStore(desk.db_url, lease_s=2)
    (tp,) = await store.attach(
        position.id, OrderTemplate(take_profits=(TakeProfit(2_000, 10_000),)), user_id=desk.user_id
    )
    await whale_buy(desk, 15 * SOL)
    conn = queues.connect(redis_url)
    orders_queue = queues.queue(conn, queues.ORDERS_QUEUE)
    job_ids: list[str] = []

    async def enqueue(order: OrderView) -> None:
        for _ in range(copies):
            job = orders_queue.enqueue("workers.execute.execute_order", order.id)
            job_ids.append(job.id)

    prices = MarkPrices(desk.db_url, jupiter=desk.jupiter)
    stats = await run_pass(store, prices, owner="monitor-in-test", on_claimed=enqueue)
    assert stats.claimed == 1
    assert orders_queue.count == copies
    claimed = await store.get(tp.id)
    assert claimed is not None and claimed.state is OrderState.TRIGGERED
    await prices.aclose()
    await store.aclose()
    conn.close()
    return claimed, job_ids


async def test_a_sell_job_lost_in_a_redis_flush_is_recovered_once(
    desk: Desk, orders: OrderStore, redis_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    claimed, _ = await claim_and_enqueue(desk, redis_url, copies=1)
    redis.Redis.from_url(redis_url).flushdb()  # Redis restarted empty: the job is gone

    worker = workers(
        *python_workers(),
        env=worker_env(desk, redis_url, WORKER_ORDER_LEASE_S="2", WORKER_TRADE_LEASE_S="2"),
    )

    async def done() -> bool:
        order = await orders.get(claimed.id)
        return order is not None and order.state is OrderState.DONE

    await eventually(done, "the reaper finishing the lost sell", logs=worker)
    assert len(sells_landed(desk)) == 1 and desk.tokens() == 0
    checked = [
        e.details["chain"]
        for e in await desk.audit.for_key(claimed.trade_key or "")
        if e.action == "order.chain_checked"
    ]
    assert checked == ["not_sent"]  # the reaper looked before acting: nothing had been sent
    await worker.stop()


async def test_a_sell_job_delivered_twice_sells_once(
    desk: Desk, orders: OrderStore, redis_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    claimed, job_ids = await claim_and_enqueue(desk, redis_url, copies=2)

    worker = workers(*python_workers(), env=worker_env(desk, redis_url))
    conn = redis.Redis.from_url(redis_url)

    async def both_ran() -> bool:
        jobs = Job.fetch_many(job_ids, connection=conn)
        return all(j is not None and j.is_finished for j in jobs)

    await eventually(both_ran, "both copies of the sell job running", logs=worker)
    results = sorted(str(j.return_value()) for j in Job.fetch_many(job_ids, connection=conn))
    assert results == ["confirmed", "skipped"]
    order = await orders.get(claimed.id)
    assert order is not None and order.state is OrderState.DONE
    assert len(sells_landed(desk)) == 1 and desk.tokens() == 0
    assert len(desk.node.calls_of("sendTransaction")) == 3  # setup buy, whale, one sell
    conn.close()
    await worker.stop()
