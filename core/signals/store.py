"""``SignalStore``: emitted signals in the ``signals`` table (PostgreSQL and SQLite).

One row per signal: ``mint``, ``created_at`` (the signal's ``at``), ``strength``, ``components``,
``explanation`` (the full ``codec.signal_to_dict``, so a row reads back as the same ``Signal``),
``rules_fired`` and ``risk`` (score, badges, penalties). Reads use the (mint, created_at) index.

    async with SignalStore(url) as store:
        await store.save(signals)
        best = await store.top(since=now - 3600, limit=10)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from core.signals.codec import signal_from_dict, signal_to_dict
from core.signals.signal import RISK, Signal
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import Signal as SignalRow

log = structlog.get_logger(__name__)

SIGNALS: sa.Table = SignalRow.__table__  # type: ignore[attr-defined]
SAVE_CHUNK = 1_000


def as_utc(t: datetime | int) -> datetime:
    """A unix-seconds int or an aware datetime as an aware UTC datetime."""
    if isinstance(t, datetime):
        if t.tzinfo is None:
            raise ValueError(f"naive datetime {t!r}: give a timezone-aware UTC datetime")
        return t.astimezone(UTC)
    return datetime.fromtimestamp(t, UTC)


def _row(signal: Signal) -> dict[str, Any]:
    full = signal_to_dict(signal)
    return {
        "mint": signal.mint,
        "created_at": as_utc(signal.at),
        "strength": signal.strength,
        "components": full["components"],
        "explanation": full,
        "rules_fired": full["rules_fired"],
        "risk": {
            "score": full["components"].get(RISK),
            "badges": full["risk_badges"],
            "penalties": full["risk_penalties"],
        },
    }


class SignalStore(EngineOwner):
    """Save and read signals. Give a URL (the store owns its engine) or an engine you own."""

    def __init__(
        self, url: str | DatabaseUrl | None = None, *, engine: AsyncEngine | None = None
    ) -> None:
        super().__init__(url, engine=engine)

    async def save(self, signals: Sequence[Signal]) -> None:
        """Insert the signals in one transaction (executemany, chunks of ``SAVE_CHUNK``)."""
        if not signals:
            return
        rows = [_row(s) for s in signals]
        async with self._engine.begin() as conn:
            for start in range(0, len(rows), SAVE_CHUNK):
                await conn.execute(sa.insert(SIGNALS), rows[start : start + SAVE_CHUNK])
        log.debug("signals_saved", count=len(rows))

    async def latest(self, mint: str) -> Signal | None:
        """The mint's newest signal (by time, then insertion order), or None."""
        found = await self.history(mint, 1)
        return found[0] if found else None

    async def history(self, mint: str, limit: int = 50) -> list[Signal]:
        """The mint's signals, newest first."""
        query = (
            sa.select(SIGNALS.c.explanation)
            .where(SIGNALS.c.mint == mint)
            .order_by(SIGNALS.c.created_at.desc(), SIGNALS.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            result = await conn.execute(query)
            return [signal_from_dict(row.explanation) for row in result]

    async def top(
        self, *, since: datetime | int, limit: int, min_strength: float = 0.0
    ) -> list[Signal]:
        """Top now: each mint's latest signal at or after ``since`` (unix s or aware datetime),
        those with Strength >= ``min_strength``, strongest first (ties: newest, then mint)."""
        ranked = (
            sa.select(
                SIGNALS.c.id,
                SIGNALS.c.strength,
                SIGNALS.c.created_at,
                SIGNALS.c.mint,
                sa.func.row_number()
                .over(
                    partition_by=SIGNALS.c.mint,
                    order_by=(SIGNALS.c.created_at.desc(), SIGNALS.c.id.desc()),
                )
                .label("rank"),
            )
            .where(SIGNALS.c.created_at >= as_utc(since))
            .subquery()
        )
        query = (
            sa.select(SIGNALS.c.explanation)
            .join(ranked, ranked.c.id == SIGNALS.c.id)
            .where(ranked.c.rank == 1, ranked.c.strength >= min_strength)
            .order_by(ranked.c.strength.desc(), ranked.c.created_at.desc(), ranked.c.mint)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            result = await conn.execute(query)
            return [signal_from_dict(row.explanation) for row in result]
