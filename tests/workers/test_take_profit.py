"""A real ``rq worker --with-scheduler`` watches a position on the local chain and sells when
its take profit is hit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.trading.order_store import OrderStore
from core.trading.orders import LegKind, OrderState, OrderTemplate, TakeProfit
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

pytestmark = pytest.mark.slow


async def test_the_worker_sells_half_when_the_price_is_up_20_percent(
    desk: Desk, orders: OrderStore, redis_url: str, workers: Callable[..., WorkerProcess]
) -> None:
    position = await buy_position(desk)
    held = position.holding.token_amount_raw
    template = OrderTemplate(take_profits=(TakeProfit(2_000, 5_000),), stop_loss_bps=5_000)
    tp, stop = await orders.attach(position.id, template, user_id=desk.user_id)
    worker = workers(*rq_worker(redis_url), env=worker_env(desk, redis_url))

    async def monitoring() -> bool:  # the monitor has priced the position at least once
        return bool(desk.jup.calls_to("quote"))

    await eventually(monitoring, "the monitor quoting the position's mint", logs=worker)
    assert (await orders.get(tp.id)).state is OrderState.ARMED  # type: ignore[union-attr]
    sol_before = desk.sol()

    await whale_buy(desk, 15 * SOL)  # the pool's price x1.32

    async def sold() -> bool:
        order = await orders.get(tp.id)
        return order is not None and order.state is OrderState.DONE

    await eventually(sold, "the take profit's sell confirmed", logs=worker)
    done = await orders.get(tp.id)
    assert done is not None and done.trade_amount_raw == held // 2
    assert desk.tokens() == held - held // 2
    assert len(sells_landed(desk)) == 1
    trade = await desk.store.get(done.trade_key or "")
    assert trade is not None and trade.sol_delta_lamports is not None
    assert desk.sol() == sol_before + trade.sol_delta_lamports
    assert trade.sol_delta_lamports > 0.55 * (SOL // 2)  # half the tokens, now worth 1.32x
    after = await desk.book.get(position.id)
    assert after is not None and after.holding.token_amount_raw == held - held // 2
    still = await orders.get(stop.id)
    assert (
        still is not None and still.state is OrderState.ARMED and still.kind is LegKind.STOP_LOSS
    )
    await worker.stop()
