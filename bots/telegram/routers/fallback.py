"""Last router: an unknown command is answered with /help's pointer; plain chat is ignored."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bots.telegram.formatters.errors import unknown_command


async def unknown(message: Message, lang: str) -> None:
    command = (message.text or "").split()[0]
    await message.answer(unknown_command(command, lang))


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown, F.text.startswith("/"))
    return router
