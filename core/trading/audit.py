"""The append-only audit trail of trading: one ``audit_log`` row per step of every trade.

Rows are only ever inserted. The database enforces it: migration 0001 installs triggers that
reject UPDATE and DELETE (and TRUNCATE on PostgreSQL) for every role, so no code path of the
application — nor a bug in one — can rewrite history. ``append`` takes the caller's connection so
a state change and its audit row commit together (or not at all).

Actions written by the executor (``subject`` = ``mint:<mint>``, ``idempotency_key`` = the
trade's): ``trade.requested``, ``trade.refused``, ``trade.quoted``, ``trade.simulated``,
``trade.sent``, ``trade.rebroadcast``, ``trade.requoted``, ``trade.confirmed``, ``trade.failed``,
``position.opened``, ``position.changed``, ``position.closed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import AuditLog

AUDIT: sa.Table = AuditLog.__table__  # type: ignore[attr-defined]

AUDIT_ROWS = Counter(
    "solsignals_audit_rows_total", "Rows appended to audit_log, by action", ["action"]
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]
    idempotency_key: str | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def append(
    conn: AsyncConnection,
    *,
    actor: str,
    action: str,
    subject: str | None,
    details: Mapping[str, Any],
    idempotency_key: str | None,
    at: datetime,
) -> None:
    """Insert one row in the caller's transaction."""
    await conn.execute(
        AUDIT.insert().values(
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=dict(details),
            idempotency_key=idempotency_key,
        )
    )
    AUDIT_ROWS.labels(action).inc()


class AuditTrail(EngineOwner):
    """Reading the trail, and appending outside a state change."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock

    async def append(
        self,
        *,
        actor: str,
        action: str,
        subject: str | None = None,
        details: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        async with self._engine.begin() as conn:
            await append(
                conn,
                actor=actor,
                action=action,
                subject=subject,
                details=details or {},
                idempotency_key=idempotency_key,
                at=self._clock(),
            )

    async def for_key(self, idempotency_key: str) -> list[AuditEntry]:
        """Every row of one trade, oldest first."""
        query = (
            sa.select(AUDIT).where(AUDIT.c.idempotency_key == idempotency_key).order_by(AUDIT.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            AuditEntry(
                id=row.id,
                at=row.at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                details=row.details if isinstance(row.details, dict) else {},
                idempotency_key=row.idempotency_key,
            )
            for row in rows
        ]
