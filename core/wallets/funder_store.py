"""``FunderStore``: final first-funder answers in the ``wallet_funders`` table (PostgreSQL and
SQLite), so each wallet is looked up on chain once, across restarts.

Only final outcomes are stored (found, no_transfer, too_long); "no history yet" and RPC failures
are not answers and stay in the tracker's memory (``core.wallets.funders``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import WalletFunder
from core.wallets.funding import FunderOutcome, FunderResult
from core.wallets.repository import chunks, upsert

FUNDERS: sa.Table = WalletFunder.__table__  # type: ignore[attr-defined]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FunderStore(EngineOwner):
    """Give a URL (the store owns its engine) or an engine you own."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock

    async def load(self, addresses: Sequence[str]) -> dict[str, FunderResult]:
        """The stored answers for ``addresses`` (only those that have one)."""
        out: dict[str, FunderResult] = {}
        async with self._engine.connect() as conn:
            for part in chunks(sorted(set(addresses))):
                result = await conn.execute(sa.select(FUNDERS).where(FUNDERS.c.address.in_(part)))
                for row in result:
                    out[row.address] = FunderResult(
                        row.address, FunderOutcome(row.outcome), row.funder
                    )
        return out

    async def save(self, results: Sequence[FunderResult]) -> None:
        """Store final answers (replacing any stored one); non-final ones are refused."""
        if any(not r.outcome.final for r in results):
            raise ValueError("only final funder outcomes are stored")
        now = self._clock()
        rows = [
            {
                "address": r.wallet,
                "outcome": r.outcome.value,
                "funder": r.funder,
                "checked_at": now,
            }
            for r in results
        ]
        async with self._engine.begin() as conn:
            await upsert(conn, FUNDERS, rows, ["address"], ("outcome", "funder", "checked_at"))
