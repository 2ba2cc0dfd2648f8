"""Which message holds a chat's card of a mint, so a re-score edits it instead of sending anew.

Redis key ``telegram.card:<chat>:<mint>`` -> ``<message_id>:<1 if a photo else 0>``, kept
``ttl_s`` after the last send or edit (24 h by default: older cards get a new message).

Deliveries look their card up when they are planned, one ``MGET`` per signal (not one ``GET``
per delivery). In between, an earlier delivery of the same chat and mint may still be on its way
in this process: ``CardStates`` holds one shared ``CardState`` per (chat, mint) while any
delivery of it is planned and not finished, so the later delivery edits the message the earlier
one sends. A state is created (and looked up in Redis) only when no delivery of the pair is open
here, and dropped once the last one has been recorded in Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from core.errors import UpstreamError

PREFIX = "telegram.card"
_MGET_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class CardRef:
    message_id: int
    is_photo: bool


@dataclass(slots=True)
class CardState:
    """The chat's card of a mint as this process knows it (shared by its open deliveries)."""

    key: tuple[int, str]
    ref: CardRef | None = None
    known: bool = False  # False until looked up in Redis (or set by a delivery)
    open: int = 0  # planned deliveries of the pair not yet finished


def card_key(chat_id: int, mint: str) -> str:
    return f"{PREFIX}:{chat_id}:{mint}"


def _ref(raw: bytes | str | None) -> CardRef | None:
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    message_id, _, photo = text.partition(":")
    return CardRef(int(message_id), photo == "1")


class CardMessages:
    def __init__(self, redis: aioredis.Redis, *, ttl_s: int) -> None:
        self._redis = redis
        self.ttl_s = ttl_s

    async def get(self, chat_id: int, mint: str) -> CardRef | None:
        try:
            raw = await self._redis.get(card_key(chat_id, mint))
        except aioredis.RedisError as exc:
            raise UpstreamError(f"Redis GET failed: {exc}", retryable=True) from exc
        return _ref(raw)

    async def get_many(self, chat_ids: Sequence[int], mint: str) -> list[CardRef | None]:
        """The cards of ``mint`` in these chats (one MGET per 1,000 chats)."""
        out: list[CardRef | None] = []
        try:
            for start in range(0, len(chat_ids), _MGET_CHUNK):
                keys = [card_key(c, mint) for c in chat_ids[start : start + _MGET_CHUNK]]
                out.extend(_ref(raw) for raw in await self._redis.mget(keys))
        except aioredis.RedisError as exc:
            raise UpstreamError(f"Redis MGET failed: {exc}", retryable=True) from exc
        return out

    def stage(self, pipe: Pipeline, chat_id: int, mint: str, ref: CardRef) -> None:
        """Add "remember ``ref``" to a pipeline (written with the delivery's progress)."""
        pipe.set(card_key(chat_id, mint), f"{ref.message_id}:{int(ref.is_photo)}", ex=self.ttl_s)


class CardStates:
    """The (chat, mint) card states of the open deliveries of this process."""

    def __init__(self, messages: CardMessages) -> None:
        self._messages = messages
        self._states: dict[tuple[int, str], CardState] = {}

    def __len__(self) -> int:
        return len(self._states)

    async def hold(self, chat_ids: Sequence[int], mint: str) -> list[CardState]:
        """One state per chat, held until ``release``; unknown ones are looked up in Redis.

        The states are registered before the lookup, so a delivery of the pair finishing
        meanwhile updates the state instead of being missed by a lookup that read Redis
        before its write. On a Redis error the states are released and the error raised."""
        states: list[CardState] = []
        for chat in chat_ids:
            key = (chat, mint)
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = CardState(key)
            state.open += 1
            states.append(state)
        unknown = [s for s in states if not s.known]
        if unknown:
            try:
                refs = await self._messages.get_many([s.key[0] for s in unknown], mint)
            except UpstreamError:
                for state in states:
                    self.release(state)
                raise
            for state, ref in zip(unknown, refs, strict=True):
                if not state.known:  # not set by a delivery that finished meanwhile
                    state.ref, state.known = ref, True
        return states

    def release(self, state: CardState) -> None:
        """A delivery holding ``state`` is finished and recorded (or abandoned)."""
        state.open -= 1
        if state.open <= 0 and self._states.get(state.key) is state:
            del self._states[state.key]
