"""The ``orders`` rows as the rest of the code sees them: ``OrderView`` (one stored order, for
the bot and the workers), ``Leg`` (what the monitor evaluates, read from the few columns it
needs) and the audit rows of order transitions. No queries of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.storage.models import OrderRecord
from core.trading import audit
from core.trading.orders import AmountBasis, Leg, LegKind, OrderState, Price
from core.trading.trade_types import Side, TradeRequest

ORDERS: sa.Table = OrderRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class OrderView:
    """One stored order (an ``orders`` row)."""

    id: int
    user_id: int
    position_id: int
    wallet: str
    mint: str
    kind: LegKind
    side: Side
    state: OrderState
    oco_group: str | None
    threshold_bps: int
    activation_bps: int | None
    due_at: datetime | None
    amount_basis: AmountBasis
    amount: int
    base_tokens_raw: int
    ref: Price
    peak: Price | None
    attempt: int
    trade_key: str | None
    trade_amount_raw: int | None
    signature: str | None
    reason: str | None
    detail: dict[str, Any]
    claimed_by: str | None
    claimed_until: datetime | None
    triggered_at: datetime | None
    created_at: datetime
    finished_at: datetime | None

    def leg(self) -> Leg:
        return Leg(
            id=self.id,
            kind=self.kind,
            side=self.side,
            ref=self.ref,
            threshold_bps=self.threshold_bps,
            amount_basis=self.amount_basis,
            amount=self.amount,
            base_tokens_raw=self.base_tokens_raw,
            activation_bps=self.activation_bps,
            due_at=self.due_at,
            peak=self.peak,
            oco_group=self.oco_group,
        )

    def trade_request(self) -> TradeRequest:
        """The trade of a claimed order (the same request however often it is executed)."""
        if self.trade_key is None or self.trade_amount_raw is None:
            raise ValueError(f"order {self.id} is not claimed")
        return TradeRequest(
            idempotency_key=self.trade_key,
            user_id=self.user_id,
            wallet=self.wallet,
            side=self.side,
            mint=self.mint,
            amount_raw=self.trade_amount_raw,
            actor=f"order:{self.id}",
        )


@dataclass(frozen=True, slots=True)
class WatchedPosition:
    """An open position with armed orders and none in flight: what the monitor evaluates."""

    position_id: int
    user_id: int
    mint: str
    held_tokens_raw: int
    legs: tuple[Leg, ...]


def view_of(row: Any) -> OrderView:
    peak = None
    if row.peak_lamports is not None and row.peak_tokens_raw is not None:
        peak = Price(int(row.peak_lamports), int(row.peak_tokens_raw))
    return OrderView(
        id=row.id,
        user_id=row.user_id,
        position_id=row.position_id,
        wallet=row.wallet,
        mint=row.mint,
        kind=LegKind(row.kind),
        side=Side(row.side),
        state=OrderState(row.state),
        oco_group=row.oco_group,
        threshold_bps=row.threshold_bps,
        activation_bps=row.activation_bps,
        due_at=row.due_at,
        amount_basis=AmountBasis(row.amount_basis),
        amount=int(row.amount),
        base_tokens_raw=int(row.base_tokens_raw),
        ref=Price(int(row.ref_lamports), int(row.ref_tokens_raw)),
        peak=peak,
        attempt=row.attempt,
        trade_key=row.trade_key,
        trade_amount_raw=None if row.trade_amount_raw is None else int(row.trade_amount_raw),
        signature=row.signature,
        reason=row.reason,
        detail=dict(row.detail or {}),
        claimed_by=row.claimed_by,
        claimed_until=row.claimed_until,
        triggered_at=row.triggered_at,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


LEG_COLUMNS = tuple(
    ORDERS.c[name]
    for name in (
        "id",
        "position_id",
        "kind",
        "side",
        "threshold_bps",
        "amount_basis",
        "amount",
        "base_tokens_raw",
        "ref_lamports",
        "ref_tokens_raw",
        "activation_bps",
        "due_at",
        "peak_lamports",
        "peak_tokens_raw",
        "oco_group",
    )
)


_KINDS = {k.value: k for k in LegKind}
_SIDES = {s.value: s for s in Side}
_BASES = {b.value: b for b in AmountBasis}


def leg_of(row: Any) -> Leg:
    """An armed order as the monitor evaluates it (``LEG_COLUMNS`` only: the hot path)."""
    peak = None
    if row.peak_lamports is not None and row.peak_tokens_raw is not None:
        peak = Price(int(row.peak_lamports), int(row.peak_tokens_raw))
    return Leg(
        id=row.id,
        kind=_KINDS[row.kind],
        side=_SIDES[row.side],
        ref=Price(int(row.ref_lamports), int(row.ref_tokens_raw)),
        threshold_bps=row.threshold_bps,
        amount_basis=_BASES[row.amount_basis],
        amount=int(row.amount),
        base_tokens_raw=int(row.base_tokens_raw),
        activation_bps=row.activation_bps,
        due_at=row.due_at,
        peak=peak,
        oco_group=row.oco_group,
    )


def audit_row(
    order_id: int, actor: str, action: str, at: datetime, key: str | None = None, **details: Any
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": actor,
        "action": action,
        "subject": f"order:{order_id}",
        "details": details,
        "idempotency_key": key,
    }


async def write_audit(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(audit.AUDIT.insert(), list(rows))
        for row in rows:
            audit.AUDIT_ROWS.labels(row["action"]).inc()
