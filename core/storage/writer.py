"""BatchWriter: buffers hot-path records and writes them in batches, never one per event.

Records are buffered per type. A flush happens when one buffer reaches ``max_batch``, every
``flush_interval_ms`` (background task), on ``flush()`` and on ``aclose()``. A flush writes
everything buffered in ONE transaction. If it fails, the error is logged and counted, the batch
is kept (ahead of newer records) and retried with exponential backoff. Memory is bounded: once
``max_buffered`` records are held, ``add`` waits until a flush frees space (backpressure); no
record is dropped.

    async with BatchWriter(url) as writer:
        await writer.add(trade)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from types import TracebackType

import structlog

from core.errors import UpstreamError
from core.storage.backends import Batch, StorageBackend, TableWrite, backend_for
from core.storage.db import parse_database_url
from core.storage.metrics import (
    STORAGE_BACKPRESSURE_WAITS,
    STORAGE_BUFFERED,
    STORAGE_FLUSH_ERRORS,
    STORAGE_FLUSH_SECONDS,
    STORAGE_RECORDS_FLUSHED,
    STORAGE_ROWS_WRITTEN,
)
from core.storage.records import Record

log = structlog.get_logger(__name__)

DEFAULT_MAX_BATCH = 2_000
DEFAULT_FLUSH_INTERVAL_MS = 200


class BatchWriter:
    """Batched, retrying, bounded writer of ``core.storage.records`` to PostgreSQL or SQLite."""

    def __init__(
        self,
        url: str | None = None,
        *,
        backend: StorageBackend | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
        flush_interval_ms: int = DEFAULT_FLUSH_INTERVAL_MS,
        max_buffered: int | None = None,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 5.0,
        close_timeout_s: float = 30.0,
    ) -> None:
        if backend is None:
            if url is None:
                raise ValueError("BatchWriter needs a database URL or a backend")
            backend = backend_for(parse_database_url(url))
        if max_batch < 1 or flush_interval_ms < 1:
            raise ValueError("max_batch and flush_interval_ms must be positive")
        self._backend = backend
        self._max_batch = max_batch
        self._interval_s = flush_interval_ms / 1000
        self._max_buffered = max_buffered if max_buffered is not None else 20 * max_batch
        if self._max_buffered < max_batch:
            raise ValueError("max_buffered must be at least max_batch")
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._close_timeout_s = close_timeout_s
        self._buffers = Batch()
        self._pending: Batch | None = None  # taken for a flush; kept until it is stored
        self._flush_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.flushes = 0  # successful flushes that wrote something
        self.records_flushed = 0
        self._buffered_gauge = STORAGE_BUFFERED.labels(backend=backend.name)

    @property
    def backend_name(self) -> str:
        return self._backend.name

    @property
    def buffered(self) -> int:
        """Records not yet stored (buffers plus a batch waiting for retry)."""
        pending = self._pending.size if self._pending is not None else 0
        return self._buffers.size + pending

    async def start(self) -> None:
        """Open the backend and start the background flusher."""
        if self._task is not None:
            return
        await self._backend.open()
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="solsignals-storage-writer")
        log.info(
            "storage_writer_started",
            backend=self._backend.name,
            max_batch=self._max_batch,
            flush_interval_ms=int(self._interval_s * 1000),
        )

    async def __aenter__(self) -> BatchWriter:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def add(self, record: Record) -> None:
        """Buffer one record; waits (backpressure) while the writer holds ``max_buffered``."""
        if self._task is None:
            raise RuntimeError("BatchWriter.add before start() / async with")
        while self.buffered >= self._max_buffered:
            STORAGE_BACKPRESSURE_WAITS.labels(backend=self._backend.name).inc()
            self._space.clear()
            self._wake.set()
            await self._space.wait()
            if self._task is None:
                raise RuntimeError("BatchWriter closed while add() waited for space")
        full = self._buffers.append(record) >= self._max_batch
        self._buffered_gauge.set(self.buffered)
        if full:
            self._wake.set()
            await asyncio.sleep(
                0
            )  # let the flusher take this batch even if the caller never yields

    async def add_many(self, records: Iterable[Record]) -> None:
        for record in records:
            await self.add(record)

    async def flush(self) -> int:
        """Write everything buffered now, in one transaction; returns records written.

        On failure the batch is kept for the next attempt and the error is raised.
        """
        async with self._flush_lock:
            batch = self._take()
            if batch.size == 0:
                return 0
            started = time.perf_counter()
            try:
                writes = await self._backend.write(batch)
            except Exception as exc:
                STORAGE_FLUSH_ERRORS.labels(
                    backend=self._backend.name, error=type(exc).__name__
                ).inc()
                log.error(
                    "storage_flush_failed",
                    backend=self._backend.name,
                    records=batch.size,
                    error=repr(exc),
                )
                raise
            self._pending = None
            self._record_success(writes, batch.size, time.perf_counter() - started)
            return batch.size

    def _take(self) -> Batch:
        if self._pending is None:
            self._pending = self._buffers
        else:
            self._pending.extend(self._buffers)
        self._buffers = Batch()
        return self._pending

    def _record_success(self, writes: list[TableWrite], records: int, seconds: float) -> None:
        backend = self._backend.name
        for write in writes:
            STORAGE_FLUSH_SECONDS.labels(table=write.table, backend=backend).observe(write.seconds)
            STORAGE_ROWS_WRITTEN.labels(table=write.table, backend=backend).inc(write.rows_written)
            STORAGE_RECORDS_FLUSHED.labels(table=write.table, backend=backend).inc(write.records)
        self.flushes += 1
        self.records_flushed += records
        self._buffered_gauge.set(self.buffered)
        self._space.set()
        log.debug("storage_flushed", backend=backend, records=records, seconds=round(seconds, 4))

    async def _run(self) -> None:
        backoff_s = self._retry_initial_s
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval_s)
            self._wake.clear()
            if self._closing:
                break
            try:
                await self.flush()
            except Exception:  # already logged and counted by flush(); the batch is kept
                await asyncio.sleep(backoff_s)
                backoff_s = min(backoff_s * 2, self._retry_max_s)
            else:
                backoff_s = self._retry_initial_s

    async def aclose(self) -> None:
        """Stop the flusher and write what is left (retrying up to ``close_timeout_s``).

        Raises UpstreamError if records are still unwritten after that: never a silent loss.
        """
        if self._task is None:
            return
        self._closing = True
        self._wake.set()
        await self._task
        self._task = None
        try:
            await self._final_flush()
        finally:
            await self._backend.close()
            self._space.set()
            log.info("storage_writer_closed", backend=self._backend.name, left=self.buffered)

    async def _final_flush(self) -> None:
        deadline = time.monotonic() + self._close_timeout_s
        backoff_s = self._retry_initial_s
        while True:
            try:
                await self.flush()
                return
            except Exception as exc:
                if time.monotonic() + backoff_s > deadline:
                    raise UpstreamError(
                        f"storage: {self.buffered} records could not be written before close: "
                        f"{exc!r}",
                        retryable=True,
                        provider=self._backend.name,
                    ) from exc
                await asyncio.sleep(backoff_s)
                backoff_s = min(backoff_s * 2, self._retry_max_s)
