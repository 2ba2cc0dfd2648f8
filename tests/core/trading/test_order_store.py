"""The orders table's state machine on both backends: attach, claim (exclusive, OCO), finish,
re-arm, cancel, the reaper's take-over; and claim exclusivity under real concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.errors import UserInputError
from core.storage.db import create_engine
from core.storage.migrate import upgrade
from core.storage.models import PositionStatus
from core.trading.audit import AuditTrail
from core.trading.order_store import ORDERS, OrderStore
from core.trading.orders import LegKind, OrderState, OrderTemplate, Price, TakeProfit
from core.trading.positions import POSITIONS
from core.trading.trade_types import FailureReason, Side, TradeOutcome, TradeState
from tests.core.trading.conftest import make_user

WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
MINT = "So11111111111111111111111111111111111111112"
HELD = 1_000_000
COST = 1_000_000_000
BRACKET = OrderTemplate(
    take_profits=(TakeProfit(5_000, 3_000), TakeProfit(10_000, 3_000)),
    stop_loss_bps=3_000,
    trailing_bps=2_000,
    time_exit_s=86_400,
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def open_position(url: str, user_id: int, *, held: int = HELD, cost: int = COST) -> int:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                POSITIONS.insert()
                .values(
                    user_id=user_id,
                    wallet=WALLET,
                    mint=MINT,
                    status=PositionStatus.OPEN.value,
                    entry_lamports=cost,
                    token_amount_raw=held,
                    bought_token_raw=held,
                    bought_lamports=cost,
                    realized_pnl_lamports=0,
                    opened_at=datetime.now(UTC),
                    idempotency_key=f"buy-{user_id}-{held}-{cost}",
                )
                .returning(POSITIONS.c.id)
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


async def close_position(url: str, position_id: int) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                POSITIONS.update()
                .where(POSITIONS.c.id == position_id)
                .values(status=PositionStatus.CLOSED.value, token_amount_raw=0)
            )
    finally:
        await engine.dispose()


def outcome(key: str, state: TradeState, reason: str | None = None) -> TradeOutcome:
    return TradeOutcome(key, state, Side.SELL, MINT, reason=reason, signature="sig")


@pytest.fixture
async def book(db_url: str) -> tuple[str, int, int]:
    user = await make_user(db_url)
    return db_url, user, await open_position(db_url, user)


@pytest.fixture
async def store(book: tuple[str, int, int]) -> OrderStore:
    return OrderStore(book[0], clock=Clock(), lease_s=60)


async def test_attaching_a_template_arms_its_orders_priced_at_the_entry(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    _, user, position = book
    orders = await store.attach(position, BRACKET, user_id=user)

    assert [o.kind for o in orders] == [
        LegKind.TAKE_PROFIT,
        LegKind.TAKE_PROFIT,
        LegKind.STOP_LOSS,
        LegKind.TRAILING_STOP,
        LegKind.TIME_EXIT,
    ]
    assert all(o.state is OrderState.ARMED and o.ref == Price(COST, HELD) for o in orders)
    assert all(o.base_tokens_raw == HELD for o in orders)
    assert orders[-1].due_at == store.now() + timedelta(days=1)
    await store.aclose()


async def test_attaching_again_replaces_the_armed_orders(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    _, user, position = book
    first = await store.attach(position, BRACKET, user_id=user)
    second = await store.attach(position, OrderTemplate(stop_loss_bps=1_000), user_id=user)

    states = {o.id: (o.state, o.reason) for o in await store.of_position(position)}
    assert all(states[o.id] == (OrderState.CANCELLED, "replaced") for o in first)
    assert states[second[0].id] == (OrderState.ARMED, None)
    await store.aclose()


async def test_another_users_position_cannot_get_orders(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    db_url, _, position = book
    stranger = await make_user(db_url)
    with pytest.raises(UserInputError, match="not one of yours"):
        await store.attach(position, BRACKET, user_id=stranger)
    await store.aclose()


async def test_a_stop_loss_claim_cancels_its_oco_group_in_the_same_transaction(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    db_url, user, position = book
    orders = {o.kind: o for o in await store.attach(position, BRACKET, user_id=user)}
    stop = orders[LegKind.STOP_LOSS]

    claimed = await store.claim(
        stop.id, position, "worker-a", amount_raw=HELD, price=Price(7, 10_000), why="-30 %"
    )

    assert claimed is not None and claimed.state is OrderState.TRIGGERED
    assert claimed.trade_key == f"order-{stop.id}-0" and claimed.trade_amount_raw == HELD
    after = {o.kind: o for o in await store.of_position(position)}
    assert after[LegKind.TRAILING_STOP].state is OrderState.CANCELLED
    assert after[LegKind.TRAILING_STOP].reason == "oco"
    assert after[LegKind.TIME_EXIT].state is OrderState.CANCELLED
    assert after[LegKind.TAKE_PROFIT].state is OrderState.ARMED  # not in the exit group
    trail = AuditTrail(db_url)
    actions = [e.action for e in await trail.for_key(claimed.trade_key or "")]
    assert actions == ["order.triggered"]
    await trail.aclose()
    await store.aclose()


async def test_an_order_is_claimed_once_and_a_position_has_one_order_in_flight(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    _, user, position = book
    tp1, tp2, *_ = await store.attach(position, BRACKET, user_id=user)

    first = await store.claim(tp1.id, position, "a", amount_raw=300_000, price=None, why="tp")
    again = await store.claim(tp1.id, position, "b", amount_raw=300_000, price=None, why="tp")
    other = await store.claim(tp2.id, position, "b", amount_raw=300_000, price=None, why="tp")

    assert first is not None and again is None and other is None
    current = await store.get(tp2.id)
    assert current is not None and current.state is OrderState.ARMED  # rolled back
    await store.aclose()


async def test_a_confirmed_sell_is_done_and_closing_the_position_cancels_the_rest(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    db_url, user, position = book
    orders = {o.kind: o for o in await store.attach(position, BRACKET, user_id=user)}
    stop = await store.claim(
        orders[LegKind.STOP_LOSS].id, position, "a", amount_raw=HELD, price=None, why="sl"
    )
    assert stop is not None and stop.trade_key is not None
    await store.mark_sent(stop, "5igSig")
    await close_position(db_url, position)  # what the executor's confirmed fill does

    done = await store.finish(stop, outcome(stop.trade_key, TradeState.CONFIRMED))
    again = await store.finish(stop, outcome(stop.trade_key, TradeState.CONFIRMED))

    assert done is not None and done.state is OrderState.DONE and done.signature == "5igSig"
    assert again is None
    states = {o.state for o in await store.of_position(position) if o.id != stop.id}
    assert states == {OrderState.CANCELLED}
    await store.aclose()


async def test_a_retryable_failure_rearms_with_a_new_trade_key_until_attempts_run_out(
    book: tuple[str, int, int],
) -> None:
    db_url, user, position = book
    store = OrderStore(db_url, clock=Clock(), max_attempts=2)
    (tp,) = await store.attach(
        position, OrderTemplate(take_profits=(TakeProfit(100, 5_000),)), user_id=user
    )
    slipped = FailureReason.SLIPPAGE_EXCEEDED.value

    first = await store.claim(tp.id, position, "a", amount_raw=1, price=None, why="tp")
    assert first is not None and first.trade_key is not None
    rearmed = await store.finish(first, outcome(first.trade_key, TradeState.FAILED, slipped))
    assert rearmed is not None and rearmed.state is OrderState.ARMED and rearmed.attempt == 1

    second = await store.claim(tp.id, position, "a", amount_raw=1, price=None, why="tp")
    assert second is not None and second.trade_key == f"order-{tp.id}-1"
    failed = await store.finish(
        second, outcome(second.trade_key or "", TradeState.FAILED, slipped)
    )
    assert failed is not None and failed.state is OrderState.FAILED and failed.reason == slipped
    await store.aclose()


async def test_a_refused_trade_fails_the_order_without_retrying(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    _, user, position = book
    (stop,) = await store.attach(position, OrderTemplate(stop_loss_bps=100), user_id=user)
    claimed = await store.claim(stop.id, position, "a", amount_raw=1, price=None, why="sl")
    assert claimed is not None
    ended = await store.finish(
        claimed, outcome(claimed.trade_key or "", TradeState.REFUSED, "trading_disabled")
    )
    assert ended is not None and ended.state is OrderState.FAILED
    assert ended.reason == "trading_disabled"
    await store.aclose()


async def test_an_unfinished_trade_leaves_the_order_in_flight(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    _, user, position = book
    (stop,) = await store.attach(position, OrderTemplate(stop_loss_bps=100), user_id=user)
    claimed = await store.claim(stop.id, position, "a", amount_raw=1, price=None, why="sl")
    assert claimed is not None
    pending = TradeOutcome(claimed.trade_key or "", TradeState.SENT, Side.SELL, MINT)
    assert await store.finish(claimed, pending) is None
    current = await store.get(stop.id)
    assert current is not None and current.state is OrderState.TRIGGERED
    await store.aclose()


async def test_the_reaper_takes_over_only_expired_leases_and_only_once(
    book: tuple[str, int, int],
) -> None:
    db_url, user, position = book
    clock = Clock()
    store = OrderStore(db_url, clock=clock, lease_s=30)
    (stop,) = await store.attach(position, OrderTemplate(stop_loss_bps=100), user_id=user)
    claimed = await store.claim(stop.id, position, "dead", amount_raw=1, price=None, why="sl")
    assert claimed is not None

    assert await store.take_over_expired("reaper-1") == []  # the lease is live
    clock.now += timedelta(seconds=31)
    taken = await store.take_over_expired("reaper-1")
    assert [o.id for o in taken] == [stop.id] and taken[0].claimed_by == "reaper-1"
    assert taken[0].trade_key == claimed.trade_key  # the same trade, resumed
    assert await store.take_over_expired("reaper-2") == []
    trail = AuditTrail(db_url)
    recovering = [e for e in await trail.for_key(claimed.trade_key or "")][-1]
    assert recovering.action == "order.recovering"
    assert recovering.details["previous_owner"] == "dead"
    await trail.aclose()
    await store.aclose()


async def test_users_cancel_armed_orders_but_not_ones_in_flight(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    _, user, position = book
    tp1, tp2, *_ = await store.attach(position, BRACKET, user_id=user)
    await store.claim(tp1.id, position, "a", amount_raw=1, price=None, why="tp")

    cancelled = await store.cancel(tp2.id, user_id=user)
    assert cancelled.state is OrderState.CANCELLED and cancelled.reason == "user"
    with pytest.raises(UserInputError, match="triggered: only armed orders"):
        await store.cancel(tp1.id, user_id=user)
    assert await store.cancel_position(position, user_id=user) == 3  # SL, trailing, time
    assert [o.id for o in await store.of_user(user)] == [tp1.id]  # only the one in flight
    await store.aclose()


async def test_the_monitor_sees_open_positions_without_orders_in_flight(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    db_url, user, first = book
    second = await open_position(db_url, user, held=5, cost=10)
    third = await open_position(db_url, user, held=7, cost=10)
    for position in (first, second, third):
        await store.attach(position, BRACKET, user_id=user)
    busy = (await store.of_position(second))[0]
    await store.claim(busy.id, second, "a", amount_raw=1, price=None, why="tp")
    await close_position(db_url, third)

    watched = await store.watched()
    assert [w.position_id for w in watched] == [first]
    assert len(watched[0].legs) == 5 and watched[0].held_tokens_raw == HELD
    assert await store.watched(after_position_id=first) == []
    assert await store.cancel_closed() == 5
    await store.aclose()


async def test_trailing_peaks_are_saved_for_armed_orders(
    book: tuple[str, int, int], store: OrderStore
) -> None:
    _, user, position = book
    (trail,) = await store.attach(position, OrderTemplate(trailing_bps=1_000), user_id=user)
    await store.save_peaks({trail.id: Price(3, 2)})
    current = await store.get(trail.id)
    assert current is not None and current.peak == Price(3, 2)
    assert current.leg().peak == Price(3, 2)
    await store.aclose()


# ---- PostgreSQL under real concurrency ------------------------------------------------------


async def test_concurrent_claims_of_one_order_have_exactly_one_winner(pg_url: str) -> None:
    await upgrade(pg_url)
    user = await make_user(pg_url)
    position = await open_position(pg_url, user)
    stores = [OrderStore(pg_url) for _ in range(8)]
    (stop,) = await stores[0].attach(position, OrderTemplate(stop_loss_bps=100), user_id=user)

    results = await asyncio.gather(
        *(
            s.claim(stop.id, position, f"worker-{i}", amount_raw=HELD, price=None, why="sl")
            for i, s in enumerate(stores)
        )
    )

    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    current = await stores[0].get(stop.id)
    assert current is not None and current.claimed_by == winners[0].claimed_by
    for s in stores:
        await s.aclose()


async def test_concurrent_claims_of_two_orders_of_one_position_let_one_through(
    pg_url: str,
) -> None:
    await upgrade(pg_url)
    user = await make_user(pg_url)
    position = await open_position(pg_url, user)
    stores = [OrderStore(pg_url) for _ in range(6)]
    tp1, tp2, *_ = await stores[0].attach(position, BRACKET, user_id=user)

    results = await asyncio.gather(
        *(
            s.claim(order.id, position, f"w{i}", amount_raw=1, price=None, why="tp")
            for i, s in enumerate(stores)
            for order in (tp1, tp2)
        )
    )

    assert len([r for r in results if r is not None]) == 1
    engine = create_engine(pg_url)
    async with engine.connect() as conn:
        in_flight = await conn.scalar(
            sa.select(sa.func.count()).where(
                ORDERS.c.position_id == position, ORDERS.c.state == OrderState.TRIGGERED.value
            )
        )
    await engine.dispose()
    assert in_flight == 1
    for s in stores:
        await s.aclose()
