"""Send pacing for chat transports: a global rate and a per-chat rate (token buckets), plus the
server's own "retry after" answers. Pure bookkeeping with an injected clock: it says *when* a
message to a chat may go; the sender sleeps and sends.

Telegram's guidance is about 30 messages/s overall and 1 message/s per chat; both are
parameters (see shared/reference/telegram-limits.md).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Bucket:
    rate_per_s: float
    burst: float
    tokens: float
    updated_s: float

    def available_at(self, now_s: float) -> float:
        self._refill(now_s)
        if self.tokens >= 1:
            return now_s
        return now_s + (1 - self.tokens) / self.rate_per_s

    def take(self, now_s: float) -> None:
        self._refill(now_s)
        self.tokens -= 1

    def _refill(self, now_s: float) -> None:
        if now_s > self.updated_s:
            self.tokens = min(self.burst, self.tokens + (now_s - self.updated_s) * self.rate_per_s)
            self.updated_s = now_s


@dataclass(slots=True)
class Pacer:
    global_per_s: float = 30.0
    per_chat_per_s: float = 1.0
    max_chats: int = 100_000  # chat buckets kept (least recently used dropped)
    _global: _Bucket | None = None
    _chats: OrderedDict[int, _Bucket] = field(default_factory=OrderedDict)
    _blocked_until_s: float = 0.0  # a global retry_after from the server

    def next_slot(self, chat_id: int, now_s: float) -> float:
        """The earliest time a message to ``chat_id`` may be sent (>= now_s)."""
        glob = self._global_bucket(now_s)
        chat = self._chat_bucket(chat_id, now_s)
        return max(
            now_s, self._blocked_until_s, glob.available_at(now_s), chat.available_at(now_s)
        )

    def sent(self, chat_id: int, now_s: float) -> None:
        """Record a message sent at ``now_s`` (call only at or after ``next_slot``)."""
        self._global_bucket(now_s).take(now_s)
        self._chat_bucket(chat_id, now_s).take(now_s)

    def retry_after(self, seconds: float, now_s: float) -> None:
        """The server answered 429: nothing goes out before ``now_s + seconds``."""
        self._blocked_until_s = max(self._blocked_until_s, now_s + seconds)

    def _global_bucket(self, now_s: float) -> _Bucket:
        if self._global is None:
            self._global = _Bucket(self.global_per_s, self.global_per_s, self.global_per_s, now_s)
        return self._global

    def _chat_bucket(self, chat_id: int, now_s: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = _Bucket(self.per_chat_per_s, 1.0, 1.0, now_s)
            self._chats[chat_id] = bucket
            if len(self._chats) > self.max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return bucket
