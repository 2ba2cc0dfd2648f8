"""The real aiogram bot (bots.telegram.app) polling the local Telegram Bot API emulator, on a
real migrated database. Tests play users through ``harness`` and read what the bot sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiogram import Bot, Dispatcher

from bots.telegram.app import build_bot, build_dispatcher
from bots.telegram.config import BotSettings
from bots.telegram.services import BotServices
from tests.telegram_emulator import TelegramEmulator, User

if TYPE_CHECKING:
    from tests.bots.telegram.trade_harness import TradeBot

ANA = User()  # the default user of every harness call


@dataclass
class Clock:
    """A settable "now" for the bot's services (ages, windows)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class BotHarness:
    emulator: TelegramEmulator
    services: BotServices
    bot: Bot
    dp: Dispatcher
    clock: Clock

    async def say(self, text: str, user: User = ANA, *, count: int = 1) -> list[dict[str, Any]]:
        """The user sends ``text``; the next ``count`` messages the bot sent them."""
        await self.emulator.send_text(text, user)
        return await self.emulator.bot_messages(user, count=count)

    async def press(
        self, data: str, message: dict[str, Any], user: User = ANA, *, count: int = 1
    ) -> list[dict[str, Any]]:
        """The user presses a button of ``message``; the next ``count`` messages (edits count)."""
        await self.emulator.press(data, message, user)
        return await self.emulator.bot_messages(user, count=count) if count else []

    async def upload(
        self, content: bytes, file_name: str, mime: str, user: User = ANA, *, count: int = 1
    ) -> list[dict[str, Any]]:
        await self.emulator.send_document(content, file_name, mime, user)
        return await self.emulator.bot_messages(user, count=count)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Inline buttons of a bot message: text -> callback_data (or url)."""
    out: dict[str, str] = {}
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            out[b["text"]] = b.get("callback_data") or b.get("url") or ""
    return out


BotFactory = Callable[..., Any]


@pytest.fixture
def bot_db_url(migrated_pg_url: str) -> str:
    return migrated_pg_url


@pytest.fixture
async def harness(
    telegram_emulator: TelegramEmulator, bot_db_url: str
) -> AsyncIterator[BotHarness]:
    """The bot polling the emulator, on PostgreSQL; admin is Telegram user 9001."""
    settings = BotSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=telegram_emulator.token,
        telegram_api_url=telegram_emulator.url,
        telegram_admin_ids=[9001],
        telegram_rate_per_min=600,
    )
    clock = Clock()
    services = BotServices.create(bot_db_url, settings, clock=clock)
    bot = build_bot(telegram_emulator.token, telegram_emulator.url)
    dp = build_dispatcher(services)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        yield BotHarness(telegram_emulator, services, bot, dp, clock)
    finally:
        await dp.stop_polling()
        await polling
        await bot.session.close()
        await services.aclose()


@pytest.fixture
async def desk(
    telegram_emulator: TelegramEmulator, bot_db_url: str, tmp_path: Path
) -> AsyncIterator[TradeBot]:
    """A trading-enabled bot (trade_harness): local chain, Jupiter, keystore, polling bot."""
    from tests.bots.telegram.trade_harness import trade_bot  # it imports this module

    async with trade_bot(telegram_emulator, bot_db_url, tmp_path) as bot:
        yield bot
