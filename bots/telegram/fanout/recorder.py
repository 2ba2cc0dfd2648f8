"""Write finished deliveries to Redis in batches: the chat's card reference and the entry's
progress (``Progress``), many deliveries per round trip.

Each finished delivery calls ``record`` and waits for its own write. The first caller starts a
flush; deliveries finishing while it runs join the next one (a group commit): at 200
deliveries/s that is a handful of pipelines per second instead of one per delivery, and an idle
fan-out still writes at once. A batch is tried ``attempts`` times (waits 0.2 s, 0.4 s, ...);
when it keeps failing every delivery in it gets False (its entry stays pending: claimed again
later, its recorded chats skipped).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog

from bots.telegram.fanout import metrics
from core.errors import UpstreamError

log = structlog.get_logger(__name__)

MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Record:
    progress_key: str  # the entry's set of done chats
    chat_id: int
    card: tuple[str, str] | None = None  # (key, value) of the chat's card reference


@dataclass(frozen=True, slots=True)
class _Waiting:
    record: Record
    done: asyncio.Future[bool]


class Recorder:
    def __init__(
        self, redis: aioredis.Redis, *, ttl_s: int, attempts: int = 3, backoff_s: float = 0.2
    ) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._waiting: list[_Waiting] = []
        self._flushing: asyncio.Task[None] | None = None

    async def record(self, record: Record) -> bool:
        """Write ``record`` (with whatever else is waiting); False when Redis kept failing."""
        waiting = _Waiting(record, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush(), name="telegram-fanout-record")
        return await asyncio.shield(waiting.done)

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            metrics.LOOP_ITERATIONS.labels("recorder").inc()
            metrics.RECORD_BATCH.observe(len(batch))
            try:
                ok = await self._write([w.record for w in batch])
            except BaseException as exc:  # a bug, or cancelled: nobody waits forever
                for w in batch + self._waiting:
                    if not w.done.done():
                        w.done.set_exception(exc)
                self._waiting = []
                raise
            for w in batch:
                if not w.done.done():
                    w.done.set_result(ok)

    async def _write(self, records: list[Record]) -> bool:
        chats: dict[str, list[str]] = {}
        for r in records:
            chats.setdefault(r.progress_key, []).append(str(r.chat_id))
        for attempt in range(self._attempts):
            try:
                pipe = self._redis.pipeline(transaction=False)
                for r in records:
                    if r.card is not None:
                        pipe.set(r.card[0], r.card[1], ex=self._ttl_s)
                for key, members in chats.items():
                    pipe.sadd(key, *members)
                    pipe.expire(key, self._ttl_s)
                await pipe.execute()
                return True
            except (aioredis.RedisError, UpstreamError) as exc:
                log.warning(
                    "telegram.delivery_record_failed",
                    deliveries=len(records),
                    attempt=attempt + 1,
                    error=str(exc),
                )
                if attempt + 1 < self._attempts:
                    await asyncio.sleep(self._backoff_s * 2**attempt)
        return False
