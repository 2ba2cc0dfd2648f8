"""THE KILL TEST: the worker process is SIGKILLed in the middle of a sell; the reaper checks
the chain and finishes it; the chain shows exactly one sell.

The local RPC node holds the worker at the chosen point: its status poll
(``getSignatureStatuses``) after a send that landed, after a send the leader dropped, or its
first lookup before anything is signed (``getAccountInfo``). The node answers those only after
a few seconds; the test kills the worker's whole process group (worker and RQ scheduler) as
soon as the call arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from core.trading.order_store import OrderStore
from core.trading.orders import OrderState, OrderTemplate, TakeProfit
from core.trading.trade_types import TradeState
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

pytestmark = pytest.mark.slow
STALL_S = 4.0  # the worker's own RPC timeout is 10 s: it is still waiting when it is killed
LEASES = {"WORKER_ORDER_LEASE_S": "2", "WORKER_TRADE_LEASE_S": "2"}


async def run_reaper(desk: Desk, redis_url: str) -> str:
    """``python -m workers reap``: one reaper pass in a fresh process."""
    process = await asyncio.create_subprocess_exec(
        *python_workers("reap"),
        env=worker_env(desk, redis_url, **LEASES),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    return text


@pytest.mark.parametrize("moment", ["sent_and_landed", "sent_not_landed", "claimed_not_sent"])
async def test_a_worker_killed_mid_sell_is_recovered_with_exactly_one_sell(
    moment: str,
    desk: Desk,
    orders: OrderStore,
    redis_url: str,
    workers: Callable[..., WorkerProcess],
) -> None:
    position = await buy_position(desk)
    held = position.holding.token_amount_raw
    (tp,) = await orders.attach(
        position.id, OrderTemplate(take_profits=(TakeProfit(2_000, 10_000),)), user_id=desk.user_id
    )
    await whale_buy(desk, 15 * SOL)  # the take profit is hit from the first pass on
    sends_before = len(desk.node.calls_of("sendTransaction"))
    if moment == "claimed_not_sent":
        desk.node.stall("getAccountInfo", STALL_S, times=50)  # the sell's balance lookup
    else:
        desk.node.stall("getSignatureStatuses", STALL_S, times=50)
    if moment == "sent_not_landed":
        desk.node.drop_sends(1)

    worker = workers(*python_workers(), env=worker_env(desk, redis_url, **LEASES))

    async def at_the_chosen_point() -> bool:
        order = await orders.get(tp.id)
        if order is None or order.trade_key is None:
            return False
        trade = await desk.store.get(order.trade_key)
        if moment == "claimed_not_sent":
            return (
                trade is not None
                and trade.state is TradeState.REQUESTED
                and any(p and p[0] == str(desk.mint) for p in desk.node.calls_of("getAccountInfo"))
            )
        return (
            trade is not None
            and trade.state is TradeState.SENT
            and any(trade.signature in p[0] for p in desk.node.calls_of("getSignatureStatuses"))
        )

    await eventually(at_the_chosen_point, f"the worker reaching {moment}", logs=worker)
    worker.kill()

    order = await orders.get(tp.id)
    assert order is not None and order.state in (OrderState.TRIGGERED, OrderState.SENT)
    landed_before = len(sells_landed(desk))
    assert landed_before == (1 if moment == "sent_and_landed" else 0)
    sends_at_kill = len(desk.node.calls_of("sendTransaction"))
    await asyncio.sleep(STALL_S)  # the held calls finish answering the dead worker
    desk.node.clear_failures()

    async def leases_expired() -> bool:
        current = await orders.get(tp.id)
        trade = await desk.store.get(order.trade_key or "")
        now = datetime.now(UTC)
        return (
            current is not None
            and current.claimed_until is not None
            and current.claimed_until < now
            and (trade is None or trade.claimed_until is None or trade.claimed_until < now)
        )

    await eventually(leases_expired, "the dead worker's leases expiring")
    report = await run_reaper(desk, redis_url)

    done = await orders.get(tp.id)
    assert done is not None and done.state is OrderState.DONE, report
    assert done.trade_key == order.trade_key  # the same trade, resumed: not a second one
    assert len(sells_landed(desk)) == 1
    assert desk.tokens() == 0 and done.trade_amount_raw == held
    closed = await desk.book.get(position.id)
    assert closed is not None and closed.holding.token_amount_raw == 0
    checked = [
        e
        for e in await desk.audit.for_key(order.trade_key or "")
        if e.action == "order.chain_checked"
    ]
    expected_chain = {
        "sent_and_landed": "landed",
        "sent_not_landed": "not_found",
        "claimed_not_sent": "not_sent",
    }[moment]
    assert [e.details["chain"] for e in checked] == [expected_chain]
    sends_after = len(desk.node.calls_of("sendTransaction")) - sends_at_kill
    if moment == "sent_and_landed":
        assert sends_after == 0  # the reaper saw it landed and sent nothing
    elif moment == "sent_not_landed":
        assert sends_after >= 1  # the same signed bytes, rebroadcast; they land once
        trade = await desk.store.get(order.trade_key or "")
        assert trade is not None and len(trade.signatures) == 1
    else:
        assert sends_at_kill == sends_before  # nothing was sent before the kill
    assert f"order {tp.id}: chain {expected_chain}, trade confirmed" in report
