"""Build and run the Telegram bot: aiogram Bot (API base URL from settings), Dispatcher with the
middlewares, the feature routers and the error handler."""

from __future__ import annotations

import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand

from bots.telegram import errors
from bots.telegram.commands import COMMANDS, describe
from bots.telegram.i18n import SUPPORTED, translator
from bots.telegram.middlewares import I18nMiddleware, ThrottleMiddleware, UserMiddleware
from bots.telegram.routers import all_routers
from bots.telegram.services import BotServices

log = structlog.get_logger(__name__)


def build_bot(token: str, api_url: str) -> Bot:
    """A Bot speaking HTML to ``api_url`` (api.telegram.org, a local Bot API server, a test)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_dispatcher(services: BotServices) -> Dispatcher:
    dp = Dispatcher()
    users = UserMiddleware(services)
    i18n = I18nMiddleware()
    throttle = ThrottleMiddleware(services.settings.telegram_rate_per_min)
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(users)
        observer.outer_middleware(i18n)
        observer.outer_middleware(throttle)
    dp.include_routers(*all_routers(), errors.build_router())
    return dp


async def publish_commands(bot: Bot) -> None:
    """setMyCommands in each language we speak (clients show the user's)."""
    for lang in SUPPORTED:
        _ = translator(lang)
        commands = [
            BotCommand(command=c.name, description=describe(c.name, _)[:256])
            for c in COMMANDS
            if not c.admin
        ]
        await bot.set_my_commands(commands, language_code=None if lang == "en" else lang)


async def run_polling(services: BotServices, bot: Bot) -> None:
    dp = build_dispatcher(services)
    me = await bot.get_me()
    log.info("telegram.started", username=me.username, mode=services.settings.telegram_mode)
    await publish_commands(bot)
    await dp.start_polling(bot, handle_signals=False)
