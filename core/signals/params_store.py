"""``ParamsStore``: the signal engine's ``SignalParams`` in the ``engine_params`` table, and
``ParamsWatcher``, which hands a running engine the new parameters without a restart.

A row is ``(name, params, updated_at, updated_by)``; ``params`` is ``SignalParams.to_dict()``.
Only validated parameters are written here, but a row edited by hand may be invalid: ``load``
and ``changed_since`` raise ``RuleError`` naming the field, and the watcher logs it, counts it
and keeps the last good parameters.

    store = ParamsStore(url)
    engine = SignalEngine(await store.load(), smart, sol_usd)
    watcher = ParamsWatcher(store, engine.update_params)
    task = asyncio.create_task(watcher.run())
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import structlog
from prometheus_client import Counter
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from core.signals.params import SignalParams
from core.signals.rules import RuleError
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import EngineParams

log = structlog.get_logger(__name__)

PARAMS: sa.Table = EngineParams.__table__  # type: ignore[attr-defined]
DEFAULT_NAME = "default"

PARAMS_RELOADS = Counter(
    "solsignals_signal_params_reloads_total",
    "Stored signal parameter changes seen by a watcher, by outcome",
    ["outcome"],  # applied | invalid | callback_error
)
PARAMS_POLL_ERRORS = Counter(
    "solsignals_signal_params_poll_errors_total", "Failed polls of the engine_params table"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StoredParams:
    """One ``engine_params`` row as stored (``params`` not yet validated)."""

    name: str
    params: dict[str, Any]
    updated_at: datetime
    updated_by: str

    def validated(self) -> SignalParams:
        """The parameters; raises ``RuleError`` naming the bad field."""
        return SignalParams.from_dict(self.params)


class ParamsStore(EngineOwner):
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

    async def read(self, name: str = DEFAULT_NAME) -> StoredParams | None:
        """The stored row, unvalidated, or None."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(PARAMS).where(PARAMS.c.name == name))).first()
        if row is None:
            return None
        params = row.params if isinstance(row.params, dict) else {"params": row.params}
        return StoredParams(row.name, params, row.updated_at, row.updated_by)

    async def load(self, name: str = DEFAULT_NAME) -> SignalParams:
        """The stored parameters, or the defaults when none are stored.

        Raises ``RuleError`` (naming the field) when the stored row is invalid."""
        stored = await self.read(name)
        return SignalParams() if stored is None else stored.validated()

    async def save(
        self,
        params: SignalParams | Mapping[str, Any],
        *,
        updated_by: str,
        name: str = DEFAULT_NAME,
    ) -> SignalParams:
        """Validate and store (replacing the row). A mapping is checked with
        ``SignalParams.from_dict``: a bad value raises ``RuleError`` naming the field and its
        range, and nothing is written. Returns the parameters as stored."""
        valid = params if isinstance(params, SignalParams) else SignalParams.from_dict(params)
        # A round trip through the dict form is what readers will see; check it too.
        data = valid.to_dict()
        SignalParams.from_dict(data)
        row = {"name": name, "params": data, "updated_at": self._clock(), "updated_by": updated_by}
        async with self._engine.begin() as conn:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            stmt = insert(PARAMS).values(row)
            stmt = stmt.on_conflict_do_update(
                index_elements=["name"],
                set_={k: stmt.excluded[k] for k in ("params", "updated_at", "updated_by")},
            )
            await conn.execute(stmt)
        log.info("signal_params_saved", name=name, updated_by=updated_by)
        return valid

    async def changed_since(self, ts: datetime, name: str = DEFAULT_NAME) -> SignalParams | None:
        """The parameters if the row was updated after ``ts``, else None.

        Raises ``RuleError`` when the changed row is invalid."""
        stored = await self.read(name)
        if stored is None or stored.updated_at <= ts:
            return None
        return stored.validated()


OnChange = Callable[[SignalParams], Awaitable[None] | None]


class ParamsWatcher:
    """Polls the store every ``poll_s`` and calls ``on_change`` with new, valid parameters.

    A change is any difference in the row's ``updated_at`` or ``params`` since the last poll (so
    a hand edit, or a clock that went backwards, is still seen). ``since``: a row last updated at
    or before it is taken as already in effect (None: the row stored now is delivered at the
    first poll). An invalid row is logged (``signal_params_invalid``, with the field) once per
    update and ignored: ``current`` stays the last good parameters. An error in ``on_change`` is
    logged and retried at the next poll. A failed poll (database down) is logged and retried.
    """

    def __init__(
        self,
        store: ParamsStore,
        on_change: OnChange,
        poll_s: float = 5.0,
        *,
        name: str = DEFAULT_NAME,
        since: datetime | None = None,
        current: SignalParams | None = None,
    ) -> None:
        if poll_s <= 0:
            raise ValueError("poll_s must be positive")
        self._store = store
        self._on_change = on_change
        self.poll_s = poll_s
        self.name = name
        self._since = since
        self._seen: tuple[datetime, dict[str, Any]] | None = None
        self.current = current
        self._stop = asyncio.Event()

    async def poll(self) -> SignalParams | None:
        """One check; the parameters handed to ``on_change``, if any."""
        stored = await self._store.read(self.name)
        if stored is None:
            return None
        key = (stored.updated_at, stored.params)
        if key == self._seen:
            return None
        if self._seen is None and self._since is not None and stored.updated_at <= self._since:
            self._seen = key  # already in effect when the watcher started
            return None
        try:
            params = stored.validated()
        except RuleError as exc:
            self._seen = key  # logged once per change, not at every poll
            PARAMS_RELOADS.labels("invalid").inc()
            log.error(
                "signal_params_invalid",
                name=self.name,
                field=exc.field,
                error=str(exc),
                updated_by=stored.updated_by,
                updated_at=stored.updated_at.isoformat(),
            )
            return None
        if params == self.current:
            self._seen = key
            return None
        try:
            result = self._on_change(params)
            if inspect.isawaitable(result):
                await result
        except Exception:
            PARAMS_RELOADS.labels("callback_error").inc()
            log.exception("signal_params_callback_failed", name=self.name)
            return None  # not marked seen: tried again at the next poll
        self._seen = key
        self.current = params
        PARAMS_RELOADS.labels("applied").inc()
        log.info("signal_params_reloaded", name=self.name, updated_by=stored.updated_by)
        return params

    async def run(self) -> None:
        """Poll until ``stop()``."""
        while not self._stop.is_set():
            try:
                await self.poll()
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                PARAMS_POLL_ERRORS.inc()
                log.warning("signal_params_poll_failed", name=self.name, error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.poll_s)

    def stop(self) -> None:
        self._stop.set()
