"""Per-user rate limit on commands and button presses (a token bucket per Telegram user).

A user over the limit is told once how long to wait; further updates inside that wait are
dropped silently (answering each would itself flood the chat). Buckets of users who went quiet
are forgotten, so memory stays bounded.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bots.telegram import metrics
from bots.telegram.i18n import Translator, translator

MAX_USERS = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_s: float
    told_until_s: float = 0.0


class ThrottleMiddleware(BaseMiddleware):
    def __init__(
        self,
        rate_per_min: int,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_min <= 0:
            raise ValueError("rate_per_min must be positive")
        self._rate_per_s = rate_per_min / 60.0
        self._burst = float(burst if burst is not None else max(3, rate_per_min // 3))
        self._clock = clock
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def _take(self, user_id: int) -> float:
        """0 when allowed, else the seconds until the next update would be."""
        now = self._clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = _Bucket(self._burst, now)
            self._buckets[user_id] = bucket
            if len(self._buckets) > MAX_USERS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(user_id)
            bucket.tokens = min(
                self._burst, bucket.tokens + (now - bucket.updated_s) * self._rate_per_s
            )
            bucket.updated_s = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        wait = (1 - bucket.tokens) / self._rate_per_s
        if now < bucket.told_until_s:
            return -wait  # already told: drop silently
        bucket.told_until_s = now + wait
        return wait

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        wait = self._take(user.id)
        if wait == 0.0:
            return await handler(event, data)
        metrics.THROTTLED.inc()
        if wait > 0:
            _: Translator = data.get("_") or translator(None)
            text = _("Slow down: too many requests. Try again in {s} s.").format(s=math.ceil(wait))
            if isinstance(event, Message):
                await event.answer(text)
            elif isinstance(event, CallbackQuery):
                await event.answer(text, show_alert=False)
        return None
