"""/autotrade: the user's auto-trade rules with Enable / Disable / Remove buttons, and::

    /autotrade add <name> strength>=2 smart>=3 [tags=kol,smart] buy=0.5
                   [mode=confirm|direct] [tpsl=safe | tp 50:50 sl 25] [slippage=150]
    /autotrade remove <id>

The rule buys from the user's trading wallet (trading must be on). ``confirm`` mode (the
default) asks before every buy; ``direct`` buys without asking, so a direct rule is stored off
and only turned on by an explicit button (and again each time it is re-enabled). The user's
limits always apply to every auto-buy (``TradeExecutor``).

Removing a rule (the command or the list's button) asks first, saying how many of its auto-buy
questions are still pending: only [Remove] removes it (``AutoTradeStore.remove``), which cancels
those questions and keeps the history of its auto-buys. The cancelled intents are then published
on ``autotrade.out``, as the workers publish the intents they end, so the fan-out edits each
question in place to say so (``services.autotrade_out``; without Redis there is no fan-out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import structlog
from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import RuleRemoval
from bots.telegram.formatters import autotrade as fmt
from bots.telegram.formatters.tpsl import template_error
from bots.telegram.formatters.trading import limits_line, trading_unavailable
from bots.telegram.i18n import Translator
from bots.telegram.routers.inplace import NO_BUTTONS, edit_or_send
from bots.telegram.services import BotServices
from core.errors import UpstreamError, UserInputError
from core.programs import LAMPORTS_PER_SOL
from core.trading.autotrade import (
    TAG,
    AutoTradeMode,
    AutoTradeRule,
    Intent,
    intent_to_stream_fields,
)
from core.trading.autotrade_store import AutoTradeStore
from core.trading.orders import OrderTemplate
from core.trading.template_text import TemplateTextError, parse_template
from core.users.service import UserProfile

log = structlog.get_logger(__name__)

ACTIONS = ("on", "off", "rm", "go", "no")
_PAIR = re.compile(r"^(?P<key>[a-z_]+)(?P<op>>=|=)(?P<value>.*)$")
KEYS = ("strength", "smart", "tags", "buy", "mode", "tpsl", "slippage")
RULE_ID_MAX = 2**31 - 1  # a larger id typed is no rule (and would not fit the query)


class AutoTradeAction(CallbackData, prefix="at"):
    """/autotrade buttons: on | off | rm (asks first: ``RuleRemoval``), and the direct-mode
    answer go | no."""

    action: str
    rule_id: int


class BadRuleArgument(UserInputError):
    """A /autotrade add argument we cannot read; the message (HTML) names the key."""


@dataclass(slots=True)
class RuleArgs:
    name: str
    values: dict[str, str] = field(default_factory=dict)
    template_words: list[str] = field(default_factory=list)


def split_args(text: str, _: Translator, lang: str) -> RuleArgs:
    """``<name> key>=v key=v … [tp … sl …]``: the name, the keys, the template's words."""
    words = text.split()
    if not words or "=" in words[0]:
        raise BadRuleArgument(fmt.usage(lang))
    args = RuleArgs(words[0])
    for word in words[1:]:
        found = _PAIR.match(word.lower()) if "=" in word else None
        if found is None:
            if "=" in word:
                raise BadRuleArgument(fmt.bad_key(word, word, _("key=value, e.g. buy=0.5"), lang))
            args.template_words.append(word)
            continue
        key, op = found["key"], found["op"]
        value = word.split(op, 1)[1]
        if key not in KEYS:
            raise BadRuleArgument(
                fmt.bad_key(key, word, _("one of {keys}").format(keys=", ".join(KEYS)), lang)
            )
        if key in args.values:
            raise BadRuleArgument(fmt.bad_key(key, word, _("this key once"), lang))
        if op == ">=" and key not in ("strength", "smart"):
            raise BadRuleArgument(fmt.bad_key(key, word, _("{key}=…").format(key=key), lang))
        args.values[key] = value
    return args


def _decimal(key: str, value: str, expected: str, lang: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise BadRuleArgument(fmt.bad_key(key, value, expected, lang)) from None
    if not number.is_finite():
        raise BadRuleArgument(fmt.bad_key(key, value, expected, lang))
    return number


def build_rule(
    args: RuleArgs, *, user_id: int, wallet: str, _: Translator, lang: str
) -> AutoTradeRule:
    """The rule ``args`` describe; ``BadRuleArgument`` names the first bad or missing key."""
    values = args.values
    for key in ("strength", "smart", "buy"):
        if key not in values:
            raise BadRuleArgument(
                _("Missing {key}. {usage}").format(key=key, usage=fmt.usage(lang))
            )
    strength_expected = _("a Strength from 0 to 3, e.g. strength>=2")
    strength = _decimal("strength", values["strength"], strength_expected, lang)
    if not 0 <= strength <= 3:
        raise BadRuleArgument(fmt.bad_key("strength", values["strength"], strength_expected, lang))
    smart_text = values["smart"]
    if not smart_text.isdigit() or int(smart_text) > 100:
        raise BadRuleArgument(
            fmt.bad_key("smart", smart_text, _("a whole number of smart buyers, 0-100"), lang)
        )
    buy_expected = _("an amount of SOL above 0, e.g. buy=0.5")
    lamports = _decimal("buy", values["buy"], buy_expected, lang) * LAMPORTS_PER_SOL
    if lamports <= 0 or lamports != lamports.to_integral_value():
        raise BadRuleArgument(fmt.bad_key("buy", values["buy"], buy_expected, lang))
    tags = tuple(t for t in values.get("tags", "").lower().split(",") if t)
    for tag in tags:
        if not TAG.match(tag):
            raise BadRuleArgument(
                fmt.bad_key("tags", tag, _("tags of lowercase letters, digits, _ or -"), lang)
            )
    mode_text = values.get("mode", AutoTradeMode.CONFIRM.value).lower()
    if mode_text not in (m.value for m in AutoTradeMode):
        raise BadRuleArgument(fmt.bad_key("mode", mode_text, "confirm, direct", lang))
    slippage = None
    if "slippage" in values:
        slippage_expected = _("basis points from 1 to 10000 (150 = 1.5%), or a percent like 1.5%")
        raw = values["slippage"]
        number = _decimal("slippage", raw.removesuffix("%"), slippage_expected, lang)
        bps = number * 100 if raw.endswith("%") else number
        if bps != bps.to_integral_value() or not 1 <= bps <= 10_000:
            raise BadRuleArgument(fmt.bad_key("slippage", raw, slippage_expected, lang))
        slippage = int(bps)
    template = _template(args, _, lang)
    mode = AutoTradeMode(mode_text)
    return AutoTradeRule(
        user_id=user_id,
        name=args.name,
        mode=mode,
        min_strength=float(strength),
        min_smart_buyers=int(smart_text),
        wallet=wallet,
        buy_lamports=int(lamports),
        tags=tags,
        template=template,
        slippage_bps=slippage,
        enabled=mode is AutoTradeMode.CONFIRM,  # direct: off until the user says go
    )


def _template(args: RuleArgs, _: Translator, lang: str) -> OrderTemplate | None:
    preset = args.values.get("tpsl")
    if preset is not None and args.template_words:
        raise BadRuleArgument(
            fmt.bad_key("tpsl", preset, _("either tpsl=<preset> or tp … sl …, not both"), lang)
        )
    text = preset if preset is not None else " ".join(args.template_words)
    if not text:
        return None
    try:
        return parse_template(text)
    except TemplateTextError as exc:
        raise BadRuleArgument("tpsl: " + template_error(exc, lang)) from None


# ---- views --------------------------------------------------------------------------------------


def _store(services: BotServices) -> AutoTradeStore:
    return AutoTradeStore(engine=services.engine, clock=services.clock)


def _keyboard(rules: list[AutoTradeRule], _: Translator) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboardBuilder()
    for rule in rules:
        rule_id = rule.id or 0
        if rule.enabled:
            kb.button(
                text=_("⏸ Disable #{id}").format(id=rule_id),
                callback_data=AutoTradeAction(action="off", rule_id=rule_id),
            )
        else:
            kb.button(
                text=_("▶️ Enable #{id}").format(id=rule_id),
                callback_data=AutoTradeAction(action="on", rule_id=rule_id),
            )
        kb.button(
            text=_("🗑 Remove #{id}").format(id=rule_id),
            callback_data=AutoTradeAction(action="rm", rule_id=rule_id),
        )
    kb.adjust(2)
    return kb.as_markup() if rules else None


def _direct_keyboard(rule_id: int, _: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("⚡ Yes, buy without asking"),
        callback_data=AutoTradeAction(action="go", rule_id=rule_id),
    )
    kb.button(text=_("Keep it off"), callback_data=AutoTradeAction(action="no", rule_id=rule_id))
    return kb.as_markup()


def _removal_keyboard(rule_id: int, _: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🗑 Remove"), callback_data=RuleRemoval(rule_id=rule_id, remove=True))
    kb.button(text=_("Keep"), callback_data=RuleRemoval(rule_id=rule_id, remove=False))
    return kb.as_markup()


async def _removal(
    store: AutoTradeStore, rule: AutoTradeRule, lang: str, _: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """The question asked before ``rule`` is removed, with [Remove] [Keep]."""
    rule_id = rule.id or 0
    pending = await store.pending_count(rule_id)
    return fmt.removal_question(rule, pending, lang), _removal_keyboard(rule_id, _)


async def _live_rule(
    store: AutoTradeStore, rule_id: int, user_id: int, lang: str
) -> tuple[AutoTradeRule | None, str]:
    """The user's rule ``rule_id`` if it is not removed; else None and why, to tell them."""
    for rule in await store.rules_of(user_id):
        if rule.id == rule_id:
            return rule, ""
    stored = await store.rule(rule_id)
    if stored is not None and stored.user_id == user_id:
        return None, fmt.already_removed(rule_id, lang)
    return None, fmt.not_yours(rule_id, lang)


async def _publish_cancelled(services: BotServices, rule_id: int, intents: list[Intent]) -> None:
    """Publish the intents a removal cancelled on ``autotrade.out``, as the workers publish the
    intents they end: the fan-out then edits each one's question (no buttons, why it ended).
    The removal is recorded already, so a Redis failure is logged and the user still told."""
    publisher = services.autotrade_out
    if not intents or publisher is None:  # no Redis: no fan-out, so no question was sent
        return
    try:
        await publisher.publish_many([intent_to_stream_fields(i) for i in intents])
    except UpstreamError as exc:
        log.error(
            "telegram.autotrade_cancelled_not_published",
            rule_id=rule_id,
            intents=[i.id for i in intents],
            error=str(exc),
        )


async def _list(
    services: BotServices, profile: UserProfile, lang: str, _: Translator, note: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    rules = await _store(services).rules_of(profile.id)
    return fmt.rules_list(rules, lang, note=note), _keyboard(rules, _)


async def _limits(services: BotServices, profile: UserProfile, lang: str) -> str:
    assert services.trading is not None
    status = await services.trading.status(profile.id)
    return limits_line(status.policy, status.spent_today_lamports, lang)


# ---- handlers -----------------------------------------------------------------------------------


async def autotrade_command(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile | None,
    _: Translator,
    lang: str,
) -> None:
    trading = services.trading
    if trading is None:
        await message.answer(trading_unavailable(lang))
        return
    if profile is None:
        return
    sub, _sep, rest = (command.args or "").strip().partition(" ")
    if sub.lower() in ("", "list"):
        text, keyboard = await _list(services, profile, lang, _, None)
        await message.answer(text, reply_markup=keyboard)
        return
    if sub.lower() == "remove":
        await _ask_removal(message, rest, services, profile, _, lang)
        return
    if sub.lower() != "add":
        await message.answer(fmt.usage(lang))
        return
    status = await trading.status(profile.id)
    if not status.enabled or status.wallet is None:
        await message.answer(fmt.trading_needed(lang))
        return
    try:
        args = split_args(rest, _, lang)
        rule = build_rule(args, user_id=profile.id, wallet=status.wallet.address, _=_, lang=lang)
    except BadRuleArgument as exc:  # HTML naming the key, shown as it is
        await message.answer(str(exc))
        return
    stored = await _store(services).add_rule(rule)
    log.info("telegram.autotrade_rule_added", rule_id=stored.id, mode=stored.mode.value)
    limits = await _limits(services, profile, lang)
    if stored.mode is AutoTradeMode.DIRECT:
        await message.answer(
            fmt.direct_prompt(stored, limits, lang),
            reply_markup=_direct_keyboard(stored.id or 0, _),
        )
        return
    await message.answer(fmt.added(stored, limits, lang))


async def _ask_removal(
    message: Message,
    rest: str,
    services: BotServices,
    profile: UserProfile,
    _: Translator,
    lang: str,
) -> None:
    """``/autotrade remove <id>``: the question, as a new message."""
    text = rest.strip().removeprefix("#")
    if not (text.isascii() and text.isdigit()):
        await message.answer(fmt.remove_usage(lang))
        return
    store = _store(services)
    rule, refusal = await _live_rule(store, min(int(text), RULE_ID_MAX), profile.id, lang)
    if rule is None:
        await message.answer(refusal)
        return
    question, keyboard = await _removal(store, rule, lang, _)
    await message.answer(question, reply_markup=keyboard)


async def autotrade_pressed(
    query: CallbackQuery,
    callback_data: AutoTradeAction,
    services: BotServices,
    profile: UserProfile | None,
    _: Translator,
    lang: str,
) -> None:
    if services.trading is None or profile is None:
        await query.answer(trading_unavailable(lang), show_alert=True)
        return
    store = _store(services)
    rule_id, action = callback_data.rule_id, callback_data.action
    if action == "rm":  # destructive: ask first (``removal_answered``)
        live, refusal = await _live_rule(store, rule_id, profile.id, lang)
        if live is None:
            await query.answer(refusal, show_alert=True)
            return
        await query.answer()
        await edit_or_send(query, *await _removal(store, live, lang, _))
        return
    rule = await store.rule(rule_id)
    if rule is None or rule.user_id != profile.id:
        raise UserInputError(_("There is no auto-trade rule #{id} of yours.").format(id=rule_id))
    await query.answer()
    if action == "on" and rule.mode is AutoTradeMode.DIRECT:  # buys without asking: ask first
        limits = await _limits(services, profile, lang)
        await edit_or_send(
            query, fmt.direct_prompt(rule, limits, lang), _direct_keyboard(rule_id, _)
        )
        return
    note: str | None = None
    if action in ("on", "go"):
        if not (await services.trading.status(profile.id)).enabled:
            note = fmt.trading_needed(lang)
        else:
            rule = await store.set_enabled(rule_id, user_id=profile.id, enabled=True)
            note = fmt.changed(rule, "on", lang)
    elif action == "off":
        rule = await store.set_enabled(rule_id, user_id=profile.id, enabled=False)
        note = fmt.changed(rule, "off", lang)
    log.info("telegram.autotrade_rule_changed", rule_id=rule_id, action=action)
    text, keyboard = await _list(services, profile, lang, _, note)
    await edit_or_send(query, text, keyboard or NO_BUTTONS)


async def removal_answered(
    query: CallbackQuery,
    callback_data: RuleRemoval,
    services: BotServices,
    profile: UserProfile | None,
    _: Translator,
    lang: str,
) -> None:
    """[Remove] removes the rule (its pending questions cancelled and edited by the fan-out);
    [Keep] changes nothing. Both show the list again in place of the question. Someone else's
    rule, or one removed meanwhile, is answered plainly and nothing changes."""
    if services.trading is None or profile is None:
        await query.answer(trading_unavailable(lang), show_alert=True)
        return
    store = _store(services)
    rule_id = callback_data.rule_id
    rule, refusal = await _live_rule(store, rule_id, profile.id, lang)
    if rule is None:
        await query.answer(refusal, show_alert=True)
        return
    if not callback_data.remove:
        await query.answer()
        text, keyboard = await _list(services, profile, lang, _, fmt.changed(rule, "kept", lang))
        await edit_or_send(query, text, keyboard or NO_BUTTONS)
        return
    try:
        removed = await store.remove(rule_id, user_id=profile.id)
    except UserInputError:  # removed by another press in between
        await query.answer(fmt.already_removed(rule_id, lang), show_alert=True)
        return
    await query.answer()
    log.info("telegram.autotrade_rule_removed", rule_id=rule_id, cancelled=len(removed.cancelled))
    await _publish_cancelled(services, rule_id, removed.cancelled)
    note = fmt.changed(removed.rule, "removed", lang, cancelled=len(removed.cancelled))
    text, keyboard = await _list(services, profile, lang, _, note)
    await edit_or_send(query, text, keyboard or NO_BUTTONS)


def build_router() -> Router:
    router = Router(name="autotrade")
    router.message.register(autotrade_command, Command("autotrade"))
    router.callback_query.register(autotrade_pressed, AutoTradeAction.filter())
    router.callback_query.register(removal_answered, RuleRemoval.filter())
    return router
