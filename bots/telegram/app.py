"""Build and run the Telegram bot: aiogram Bot (API base URL from settings), Dispatcher with the
middlewares, the feature routers and the error handler.

Conversation state (a custom amount asked for, a key import awaited...) lives in Redis when
REDIS_URL is set (``fsm_storage``): it survives a restart of the bot and is shared by every
process; without Redis it is kept in memory (lost on restart). It never holds a secret: an
imported key is read from the message itself, which the bot deletes."""

from __future__ import annotations

from datetime import timedelta

import redis.asyncio as aioredis
import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage

from bots.telegram import errors
from bots.telegram.menu import publish_commands
from bots.telegram.middlewares import I18nMiddleware, ThrottleMiddleware, UserMiddleware
from bots.telegram.routers import all_routers
from bots.telegram.services import BotServices

log = structlog.get_logger(__name__)

FSM_PREFIX = "solsignals:fsm"
FSM_TTL = timedelta(hours=1)  # an abandoned question is forgotten after an hour


def build_bot(token: str, api_url: str) -> Bot:
    """A Bot speaking HTML to ``api_url`` (api.telegram.org, a local Bot API server, a test)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def fsm_storage(redis_url: str | None) -> BaseStorage:
    """Where conversation state is kept: Redis (keys ``solsignals:fsm:…``, one hour TTL) when a
    URL is given, else memory."""
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        aioredis.from_url(redis_url),
        key_builder=DefaultKeyBuilder(prefix=FSM_PREFIX, with_bot_id=True),
        state_ttl=FSM_TTL,
        data_ttl=FSM_TTL,
    )


def build_dispatcher(services: BotServices, storage: BaseStorage | None = None) -> Dispatcher:
    dp = Dispatcher(storage=storage or MemoryStorage())
    users = UserMiddleware(services)
    i18n = I18nMiddleware()
    throttle = ThrottleMiddleware(services.settings.telegram_rate_per_min)
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(users)
        observer.outer_middleware(i18n)
        observer.outer_middleware(throttle)
    dp.include_routers(*all_routers(), errors.build_router())
    return dp


async def run_polling(services: BotServices, bot: Bot, storage: BaseStorage | None = None) -> None:
    dp = build_dispatcher(services, storage)
    me = await bot.get_me()
    log.info("telegram.started", username=me.username, mode=services.settings.telegram_mode)
    await publish_commands(
        bot,
        trading=services.trading is not None,
        admin_chat_ids=services.settings.telegram_admin_ids,
    )
    await dp.start_polling(bot, handle_signals=False)
