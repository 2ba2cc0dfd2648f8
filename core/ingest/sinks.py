"""Fan records out to several sinks; a failing secondary sink never stops ingestion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import structlog
from prometheus_client import Counter

from core.errors import UpstreamError
from core.storage.records import Record

log = structlog.get_logger(__name__)

SINK_ERRORS = Counter(
    "solsignals_ingest_sink_errors_total", "Batches a secondary sink failed to take", ["sink"]
)


class RecordSink(Protocol):
    async def add_many(self, records: Sequence[Record]) -> None: ...

    async def aclose(self) -> None: ...


class FanoutSink:
    """The primary sink (storage) must take every batch; secondaries (streams) are best effort.

    The storage writer retries on its own and applies back-pressure, so an error from it is a
    real failure and propagates. A secondary's ``UpstreamError`` is logged and counted.
    """

    def __init__(self, primary: RecordSink, secondaries: Sequence[tuple[str, RecordSink]] = ()):
        self._primary = primary
        self._secondaries = list(secondaries)

    async def add_many(self, records: Sequence[Record]) -> None:
        await self._primary.add_many(records)
        for name, sink in self._secondaries:
            try:
                await sink.add_many(records)
            except UpstreamError as exc:
                SINK_ERRORS.labels(name).inc()
                log.warning(
                    "secondary_sink_failed", sink=name, error=str(exc), records=len(records)
                )

    async def aclose(self) -> None:
        await self._primary.aclose()
        for _name, sink in self._secondaries:
            await sink.aclose()
