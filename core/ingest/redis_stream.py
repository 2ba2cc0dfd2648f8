"""Publish ingested records on a Redis Stream (`ingest.events`) for downstream consumers.

The signal engine reads this stream with a consumer group, so several processes can share the
load and a restarted consumer resumes where it stopped. Entries are flat string maps (one field
per record attribute, ``kind`` naming the record type); integers stay exact as decimal strings.
The stream is capped (approximate MAXLEN) so Redis memory stays bounded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
import structlog
from prometheus_client import Counter

from core.bus.streams import StreamPublisher
from core.errors import UpstreamError
from core.storage.records import (
    CurveCompleteRecord,
    MintRecord,
    PoolRecord,
    Record,
    TickRecord,
    TradeRecord,
)

log = structlog.get_logger(__name__)

DEFAULT_STREAM = "ingest.events"
PUBLISHED = Counter(
    "solsignals_ingest_stream_published_total", "Records published on the Redis stream", ["kind"]
)

KIND_OF: dict[type, str] = {
    TradeRecord: "trade",
    MintRecord: "mint",
    CurveCompleteRecord: "curve_complete",
    PoolRecord: "pool",
}
RECORD_OF: dict[str, type] = {v: k for k, v in KIND_OF.items()}


def encode_record(rec: Record) -> dict[str, str]:
    out = {"kind": KIND_OF[type(rec)]}
    for f in dataclasses.fields(rec):
        value = getattr(rec, f.name)
        if value is None:
            continue
        out[f.name] = str(int(value)) if isinstance(value, bool) else str(value)
    return out


def decode_record(entry: dict[str, str]) -> Record:
    """Inverse of ``encode_record`` (for consumers and tests)."""
    cls = RECORD_OF[entry["kind"]]
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in entry:
            continue
        raw = entry[f.name]
        type_text = str(f.type)
        if "bool" in type_text:
            kwargs[f.name] = raw == "1"
        elif "float" in type_text:
            kwargs[f.name] = float(raw)
        elif "int" in type_text:
            kwargs[f.name] = int(raw)
        elif "Program" in type_text:
            from core.programs import Program

            kwargs[f.name] = Program(raw)
        else:
            kwargs[f.name] = raw
    return cls(**kwargs)  # type: ignore[no-any-return, unused-ignore]


class RedisRecordStream:
    """A ``RecordSink`` that XADDs every non-candle record, one pipeline per batch."""

    def __init__(
        self, redis_url: str, *, stream: str = DEFAULT_STREAM, maxlen: int = 1_000_000
    ) -> None:
        self._redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
        self._publisher = StreamPublisher(self._redis, stream, maxlen=maxlen)
        self.stream = stream

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except aioredis.RedisError as exc:
            raise UpstreamError(
                f"Redis unreachable: {exc}", retryable=True, provider="redis"
            ) from exc

    async def add_many(self, records: Sequence[Record]) -> None:
        entries = [encode_record(rec) for rec in records if not isinstance(rec, TickRecord)]
        if not entries:
            return
        try:
            await self._publisher.publish_many(entries)
        except UpstreamError:
            log.error("redis_stream_publish_failed", stream=self.stream, records=len(entries))
            raise
        for entry in entries:
            PUBLISHED.labels(entry["kind"]).inc()

    async def aclose(self) -> None:
        await self._redis.aclose()
