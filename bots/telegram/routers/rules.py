"""/rules: the signal rules that apply to the user (global ones and their own), with buttons to
enable, disable or remove them, and the text forms::

    /rules add <name> <json>            a rule of your own
    /rules add global <name> <json>     a global rule (admins)
    /rules enable|disable|remove <id>

Users change their own rules; global rules (no owner) only admins. Anyone else's rule is
answered as unknown. Every refusal changes nothing. Remove asks for a confirmation when pressed
as a button (the typed command is explicit already).
"""

from __future__ import annotations

import json

import structlog
from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import RuleAction
from bots.telegram.formatters.errors import core_message
from bots.telegram.formatters.numbers import clip, esc
from bots.telegram.formatters.rules import EXAMPLE_ADD, rules_list, shown_rules
from bots.telegram.i18n import Translator
from bots.telegram.routers.inplace import edit_or_send
from bots.telegram.services import BotServices
from core.errors import Text, UserInputError
from core.signals.rules import RuleError
from core.signals.rules_store import StoredRule
from core.users.service import UserProfile
from core.wallets.csv_json import json_problem

log = structlog.get_logger(__name__)

ACTIONS = ("enable", "disable", "remove")
GLOBAL = "global"
# Clients may turn typed quotes into typographic ones; JSON wants the plain ones.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "″": '"', "‘": "'", "’": "'"})


class RuleRemoval(CallbackData, prefix="rrm"):
    """The answer to "Remove rule #n?": ``confirm`` removes it, otherwise the list comes back."""

    rule_id: int
    confirm: bool


def _json_problem(message: str, lang: str) -> str:
    """The JSON parser's problem ("Expecting value") in ``lang``."""
    problem = json_problem(message)
    return core_message(problem, lang) if isinstance(problem, Text) else problem


def _usage(_: Translator) -> str:
    return _(
        "Use /rules, /rules add <name> <json>, or /rules enable|disable|remove <id>. "
        "Example: {example}"
    ).format(example=EXAMPLE_ADD)


def may_change(stored: StoredRule, profile: UserProfile) -> bool:
    return stored.owner_user_id == profile.id or (stored.is_global and profile.is_admin)


async def _rules(services: BotServices, profile: UserProfile) -> list[StoredRule]:
    return await services.rules.list(profile.id, include_global=True)


def _keyboard(
    rules: list[StoredRule], profile: UserProfile, _: Translator
) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboardBuilder()
    rows = 0
    for stored in shown_rules(rules):
        if not may_change(stored, profile):
            continue
        if stored.enabled:
            kb.button(
                text=_("⏸ Disable #{id}").format(id=stored.id),
                callback_data=RuleAction(action="disable", rule_id=stored.id),
            )
        else:
            kb.button(
                text=_("▶️ Enable #{id}").format(id=stored.id),
                callback_data=RuleAction(action="enable", rule_id=stored.id),
            )
        kb.button(
            text=_("🗑 Remove #{id}").format(id=stored.id),
            callback_data=RuleAction(action="remove", rule_id=stored.id),
        )
        rows += 1
    if not rows:
        return None
    kb.adjust(2)
    return kb.as_markup()


async def _list_view(
    services: BotServices, profile: UserProfile, lang: str, _: Translator, note: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    rules = await _rules(services, profile)
    return rules_list(rules, lang, note=note), _keyboard(rules, profile, _)


async def _changeable(
    services: BotServices, profile: UserProfile, rule_id: int, _: Translator
) -> StoredRule:
    """The rule if this user may change it; else a UserInputError (nothing changes)."""
    try:
        stored = await services.rules.get(rule_id)
    except UserInputError:
        stored = None
    if stored is None or (not stored.is_global and stored.owner_user_id != profile.id):
        raise UserInputError(
            _("There is no rule #{id} of yours. Send /rules to see the ids.").format(id=rule_id)
        )
    if not may_change(stored, profile):
        raise UserInputError(
            _(
                "Rule #{id} is a global rule: only admins can change it; nothing was changed."
            ).format(id=rule_id)
        )
    return stored


async def _apply(services: BotServices, stored: StoredRule, action: str, _: Translator) -> str:
    """Enable, disable or remove; the note saying what was done (HTML)."""
    name = esc(clip(stored.name, 48))
    if action == "enable":
        await services.rules.enable(stored.id)
        return _("✅ Rule #{id} {name} enabled.").format(id=stored.id, name=name)
    if action == "disable":
        await services.rules.disable(stored.id)
        return _("⏸ Rule #{id} {name} disabled.").format(id=stored.id, name=name)
    await services.rules.remove(stored.id)
    return _("🗑 Rule #{id} {name} removed.").format(id=stored.id, name=name)


def _rule_id(text: str, action: str, _: Translator) -> int:
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit() or len(cleaned) > 18:
        raise UserInputError(
            _('"{text}" is not a rule id. Send /rules to see the ids. Example: {example}').format(
                text=clip(text.strip(), 30) or "…", example=f"/rules {action} 3"
            )
        )
    return int(cleaned)


async def _add(
    message: Message,
    rest: str,
    services: BotServices,
    profile: UserProfile,
    lang: str,
    _: Translator,
) -> None:
    first, _sep, after = rest.partition(" ")
    is_global = first.lower() == GLOBAL
    if is_global:
        if not profile.is_admin:
            await message.answer(_("This command is for admins only; nothing was changed."))
            return
        rest = after
    brace = rest.find("{")
    if brace < 0:
        raise UserInputError(
            _(
                "The rule's JSON is missing. Usage: /rules add <name> <json>. Example: {example}"
            ).format(example=EXAMPLE_ADD)
        )
    name, raw = rest[:brace].strip(), rest[brace:].translate(_QUOTES)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserInputError(
            _(
                "The rule is not valid JSON ({problem} at character {pos}). Example: {example}"
            ).format(problem=_json_problem(exc.msg, lang), pos=exc.pos + 1, example=EXAMPLE_ADD)
        ) from None
    try:
        rule_id = await services.rules.add(
            data, name=name, owner_user_id=None if is_global else profile.id
        )
    except RuleError as exc:
        raise UserInputError(
            _("{error}. Example: {example}").format(
                error=core_message(exc, lang), example=EXAMPLE_ADD
            )
        ) from None
    log.info("telegram.rule_added", rule_id=rule_id, user_id=profile.id, is_global=is_global)
    stored = await services.rules.get(rule_id)
    note = (
        _("✅ Global rule #{id} {name} added.") if is_global else _("✅ Rule #{id} {name} added.")
    ).format(id=rule_id, name=esc(clip(stored.name, 48)))
    text, keyboard = await _list_view(services, profile, lang, _, note)
    await message.answer(text, reply_markup=keyboard)


async def rules_command(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    lang: str,
    _: Translator,
) -> None:
    args = (command.args or "").strip()
    sub, _sep, rest = args.partition(" ")
    sub = sub.lower()
    if not sub or sub in ("list", "help"):
        text, keyboard = await _list_view(services, profile, lang, _, None)
        await message.answer(text, reply_markup=keyboard)
    elif sub == "add":
        await _add(message, rest, services, profile, lang, _)
    elif sub in ACTIONS:
        stored = await _changeable(services, profile, _rule_id(rest, sub, _), _)
        note = await _apply(services, stored, sub, _)
        log.info("telegram.rule_changed", rule_id=stored.id, action=sub, user_id=profile.id)
        text, keyboard = await _list_view(services, profile, lang, _, note)
        await message.answer(text, reply_markup=keyboard)
    else:
        raise UserInputError(
            _('"{text}" is not a /rules action. {usage}').format(
                text=clip(sub, 20), usage=_usage(_)
            )
        )


async def rule_pressed(
    query: CallbackQuery,
    callback_data: RuleAction,
    services: BotServices,
    profile: UserProfile,
    lang: str,
    _: Translator,
) -> None:
    stored = await _changeable(services, profile, callback_data.rule_id, _)
    if callback_data.action == "remove":
        rules = await _rules(services, profile)
        question = _("Remove rule #{id} {name}? This cannot be undone.").format(
            id=stored.id, name=esc(clip(stored.name, 48))
        )
        kb = InlineKeyboardBuilder()
        kb.button(
            text=_("🗑 Yes, remove #{id}").format(id=stored.id),
            callback_data=RuleRemoval(rule_id=stored.id, confirm=True),
        )
        kb.button(text=_("Cancel"), callback_data=RuleRemoval(rule_id=stored.id, confirm=False))
        await query.answer()
        await edit_or_send(query, rules_list(rules, lang, note=question), kb.as_markup())
        return
    note = await _apply(services, stored, callback_data.action, _)
    log.info(
        "telegram.rule_changed", rule_id=stored.id, action=callback_data.action, user_id=profile.id
    )
    text, keyboard = await _list_view(services, profile, lang, _, note)
    await query.answer()
    await edit_or_send(query, text, keyboard)


async def removal_answered(
    query: CallbackQuery,
    callback_data: RuleRemoval,
    services: BotServices,
    profile: UserProfile,
    lang: str,
    _: Translator,
) -> None:
    note = None
    if callback_data.confirm:
        stored = await _changeable(services, profile, callback_data.rule_id, _)
        note = await _apply(services, stored, "remove", _)
        log.info("telegram.rule_changed", rule_id=stored.id, action="remove", user_id=profile.id)
    text, keyboard = await _list_view(services, profile, lang, _, note)
    await query.answer()
    await edit_or_send(query, text, keyboard)


def build_router() -> Router:
    router = Router(name="rules")
    router.message.register(rules_command, Command("rules"))
    router.callback_query.register(rule_pressed, RuleAction.filter(F.action.in_(ACTIONS)))
    router.callback_query.register(removal_answered, RuleRemoval.filter())
    return router
