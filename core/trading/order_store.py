"""The ``orders`` table: a position's exit and scaling orders, moved through their state machine
by conditional, row-locked transitions, each with its audit row (``subject`` = ``order:<id>``).

    armed -> triggered (claimed by a worker, lease until T) -> sent -> done | failed
    armed -> cancelled (by the user, by OCO, or because the position closed)
    triggered | sent -> armed (attempt + 1): the trade did not execute, for a retryable reason

Exactly once: ``claim`` is the only way out of ``armed`` into a trade. In one transaction it
locks the position row (PostgreSQL ``FOR UPDATE``; so claims of one position's orders queue up),
takes the order row with ``FOR UPDATE SKIP LOCKED`` (a concurrent claimer skips it), moves it
``armed -> triggered`` only if it is still armed and no other order of the position is in flight,
fixes the trade's idempotency key (``order-<id>-<attempt>``) and amount, and cancels the armed
orders of its OCO group. SQLite (the embedded default) serialises writers: there the conditional
UPDATE is the first statement of the transaction and does the same job. The trade itself is
then executed under that key by ``TradeExecutor``, which records the signed transaction before
sending it: running a claimed order again — after a crash, by the reaper, or twice from a
replayed queue — resumes that one trade (checking the chain first), never a second.

The lease (``claimed_by`` / ``claimed_until``) only says who is working on it: ``finish``
accepts the trade's outcome from anyone holding the order's current ``trade_key``, and the
reaper (``take_over_expired``) hands orders whose lease expired to a live worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import Text, UserInputError
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import PositionStatus
from core.trading.order_rows import (
    LEG_COLUMNS,
    ORDERS,
    OrderView,
    WatchedPosition,
    audit_row,
    leg_of,
    view_of,
    write_audit,
)
from core.trading.orders import Leg, OrderState, OrderTemplate, Price, legs_of, trade_key
from core.trading.positions import POSITIONS
from core.trading.trade_types import FailureReason, TradeOutcome, TradeState

log = structlog.get_logger(__name__)

DEFAULT_LEASE_S = 300.0
DEFAULT_MAX_ATTEMPTS = 3
# Nothing was traded and trying again later may work (the order is re-armed).
RETRYABLE_FAILURES = frozenset(
    {
        FailureReason.NO_ROUTE,
        FailureReason.SIMULATION_FAILED,
        FailureReason.SLIPPAGE_EXCEEDED,
        FailureReason.BLOCKHASH_EXPIRED,
        FailureReason.TRANSACTION_FAILED,
        FailureReason.SEND_REJECTED,
        FailureReason.UPSTREAM_UNAVAILABLE,
    }
)
S = OrderState
# "order {id} is {state}": the state as a translatable word
_STATE_WORDS: Mapping[OrderState, Text] = {
    S.ARMED: Text("armed"),
    S.TRIGGERED: Text("triggered"),
    S.SENT: Text("sent"),
    S.DONE: Text("done"),
    S.CANCELLED: Text("cancelled"),
    S.FAILED: Text("failed"),
}

ORDER_TRANSITIONS = Counter(
    "solsignals_order_transitions_total",
    "Order state changes, by kind and new state",
    ["kind", "to"],
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _is_pg(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


async def _lock_position(conn: AsyncConnection, position_id: int) -> Any:
    query = sa.select(POSITIONS).where(POSITIONS.c.id == position_id)
    if _is_pg(conn):
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def attach_in(
    conn: AsyncConnection,
    position_id: int,
    template: OrderTemplate,
    *,
    user_id: int,
    actor: str,
    now: datetime,
) -> list[OrderView]:
    """Attach ``template`` to an open position in the caller's transaction: the position's armed
    orders are replaced (cancelled, reason ``replaced``) by the template's, priced against its
    average entry price now. ``UserInputError`` when the position is not the user's or not open.
    """
    position = await _lock_position(conn, position_id)
    if position is None or position.user_id != user_id:
        raise UserInputError("position {id} is not one of yours", id=position_id)
    held = int(position.token_amount_raw)
    if position.status != PositionStatus.OPEN.value or held <= 0 or position.entry_lamports <= 0:
        raise UserInputError(
            "position {id} is not open: nothing to attach orders to", id=position_id
        )
    rows = await _cancel_in(conn, ORDERS.c.position_id == position_id, "replaced", actor, now)
    values = [
        {
            "user_id": user_id,
            "position_id": position_id,
            "wallet": position.wallet,
            "mint": position.mint,
            "kind": spec.kind.value,
            "side": spec.side.value,
            "state": S.ARMED.value,
            "oco_group": spec.oco_group,
            "threshold_bps": spec.threshold_bps,
            "activation_bps": spec.activation_bps,
            "due_at": spec.due_at,
            "amount_basis": spec.amount_basis.value,
            "amount": spec.amount,
            "base_tokens_raw": held,
            "ref_lamports": int(position.entry_lamports),
            "ref_tokens_raw": held,
            "attempt": 0,
            "detail": {},
            "created_at": now,
            "updated_at": now,
        }
        for spec in legs_of(template, now)
    ]
    inserted = (await conn.execute(ORDERS.insert().returning(*ORDERS.c), values)).all()
    views = sorted((view_of(r) for r in inserted), key=lambda v: v.id)
    for view in views:
        rows.append(
            audit_row(
                view.id,
                actor,
                "order.armed",
                now,
                position_id=position_id,
                kind=view.kind.value,
                threshold_bps=view.threshold_bps,
                amount=view.amount,
                amount_basis=view.amount_basis.value,
                ref_lamports=view.ref.lamports,
                ref_tokens_raw=view.ref.tokens_raw,
            )
        )
        ORDER_TRANSITIONS.labels(view.kind.value, S.ARMED.value).inc()
    await write_audit(conn, rows)
    return views


class OrderStore(EngineOwner):
    """Give a URL (the store owns its engine) or an engine you own."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
        lease_s: float = DEFAULT_LEASE_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock
        self.lease = timedelta(seconds=lease_s)
        self.max_attempts = max_attempts

    def now(self) -> datetime:
        return self._clock()

    # ---- what the bot calls ----------------------------------------------------------------

    async def attach(
        self, position_id: int, template: OrderTemplate, *, user_id: int, actor: str | None = None
    ) -> list[OrderView]:
        """Arm ``template``'s orders on the user's open position (replacing its armed ones)."""
        async with self._engine.begin() as conn:
            return await attach_in(
                conn,
                position_id,
                template,
                user_id=user_id,
                actor=actor or f"user:{user_id}",
                now=self.now(),
            )

    async def get(self, order_id: int) -> OrderView | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(ORDERS).where(ORDERS.c.id == order_id))).first()
        return view_of(row) if row else None

    async def of_position(self, position_id: int) -> list[OrderView]:
        query = sa.select(ORDERS).where(ORDERS.c.position_id == position_id).order_by(ORDERS.c.id)
        async with self._engine.connect() as conn:
            return [view_of(r) for r in (await conn.execute(query)).all()]

    async def of_user(
        self, user_id: int, *, active_only: bool = True, limit: int = 100
    ) -> list[OrderView]:
        """The user's orders, newest first (``active_only``: armed or in flight)."""
        query = sa.select(ORDERS).where(ORDERS.c.user_id == user_id)
        if active_only:
            query = query.where(ORDERS.c.state.in_([S.ARMED, S.TRIGGERED, S.SENT]))
        query = query.order_by(ORDERS.c.id.desc()).limit(limit)
        async with self._engine.connect() as conn:
            return [view_of(r) for r in (await conn.execute(query)).all()]

    async def cancel(self, order_id: int, *, user_id: int, actor: str | None = None) -> OrderView:
        """Cancel one armed order of the user's. An order already in flight cannot be cancelled
        (its trade may have been sent): ``UserInputError`` says so."""
        now = self.now()
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    ORDERS.update()
                    .where(
                        ORDERS.c.id == order_id,
                        ORDERS.c.user_id == user_id,
                        ORDERS.c.state == S.ARMED.value,
                    )
                    .values(
                        state=S.CANCELLED.value, reason="user", updated_at=now, finished_at=now
                    )
                    .returning(*ORDERS.c)
                )
            ).first()
            if row is None:
                current = (
                    await conn.execute(sa.select(ORDERS).where(ORDERS.c.id == order_id))
                ).first()
                if current is None or current.user_id != user_id:
                    raise UserInputError("order {id} is not one of yours", id=order_id)
                raise UserInputError(
                    "order {id} is {state}: only armed orders can be cancelled",
                    id=order_id,
                    state=_STATE_WORDS[S(current.state)],
                )
            actor = actor or f"user:{user_id}"
            await write_audit(
                conn, [audit_row(order_id, actor, "order.cancelled", now, reason="user")]
            )
        ORDER_TRANSITIONS.labels(row.kind, S.CANCELLED.value).inc()
        return view_of(row)

    async def cancel_position(
        self, position_id: int, *, user_id: int, actor: str | None = None
    ) -> int:
        """Cancel every armed order of the user's position; how many were."""
        return await self._cancel_where(
            sa.and_(ORDERS.c.position_id == position_id, ORDERS.c.user_id == user_id),
            "user",
            actor or f"user:{user_id}",
        )

    # ---- what the monitor calls ------------------------------------------------------------

    async def watched(
        self, *, after_position_id: int = 0, limit: int = 500
    ) -> list[WatchedPosition]:
        """Up to ``limit`` open positions (ids above ``after_position_id``, ascending) with armed
        orders and none in flight, with those orders."""
        busy = (
            sa.select(ORDERS.c.id)
            .where(
                ORDERS.c.position_id == POSITIONS.c.id,
                ORDERS.c.state.in_([S.TRIGGERED.value, S.SENT.value]),
            )
            .exists()
        )
        ids_query = (
            sa.select(
                POSITIONS.c.id, POSITIONS.c.user_id, POSITIONS.c.mint, POSITIONS.c.token_amount_raw
            )
            .where(
                POSITIONS.c.id > after_position_id,
                POSITIONS.c.status == PositionStatus.OPEN.value,
                sa.select(ORDERS.c.id)
                .where(ORDERS.c.position_id == POSITIONS.c.id, ORDERS.c.state == S.ARMED.value)
                .exists(),
                ~busy,
            )
            .order_by(POSITIONS.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            positions = (await conn.execute(ids_query)).all()
            if not positions:
                return []
            ids = [p.id for p in positions]
            rows = (
                await conn.execute(
                    sa.select(*LEG_COLUMNS)
                    .where(ORDERS.c.position_id.in_(ids), ORDERS.c.state == S.ARMED.value)
                    .order_by(ORDERS.c.position_id, ORDERS.c.id)
                )
            ).all()
        legs: dict[int, list[Leg]] = {}
        for row in rows:
            legs.setdefault(row.position_id, []).append(leg_of(row))
        return [
            WatchedPosition(p.id, p.user_id, p.mint, int(p.token_amount_raw), tuple(legs[p.id]))
            for p in positions
            if p.id in legs
        ]

    async def save_peaks(self, peaks: Mapping[int, Price]) -> None:
        """Store trailing stops' new peaks (armed orders only)."""
        if not peaks:
            return
        now = self.now()
        async with self._engine.begin() as conn:
            for order_id, price in peaks.items():
                await conn.execute(
                    ORDERS.update()
                    .where(ORDERS.c.id == order_id, ORDERS.c.state == S.ARMED.value)
                    .values(
                        peak_lamports=price.lamports,
                        peak_tokens_raw=price.tokens_raw,
                        updated_at=now,
                    )
                )

    async def cancel_closed(self, *, actor: str = "monitor") -> int:
        """Cancel armed orders whose position is no longer open (reason ``position_closed``)."""
        open_ids = sa.select(POSITIONS.c.id).where(POSITIONS.c.status == PositionStatus.OPEN.value)
        return await self._cancel_where(
            ORDERS.c.position_id.not_in(open_ids), "position_closed", actor
        )

    async def claim(
        self,
        order_id: int,
        position_id: int,
        owner: str,
        *,
        amount_raw: int,
        price: Price | None,
        why: str,
        actor: str = "monitor",
    ) -> OrderView | None:
        """``armed -> triggered`` for ``owner`` (see the module docstring); None when another
        worker claimed it first, it is no longer armed, or another order of the position is in
        flight. The armed orders of its OCO group are cancelled in the same transaction."""
        if amount_raw <= 0:
            raise ValueError("a claimed order must trade a positive amount")
        now = self.now()
        detail: dict[str, Any] = {"why": why}
        if price is not None:
            detail.update(price_lamports=price.lamports, price_tokens_raw=price.tokens_raw)
        try:
            async with self._engine.begin() as conn:
                view, rows = await self._claim_in(
                    conn, order_id, position_id, owner, amount_raw, detail, actor, now
                )
                await write_audit(conn, rows)
        except _NotClaimed:
            return None
        ORDER_TRANSITIONS.labels(view.kind.value, S.TRIGGERED.value).inc()
        log.info("order_triggered", order_id=order_id, kind=view.kind.value, key=view.trade_key)
        return view

    async def _claim_in(
        self,
        conn: AsyncConnection,
        order_id: int,
        position_id: int,
        owner: str,
        amount_raw: int,
        detail: dict[str, Any],
        actor: str,
        now: datetime,
    ) -> tuple[OrderView, list[dict[str, Any]]]:
        if _is_pg(conn):
            await _lock_position(conn, position_id)
            locked = (
                await conn.execute(
                    sa.select(ORDERS.c.id)
                    .where(ORDERS.c.id == order_id, ORDERS.c.state == S.ARMED.value)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if locked is None:
                raise _NotClaimed
        # SQLite: this conditional UPDATE is the transaction's first write (writers serialise).
        claimed = (
            await conn.execute(
                ORDERS.update()
                .where(
                    ORDERS.c.id == order_id,
                    ORDERS.c.position_id == position_id,
                    ORDERS.c.state == S.ARMED.value,
                )
                .values(
                    state=S.TRIGGERED.value,
                    claimed_by=owner,
                    claimed_until=now + self.lease,
                    triggered_at=now,
                    trade_amount_raw=amount_raw,
                    detail=detail,
                    reason=None,
                    updated_at=now,
                )
                .returning(ORDERS.c.attempt)
            )
        ).first()
        if claimed is None:
            raise _NotClaimed
        busy = (
            await conn.execute(
                sa.select(ORDERS.c.id)
                .where(
                    ORDERS.c.position_id == position_id,
                    ORDERS.c.id != order_id,
                    ORDERS.c.state.in_([S.TRIGGERED.value, S.SENT.value]),
                )
                .limit(1)
            )
        ).first()
        if busy is not None:
            raise _NotClaimed  # rolls the claim back
        key = trade_key(order_id, claimed.attempt)
        row = (
            await conn.execute(
                ORDERS.update()
                .where(ORDERS.c.id == order_id)
                .values(trade_key=key)
                .returning(*ORDERS.c)
            )
        ).one()
        view = view_of(row)
        rows = [
            audit_row(
                order_id,
                actor,
                "order.triggered",
                now,
                key,
                owner=owner,
                kind=view.kind.value,
                amount_raw=amount_raw,
                attempt=view.attempt,
                **detail,
            )
        ]
        if view.oco_group is not None:
            rows += await _cancel_in(
                conn,
                sa.and_(
                    ORDERS.c.position_id == position_id,
                    ORDERS.c.oco_group == view.oco_group,
                    ORDERS.c.id != order_id,
                ),
                "oco",
                actor,
                now,
                by=order_id,
            )
        return view, rows

    # ---- what the executing worker and the reaper call -------------------------------------

    async def mark_sent(self, order: OrderView, signature: str, *, actor: str = "worker") -> None:
        """``triggered -> sent`` once the trade's transaction is signed and recorded; renews the
        lease."""
        now = self.now()
        async with self._engine.begin() as conn:
            result = await conn.execute(
                ORDERS.update()
                .where(
                    ORDERS.c.id == order.id,
                    ORDERS.c.trade_key == order.trade_key,
                    ORDERS.c.state.in_([S.TRIGGERED.value, S.SENT.value]),
                )
                .values(
                    state=S.SENT.value,
                    signature=signature,
                    claimed_until=now + self.lease,
                    updated_at=now,
                )
            )
            if result.rowcount == 1:
                await write_audit(
                    conn,
                    [
                        audit_row(
                            order.id,
                            actor,
                            "order.sent",
                            now,
                            order.trade_key,
                            signature=signature,
                        )
                    ],
                )
        ORDER_TRANSITIONS.labels(order.kind.value, S.SENT.value).inc()

    async def finish(
        self, order: OrderView, outcome: TradeOutcome, *, actor: str = "worker"
    ) -> OrderView | None:
        """Record the outcome of the order's trade: ``done`` (confirmed), re-``armed`` for the
        next attempt (a retryable failure, attempts left) or ``failed``. Unfinished outcomes
        (``in_progress``) change nothing. None when the order is no longer in flight under that
        trade key (someone else recorded it)."""
        if outcome.in_progress or not outcome.state.terminal:
            return None
        now = self.now()
        reason = outcome.reason
        if outcome.state is TradeState.CONFIRMED:
            to, action = S.DONE, "order.done"
        elif (
            outcome.state is TradeState.FAILED
            and reason in RETRYABLE_FAILURES
            and order.attempt + 1 < self.max_attempts
        ):
            to, action = S.ARMED, "order.rearmed"
        else:
            to, action = S.FAILED, "order.failed"
        values: dict[str, Any] = {
            "state": to.value,
            "reason": reason,
            "claimed_by": None,
            "claimed_until": None,
            "updated_at": now,
        }
        if to is S.ARMED:
            values.update(attempt=order.attempt + 1, trade_key=None, trade_amount_raw=None)
        else:
            values["finished_at"] = now
        details = {
            "trade_state": outcome.state.value,
            "reason": reason,
            "signature": outcome.signature,
            "token_delta_raw": outcome.token_delta_raw,
            "sol_delta_lamports": outcome.sol_delta_lamports,
            "position_id": outcome.position_id,
        }
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    ORDERS.update()
                    .where(
                        ORDERS.c.id == order.id,
                        ORDERS.c.trade_key == order.trade_key,
                        ORDERS.c.state.in_([S.TRIGGERED.value, S.SENT.value]),
                    )
                    .values(**values)
                    .returning(*ORDERS.c)
                )
            ).first()
            if row is None:
                return None
            rows = [audit_row(order.id, actor, action, now, order.trade_key, **details)]
            status = await conn.scalar(
                sa.select(POSITIONS.c.status).where(POSITIONS.c.id == order.position_id)
            )
            if status != PositionStatus.OPEN.value:  # the sell closed it: nothing left to sell
                rows += await _cancel_in(
                    conn, ORDERS.c.position_id == order.position_id, "position_closed", actor, now
                )
            await write_audit(conn, rows)
        ORDER_TRANSITIONS.labels(order.kind.value, to.value).inc()
        log.info("order_finished", order_id=order.id, state=to.value, reason=reason)
        return view_of(row)

    async def take_over_expired(self, owner: str, *, limit: int = 50) -> list[OrderView]:
        """Lease up to ``limit`` in-flight orders whose lease expired (their worker died or
        gave up) to ``owner`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: two reapers never take
        the same one), with an ``order.recovering`` audit row naming the previous owner."""
        now = self.now()
        candidates = (
            sa.select(ORDERS.c.id, ORDERS.c.claimed_by)
            .where(
                ORDERS.c.state.in_([S.TRIGGERED.value, S.SENT.value]),
                ORDERS.c.claimed_until < now,
            )
            .order_by(ORDERS.c.claimed_until)
            .limit(limit)
        )
        async with self._engine.begin() as conn:
            if _is_pg(conn):
                candidates = candidates.with_for_update(skip_locked=True)
            previous = {r.id: r.claimed_by for r in await conn.execute(candidates)}
            if not previous:
                return []
            rows = (
                await conn.execute(
                    ORDERS.update()
                    .where(
                        ORDERS.c.id.in_(list(previous)),
                        ORDERS.c.state.in_([S.TRIGGERED.value, S.SENT.value]),
                        ORDERS.c.claimed_until < now,  # SQLite: not taken meanwhile
                    )
                    .values(claimed_by=owner, claimed_until=now + self.lease, updated_at=now)
                    .returning(*ORDERS.c)
                )
            ).all()
            views = sorted((view_of(r) for r in rows), key=lambda v: v.id)
            await write_audit(
                conn,
                [
                    audit_row(
                        v.id,
                        owner,
                        "order.recovering",
                        now,
                        v.trade_key,
                        state=v.state.value,
                        previous_owner=previous.get(v.id),
                    )
                    for v in views
                ],
            )
        return views

    # ---- helpers -----------------------------------------------------------------------------

    async def _cancel_where(self, condition: Any, reason: str, actor: str) -> int:
        async with self._engine.begin() as conn:
            rows = await _cancel_in(conn, condition, reason, actor, self.now())
            await write_audit(conn, rows)
        return len(rows)


class _NotClaimed(Exception):
    """The claim lost (not armed any more, locked by another claimer, or the position busy)."""


async def _cancel_in(
    conn: AsyncConnection, condition: Any, reason: str, actor: str, now: datetime, **details: Any
) -> list[dict[str, Any]]:
    """Cancel the armed orders matching ``condition``; their audit rows (for the caller)."""
    rows = (
        await conn.execute(
            ORDERS.update()
            .where(condition, ORDERS.c.state == S.ARMED.value)
            .values(state=S.CANCELLED.value, reason=reason, updated_at=now, finished_at=now)
            .returning(ORDERS.c.id, ORDERS.c.kind)
        )
    ).all()
    for r in rows:
        ORDER_TRANSITIONS.labels(r.kind, S.CANCELLED.value).inc()
    return [audit_row(r.id, actor, "order.cancelled", now, reason=reason, **details) for r in rows]
