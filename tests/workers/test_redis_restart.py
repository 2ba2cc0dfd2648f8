"""A real ``redis-server`` stops and comes back while a take-profit sell is in flight.

The worker (``python -m workers``) runs against a private Redis (``tests.redis_server``), not
the shared one. The local RPC node holds the sell's status poll so the worker is mid-sell (the
transaction landed, the confirmation not yet seen) when Redis goes away: stopped cleanly with
its snapshot, or killed without one (it restarts empty: the queues, the loop chains and the
job's record are gone). Redis comes back on the same port.

Observed (and asserted): the worker process survives. The sell job needs only PostgreSQL and
the chain, so it finishes and its result is written once Redis is back; RQ retries its dequeue
while Redis is down; RQ's scheduler child process dies on its heartbeat and the worker's
maintenance (every ``WORKER_MAINTENANCE_INTERVAL_S``) starts it again; the loop chains lost
with an empty Redis are started again by the same maintenance (``queues.ensure``). Had the
worker died, the Procfile / systemd restart would bring it back and the reaper would finish the
sell once (``test_kill_mid_sell``).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from rq.job import Job
from rq.registry import FinishedJobRegistry

from core.trading.order_store import OrderStore
from core.trading.orders import OrderState, OrderTemplate, TakeProfit
from core.trading.trade_types import TradeState
from tests.core.trading.conftest import SOL, Desk
from tests.redis_server import RedisServer
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

pytestmark = pytest.mark.slow
STALL_S = 3.0  # the status poll answers after this: Redis is down and back meanwhile
SCHEDULER_LOCK = "rq:scheduler-lock:loops"
LEASES = {"WORKER_ORDER_LEASE_S": "2", "WORKER_TRADE_LEASE_S": "2"}


@pytest.fixture(params=[True, False], ids=["with_snapshot", "empty"])
def private_redis(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path, persist=request.param)
    server.start()
    yield server
    server.close()


async def test_redis_restarted_mid_sell_ends_with_one_sell(
    desk: Desk,
    orders: OrderStore,
    private_redis: RedisServer,
    workers: Callable[..., WorkerProcess],
) -> None:
    url = private_redis.url()
    position = await buy_position(desk)
    held = position.holding.token_amount_raw
    (tp,) = await orders.attach(
        position.id, OrderTemplate(take_profits=(TakeProfit(2_000, 10_000),)), user_id=desk.user_id
    )
    await whale_buy(desk, 15 * SOL)
    desk.node.stall("getSignatureStatuses", STALL_S, times=50)
    worker = workers(*python_workers(), env=worker_env(desk, url, **LEASES))

    async def mid_sell() -> bool:
        order = await orders.get(tp.id)
        if order is None or order.trade_key is None:
            return False
        trade = await desk.store.get(order.trade_key)
        return (
            trade is not None
            and trade.state is TradeState.SENT
            and any(trade.signature in p[0] for p in desk.node.calls_of("getSignatureStatuses"))
        )

    await eventually(mid_sell, "the worker polling the sell's status", logs=worker)
    private_redis.stop(signal.SIGTERM if private_redis.persist else signal.SIGKILL)
    await asyncio.sleep(1.0)
    private_redis.start()
    desk.node.clear_failures()

    async def done() -> bool:
        order = await orders.get(tp.id)
        return order is not None and order.state is OrderState.DONE

    await eventually(done, "the sell finishing after the Redis restart", logs=worker)
    assert len(sells_landed(desk)) == 1 and desk.tokens() == 0
    finished = await orders.get(tp.id)
    assert finished is not None and finished.trade_amount_raw == held
    closed = await desk.book.get(position.id)
    assert closed is not None and closed.holding.token_amount_raw == 0

    # The worker process lived through it (RQ retries its dequeue while Redis is down; the
    # sell job itself needs only PostgreSQL and the chain). RQ's scheduler child died on its
    # heartbeat; the worker's maintenance starts it again, and the loops go on.
    assert worker.proc.poll() is None, worker.tail()
    conn = redis.Redis.from_url(url)
    ran_before = set(FinishedJobRegistry(queues.LOOPS_QUEUE, connection=conn).get_job_ids())

    async def loops_scheduled_again() -> bool:
        ran = set(FinishedJobRegistry(queues.LOOPS_QUEUE, connection=conn).get_job_ids())
        # three chains started directly; a fourth run came through the restarted scheduler
        return bool(conn.exists(SCHEDULER_LOCK)) and len(ran - ran_before) >= 4

    await eventually(loops_scheduled_again, "the loops running after the restart", logs=worker)

    # The same sell job delivered again after the restart (a snapshot that kept it, a retry)
    # is taken by the worker and sells nothing.
    again = queues.queue(conn, queues.ORDERS_QUEUE).enqueue("workers.execute.execute_order", tp.id)

    async def again_ran() -> bool:
        job = Job.fetch(again.id, connection=conn)
        return job.is_finished or job.is_failed

    await eventually(again_ran, "the repeated sell job running", logs=worker)
    assert Job.fetch(again.id, connection=conn).return_value() == "skipped"
    assert len(sells_landed(desk)) == 1
    conn.close()
    await worker.stop()
