"""TP/SL on open positions: the [TP/SL] button of /positions and the command forms::

    /tpsl <mint>                    the position's orders (each leg, trigger, state)
    /tpsl <mint> <template|preset>  arm a template (tp 50:30 100:30 sl 25 …, safe, moon, scalp)
    /tpsl <mint> off                cancel the armed orders
    /tpsl #<n> …                    the same on position n of /positions (asks first)

A new template replaces the armed orders (cancelled in the same transaction); an order already
executing is left to finish and the answer says so. The button shows the orders with preset
buttons, "Custom…" (the template is asked for in the next message, an FSM step) and "Remove
all". Arming needs trading on for the user (orders trade from their wallet); cancelling and
showing do not.

A mint the user holds in several wallets (an open position per wallet) is never guessed: the
command changes nothing and lists the positions, a ``TpslChoice`` button each that continues
the typed action on that one. A typed template does not fit in callback data (64 bytes): it
waits in the chat's FSM data (``tpsl_choice``: the command's message id and the text; the
newest choice only), and a button whose template is gone says so and changes nothing.
"""

from __future__ import annotations

import structlog
from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import TpslChoice
from bots.telegram.formatters import tpsl as fmt
from bots.telegram.formatters.errors import not_an_address
from bots.telegram.formatters.trading import trading_unavailable
from bots.telegram.i18n import Translator
from bots.telegram.routers.inplace import edit_or_send, send_new
from bots.telegram.services import BotServices
from core.errors import UserInputError
from core.storage.models import PositionStatus
from core.trading.order_store import OrderStore
from core.trading.orders import OrderState, OrderTemplate
from core.trading.positions import PositionView
from core.trading.service import TradingService
from core.trading.template_text import PRESET_TEXTS, TemplateTextError, parse_template
from core.users.service import UserProfile
from core.wallets.csv_json import address_problem

log = structlog.get_logger(__name__)

OFF = ("off", "cancel", "none")
CHOICE_KEY = "tpsl_choice"  # FSM data: the template typed with the newest ambiguous /tpsl


class TpslAction(CallbackData, prefix="tp"):
    """TP/SL buttons of one position: show | set (``preset``) | custom | off."""

    action: str
    position_id: int
    preset: str = ""


class TpslSteps(StatesGroup):
    template = State()


class NoPosition(UserInputError):
    """No open position of the user's in that mint (or with that id)."""


def tpsl_button(n: int, position_id: int, _: Translator) -> tuple[str, str]:
    """The text and data of a position's [TP/SL] button (for /positions)."""
    return (
        _("#{n} TP/SL").format(n=n),
        TpslAction(action="show", position_id=position_id).pack(),
    )


def _keyboard(position_id: int, _: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for name in PRESET_TEXTS:
        kb.button(
            text=name.capitalize(),
            callback_data=TpslAction(action="set", position_id=position_id, preset=name),
        )
    kb.button(
        text=_("Custom…"), callback_data=TpslAction(action="custom", position_id=position_id)
    )
    kb.button(
        text=_("🗑 Remove all"), callback_data=TpslAction(action="off", position_id=position_id)
    )
    kb.adjust(len(PRESET_TEXTS), 2)
    return kb.as_markup()


def _orders(services: BotServices) -> OrderStore:
    return OrderStore(engine=services.engine, clock=services.clock)


def _number(target: str) -> int | None:
    """``#3`` -> 3 (a /positions number); None when it is not one."""
    digits = target.removeprefix("#")
    return int(digits) if digits.isascii() and digits.isdigit() else None


async def _choices(
    services: BotServices,
    trading: TradingService,
    user_id: int,
    numbered: list[tuple[int, PositionView]],
) -> list[fmt.PositionChoice]:
    active = await trading.wallets.active(user_id)
    store = _orders(services)
    out = []
    for n, view in numbered:
        orders = await store.of_position(view.id)
        out.append(
            fmt.PositionChoice(
                n=n,
                position=view,
                armed=sum(o.state is OrderState.ARMED for o in orders),
                executing=sum(o.state.in_flight for o in orders),
                active_wallet=active is not None and active.address == view.wallet,
            )
        )
    return out


def _choice_keyboard(
    choices: list[fmt.PositionChoice], action: fmt.ChoiceAction, preset: str, ref: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for choice in choices:
        kb.button(
            text=fmt.choice_button(choice),
            callback_data=TpslChoice(
                action=action.value, position_id=choice.position.id, preset=preset, ref=ref
            ),
        )
    kb.adjust(1)
    return kb.as_markup()


async def _position(trading: TradingService, user_id: int, position_id: int) -> PositionView:
    view = await trading.book.get(position_id)
    if view is None or view.user_id != user_id or view.status is not PositionStatus.OPEN:
        raise NoPosition(str(position_id))
    return view


async def _view(
    services: BotServices, trading: TradingService, position: PositionView, lang: str, note: str
) -> str:
    """The position's orders; its wallet named when the user holds the mint in another too."""
    token = await trading.token_info(position.mint)
    orders = await _orders(services).of_position(position.id)
    same_mint = [
        v for v in await trading.book.of_user(position.user_id) if v.mint == position.mint
    ]
    wallet = position.wallet if len(same_mint) > 1 else None
    return fmt.orders_view(token, orders, services.clock(), lang, note=note or None, wallet=wallet)


async def _arm(
    services: BotServices,
    trading: TradingService,
    profile: UserProfile,
    position: PositionView,
    template: OrderTemplate,
    lang: str,
) -> str:
    """Arm ``template`` (replacing the armed orders); the note saying what happened, or why
    nothing did."""
    if not (await trading.status(profile.id)).enabled:
        return fmt.trading_needed(lang)
    store = _orders(services)
    before = await store.of_position(position.id)
    replaced = sum(o.state is OrderState.ARMED for o in before)
    in_flight = sum(o.state.in_flight for o in before)
    armed = await store.attach(position.id, template, user_id=profile.id)
    log.info("telegram.tpsl_armed", position_id=position.id, orders=len(armed), replaced=replaced)
    return fmt.armed_note(len(armed), replaced, in_flight, lang)


async def _cancel(services: BotServices, profile: UserProfile, position_id: int, lang: str) -> str:
    store = _orders(services)
    in_flight = sum(o.state.in_flight for o in await store.of_position(position_id))
    cancelled = await store.cancel_position(position_id, user_id=profile.id)
    log.info("telegram.tpsl_cancelled", position_id=position_id, cancelled=cancelled)
    return fmt.cancelled_note(cancelled, in_flight, lang)


# ---- /tpsl --------------------------------------------------------------------------------------


async def tpsl_command(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    _: Translator,
    lang: str,
) -> None:
    trading = services.trading
    if trading is None:
        await message.answer(trading_unavailable(lang))
        return
    if profile is None:
        return
    target, _sep, rest = (command.args or "").strip().partition(" ")
    rest = rest.strip()
    if not target:
        await message.answer(fmt.usage(lang))
        return
    numbered = list(enumerate(await trading.book.of_user(profile.id), start=1))  # /positions'
    if target.startswith("#"):
        n = _number(target)
        numbered = [(i, v) for i, v in numbered if i == n]
        if not numbered:
            await message.answer(fmt.no_position_number(target.removeprefix("#"), lang))
            return
    elif address_problem(target) is not None:
        await message.answer(not_an_address(target, lang, example=fmt.EXAMPLE))
        return
    else:
        numbered = [(i, v) for i, v in numbered if v.mint == target]
        if not numbered:
            await message.answer(fmt.no_position(target, lang))
            return
    template: OrderTemplate | None = None
    if rest and rest.lower() not in OFF:
        try:
            template = parse_template(rest)
        except TemplateTextError as exc:
            await message.answer(fmt.template_error(exc, lang))
            return
    # Several positions: never guess. A number with an action: the numbers of /positions shift
    # when a position opens or closes meanwhile, so the button names the position to act on.
    if len(numbered) > 1 or (target.startswith("#") and rest):
        await _ask_which(message, services, trading, profile, state, numbered, rest, lang)
        return
    ((_n, position),) = numbered
    note = ""
    if template is not None:
        note = await _arm(services, trading, profile, position, template, lang)
    elif rest:
        note = await _cancel(services, profile, position.id, lang)
    text = await _view(services, trading, position, lang, note)
    await message.answer(text, reply_markup=_keyboard(position.id, _))


async def _ask_which(
    message: Message,
    services: BotServices,
    trading: TradingService,
    profile: UserProfile,
    state: FSMContext,
    numbered: list[tuple[int, PositionView]],
    rest: str,
    lang: str,
) -> None:
    """The mint is open in several wallets: change nothing, list them with a button each."""
    preset = ref = ""
    if not rest:
        action = fmt.ChoiceAction.SHOW
    elif rest.lower() in OFF:
        action = fmt.ChoiceAction.OFF
    elif rest.lower() in PRESET_TEXTS:
        action, preset = fmt.ChoiceAction.PRESET, rest.lower()
    else:
        action, ref = fmt.ChoiceAction.TEMPLATE, str(message.message_id)
        await state.update_data({CHOICE_KEY: {"ref": ref, "template": rest}})
    choices = await _choices(services, trading, profile.id, numbered)
    token = await trading.token_info(numbered[0][1].mint)
    log.info(
        "telegram.tpsl_ambiguous",
        mint=token.mint,
        positions=[c.position.id for c in choices],
        action=action.value,
    )
    await message.answer(
        fmt.choose_position(token, choices, action, lang, template=rest),
        reply_markup=_choice_keyboard(choices, action, preset, ref),
    )


async def choice_pressed(
    query: CallbackQuery,
    callback_data: TpslChoice,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    _: Translator,
    lang: str,
) -> None:
    """A position picked for the action an ambiguous /tpsl asked for; checked again here."""
    trading = services.trading
    if trading is None or profile is None:
        await query.answer(trading_unavailable(lang), show_alert=True)
        return
    await query.answer()
    try:
        position = await _position(trading, profile.id, callback_data.position_id)
    except NoPosition:
        await send_new(query, fmt.position_closed(lang), None)
        return
    try:
        action = fmt.ChoiceAction(callback_data.action)
    except ValueError:
        return
    template: OrderTemplate | None = None
    if action is fmt.ChoiceAction.PRESET and callback_data.preset in PRESET_TEXTS:
        template = parse_template(PRESET_TEXTS[callback_data.preset])
    elif action is fmt.ChoiceAction.TEMPLATE:
        pending = (await state.get_data()).get(CHOICE_KEY) or {}
        if not callback_data.ref or pending.get("ref") != callback_data.ref:
            await send_new(query, fmt.choice_expired(lang), None)
            return
        try:
            template = parse_template(str(pending.get("template") or ""))
        except TemplateTextError as exc:  # checked when stored; kept for a changed parser
            await send_new(query, fmt.template_error(exc, lang), None)
            return
    elif action is fmt.ChoiceAction.PRESET:
        return
    note = ""
    if template is not None:
        note = await _arm(services, trading, profile, position, template, lang)
        if action is fmt.ChoiceAction.TEMPLATE:
            await state.update_data({CHOICE_KEY: None})
    elif action is fmt.ChoiceAction.OFF:
        note = await _cancel(services, profile, position.id, lang)
    text = await _view(services, trading, position, lang, note)
    await edit_or_send(query, text, _keyboard(position.id, _))


async def tpsl_pressed(
    query: CallbackQuery,
    callback_data: TpslAction,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    _: Translator,
    lang: str,
) -> None:
    trading = services.trading
    if trading is None or profile is None:
        await query.answer(trading_unavailable(lang), show_alert=True)
        return
    try:
        position = await _position(trading, profile.id, callback_data.position_id)
    except NoPosition:
        await query.answer()
        await edit_or_send(query, fmt.position_closed(lang), None)
        return
    action = callback_data.action
    await query.answer()
    if action == "custom" and not (await trading.status(profile.id)).enabled:
        await edit_or_send(query, fmt.trading_needed(lang), None)
        return
    if action == "custom":
        await state.set_state(TpslSteps.template)
        await state.update_data(position_id=position.id)
        token = await trading.token_info(position.mint)
        if isinstance(query.message, Message):
            await query.message.answer(fmt.custom_prompt(token, lang))
        return
    note = ""
    if action == "set" and callback_data.preset in PRESET_TEXTS:
        template = parse_template(PRESET_TEXTS[callback_data.preset])
        note = await _arm(services, trading, profile, position, template, lang)
    elif action == "off":
        note = await _cancel(services, profile, position.id, lang)
    text = await _view(services, trading, position, lang, note)
    if action == "show" and isinstance(query.message, Message):
        # from /positions: a new message, the positions list stays as it is
        await query.message.answer(text, reply_markup=_keyboard(position.id, _))
        return
    await edit_or_send(query, text, _keyboard(position.id, _))


async def template_received(
    message: Message,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    _: Translator,
    lang: str,
) -> None:
    """The template typed after "Custom…"."""
    data = await state.get_data()
    await state.clear()
    trading = services.trading
    if trading is None or profile is None:
        return
    try:
        position = await _position(trading, profile.id, int(data.get("position_id") or 0))
    except NoPosition:
        await message.answer(fmt.position_closed(lang))
        return
    try:
        template = parse_template(message.text or "")
    except TemplateTextError as exc:
        await message.answer(fmt.template_error(exc, lang))
        return
    note = await _arm(services, trading, profile, position, template, lang)
    text = await _view(services, trading, position, lang, note)
    await message.answer(text, reply_markup=_keyboard(position.id, _))


def build_router() -> Router:
    router = Router(name="tpsl")
    text = F.text & ~F.text.startswith("/")
    router.message.register(template_received, StateFilter(TpslSteps.template), text)
    router.message.register(tpsl_command, Command("tpsl"))
    router.callback_query.register(tpsl_pressed, TpslAction.filter())
    router.callback_query.register(choice_pressed, TpslChoice.filter())
    return router
