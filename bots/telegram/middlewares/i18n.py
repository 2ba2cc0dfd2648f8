"""Give handlers ``_`` (the user's translator) and ``lang``: the stored language, else the
Telegram client's, else English."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bots.telegram.i18n import normalize_lang, translator


class I18nMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        profile = data.get("profile")
        user: User | None = data.get("event_from_user")
        if profile is not None:
            lang = normalize_lang(profile.language)
        else:
            lang = normalize_lang(user.language_code if user is not None else None)
        data["lang"] = lang
        data["_"] = translator(lang)
        return await handler(event, data)
