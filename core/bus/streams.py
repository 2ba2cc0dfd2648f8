"""Publish to and consume from a Redis Stream with consumer groups.

Several processes in one group share a stream's entries; each entry goes to one of them. An
entry stays pending until acknowledged, so a consumer that crashes before ``ack`` gets its own
pending entries back when it restarts under the same name (``read`` first drains them), and a
consumer that never comes back has its entries claimed by a live one (``claim_stale``).

A Redis that restarts empty (no persistence, or a lost snapshot) loses the group with the
stream: the consumer then creates the group again from the stream's start ("0") and carries on.
Every entry in that stream was published after the restart, so none is skipped or repeated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog
from prometheus_client import Counter, Gauge

from core.errors import UpstreamError

log = structlog.get_logger(__name__)

PUBLISHED = Counter("solsignals_stream_published_total", "Entries added to a stream", ["stream"])
CONSUMED = Counter(
    "solsignals_stream_consumed_total", "Entries delivered to a consumer", ["stream", "group"]
)
ACKED = Counter("solsignals_stream_acked_total", "Entries acknowledged", ["stream", "group"])
CLAIMED = Counter(
    "solsignals_stream_claimed_total",
    "Stale entries taken over from another consumer",
    ["stream", "group"],
)
GROUP_RECREATED = Counter(
    "solsignals_stream_group_recreated_total",
    "Consumer groups created again after Redis lost them (a restart without data)",
    ["stream", "group"],
)
PENDING = Gauge(
    "solsignals_stream_pending", "Entries delivered but not acknowledged", ["stream", "group"]
)


@dataclass(frozen=True, slots=True)
class StreamEntry:
    id: str
    fields: dict[str, str]


def _no_group(exc: aioredis.RedisError) -> bool:
    return isinstance(exc, aioredis.ResponseError) and str(exc).startswith("NOGROUP")


def _wrap(exc: aioredis.RedisError, what: str) -> UpstreamError:
    return UpstreamError(f"Redis {what} failed: {exc}", retryable=True, provider="redis")


class StreamPublisher:
    def __init__(self, redis: aioredis.Redis, stream: str, *, maxlen: int = 1_000_000) -> None:
        self._redis = redis
        self.stream = stream
        self._maxlen = maxlen

    async def publish(self, fields: Mapping[str, str]) -> str:
        try:
            payload: dict[Any, Any] = dict(fields)
            entry_id = await self._redis.xadd(
                self.stream, payload, maxlen=self._maxlen, approximate=True
            )
        except aioredis.RedisError as exc:
            raise _wrap(exc, "XADD") from exc
        PUBLISHED.labels(self.stream).inc()
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def publish_many(self, entries: Sequence[Mapping[str, str]]) -> None:
        if not entries:
            return
        pipe = self._redis.pipeline(transaction=False)
        for fields in entries:
            payload: dict[Any, Any] = dict(fields)
            pipe.xadd(self.stream, payload, maxlen=self._maxlen, approximate=True)
        try:
            await pipe.execute()
        except aioredis.RedisError as exc:
            raise _wrap(exc, "XADD") from exc
        PUBLISHED.labels(self.stream).inc(len(entries))


class StreamConsumer:
    """One named consumer of a group. Create the group with ``ensure_group`` once."""

    def __init__(self, redis: aioredis.Redis, stream: str, group: str, consumer: str) -> None:
        self._redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self._drained_own_pending = False

    async def ensure_group(self, *, start_id: str = "0") -> None:
        """Create the group if absent. ``start_id`` "0" reads the stream's history, "$" only new
        entries."""
        try:
            await self._redis.xgroup_create(self.stream, self.group, id=start_id, mkstream=True)
        except aioredis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise _wrap(exc, "XGROUP CREATE") from exc
        except aioredis.RedisError as exc:
            raise _wrap(exc, "XGROUP CREATE") from exc

    async def _recreate_group(self, exc: aioredis.RedisError) -> None:
        """Redis answered NOGROUP: it lost the group (restarted empty). Create it again from
        the stream's start: what the stream holds now was published after the restart."""
        log.warning(
            "stream_group_recreated",
            stream=self.stream,
            group=self.group,
            consumer=self.consumer,
            error=str(exc),
        )
        GROUP_RECREATED.labels(self.stream, self.group).inc()
        await self.ensure_group(start_id="0")

    async def read(self, *, count: int = 100, block_ms: int | None = 1000) -> list[StreamEntry]:
        """This consumer's own unacknowledged entries first (after a restart), then new ones."""
        if not self._drained_own_pending:
            own = await self._xreadgroup("0", count, None)
            if own:
                return own
            self._drained_own_pending = True
        return await self._xreadgroup(">", count, block_ms)

    async def ack(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        try:
            await self._redis.xack(self.stream, self.group, *ids)
        except aioredis.RedisError as exc:
            raise _wrap(exc, "XACK") from exc
        ACKED.labels(self.stream, self.group).inc(len(ids))

    async def claim_stale(self, *, min_idle_ms: int, count: int = 100) -> list[StreamEntry]:
        """Take over entries another consumer received but did not acknowledge in time."""
        try:
            answer = await self._redis.xautoclaim(
                self.stream, self.group, self.consumer, min_idle_ms, start_id="0-0", count=count
            )
        except aioredis.RedisError as exc:
            if not _no_group(exc):
                raise _wrap(exc, "XAUTOCLAIM") from exc
            await self._recreate_group(exc)
            return []
        entries = _entries(answer[1])
        if entries:
            CLAIMED.labels(self.stream, self.group).inc(len(entries))
            log.info(
                "stream_entries_claimed",
                stream=self.stream,
                group=self.group,
                consumer=self.consumer,
                count=len(entries),
            )
        return entries

    async def pending_count(self) -> int:
        try:
            info = await self._redis.xpending(self.stream, self.group)
        except aioredis.RedisError as exc:
            if not _no_group(exc):
                raise _wrap(exc, "XPENDING") from exc
            await self._recreate_group(exc)
            info = {"pending": 0}
        pending = int(info["pending"])
        PENDING.labels(self.stream, self.group).set(pending)
        return pending

    async def _xreadgroup(self, start: str, count: int, block_ms: int | None) -> list[StreamEntry]:
        for attempt in (1, 2):
            try:
                answer = await self._redis.xreadgroup(
                    self.group, self.consumer, {self.stream: start}, count=count, block=block_ms
                )
                break
            except aioredis.RedisError as exc:
                if attempt == 2 or not _no_group(exc):
                    raise _wrap(exc, "XREADGROUP") from exc
                await self._recreate_group(exc)
        entries: list[StreamEntry] = []
        rows: Any = answer or []
        # RESP2 answers [[stream, items]], RESP3 {stream: items}.
        for _stream, items in rows.items() if isinstance(rows, dict) else rows:
            entries.extend(_entries(items))
        if entries:
            CONSUMED.labels(self.stream, self.group).inc(len(entries))
        return entries


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entries(
    items: Sequence[tuple[bytes | str, Mapping[bytes | str, bytes | str]]],
) -> list[StreamEntry]:
    out = []
    for entry_id, fields in items:
        if fields is None:  # deleted (trimmed) while pending
            continue
        out.append(StreamEntry(_text(entry_id), {_text(k): _text(v) for k, v in fields.items()}))
    return out
