"""/signal <mint>, /signals (top mints now by Strength, paged in place) and the card's buttons:
Why (the Strength explained, as a reply) and Watch (follow / un-follow the token). The Buy
buttons are answered by the trade router (``routers.trade``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import CardAction, SignalsPage
from bots.telegram.cards import render_card, send_card
from bots.telegram.formatters.card import strength_badge
from bots.telegram.formatters.errors import missing_argument, not_an_address
from bots.telegram.formatters.numbers import (
    age,
    ago,
    clip,
    code_address,
    duration,
    esc,
    short_address,
)
from bots.telegram.formatters.why import why_block
from bots.telegram.i18n import Translator
from bots.telegram.routers.inplace import edit_or_send
from bots.telegram.services import BotServices
from core.market.snapshot import TokenLabel, TokenSnapshots
from core.signals.signal import Signal
from core.users.service import UserProfile
from core.users.settings import MAX_WATCHED_MINTS
from core.wallets.csv_json import address_problem

PAGE_SIZE = 10
MAX_PAGES = 10
TOP_WINDOW_S = 3600
SYMBOL_MAX = 12
USAGE = "/signal <mint>"
EXAMPLE = "/signal 7xKX…pump"


class OpenCard(CallbackData, prefix="sig"):
    """A /signals row: send that mint's card."""

    mint: str


def _label(mint: str, labels: dict[str, TokenLabel]) -> str:
    found = labels.get(mint)
    return clip(found.symbol, SYMBOL_MAX) if found and found.symbol else short_address(mint)


def signals_list(
    signals: Sequence[Signal],
    labels: dict[str, TokenLabel],
    *,
    first_rank: int,
    now: datetime,
    _: Translator,
) -> str:
    """ "Top signals · last 1h" and one line per mint: rank, badge, Strength, symbol, mint,
    age (the token's, else the signal's)."""
    window = duration(TOP_WINDOW_S, _)
    if not signals:
        return esc(
            _(
                "No token was scored in the last {window}. Cards also arrive as alerts; "
                "/signal <mint> shows one token."
            ).format(window=window)
        )
    lines = [f"<b>{esc(_('Top signals · last {window}').format(window=window))}</b>"]
    for rank, s in enumerate(signals, start=first_rank):
        found = labels.get(s.mint)
        when = (
            age(found.created_at, now, _)
            if found and found.created_at
            else _("signal {ago}").format(ago=ago(s.at, now, _))
        )
        lines.append(
            f"{rank}. {strength_badge(s.strength)} {s.strength:.1f}x  "
            f"{esc(_label(s.mint, labels))} · {code_address(s.mint)} · {when}"
        )
    lines.append(_("Tap a number for the card."))
    return "\n".join(lines)


def signals_keyboard(
    signals: Sequence[Signal],
    labels: dict[str, TokenLabel],
    *,
    page: int,
    first_rank: int,
    has_next: bool,
    _: Translator,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for rank, s in enumerate(signals, start=first_rank):
        kb.button(text=f"{rank} · {_label(s.mint, labels)}", callback_data=OpenCard(mint=s.mint))
    nav = 0
    if page > 0:
        kb.button(text=_("◀ Prev"), callback_data=SignalsPage(page=page - 1))
        nav += 1
    if has_next:
        kb.button(text=_("Next ▶"), callback_data=SignalsPage(page=page + 1))
        nav += 1
    rows = [2] * ((len(signals) + 1) // 2)
    kb.adjust(*rows, *([nav] if nav else []))
    return kb.as_markup()


async def _page(
    services: BotServices, page: int, _: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    page = min(max(page, 0), MAX_PAGES - 1)
    now = services.clock()
    since = now - timedelta(seconds=TOP_WINDOW_S)
    top = await services.signals.top(since=since, limit=(page + 1) * PAGE_SIZE + 1)
    if page > 0 and len(top) <= page * PAGE_SIZE:  # the list shrank under an old button
        page = max(0, (len(top) - 1) // PAGE_SIZE)
    shown = top[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    has_next = len(top) > (page + 1) * PAGE_SIZE and page + 1 < MAX_PAGES
    labels = await _snapshots(services).labels([s.mint for s in shown])
    first = page * PAGE_SIZE + 1
    text = signals_list(shown, labels, first_rank=first, now=now, _=_)
    keyboard = signals_keyboard(shown, labels, page=page, first_rank=first, has_next=has_next, _=_)
    return text, keyboard


def _snapshots(services: BotServices) -> TokenSnapshots:
    return TokenSnapshots(engine=services.engine, clock=services.clock)


def no_signal_yet(mint: str, _: Translator) -> str:
    return _(
        "{mint} has no signal yet: a token gets one when tracked wallets or momentum move it. "
        "/signals lists the tokens scored in the last hour."
    ).format(mint=code_address(mint, short=False))


async def _send_latest(
    bot: Bot, chat_id: int, services: BotServices, mint: str, lang: str, _: Translator
) -> None:
    signal = await services.signals.latest(mint)
    if signal is None:
        await bot.send_message(chat_id, no_signal_yet(mint, _))
        return
    await send_card(bot, chat_id, await render_card(services, signal, lang))


async def signal_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    services: BotServices,
    _: Translator,
    lang: str,
) -> None:
    args = (command.args or "").split()
    if not args:
        await message.answer(missing_argument(USAGE, lang))
        return
    mint = args[0]
    if address_problem(mint) is not None:
        await message.answer(not_an_address(mint, lang, example=EXAMPLE))
        return
    await _send_latest(bot, message.chat.id, services, mint, lang, _)


async def signals_command(message: Message, services: BotServices, _: Translator) -> None:
    text, keyboard = await _page(services, 0, _)
    await message.answer(text, reply_markup=keyboard)


async def signals_page_pressed(
    query: CallbackQuery, callback_data: SignalsPage, services: BotServices, _: Translator
) -> None:
    text, keyboard = await _page(services, callback_data.page, _)
    await query.answer()
    await edit_or_send(query, text, keyboard)


async def open_card_pressed(
    query: CallbackQuery,
    callback_data: OpenCard,
    bot: Bot,
    services: BotServices,
    _: Translator,
    lang: str,
) -> None:
    await query.answer()
    if query.message is not None:
        await _send_latest(bot, query.message.chat.id, services, callback_data.mint, lang, _)


async def why_pressed(
    query: CallbackQuery,
    callback_data: CardAction,
    bot: Bot,
    services: BotServices,
    _: Translator,
    lang: str,
) -> None:
    signal = await services.signals.latest(callback_data.mint)
    if signal is None:
        await query.answer(_("This token has no signal yet."), show_alert=True)
        return
    await query.answer()
    text = why_block(signal, lang)
    if isinstance(query.message, Message):
        await query.message.reply(text)
    elif query.message is not None:
        await bot.send_message(query.message.chat.id, text)


async def watch_pressed(
    query: CallbackQuery,
    callback_data: CardAction,
    services: BotServices,
    profile: UserProfile | None,
    _: Translator,
) -> None:
    """Follow the token, or stop following it when it is already followed."""
    if profile is None:
        await query.answer()
        return
    mint = callback_data.mint
    labels = await _snapshots(services).labels([mint])
    token = _label(mint, labels)
    watched = profile.settings.watched_mints
    if mint in watched:
        await services.users.update_settings(
            profile.id, watched_mints=tuple(m for m in watched if m != mint)
        )
        await query.answer(_("Stopped watching {token}.").format(token=token))
        return
    if len(watched) >= MAX_WATCHED_MINTS:
        await query.answer(
            _(
                "You already watch {n} tokens, the most allowed. Press Watch on a card you "
                "watch to stop watching it first."
            ).format(n=MAX_WATCHED_MINTS),
            show_alert=True,
        )
        return
    await services.users.update_settings(profile.id, watched_mints=(*watched, mint))
    await query.answer(_("Watching {token}. Press Watch again to stop.").format(token=token))


def build_router() -> Router:
    router = Router(name="signals")
    router.message.register(signal_command, Command("signal"))
    router.message.register(signals_command, Command("signals"))
    router.callback_query.register(signals_page_pressed, SignalsPage.filter())
    router.callback_query.register(open_card_pressed, OpenCard.filter())
    router.callback_query.register(why_pressed, CardAction.filter(F.action == "why"))
    router.callback_query.register(watch_pressed, CardAction.filter(F.action == "watch"))
    return router
