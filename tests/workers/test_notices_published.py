"""An order the worker executes is told to its user: ``run_order`` (the ``orders`` job's and the
reaper's code path) publishes a ``trading.out`` notice once the order's state is recorded, and
a notice that cannot be published never fails or repeats the sell."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from core.trading.notices import STREAM, NoticeKind, NoticePublisher, notice_from_stream_fields
from core.trading.order_store import OrderStore, OrderView
from core.trading.orders import LegKind, OrderState, OrderTemplate, TakeProfit
from core.trading.pricing import MarkPrices
from tests.core.trading.conftest import SOL, Desk
from tests.workers.conftest import (
    WorkerProcess,
    buy_position,
    eventually,
    rq_worker,
    sells_landed,
    whale_buy,
    worker_env,
)
from workers.execute import run_order
from workers.monitor import run_pass


def failed_publishes() -> float:
    return (
        REGISTRY.get_sample_value(
            "solsignals_trade_notices_total",
            {"kind": "executed", "leg": "take_profit", "result": "failed"},
        )
        or 0.0
    )


async def take_profit_fires(
    desk: Desk, orders: OrderStore, notices: NoticePublisher
) -> tuple[int, OrderView]:
    """A position with a +20 % / sell 50 % take profit, the price x1.32, one monitor pass
    executing what it claims in process; (position id, the take profit as armed)."""
    position = await buy_position(desk)
    template = OrderTemplate(take_profits=(TakeProfit(2_000, 5_000),), stop_loss_bps=5_000)
    tp, _stop = await orders.attach(position.id, template, user_id=desk.user_id)
    await whale_buy(desk, 15 * SOL)

    async def execute(order: OrderView) -> None:
        await run_order(order, store=orders, executor=desk.executors[0], notices=notices)

    prices = MarkPrices(desk.db_url, jupiter=desk.jupiter)
    stats = await run_pass(orders, prices, owner="worker-in-test", on_claimed=execute)
    await prices.aclose()
    assert stats.claimed == 1
    return position.id, tp


async def test_an_executed_take_profit_publishes_its_notice_with_the_trade_s_figures(
    desk: Desk, orders: OrderStore, redis_url: str
) -> None:
    client = aioredis.Redis.from_url(redis_url)
    position_id, tp = await take_profit_fires(desk, orders, NoticePublisher(client))

    done = await orders.get(tp.id)
    assert done is not None and done.state is OrderState.DONE
    trade = await desk.store.get(done.trade_key or "")
    assert trade is not None and trade.signature is not None
    entries = await client.xrange(STREAM)
    assert len(entries) == 1  # one notice: the stop loss did not fire
    notice = notice_from_stream_fields(entries[0][1])
    assert notice.kind is NoticeKind.EXECUTED
    assert (notice.user_id, notice.order_id, notice.position_id) == (
        desk.user_id,
        tp.id,
        position_id,
    )
    assert (notice.leg, notice.threshold_bps, notice.amount) == (LegKind.TAKE_PROFIT, 2_000, 5_000)
    assert notice.signature == trade.signature == sells_landed(desk)[0]
    assert notice.token_delta_raw == -(done.trade_amount_raw or 0)
    assert notice.sol_delta_lamports == trade.sol_delta_lamports
    assert notice.sol_delta_lamports is not None and notice.sol_delta_lamports > 0
    ratio = notice.trigger_ratio_bps
    assert ratio is not None and ratio >= 12_000  # fired at +20 % or more
    await client.aclose()


async def test_a_notice_redis_refuses_never_fails_nor_repeats_the_sell(
    desk: Desk, orders: OrderStore
) -> None:
    dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    failures = failed_publishes()

    _position_id, tp = await take_profit_fires(desk, orders, NoticePublisher(dead))

    done = await orders.get(tp.id)
    assert done is not None and done.state is OrderState.DONE
    assert len(sells_landed(desk)) == 1
    assert failed_publishes() == failures + 1
    await dead.aclose()


@pytest.mark.slow
async def test_the_rq_worker_publishes_the_notice_of_the_take_profit_it_sold(
    desk: Desk, orders: OrderStore, redis_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    position = await buy_position(desk)
    template = OrderTemplate(take_profits=(TakeProfit(2_000, 5_000),))
    (tp,) = await orders.attach(position.id, template, user_id=desk.user_id)
    client = aioredis.Redis.from_url(redis_url)
    worker = workers(*rq_worker(redis_url), env=worker_env(desk, redis_url))

    async def monitoring() -> bool:
        return bool(desk.jup.calls_to("quote"))

    await eventually(monitoring, "the monitor quoting the position's mint", logs=worker)
    await whale_buy(desk, 15 * SOL)

    async def told() -> bool:
        return bool(await client.xrange(STREAM))

    await eventually(told, "a notice on trading.out", logs=worker)
    (entry,) = await client.xrange(STREAM)
    notice = notice_from_stream_fields(entry[1])
    done = await orders.get(tp.id)
    assert done is not None and done.state is OrderState.DONE
    assert (notice.kind, notice.order_id, notice.signature) == (
        NoticeKind.EXECUTED,
        tp.id,
        done.signature or sells_landed(desk)[0],
    )
    await client.aclose()
    await worker.stop()
