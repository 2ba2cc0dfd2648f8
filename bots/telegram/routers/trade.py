"""Trading in the chat: /trading (status, on, off, import), /wallet (balance, key export),
/buy, /sell, /positions, the Buy buttons of signal cards and the Sell buttons of /positions.

A trade answers with ONE message, edited as the executor reports (quoted → simulated → sent →
confirmed, or ❌ with the reason). Its idempotency key comes from the chat, the message the
button is on (or the command's / amount's message) and the button, so a double tap trades once.
While trading is off (the operator's switch, or the user's), a Buy answers with
``formatters.trade.trading_off`` and nothing is quoted.

Conversations (a custom amount, a key to import, an export confirmation) keep their step in the
dispatcher's FSM storage (memory by default: a restart forgets an unanswered question).
"""

from __future__ import annotations

import asyncio
import html
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import BuyAction
from bots.telegram.formatters import trading as fmt
from bots.telegram.formatters.errors import (
    missing_argument,
    not_a_number,
    not_an_address,
    out_of_range,
    user_input_error,
)
from bots.telegram.formatters.numbers import clip
from bots.telegram.formatters.trade import trading_off
from bots.telegram.i18n import Translator
from bots.telegram.routers.tpsl import tpsl_button
from bots.telegram.services import BotServices
from core.errors import UserInputError
from core.market.snapshot import TokenSnapshots
from core.programs import LAMPORTS_PER_SOL
from core.trading.service import NothingToSell, TradingService
from core.trading.trade_types import Side, TradeOutcome, TradeUpdate
from core.users.service import UserProfile
from core.wallets.csv_json import address_problem

log = structlog.get_logger(__name__)

ALERT_MAX = 200
SELL_SHARES = (25, 50, 100)
EDIT_RETRIES = 3
BUY_USAGE = "/buy <mint> <SOL>"
BUY_EXAMPLE = "/buy 7xKX…pump 0.25"
SELL_USAGE = "/sell <mint> <percent>"
SELL_EXAMPLE = "/sell 7xKX…pump 50"


class TradeSteps(StatesGroup):
    custom_amount = State()
    import_key = State()
    export_confirm = State()


class TradingAction(CallbackData, prefix="tr"):
    """/trading and /wallet buttons: on | no | exp | expgo, for the wallet ``address``."""

    action: str
    address: str


class SellAction(CallbackData, prefix="sl"):
    """/positions: sell ``percent`` of the wallet's ``mint``."""

    mint: str
    percent: int


# ---- the trade message ------------------------------------------------------------------------


class LiveMessage:
    """One bot message edited in place. Steps on the way are best effort (a failed edit is
    logged and skipped: the next one carries everything); the last one is retried after a
    rate limit."""

    def __init__(self, bot: Bot, chat_id: int, message_id: int) -> None:
        self.bot, self.chat_id, self.message_id = bot, chat_id, message_id
        self._shown: str | None = None

    async def show(self, text: str, *, final: bool = False) -> None:
        if text == self._shown:
            return
        for attempt in range(EDIT_RETRIES if final else 1):
            try:
                await self.bot.edit_message_text(
                    text=text, chat_id=self.chat_id, message_id=self.message_id
                )
                self._shown = text
                return
            except TelegramRetryAfter as exc:
                log.info("trade_message_rate_limited", retry_after=exc.retry_after, final=final)
                if final and attempt + 1 < EDIT_RETRIES:
                    await asyncio.sleep(exc.retry_after)
            except TelegramBadRequest as exc:
                log.warning("trade_message_edit_failed", error=exc.message, final=final)
                return

    async def delete(self) -> None:
        try:
            await self.bot.delete_message(self.chat_id, self.message_id)
        except TelegramBadRequest as exc:
            log.info("trade_message_delete_failed", error=exc.message)


async def run_trade(
    bot: Bot,
    trading: TradingService,
    *,
    chat_id: int,
    reply_to: int,
    user_id: int,
    side: Side,
    mint: str,
    amount: int,  # buy: lamports; sell: percent
    key: str,
    lang: str,
) -> TradeOutcome | None:
    """Send the trade message, execute, edit the message as the trade moves."""
    token = await trading.token_info(mint)
    progress = fmt.TradeProgress(
        side,
        token,
        amount_lamports=amount if side is Side.BUY else None,
        percent=amount if side is Side.SELL else None,
    )
    sent = await bot.send_message(
        chat_id,
        fmt.render_trade(progress, lang),
        reply_parameters=ReplyParameters(message_id=reply_to, allow_sending_without_reply=True),
    )
    live = LiveMessage(bot, chat_id, sent.message_id)
    reported = False

    async def on_update(update: TradeUpdate) -> None:
        nonlocal progress, reported
        reported = True
        progress = progress.apply(update)
        await live.show(fmt.render_trade(progress, lang), final=progress.finished)

    try:
        if side is Side.BUY:
            outcome = await trading.buy(user_id, mint, amount, key, on_update)
        else:
            outcome = await trading.sell(user_id, mint, amount, key, on_update)
    except NothingToSell:
        await live.show(fmt.nothing_to_sell(token, lang), final=True)
        return None
    except UserInputError as exc:
        await live.show(user_input_error(exc, lang), final=True)
        return None
    except Exception:  # logged with a reference by the error handler; the message says so
        await live.show(fmt.render_trade(progress, lang) + "\n" + fmt.lost_track(lang), final=True)
        raise
    if outcome.replayed or (outcome.in_progress and not reported):
        await live.delete()  # a second tap that got past the check: the first message reports
        return outcome
    progress = progress.finish(outcome)
    await live.show(fmt.render_trade(progress, lang), final=True)
    return outcome


def trade_key(chat_id: int, message_id: int, button: str) -> str:
    """The idempotency key of a button (or command) on one message of one chat."""
    return f"tg:{chat_id}:{message_id}:{button}"


# ---- helpers ----------------------------------------------------------------------------------


def _alert(html_text: str) -> str:
    return clip(html.unescape(html_text), ALERT_MAX)


async def _enabled(services: BotServices, profile: UserProfile | None) -> TradingService | None:
    """The trading service when trading is on for this user, else None."""
    trading = services.trading
    if trading is None or profile is None:
        return None
    status = await trading.status(profile.id)
    return trading if status.enabled else None


def _setup_command(services: BotServices) -> str | None:
    return "/trading" if services.trading is not None else None


async def _symbol(services: BotServices, mint: str) -> str | None:
    if services.trading is None:
        labels = await TokenSnapshots(engine=services.engine, clock=services.clock).labels([mint])
        return labels[mint].symbol if mint in labels else None
    return (await services.trading.token_info(mint)).symbol


def _confirm_keyboard(address: str, _: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("✅ Turn trading on"), callback_data=TradingAction(action="on", address=address)
    )
    kb.button(text=_("Cancel"), callback_data=TradingAction(action="no", address=address))
    return kb.as_markup()


def _parse_sol(text: str) -> int | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0:
        return None
    lamports = value * LAMPORTS_PER_SOL
    return int(lamports) if lamports == lamports.to_integral_value() else None


def _parse_percent(text: str) -> int | None:
    text = text.strip().rstrip("%")
    return int(text) if text.isdigit() else None


# ---- /trading ---------------------------------------------------------------------------------


async def trading_command(
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
        await message.answer(fmt.trading_unavailable(lang))
        return
    if profile is None:
        return
    arg = (command.args or "").strip().lower()
    if arg in ("", "status"):
        await message.answer(fmt.trading_status(await trading.status(profile.id), lang))
    elif arg == "on":
        wallet = await trading.create_wallet(profile.id)
        status = await trading.status(profile.id)
        if status.enabled:
            await message.answer(fmt.trading_status(status, lang))
            return
        await message.answer(
            fmt.trading_setup(status, lang), reply_markup=_confirm_keyboard(wallet.address, _)
        )
    elif arg == "off":
        await trading.set_trading(profile.id, False)
        await message.answer(fmt.trading_disabled(lang))
    elif arg == "import":
        await state.set_state(TradeSteps.import_key)
        await message.answer(fmt.import_prompt(lang))
    else:
        await message.answer(out_of_range("/trading", arg, "on, off, import", lang))


async def key_received(
    message: Message,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    _: Translator,
    lang: str,
) -> None:
    """The secret key of /trading import: deleted from the chat first, then imported."""
    await state.clear()
    secret = message.text or ""
    try:
        await bot.delete_message(message.chat.id, message.message_id)
        deleted = True
    except TelegramBadRequest as exc:
        log.warning("trading_key_message_not_deleted", error=exc.message)
        deleted = False
    notice = fmt.key_deleted_notice(deleted, lang)
    trading = services.trading
    if trading is None or profile is None:
        await message.answer(notice)
        return
    try:
        wallet = await trading.import_wallet(profile.id, secret)
    except UserInputError as exc:
        await message.answer(notice + "\n" + user_input_error(exc, lang))
        return
    status = await trading.status(profile.id)
    await message.answer(
        notice + "\n" + fmt.trading_setup(status, lang, imported=True),
        reply_markup=_confirm_keyboard(wallet.address, _),
    )


async def trading_pressed(
    query: CallbackQuery,
    callback_data: TradingAction,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    _: Translator,
    lang: str,
) -> None:
    trading = services.trading
    message = query.message if isinstance(query.message, Message) else None
    if trading is None or profile is None or message is None:
        await query.answer(_alert(fmt.trading_unavailable(lang)), show_alert=True)
        return
    action = callback_data.action
    if action == "on":
        await trading.set_trading(profile.id, True, expect_address=callback_data.address)
        await query.answer()
        wallet = (await trading.status(profile.id)).wallet
        assert wallet is not None
        await message.edit_text(fmt.trading_enabled(wallet, lang))
    elif action == "no":
        await query.answer()
        await message.edit_text(fmt.trading_disabled(lang))
    elif action == "exp":
        status = await trading.status(profile.id)
        await query.answer()
        if status.wallet is None or status.wallet.address != callback_data.address:
            await message.answer(fmt.no_wallet(lang))
            return
        kb = InlineKeyboardBuilder()
        kb.button(
            text=_("Show the key"),
            callback_data=TradingAction(action="expgo", address=status.wallet.address),
        )
        kb.button(text=_("Cancel"), callback_data=TradingAction(action="no", address=""))
        await message.answer(fmt.export_warning(status.wallet, lang), reply_markup=kb.as_markup())
    elif action == "expgo":
        await query.answer()
        wallet = (await trading.status(profile.id)).wallet
        if wallet is None or wallet.address != callback_data.address:
            await message.edit_text(fmt.no_wallet(lang))
            return
        await state.set_state(TradeSteps.export_confirm)
        await state.update_data(address=wallet.address)
        await message.edit_text(fmt.export_type_prompt(trading.export_phrase(wallet), lang))
    else:
        await query.answer()


# ---- /wallet ----------------------------------------------------------------------------------


async def wallet_command(
    message: Message, services: BotServices, profile: UserProfile | None, _: Translator, lang: str
) -> None:
    trading = services.trading
    if trading is None:
        await message.answer(fmt.trading_unavailable(lang))
        return
    if profile is None:
        return
    view = await trading.wallet(profile.id)
    if view is None:
        await message.answer(fmt.no_wallet(lang))
        return
    status = await trading.status(profile.id)
    keyboard = None
    if view.exportable:
        kb = InlineKeyboardBuilder()
        kb.button(
            text=_("Export key"),
            callback_data=TradingAction(action="exp", address=view.wallet.address),
        )
        keyboard = kb.as_markup()
    await message.answer(fmt.wallet_view(view, status.enabled, lang), reply_markup=keyboard)


async def export_confirmation_received(
    message: Message,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    lang: str,
) -> None:
    data = await state.get_data()
    await state.clear()
    trading = services.trading
    if trading is None or profile is None:
        return
    wallet = (await trading.status(profile.id)).wallet
    if wallet is None or wallet.address != data.get("address"):
        await message.answer(fmt.no_wallet(lang))
        return
    phrase = trading.export_phrase(wallet)
    try:
        secret = await trading.export_key(profile.id, message.text or "")
    except UserInputError:
        await message.answer(fmt.export_refused(phrase, lang))
        return
    await message.answer(fmt.exported_key(wallet, secret, lang))


# ---- buying -----------------------------------------------------------------------------------


async def buy_pressed(
    query: CallbackQuery,
    callback_data: BuyAction,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    lang: str,
) -> None:
    mint, lamports = callback_data.mint, callback_data.lamports
    trading = await _enabled(services, profile)
    message = query.message
    if trading is None or profile is None or message is None:
        amount_sol = lamports / LAMPORTS_PER_SOL if lamports > 0 else None
        text = trading_off(
            amount_sol,
            await _symbol(services, mint),
            mint,
            lang,
            setup_command=_setup_command(services),
        )
        await query.answer(_alert(text), show_alert=True)
        return
    chat_id = message.chat.id
    if lamports <= 0:
        await query.answer()
        await state.set_state(TradeSteps.custom_amount)
        await state.update_data(mint=mint)
        status = await trading.status(profile.id)
        token = await trading.token_info(mint)
        await bot.send_message(chat_id, fmt.custom_amount_prompt(token, status.policy, lang))
        return
    key = trade_key(chat_id, message.message_id, f"b{lamports}")
    if await trading.trade_of(key) is not None:
        await query.answer(_alert(fmt.already_pressed(lang)), show_alert=True)
        return
    await query.answer()
    await run_trade(
        bot,
        trading,
        chat_id=chat_id,
        reply_to=message.message_id,
        user_id=profile.id,
        side=Side.BUY,
        mint=mint,
        amount=lamports,
        key=key,
        lang=lang,
    )


async def amount_received(
    message: Message,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    state: FSMContext,
    lang: str,
) -> None:
    data: dict[str, Any] = await state.get_data()
    await state.clear()
    mint = str(data.get("mint") or "")
    text = message.text or ""
    lamports = _parse_sol(text)
    if lamports is None:
        await message.answer(not_a_number(text, "SOL", lang, example="0.25"))
        return
    await _buy(message, bot, services, profile, mint, lamports, lang)


async def buy_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    lang: str,
) -> None:
    args = (command.args or "").split()
    if len(args) < 2:
        await message.answer(missing_argument(BUY_USAGE, lang))
        return
    mint, amount = args[0], args[1]
    if address_problem(mint) is not None:
        await message.answer(not_an_address(mint, lang, example=BUY_EXAMPLE))
        return
    lamports = _parse_sol(amount)
    if lamports is None:
        await message.answer(not_a_number(amount, "SOL", lang, example=BUY_EXAMPLE))
        return
    await _buy(message, bot, services, profile, mint, lamports, lang)


async def _buy(
    message: Message,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    mint: str,
    lamports: int,
    lang: str,
) -> None:
    await _trade_from_message(message, bot, services, profile, Side.BUY, mint, lamports, lang)


async def _trade_from_message(
    message: Message,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    side: Side,
    mint: str,
    amount: int,
    lang: str,
) -> None:
    """Run a trade asked for by ``message`` (lamports to buy, or percent to sell), keyed by that
    message; or say why trading is off for this user."""
    trading = await _enabled(services, profile)
    if trading is None or profile is None:
        symbol = await _symbol(services, mint)
        sol = amount / LAMPORTS_PER_SOL if side is Side.BUY else None
        await message.answer(
            trading_off(sol, symbol, mint, lang, setup_command=_setup_command(services))
        )
        return
    chat_id = message.chat.id
    await run_trade(
        bot,
        trading,
        chat_id=chat_id,
        reply_to=message.message_id,
        user_id=profile.id,
        side=side,
        mint=mint,
        amount=amount,
        key=trade_key(chat_id, message.message_id, side.value),
        lang=lang,
    )


# ---- selling and positions --------------------------------------------------------------------


async def sell_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    lang: str,
) -> None:
    args = (command.args or "").split()
    if len(args) < 2:
        await message.answer(missing_argument(SELL_USAGE, lang))
        return
    mint, share = args[0], args[1]
    if address_problem(mint) is not None:
        await message.answer(not_an_address(mint, lang, example=SELL_EXAMPLE))
        return
    percent = _parse_percent(share)
    if percent is None or not 1 <= percent <= 100:
        await message.answer(out_of_range("percent", share, "1–100", lang))
        return
    await _trade_from_message(message, bot, services, profile, Side.SELL, mint, percent, lang)


async def positions_command(
    message: Message, services: BotServices, profile: UserProfile | None, _: Translator, lang: str
) -> None:
    trading = services.trading
    if trading is None:
        await message.answer(fmt.trading_unavailable(lang))
        return
    if profile is None:
        return
    values = await trading.positions(profile.id)
    kb = InlineKeyboardBuilder()
    for n, value in enumerate(values, start=1):
        for share in SELL_SHARES:
            kb.button(
                text=_("#{n} Sell {percent}%").format(n=n, percent=share),
                callback_data=SellAction(mint=value.position.mint, percent=share),
            )
        label, data = tpsl_button(n, value.position.id, _)
        kb.button(text=label, callback_data=data)
    kb.adjust(len(SELL_SHARES) + 1)
    keyboard = kb.as_markup() if values else None
    await message.answer(fmt.positions_list(values, lang), reply_markup=keyboard)


async def sell_pressed(
    query: CallbackQuery,
    callback_data: SellAction,
    bot: Bot,
    services: BotServices,
    profile: UserProfile | None,
    lang: str,
) -> None:
    mint, percent = callback_data.mint, callback_data.percent
    trading = await _enabled(services, profile)
    message = query.message
    if trading is None or profile is None or message is None:
        text = trading_off(
            None,
            await _symbol(services, mint),
            mint,
            lang,
            setup_command=_setup_command(services),
        )
        await query.answer(_alert(text), show_alert=True)
        return
    chat_id = message.chat.id
    key = trade_key(chat_id, message.message_id, f"s{percent}:{mint}")
    if await trading.trade_of(key) is not None:
        await query.answer(_alert(fmt.already_pressed(lang)), show_alert=True)
        return
    await query.answer()
    await run_trade(
        bot,
        trading,
        chat_id=chat_id,
        reply_to=message.message_id,
        user_id=profile.id,
        side=Side.SELL,
        mint=mint,
        amount=percent,
        key=key,
        lang=lang,
    )


def build_router() -> Router:
    router = Router(name="trade")
    text = F.text & ~F.text.startswith("/")
    router.message.register(key_received, StateFilter(TradeSteps.import_key), text)
    router.message.register(amount_received, StateFilter(TradeSteps.custom_amount), text)
    router.message.register(
        export_confirmation_received, StateFilter(TradeSteps.export_confirm), text
    )
    router.message.register(trading_command, Command("trading"))
    router.message.register(wallet_command, Command("wallet"))
    router.message.register(buy_command, Command("buy"))
    router.message.register(sell_command, Command("sell"))
    router.message.register(positions_command, Command("positions"))
    router.callback_query.register(buy_pressed, BuyAction.filter())
    router.callback_query.register(sell_pressed, SellAction.filter())
    router.callback_query.register(trading_pressed, TradingAction.filter())
    return router
