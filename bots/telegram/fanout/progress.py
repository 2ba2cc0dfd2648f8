"""Which chats a stream entry has already reached, so re-reading it never sends twice.

An entry is acknowledged only once every delivery it produced is sent or dead-lettered. Until
then each finished delivery adds its chat to ``telegram.fanout.done:<scope>:<entry>`` (a Redis
set, expiring after ``ttl_s``), in the same round trip as the card reference (``Recorder``). A
consumer that stops mid-entry, restarts and reads the entry again (or another one that claims
it) skips those chats. The set is deleted when the entry is acknowledged. The scope is the
consumer group for ``signals.out`` and ``<group>:activity.out`` for Smart Activity alerts (entry
ids of two streams can be equal).
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from core.errors import UpstreamError

PREFIX = "telegram.fanout.done"


class Progress:
    def __init__(self, redis: aioredis.Redis, scope: str, *, ttl_s: int) -> None:
        self._redis = redis
        self._scope = scope
        self.ttl_s = ttl_s

    def key(self, entry_id: str) -> str:
        return f"{PREFIX}:{self._scope}:{entry_id}"

    async def done_chats(self, entry_id: str) -> set[int]:
        try:
            members = await self._redis.smembers(self.key(entry_id))
        except aioredis.RedisError as exc:
            raise UpstreamError(f"Redis SMEMBERS failed: {exc}", retryable=True) from exc
        return {int(m) for m in members}

    async def forget(self, entry_ids: Sequence[str]) -> None:
        if not entry_ids:
            return
        try:
            await self._redis.delete(*(self.key(e) for e in entry_ids))
        except aioredis.RedisError as exc:
            raise UpstreamError(f"Redis DEL failed: {exc}", retryable=True) from exc
