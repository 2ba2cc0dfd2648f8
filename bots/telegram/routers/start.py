"""/start, /help and /lang.

/help lists the commands in sections, one line each: only those the user can use (the admin
section for admins; the trading commands where the deployment offers trading, else /trading
alone, which says why)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import LangChoice
from bots.telegram.commands import Section, describe, section_title, usage, visible
from bots.telegram.formatters.numbers import esc
from bots.telegram.i18n import SUPPORTED, Translator, translator
from bots.telegram.menu import sync_chat_commands
from bots.telegram.services import BotServices
from core.users.service import UserProfile

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def help_text(_: Translator, *, admin: bool, trading: bool) -> str:
    """The command list: a bold heading per section, then ``/name args — what it does``."""
    commands = visible(admin=admin, trading=trading)
    lines = [f"<b>{_('Commands')}</b>"]
    for section in Section:
        shown = [c for c in commands if c.section is section]
        if not shown:
            continue
        lines.append("")
        lines.append(f"<b>{esc(section_title(section, _))}</b>")
        for command in shown:
            what = describe(command.name, _, trading=trading)
            lines.append(esc(f"{usage(command, trading=trading)} — {what}"))
    lines.append("")
    lines.append(_("Not financial advice."))
    return "\n".join(lines)


def _help_for(services: BotServices, profile: UserProfile | None, _: Translator) -> str:
    admin = profile is not None and profile.is_admin
    return help_text(_, admin=admin, trading=services.trading is not None)


async def start(
    message: Message,
    services: BotServices,
    profile: UserProfile | None,
    _: Translator,
    new_user: bool = False,
) -> None:
    hello = _("Welcome to Solsignals.") if new_user else _("Welcome back.")
    lines = [
        f"<b>{hello}</b>",
        _(
            "I watch Pump.fun, PumpSwap and Raydium launches, follow smart-money wallets and "
            "score each token 0–3 (Strength), with the reasons."
        ),
        esc(_("Track a wallet: /watch <address> [alias] [tags]. Tune alerts: /settings.")),
    ]
    if services.trading is not None:
        lines.append(_("Trading is off until you turn it on."))
    lines += ["", _help_for(services, profile, _)]
    await message.answer("\n".join(lines))
    if profile is not None and message.bot is not None and message.chat.type == "private":
        # the menu follows the role as stored (an admin named in the database, a former admin)
        await sync_chat_commands(
            message.bot,
            message.chat.id,
            admin=profile.is_admin,
            trading=services.trading is not None,
        )


async def help_command(
    message: Message, services: BotServices, profile: UserProfile | None, _: Translator
) -> None:
    await message.answer(_help_for(services, profile, _))


def _lang_keyboard() -> InlineKeyboardBuilder:
    kb = InlineKeyboardBuilder()
    for code in SUPPORTED:
        kb.button(text=LANGUAGE_NAMES[code], callback_data=LangChoice(lang=code))
    return kb


async def _set_lang(services: BotServices, profile: UserProfile, code: str) -> Translator:
    await services.users.set_language(profile.id, code)
    return translator(code)


async def lang_command(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    _: Translator,
) -> None:
    wanted = (command.args or "").strip().lower()
    if not wanted:
        await message.answer(
            _("Language: {name}. Choose:").format(name=LANGUAGE_NAMES[_.lang]),
            reply_markup=_lang_keyboard().as_markup(),
        )
        return
    if wanted not in SUPPORTED:
        await message.answer(
            _('"{lang}" is not a language I speak. Use /lang en or /lang fr.').format(
                lang=esc(wanted[:10])
            )
        )
        return
    _ = await _set_lang(services, profile, wanted)
    await message.answer(_("Language set to English."))


async def lang_pressed(
    query: CallbackQuery, callback_data: LangChoice, services: BotServices, profile: UserProfile
) -> None:
    _ = await _set_lang(services, profile, callback_data.lang)
    await query.answer()
    if query.message is not None:
        await query.message.answer(_("Language set to English."))


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    router.message.register(lang_command, Command("lang"))
    router.callback_query.register(lang_pressed, LangChoice.filter(F.lang.in_(SUPPORTED)))
    return router
