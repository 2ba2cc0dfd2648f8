"""Load (or register, on first contact) the Telegram user behind each message or button press.

Handlers get ``profile`` (a ``core.users.service.UserProfile``, None only for updates without a
user, e.g. channel posts). Registration is idempotent, so a user who never sent /start but
presses a button on a forwarded card still gets an account with their Telegram language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bots.telegram.services import BotServices


class UserMiddleware(BaseMiddleware):
    def __init__(self, services: BotServices) -> None:
        self._services = services

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        data["services"] = self._services
        data["profile"] = None
        if user is not None and not user.is_bot:
            profile, created = await self._services.users.register_telegram(
                user.id, language_code=user.language_code
            )
            data["profile"] = profile
            data["new_user"] = created
        return await handler(event, data)
