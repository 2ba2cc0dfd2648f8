"""TP/SL on open positions: the [TP/SL] button of /positions and the command forms::

    /tpsl <mint>                    the position's orders (each leg, trigger, state)
    /tpsl <mint> <template|preset>  arm a template (tp 50:30 100:30 sl 25 …, safe, moon, scalp)
    /tpsl <mint> off                cancel the armed orders

A new template replaces the armed orders (cancelled in the same transaction); an order already
executing is left to finish and the answer says so. The button shows the orders with preset
buttons, "Custom…" (the template is asked for in the next message, an FSM step) and "Remove
all". Arming needs trading on for the user (orders trade from their wallet); cancelling and
showing do not.
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

from bots.telegram.formatters import tpsl as fmt
from bots.telegram.formatters.errors import not_an_address
from bots.telegram.formatters.trading import trading_unavailable
from bots.telegram.i18n import Translator
from bots.telegram.routers.inplace import edit_or_send
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


async def _position_of_mint(trading: TradingService, user_id: int, mint: str) -> PositionView:
    for view in await trading.book.of_user(user_id):
        if view.mint == mint:
            return view
    raise NoPosition(mint)


async def _position(trading: TradingService, user_id: int, position_id: int) -> PositionView:
    view = await trading.book.get(position_id)
    if view is None or view.user_id != user_id or view.status is not PositionStatus.OPEN:
        raise NoPosition(str(position_id))
    return view


async def _view(
    services: BotServices, trading: TradingService, position: PositionView, lang: str, note: str
) -> str:
    token = await trading.token_info(position.mint)
    orders = await _orders(services).of_position(position.id)
    return fmt.orders_view(token, orders, services.clock(), lang, note=note or None)


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
    _: Translator,
    lang: str,
) -> None:
    trading = services.trading
    if trading is None:
        await message.answer(trading_unavailable(lang))
        return
    if profile is None:
        return
    mint, _sep, rest = (command.args or "").strip().partition(" ")
    rest = rest.strip()
    if not mint:
        await message.answer(fmt.usage(lang))
        return
    if address_problem(mint) is not None:
        await message.answer(not_an_address(mint, lang, example=fmt.EXAMPLE))
        return
    try:
        position = await _position_of_mint(trading, profile.id, mint)
    except NoPosition:
        await message.answer(fmt.no_position(mint, lang))
        return
    note = ""
    if rest.lower() in OFF:
        note = await _cancel(services, profile, position.id, lang)
    elif rest:
        try:
            template = parse_template(rest)
        except TemplateTextError as exc:
            await message.answer(fmt.template_error(exc, lang))
            return
        note = await _arm(services, trading, profile, position, template, lang)
    text = await _view(services, trading, position, lang, note)
    await message.answer(text, reply_markup=_keyboard(position.id, _))


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
        await edit_or_send(
            query, _("This position is closed: /positions lists the open ones."), None
        )
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
        await message.answer(_("This position is closed: /positions lists the open ones."))
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
    return router
