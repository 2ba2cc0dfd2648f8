"""Write finished deliveries to Redis in batches: the chat's card reference and the entry's
progress (``Progress``), many deliveries per round trip.

Each finished delivery calls ``record`` and waits for its own write. The first caller starts a
flush ``linger_s`` later (2 ms: the deliveries finishing meanwhile join it); deliveries finishing
while it runs join the next one (a group commit): in a burst of answers that is one write per
15-20 deliveries instead of one per 4 without the linger (profiled), and an idle fan-out still
writes within milliseconds. A batch is one Lua script call (``SADD`` + ``EXPIRE`` per entry,
``SET ... EX`` per card): Redis runs it whole, without another client's command in between (a
connection lost before it arrives writes nothing; a command failing in it, a wrong-typed key,
leaves the writes before it), and the answer is one integer
(a pipeline of one ``SET`` per delivery cost about as much CPU to pack and parse as sending the
message). A batch is tried ``attempts`` times (waits 0.2 s, 0.4 s, ...); when it keeps failing
every delivery in it gets False (its entry stays pending: claimed again later, its recorded
chats skipped).
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

# KEYS: the entries' progress sets, then the card references. ARGV: ttl, the number of progress
# sets, then per set its member count and members, then the card values (in KEYS' order).
_WRITE = """
local ttl = ARGV[1]
local sets = tonumber(ARGV[2])
local at = 3
for i = 1, sets do
  local count = tonumber(ARGV[at])
  redis.call('SADD', KEYS[i], unpack(ARGV, at + 1, at + count))
  redis.call('EXPIRE', KEYS[i], ttl)
  at = at + count + 1
end
for i = sets + 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[at], 'EX', ttl)
  at = at + 1
end
return #KEYS
"""


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
        self,
        redis: aioredis.Redis,
        *,
        ttl_s: int,
        attempts: int = 3,
        backoff_s: float = 0.2,
        linger_s: float = 0.002,
    ) -> None:
        self._redis = redis
        self._linger_s = linger_s
        self._ttl_s = ttl_s
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._waiting: list[_Waiting] = []
        self._flushing: asyncio.Task[None] | None = None
        self._script = redis.register_script(_WRITE)
        self._iterations = metrics.LOOP_ITERATIONS.labels("recorder")

    async def record(self, record: Record) -> bool:
        """Write ``record`` (with whatever else is waiting); False when Redis kept failing."""
        waiting = _Waiting(record, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush(), name="telegram-fanout-record")
        # its own future (no shield: a cancelled caller cancels only its own wait; the batch
        # skips futures already done)
        return await waiting.done

    async def _flush(self) -> None:
        batch: list[_Waiting] = []
        try:
            if self._linger_s > 0:
                await asyncio.sleep(self._linger_s)
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                self._iterations.inc()
                metrics.RECORD_BATCH.observe(len(batch))
                ok = await self._write([w.record for w in batch])
                for w in batch:
                    if not w.done.done():
                        w.done.set_result(ok)
        except BaseException as exc:  # a bug, or cancelled: nobody waits forever
            for w in batch + self._waiting:
                if not w.done.done():
                    w.done.set_exception(exc)
            self._waiting = []
            raise

    async def _write(self, records: list[Record]) -> bool:
        chats: dict[str, list[int]] = {}
        card_keys: list[str] = []
        card_values: list[str] = []
        for r in records:
            chats.setdefault(r.progress_key, []).append(r.chat_id)
            if r.card is not None:
                card_keys.append(r.card[0])
                card_values.append(r.card[1])
        keys: list[str] = [*chats, *card_keys]
        args: list[str | int] = [self._ttl_s, len(chats)]
        for members in chats.values():
            args.append(len(members))
            args.extend(members)
        args.extend(card_values)
        for attempt in range(self._attempts):
            try:
                await self._script(keys=keys, args=args)
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
