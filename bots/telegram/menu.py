"""The command menu Telegram clients show (setMyCommands), per language and per chat.

Everyone's menu (the default scope) lists the commands a regular user may use; an admin's
private chat gets the admin set (``BotCommandScopeChat``; in a private chat the chat id is the
user's id). At start the bot publishes both for ``TELEGRAM_ADMIN_IDS``; on each /start it sets
the menu of that chat from the user's role as stored, so an admin named only in the database
gets the admin menu and a former admin loses it (their chat scope is deleted).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import BotCommand, BotCommandScopeChat

from bots.telegram.commands import Command, describe, visible
from bots.telegram.i18n import SUPPORTED, translator

log = structlog.get_logger(__name__)


def _menu(commands: Sequence[Command], lang: str, *, trading: bool) -> list[BotCommand]:
    _ = translator(lang)
    return [
        BotCommand(command=c.name, description=describe(c.name, _, trading=trading)[:256])
        for c in commands
    ]


def _code(lang: str) -> str | None:
    return None if lang == "en" else lang


async def publish_commands(
    bot: Bot, *, trading: bool, admin_chat_ids: Collection[int] = ()
) -> None:
    """setMyCommands in each language we speak (clients show the user's): the commands
    everyone may use for every chat (the trading ones only when ``trading`` is offered), and
    with the admin ones for each admin's private chat. An admin chat Telegram refuses (the
    admin never opened the bot) is logged and skipped."""
    everyone = visible(admin=False, trading=trading)
    for lang in SUPPORTED:
        await bot.set_my_commands(
            _menu(everyone, lang, trading=trading), language_code=_code(lang)
        )
    for chat_id in admin_chat_ids:
        try:
            await publish_chat_commands(bot, chat_id, admin=True, trading=trading)
        except TelegramBadRequest as exc:
            log.warning("telegram.admin_commands_not_set", chat_id=chat_id, error=exc.message)


async def publish_chat_commands(bot: Bot, chat_id: int, *, admin: bool, trading: bool) -> None:
    """The menu of one private chat: the admin set for an admin, else the chat's own scope is
    deleted (the default menu applies)."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    commands = visible(admin=True, trading=trading)
    for lang in SUPPORTED:
        if admin:
            await bot.set_my_commands(
                _menu(commands, lang, trading=trading), scope=scope, language_code=_code(lang)
            )
        else:
            await bot.delete_my_commands(scope=scope, language_code=_code(lang))


async def sync_chat_commands(bot: Bot, chat_id: int, *, admin: bool, trading: bool) -> None:
    """``publish_chat_commands`` from a handler: a refusal is logged, never the user's problem."""
    try:
        await publish_chat_commands(bot, chat_id, admin=admin, trading=trading)
    except TelegramAPIError as exc:
        log.warning("telegram.chat_commands_not_set", chat_id=chat_id, admin=admin, error=str(exc))
