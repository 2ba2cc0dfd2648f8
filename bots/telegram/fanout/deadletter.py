"""Alerts that cannot be delivered go to the Redis stream ``telegram.dead``, never nowhere.

Each entry: ``signal`` (the id of the alert's entry), ``stream`` (``signals.out`` or
``activity.out``), ``mint`` (empty for a global Smart Activity alert), ``sequence`` (signals),
``chat`` (empty when the entry itself is unreadable), ``reason`` (a ``DeadReason``),
``description`` (Telegram's or the error's text), ``at`` (unix s). Read them with
``XRANGE telegram.dead - +``.
"""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis
import structlog

from bots.telegram.fanout import metrics
from bots.telegram.fanout.delivery import DeadReason
from core.bus.streams import StreamPublisher
from core.errors import UpstreamError

log = structlog.get_logger(__name__)

DEAD_STREAM = "telegram.dead"


class DeadLetter:
    def __init__(
        self, redis: aioredis.Redis, *, stream: str = DEAD_STREAM, maxlen: int = 100_000
    ) -> None:
        self._publisher = StreamPublisher(redis, stream, maxlen=maxlen)
        self.stream = stream

    async def record(
        self,
        *,
        entry_id: str,
        reason: DeadReason,
        description: str,
        chat_id: int | None = None,
        mint: str = "",
        sequence: int | None = None,
        stream: str = "",
    ) -> str:
        """Write one dead alert (raises ``UpstreamError`` when Redis refuses)."""
        dead_id = await self._publisher.publish(
            {
                "signal": entry_id,
                "stream": stream,
                "mint": mint,
                "sequence": "" if sequence is None else str(sequence),
                "chat": "" if chat_id is None else str(chat_id),
                "reason": reason.value,
                "description": description[:500],
                "at": f"{time.time():.3f}",
            }
        )
        metrics.DEAD.labels(reason.value).inc()
        log.warning(
            "telegram.alert_dead",
            entry=entry_id,
            stream=stream,
            mint=mint,
            chat=chat_id,
            reason=reason.value,
            description=description[:200],
        )
        return dead_id

    async def record_retrying(
        self,
        *,
        entry_id: str,
        reason: DeadReason,
        description: str,
        chat_id: int | None = None,
        mint: str = "",
        sequence: int | None = None,
        stream: str = "",
        attempts: int = 3,
        backoff_s: float = 0.2,
    ) -> bool:
        """``record``, tried ``attempts`` times (waits 0.2 s, 0.4 s...); False if Redis kept
        refusing (the delivery's entry then stays pending, to be claimed again)."""
        for attempt in range(attempts):
            try:
                await self.record(
                    entry_id=entry_id,
                    reason=reason,
                    description=description,
                    chat_id=chat_id,
                    mint=mint,
                    sequence=sequence,
                    stream=stream,
                )
                return True
            except UpstreamError as exc:
                log.warning(
                    "telegram.dead_letter_failed",
                    entry=entry_id,
                    chat=chat_id,
                    attempt=attempt + 1,
                    error=str(exc),
                )
                if attempt + 1 < attempts:
                    await asyncio.sleep(backoff_s * 2**attempt)
        return False
