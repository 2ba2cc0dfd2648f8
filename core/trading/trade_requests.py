"""The idempotent trade request store: one ``trade_requests`` row per idempotency key, moved
through its state machine by row-locked transitions, each with its audit row.

    requested -> quoted -> simulated -> sent -> confirmed | failed | refused
    (sent -> quoted once: the blockhash expired and nothing landed; re-quote)

Exactly-once, piece by piece:
- ``open`` inserts the row (or finds it: the same key is the same trade; a key reused for a
  different trade is a ``UserInputError``). In the same transaction it locks the user's row
  (PostgreSQL ``SELECT ... FOR UPDATE``), sums the day's SOL already committed to buys and runs
  the caller's admission check: the daily limit is reserved atomically, so two concurrent buys
  cannot both pass it. A refused request is stored ``refused`` at once; an admitted one is
  leased to the caller.
- ``claim`` leases an existing row to one executor (an atomic conditional UPDATE, on both
  backends); a second executor of the same key gets None and must not trade. A lease left by
  a crashed executor expires after ``lease_s`` and the request can be resumed.
- ``step`` is one transaction in which the executor ``move``s the request to its next state
  (checked against ``TRANSITIONS``), appends audit rows and folds a fill into the position.
  It ends with one conditional UPDATE — the row must still be in the state the step started
  from and leased to this executor; on PostgreSQL the UPDATE holds the row lock until the
  commit, SQLite serializes writers — then the audit rows: all of it commits together, or a
  ``TradeConflictError`` rolls all of it back.

The day for the daily limit is the UTC calendar day; buys count from ``quoted`` on (and while
``requested``), refused and failed ones do not.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import SolsignalsError, UserInputError
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import TradeRequestRecord, User
from core.storage.types import u64_from_db
from core.trading import audit
from core.trading.positions import Fill, PositionChange, apply_fill
from core.trading.trade_types import Refusal, Side, TradeRequest, TradeState

log = structlog.get_logger(__name__)

TRADES: sa.Table = TradeRequestRecord.__table__  # type: ignore[attr-defined]
USERS: sa.Table = User.__table__  # type: ignore[attr-defined]
DEFAULT_LEASE_S = 180.0

S = TradeState
TRANSITIONS: dict[TradeState, frozenset[TradeState]] = {
    S.REQUESTED: frozenset({S.QUOTED, S.REFUSED, S.FAILED}),
    S.QUOTED: frozenset({S.QUOTED, S.SIMULATED, S.REFUSED, S.FAILED}),
    S.SIMULATED: frozenset({S.QUOTED, S.SENT, S.FAILED}),
    S.SENT: frozenset({S.CONFIRMED, S.FAILED, S.QUOTED}),
}
COUNTED_BUY_STATES = (S.REQUESTED, S.QUOTED, S.SIMULATED, S.SENT, S.CONFIRMED)


class TradeConflictError(SolsignalsError):
    """Another executor holds this request (its lease was taken over), or the transition is not
    allowed from the stored state. Nothing was changed."""


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One stored request (a ``trade_requests`` row)."""

    idempotency_key: str
    user_id: int
    wallet: str
    side: Side
    mint: str
    amount_raw: int
    slippage_bps: int
    route: str
    state: TradeState
    reason: str | None
    detail: dict[str, Any]
    attempts: int
    quote_out_raw: int | None
    price_impact_pct: float | None
    signature: str | None
    signatures: tuple[str, ...]
    signed_tx: str | None
    last_valid_block_height: int | None
    token_amount_raw: int | None
    sol_delta_lamports: int | None
    fee_lamports: int | None
    position_id: int | None
    claimed_by: str | None
    claimed_until: datetime | None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None

    @property
    def subject(self) -> str:
        return f"mint:{self.mint}"


_U64_FIELDS = ("amount_raw", "quote_out_raw", "token_amount_raw")


def _record(row: sa.Row) -> TradeRecord:
    data = dict(row._mapping)
    for name in _U64_FIELDS:
        data[name] = u64_from_db(data[name])
    data["side"] = Side(data["side"])
    data["state"] = TradeState(data["state"])
    data["signatures"] = tuple(data["signatures"] or ())
    data["detail"] = dict(data["detail"] or {})
    return TradeRecord(**{f.name: data[f.name] for f in fields(TradeRecord)})


def _utc_now() -> datetime:
    return datetime.now(UTC)


def day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


Admission = Callable[[int], Sequence[Refusal]]  # spent today (lamports) -> refusals


class TradeStep:
    """One transaction over one request; see ``TradeRequestStore.step``. ``move`` / ``audit`` /
    ``renew`` are buffered and written when the step ends: one conditional UPDATE of the row
    (it must still be in the state the step started from and leased to this owner, else
    ``TradeConflictError`` and everything rolls back), then the audit rows in one insert."""

    def __init__(
        self,
        store: TradeRequestStore,
        conn: AsyncConnection,
        record: TradeRecord,
        owner: str,
        actor: str,
    ) -> None:
        self._store = store
        self.conn = conn
        self.record = record
        self.owner = owner
        self.actor = actor
        self.now = store.now()
        self._expected = record.state
        self._values: dict[str, Any] = {}
        self._audit: list[dict[str, Any]] = []

    def audit(
        self, action: str, details: Mapping[str, Any] | None = None, *, at: datetime | None = None
    ) -> None:
        self._audit.append(
            {
                "at": at or self.now,
                "actor": self.actor,
                "action": action,
                "subject": self.record.subject,
                "details": dict(details or {}),
                "idempotency_key": self.record.idempotency_key,
            }
        )

    def move(
        self,
        to: TradeState,
        *,
        action: str,
        details: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        **columns: Any,
    ) -> TradeRecord:
        """Change the state (and ``columns``) and append the audit row; ``at``: when it
        happened (default: now)."""
        current = self.record.state
        if to not in TRANSITIONS.get(current, frozenset()):
            raise TradeConflictError(
                f"trade {self.record.idempotency_key}: {current.value} -> {to.value} "
                "is not allowed"
            )
        values: dict[str, Any] = {"state": to, **columns}
        if to.terminal:
            values.update(claimed_by=None, claimed_until=None)
        self._values.update(values)
        self.audit(action, {"from": current.value, "to": to.value, **(details or {})}, at=at)
        if "signatures" in values:
            values["signatures"] = tuple(values["signatures"])
        self.record = replace(self.record, **values)
        return self.record

    def renew(self, action: str, details: Mapping[str, Any] | None = None) -> None:
        """Extend the lease without changing state, with an audit row (e.g. a rebroadcast)."""
        self.audit(action, details)

    async def apply_fill(self, fill: Fill) -> PositionChange | None:
        change = await apply_fill(
            self.conn,
            user_id=self.record.user_id,
            wallet=self.record.wallet,
            mint=self.record.mint,
            side=self.record.side,
            fill=fill,
            idempotency_key=self.record.idempotency_key,
            at=self.now,
        )
        if change is not None:
            self.audit(
                change.action,
                {
                    "position_id": change.position_id,
                    "token_amount_raw": change.after.token_amount_raw,
                    "cost_lamports": change.after.cost_lamports,
                    "realized_pnl_lamports": change.after.realized_pnl_lamports,
                    "signature": fill.signature,
                },
            )
        return change

    async def flush(self) -> None:
        values = dict(self._values)
        if "state" in values:
            values["state"] = values["state"].value
        values["updated_at"] = self.now
        if not self.record.state.terminal:
            values["claimed_until"] = self.now + self._store.lease
        key = self.record.idempotency_key
        result = await self.conn.execute(
            TRADES.update()
            .where(
                TRADES.c.idempotency_key == key,
                TRADES.c.claimed_by == self.owner,
                TRADES.c.state == self._expected.value,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            raise TradeConflictError(
                f"trade {key} is no longer {self._expected.value} and leased to {self.owner}"
            )
        if self._audit:
            await self.conn.execute(audit.AUDIT.insert(), self._audit)
            for row in self._audit:
                audit.AUDIT_ROWS.labels(row["action"]).inc()
        self.record = replace(self.record, updated_at=self.now)


class TradeRequestStore(EngineOwner):
    """Give a URL (the store owns its engine) or an engine you own."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock
        self.lease = timedelta(seconds=lease_s)

    def now(self) -> datetime:
        return self._clock()

    async def get(self, key: str) -> TradeRecord | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(TRADES).where(TRADES.c.idempotency_key == key))
            ).first()
        return _record(row) if row else None

    async def of_user(self, user_id: int, *, limit: int = 20) -> list[TradeRecord]:
        """The user's latest requests, newest first."""
        query = (
            sa.select(TRADES)
            .where(TRADES.c.user_id == user_id)
            .order_by(TRADES.c.created_at.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_record(row) for row in (await conn.execute(query)).all()]

    async def open(
        self,
        request: TradeRequest,
        *,
        route: str,
        slippage_bps: int,
        admit: Admission,
        owner: str,
    ) -> tuple[TradeRecord, bool]:
        """The request's row and whether this call created it (see the module docstring). A
        new request that is admitted is leased to ``owner`` at once."""
        now = self.now()
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.select(USERS.c.id).where(USERS.c.id == request.user_id).with_for_update()
            )
            spent = await self._spent_since(conn, request.user_id, day_start(now))
            refusals = list(admit(spent))
            state = TradeState.REFUSED if refusals else TradeState.REQUESTED
            row = {
                "idempotency_key": request.idempotency_key,
                "user_id": request.user_id,
                "wallet": request.wallet,
                "side": request.side.value,
                "mint": request.mint,
                "amount_raw": request.amount_raw,
                "slippage_bps": slippage_bps,
                "route": route,
                "state": state.value,
                "reason": refusals[0].reason.value if refusals else None,
                "detail": _refusal_detail(refusals),
                "attempts": 0,
                "signatures": [],
                "claimed_by": None if refusals else owner,
                "claimed_until": None if refusals else now + self.lease,
                "created_at": now,
                "updated_at": now,
            }
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            inserted = (
                await conn.execute(
                    insert(TRADES)
                    .values(row)
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                    .returning(*TRADES.c)
                )
            ).first()
            if inserted is not None:
                common: dict[str, Any] = {
                    "actor": request.audit_actor,
                    "subject": f"mint:{request.mint}",
                    "idempotency_key": request.idempotency_key,
                    "at": now,
                }
                rows = [
                    {
                        **common,
                        "action": "trade.requested",
                        "details": {
                            "side": request.side.value,
                            "wallet": request.wallet,
                            "amount_raw": request.amount_raw,
                            "slippage_bps": slippage_bps,
                            "route": route,
                            "spent_today_lamports": spent,
                        },
                    }
                ]
                if refusals:
                    rows.append(
                        {**common, "action": "trade.refused", "details": _refusal_detail(refusals)}
                    )
                await conn.execute(audit.AUDIT.insert(), rows)
                for item in rows:
                    audit.AUDIT_ROWS.labels(item["action"]).inc()
        if inserted is not None:
            return _record(inserted), True
        record = await self.get(request.idempotency_key)  # it existed (or a concurrent insert)
        assert record is not None
        return self._same_trade(record, request), False

    @staticmethod
    def _same_trade(record: TradeRecord, request: TradeRequest) -> TradeRecord:
        asked = (request.user_id, request.wallet, request.side, request.mint, request.amount_raw)
        stored = (record.user_id, record.wallet, record.side, record.mint, record.amount_raw)
        if asked != stored:
            raise UserInputError(
                "idempotency key {key} was already used for another trade; use a new key for a "
                "new trade",
                key=repr(request.idempotency_key),
            )
        return record

    async def claim(self, key: str, owner: str) -> TradeRecord | None:
        """Lease the request to ``owner``; None when another live executor holds it or it is
        finished."""
        now = self.now()
        terminal = [s.value for s in TradeState if s.terminal]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                TRADES.update()
                .where(
                    TRADES.c.idempotency_key == key,
                    TRADES.c.state.not_in(terminal),
                    sa.or_(
                        TRADES.c.claimed_by.is_(None),
                        TRADES.c.claimed_by == owner,
                        TRADES.c.claimed_until < now,
                    ),
                )
                .values(claimed_by=owner, claimed_until=now + self.lease)
                .returning(*TRADES.c)
            )
            row = result.first()
        return _record(row) if row is not None else None

    async def release(self, key: str, owner: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                TRADES.update()
                .where(TRADES.c.idempotency_key == key, TRADES.c.claimed_by == owner)
                .values(claimed_by=None, claimed_until=None)
            )

    @contextlib.asynccontextmanager
    async def step(
        self, record: TradeRecord, owner: str, *, actor: str
    ) -> AsyncIterator[TradeStep]:
        """One transaction over ``record`` (as the caller last saw it). At the end the row is
        updated only if it is still in that state and leased to ``owner`` — the UPDATE takes
        the row lock on PostgreSQL — else ``TradeConflictError`` and nothing is written."""
        async with self._engine.begin() as conn:
            step = TradeStep(self, conn, record, owner, actor)
            yield step
            await step.flush()

    async def spent_today(self, user_id: int) -> int:
        """Lamports committed today to the user's buys (see the module docstring)."""
        async with self._engine.connect() as conn:
            return await self._spent_since(conn, user_id, day_start(self.now()))

    @staticmethod
    async def _spent_since(conn: AsyncConnection, user_id: int, since: datetime) -> int:
        rows = await conn.execute(
            sa.select(TRADES.c.amount_raw).where(
                TRADES.c.user_id == user_id,
                TRADES.c.side == Side.BUY.value,
                TRADES.c.state.in_([s.value for s in COUNTED_BUY_STATES]),
                TRADES.c.created_at >= since,
            )
        )
        return sum(u64_from_db(value) or 0 for (value,) in rows)


def _refusal_detail(refusals: Sequence[Refusal]) -> dict[str, Any]:
    if not refusals:
        return {}
    return {
        "message": refusals[0].message,
        **dict(refusals[0].detail),
        "refusals": [
            {"reason": r.reason.value, "message": r.message, **dict(r.detail)} for r in refusals
        ],
    }
