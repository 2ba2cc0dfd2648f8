"""/settings: the user's alert filters, with buttons (``SettingsAction``) that toggle the on/off
ones and pick common values of the others, editing the message in place, and text forms::

    /settings min_strength 2.1      /settings top10 30|off      /settings liquidity 10000|off
    /settings tags kol,smart|off    /settings quiet 23-7|off    /settings alerts on|off
    /settings no_mint on|off        /settings no_freeze on|off

A button's value goes through the same parsing and the same core validation as typed text.
Invalid values are answered with the allowed range and an example; nothing changes then.
Trading is not switched here: ``/settings trading on`` points to /trading.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import SettingsAction
from bots.telegram.formatters.errors import core_message
from bots.telegram.formatters.numbers import clip
from bots.telegram.formatters.settings import (
    ALERTS,
    LIQUIDITY,
    MIN_STRENGTH,
    NO_FREEZE,
    NO_MINT,
    QUIET,
    TAGS,
    TOP10,
    TRADING,
    liquidity_text,
    setting_changed,
    setting_value,
    settings_text,
    shown_setting,
    strength_text,
    top10_text,
)
from bots.telegram.i18n import Translator
from bots.telegram.routers.inplace import edit_or_send
from bots.telegram.services import BotServices
from core.errors import UserInputError
from core.users.service import UserProfile
from core.users.settings import QuietHours, SettingError, UserSettings

log = structlog.get_logger(__name__)

MENU = "menu"
STRENGTH_CHOICES = (0.0, 1.0, 1.5, 2.0, 2.5)
TOP10_CHOICES: tuple[float | None, ...] = (None, 20.0, 30.0, 40.0)
LIQUIDITY_CHOICES = (0.0, 5_000.0, 10_000.0, 50_000.0)
_ON = frozenset({"on", "yes", "true", "1", "oui"})
_OFF = frozenset({"off", "no", "false", "0", "non"})
_NONE = frozenset({"off", "none", "no", "non", "any", "all"})
_QUIET = re.compile(r"^(\d{1,2})(?::00)?\s*[-–]\s*(\d{1,2})(?::00)?$")
_SUFFIX = {"k": 1e3, "m": 1e6}


@dataclass(frozen=True, slots=True)
class _Setting:
    name: str  # the word in /settings <name> <value> and in SettingsAction.name
    field: str  # of UserSettings
    parse: Callable[[str, _Setting, Translator], Any]
    usage: str
    example: str


def _not_a_number(text: str, spec: _Setting, _: Translator) -> UserInputError:
    return UserInputError(
        _('"{text}" is not a number for {what}. Example: {example}').format(
            text=clip(text, 30), what=spec.name, example=spec.example
        )
    )


def _number(text: str, spec: _Setting, _: Translator) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise _not_a_number(text, spec, _) from None
    if not math.isfinite(value):
        raise _not_a_number(text, spec, _)
    return value


def _on_off(text: str, spec: _Setting, _: Translator) -> bool:
    word = text.lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise UserInputError(
        _('"{text}" is not on or off for {what}. Example: {example}').format(
            text=clip(text, 30), what=spec.name, example=spec.example
        )
    )


def _top10(text: str, spec: _Setting, _: Translator) -> float | None:
    if text.lower() in _NONE:
        return None
    return _number(text.removesuffix("%").strip(), spec, _)


def _liquidity(text: str, spec: _Setting, _: Translator) -> float:
    if text.lower() in _NONE:
        return 0.0
    cleaned = text.lower().removeprefix("$").removesuffix("usd").strip()
    cleaned = cleaned.replace(",", "").replace("_", "").replace(" ", "")
    scale = _SUFFIX.get(cleaned[-1:], 1.0)
    if scale != 1.0:
        cleaned = cleaned[:-1]
    try:
        value = float(cleaned) * scale
    except ValueError:
        raise _not_a_number(text, spec, _) from None
    if not math.isfinite(value):
        raise _not_a_number(text, spec, _)
    return value


def _tags(text: str, spec: _Setting, _: Translator) -> tuple[str, ...]:
    if text.lower() in _NONE:
        return ()
    words = [w for w in re.split(r"[,|\s]+", text.lower()) if w]
    return tuple(dict.fromkeys(words))


def _quiet(text: str, spec: _Setting, _: Translator) -> QuietHours | None:
    if text.lower() in _NONE:
        return None
    match = _QUIET.match(text)
    if match is None:
        raise UserInputError(
            _(
                '"{text}" is not a range of hours for quiet. Write start-end in UTC hours '
                "0-23, or off. Example: {example}"
            ).format(text=clip(text, 30), example=spec.example)
        )
    return QuietHours(int(match.group(1)), int(match.group(2)))


def _spec(
    name: str, field: str, parse: Callable[[str, _Setting, Translator], Any], allowed: str, ex: str
) -> _Setting:
    return _Setting(name, field, parse, f"/settings {name} {allowed}", f"/settings {name} {ex}")


SETTINGS: dict[str, _Setting] = {
    s.name: s
    for s in (
        _spec(ALERTS, "alerts", _on_off, "on|off", "off"),
        _spec(MIN_STRENGTH, "min_strength", _number, "<0-3>", "2.1"),
        _spec(NO_MINT, "no_mint", _on_off, "on|off", "on"),
        _spec(NO_FREEZE, "no_freeze", _on_off, "on|off", "on"),
        _spec(TOP10, "top10_max_pct", _top10, "<1-100>|off", "30"),
        _spec(LIQUIDITY, "min_liquidity_usd", _liquidity, "<USD>|off", "10000"),
        _spec(TAGS, "tags", _tags, "<tag,tag>|off", "kol,smart"),
        _spec(QUIET, "quiet_hours", _quiet, "<start-end>|off", "23-7"),
    )
}
ALIASES = {
    "strength": MIN_STRENGTH,
    "min_liquidity": LIQUIDITY,
    "min_liquidity_usd": LIQUIDITY,
    "top10_max_pct": TOP10,
    "quiet_hours": QUIET,
    "trading_enabled": TRADING,
}
PICKERS = (MIN_STRENGTH, TOP10, LIQUIDITY)


def _main_keyboard(settings: UserSettings, _: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()

    def shown(name: str) -> str:
        return shown_setting(name, setting_value(settings, name, _), _)

    kb.button(
        text=f"🔔 {shown(ALERTS)}",
        callback_data=SettingsAction(name=ALERTS, value="off" if settings.alerts else "on"),
    )
    for name in PICKERS:
        kb.button(text=f"{shown(name)} ▾", callback_data=SettingsAction(name=name, value=""))
    kb.button(
        text=shown(NO_MINT),
        callback_data=SettingsAction(name=NO_MINT, value="off" if settings.no_mint else "on"),
    )
    kb.button(
        text=shown(NO_FREEZE),
        callback_data=SettingsAction(name=NO_FREEZE, value="off" if settings.no_freeze else "on"),
    )
    kb.adjust(1, 2, 1, 2)
    return kb.as_markup()


def _picker_keyboard(name: str, settings: UserSettings, _: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    choices: list[tuple[str, str, bool]]
    if name == MIN_STRENGTH:
        choices = [
            (strength_text(v), strength_text(v), v == settings.min_strength)
            for v in STRENGTH_CHOICES
        ]
    elif name == TOP10:
        choices = [
            (top10_text(v, _), "off" if v is None else f"{v:g}", v == settings.top10_max_pct)
            for v in TOP10_CHOICES
        ]
    else:
        choices = [
            (liquidity_text(v, _), f"{v:g}", v == settings.min_liquidity_usd)
            for v in LIQUIDITY_CHOICES
        ]
    for label, value, current in choices:
        kb.button(
            text=f"✓ {label}" if current else label,
            callback_data=SettingsAction(name=name, value=value),
        )
    kb.button(text=_("« Back"), callback_data=SettingsAction(name=MENU, value=""))
    kb.adjust(len(choices), 1)
    return kb.as_markup()


async def _change(
    services: BotServices, profile: UserProfile, name: str, text: str, _: Translator
) -> UserSettings:
    """Parse ``text`` for setting ``name`` and store it (core validates the range)."""
    spec = SETTINGS[name]
    value = spec.parse(text.strip(), spec, _)
    try:
        settings = await services.users.update_settings(profile.id, **{spec.field: value})
    except SettingError as exc:
        raise UserInputError(
            _("{error}. Example: {example}").format(
                error=core_message(exc, _.lang), example=spec.example
            )
        ) from None
    log.info("telegram.setting_changed", user_id=profile.id, setting=spec.field)
    return settings


def _trading_answer(_: Translator) -> str:
    return _(
        "Trading is switched with /trading (it needs a wallet and your confirmation); "
        "/settings cannot turn it on. Nothing was changed."
    )


async def settings_command(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    lang: str,
    _: Translator,
) -> None:
    args = (command.args or "").split(maxsplit=1)
    if not args:
        await message.answer(
            settings_text(profile.settings, lang),
            reply_markup=_main_keyboard(profile.settings, _),
        )
        return
    name = args[0].lower()
    name = ALIASES.get(name, name)
    if name == TRADING:
        await message.answer(_trading_answer(_))
        return
    spec = SETTINGS.get(name)
    if spec is None:
        raise UserInputError(
            _('"{text}" is not a setting. Settings: {names}. Example: {example}').format(
                text=clip(args[0], 30), names=", ".join(SETTINGS), example="/settings top10 30"
            )
        )
    if len(args) < 2:
        raise UserInputError(_("Missing argument. Usage: {usage}").format(usage=spec.usage))
    settings = await _change(services, profile, name, args[1], _)
    await message.answer(
        settings_text(settings, lang, note=setting_changed(settings, name, lang)),
        reply_markup=_main_keyboard(settings, _),
    )


async def settings_pressed(
    query: CallbackQuery,
    callback_data: SettingsAction,
    services: BotServices,
    profile: UserProfile,
    lang: str,
    _: Translator,
) -> None:
    name, value = callback_data.name, callback_data.value
    settings = profile.settings
    if name == MENU:
        text, keyboard = settings_text(settings, lang), _main_keyboard(settings, _)
    elif name == TRADING:
        raise UserInputError(_trading_answer(_))
    elif name not in SETTINGS:
        raise UserInputError(_("This button is out of date. Send /settings again."))
    elif value == "" and name in PICKERS:
        text = settings_text(settings, lang, picking=name)
        keyboard = _picker_keyboard(name, settings, _)
    else:
        settings = await _change(services, profile, name, value, _)
        note = setting_changed(settings, name, lang)
        text, keyboard = settings_text(settings, lang, note=note), _main_keyboard(settings, _)
    await query.answer()
    await edit_or_send(query, text, keyboard)


def build_router() -> Router:
    router = Router(name="settings")
    router.message.register(settings_command, Command("settings"))
    router.callback_query.register(settings_pressed, SettingsAction.filter())
    return router
