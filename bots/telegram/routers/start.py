"""/start, /help and /lang."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import LangChoice
from bots.telegram.commands import COMMANDS, describe
from bots.telegram.formatters.numbers import esc
from bots.telegram.i18n import SUPPORTED, Translator, translator
from bots.telegram.services import BotServices
from core.users.service import UserProfile

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def help_text(_: Translator) -> str:
    lines = [f"<b>{_('Commands')}</b>"]
    for command in COMMANDS:
        usage = f"/{command.name}" + (f" {esc(command.args)}" if command.args else "")
        lines.append(f"{usage} — {esc(describe(command.name, _))}")
    lines.append(_("Not financial advice."))
    return "\n".join(lines)


async def start(message: Message, _: Translator, new_user: bool = False) -> None:
    hello = _("Welcome to Solsignals.") if new_user else _("Welcome back.")
    text = "\n".join(
        (
            f"<b>{hello}</b>",
            _(
                "I watch Pump.fun, PumpSwap and Raydium launches, follow smart-money wallets and "
                "score each token 0–3 (Strength), with the reasons."
            ),
            esc(_("Track a wallet: /watch <address> [alias] [tags]. Tune alerts: /settings.")),
            _("Trading is off until you turn it on."),
            "",
            help_text(_),
        )
    )
    await message.answer(text)


async def help_command(message: Message, _: Translator) -> None:
    await message.answer(help_text(_))


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
