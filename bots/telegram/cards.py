"""A signal's card as the bot sends it: HTML text, inline keyboard, optional sparkline image.

Used by /signal, /signals and the alert fan-out, so an alert and a command show the same card.
``render_card`` (one language, the commands) and ``render_cards`` (the languages of an alert's
recipients: the snapshot and the sparkline are computed once) are the entry points; the latter's
signature is the contract with the fan-out.

The card joins the ``Signal`` (Strength, smart buyers, risk, and the market figures it was scored
on) with the token's market now (``core.market.snapshot``: name, age, price, market cap,
liquidity, curve progress, 5-minute volume, tracked wallets' buys of the last 15 minutes), a short
narrative (``bots.telegram.narrative``) and links (Solscan, Pump.fun while on the curve,
DexScreener) as URL buttons. Lamports become SOL / USD here, for display only; USD uses the
signal's ``sol_usd``. When the last hour has at least two 1-minute candles the card is a photo
(the sparkline) with the card as its caption (<= 1024 characters).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram.callbacks import ActivityView, BuyAction, CardAction
from bots.telegram.formatters.card import CardView, Link, SmartBuy, signal_card
from bots.telegram.i18n import translator
from bots.telegram.narrative import Narrator, facts_for
from bots.telegram.services import BotServices
from bots.telegram.sparkline import sparkline_png
from core.market import amm
from core.market.snapshot import TokenSnapshot, TokenSnapshots
from core.signals.signal import Signal

LAMPORTS_PER_SOL = 1_000_000_000
BUY_SIZES_LAMPORTS = (100_000_000, 500_000_000, 1_000_000_000)
SPARKLINE_MIN_POINTS = 2
PHOTO_NAME = "sparkline.png"

SOLSCAN_URL = "https://solscan.io/token/{mint}"
PUMP_FUN_URL = "https://pump.fun/coin/{mint}"
DEXSCREENER_URL = "https://dexscreener.com/solana/{mint}"

# One Narrator (and its cache) per bot instance, i.e. per database engine.
_NARRATORS: WeakKeyDictionary[AsyncEngine, Narrator] = WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class RenderedCard:
    text: str  # HTML, <= 4096 characters (or <= 1024 as a caption when ``photo`` is set)
    keyboard: InlineKeyboardMarkup
    photo: bytes | None = None  # PNG sparkline; None: send as a text message


def card_links(mint: str, *, on_curve: bool) -> tuple[Link, ...]:
    """Solscan, Pump.fun (only while the token is on the bonding curve), DexScreener."""
    links = [Link("Solscan", SOLSCAN_URL.format(mint=mint))]
    if on_curve:
        links.append(Link("Pump.fun", PUMP_FUN_URL.format(mint=mint)))
    links.append(Link("DexScreener", DEXSCREENER_URL.format(mint=mint)))
    return tuple(links)


def _button(text: str, callback: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=callback.pack())


def card_keyboard(signal: Signal, lang: str, links: tuple[Link, ...] = ()) -> InlineKeyboardMarkup:
    """[Buy 0.1] [Buy 0.5] [Buy 1] [Buy …] / [Why 2.3x?] [Smart activity] [Watch] / links.

    Built as the markup directly (``InlineKeyboardBuilder`` deep-copies every button: ~5 ms a
    keyboard, measured); the rows are the ones ``adjust(4, 3, len(links))`` gave."""
    _ = translator(lang)
    mint = signal.mint
    buys = [
        _button(
            _("Buy {sol}").format(sol=f"{lamports / LAMPORTS_PER_SOL:g}"),
            BuyAction(mint=mint, lamports=lamports),
        )
        for lamports in BUY_SIZES_LAMPORTS
    ]
    buys.append(_button(_("Buy …"), BuyAction(mint=mint, lamports=0)))
    actions = [
        _button(
            _("Why {strength}x?").format(strength=f"{signal.strength:.1f}"),
            CardAction(action="why", mint=mint),
        ),
        _button(_("Smart activity"), ActivityView(mint=mint, tag="", window_s=600, page=0)),
        _button(_("Watch"), CardAction(action="watch", mint=mint)),
    ]
    rows = [buys, actions]
    if links:
        rows.append([InlineKeyboardButton(text=link.label, url=link.url) for link in links])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _positive(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def on_curve(signal: Signal, snapshot: TokenSnapshot) -> bool:
    """Whether the token is on its bonding curve: the tables' answer, else the signal's."""
    if snapshot.on_curve is not None:
        return snapshot.on_curve
    return bool(signal.inputs.get("on_curve", 0))


def card_view(signal: Signal, snapshot: TokenSnapshot, narrative: str | None) -> CardView:
    """The card's figures: the token's market now where the tables know it, else the signal's."""
    inputs = signal.inputs
    sol_usd = _positive(inputs.get("sol_usd"))
    market_cap_usd = None
    if snapshot.market_cap_lamports is not None and sol_usd is not None:
        market_cap_usd = snapshot.market_cap_lamports / LAMPORTS_PER_SOL * sol_usd
    liquidity_usd = _positive(inputs.get("liquidity_usd"))
    if snapshot.liquidity_lamports is not None and sol_usd is not None:
        liquidity_usd = amm.liquidity_usd(snapshot.liquidity_lamports, sol_usd)
    if snapshot.last_trade_at is not None:
        volume_5m_sol: float | None = snapshot.volume_5m_lamports / LAMPORTS_PER_SOL
    else:
        volume_5m_sol = _positive(inputs.get("volume_5m_sol"))
    if snapshot.smart_buys:
        buys = tuple(
            SmartBuy(b.wallet, b.lamports / LAMPORTS_PER_SOL, b.at, b.alias)
            for b in snapshot.smart_buys
        )
    else:
        buys = tuple(SmartBuy(wallet, amount, signal.at) for wallet, amount in signal.smart_buyers)
    return CardView(
        signal=signal,
        symbol=snapshot.symbol,
        name=snapshot.name,
        created_at=snapshot.created_at,
        market_cap_usd=market_cap_usd,
        price_sol=snapshot.price_sol
        if snapshot.price_sol is not None
        else _positive(inputs.get("price_sol")),
        liquidity_usd=liquidity_usd,
        curve_progress_pct=snapshot.curve_progress_pct,
        volume_5m_sol=volume_5m_sol,
        smart_buys=buys,
        narrative=narrative,
    )


def narrator_for(services: BotServices) -> Narrator:
    """The bot's narrator (endpoint from the settings; one cache per bot instance)."""
    found = _NARRATORS.get(services.engine)
    if found is None:
        settings = services.settings
        key = settings.narrative_api_key
        found = Narrator(
            api_url=settings.narrative_api_url,
            api_key=key.get_secret_value() if key is not None else None,
            model=settings.narrative_model,
            timeout_s=settings.narrative_timeout_s,
        )
        _NARRATORS[services.engine] = found
    return found


async def render_cards(
    services: BotServices, signal: Signal, langs: Collection[str]
) -> dict[str, RenderedCard]:
    """The card of ``signal`` in each of ``langs`` at the services' clock: the token's snapshot
    and the sparkline once, the narrative, text and buttons per language."""
    snapshots = TokenSnapshots(engine=services.engine, clock=services.clock)
    snapshot = await snapshots.snapshot(signal.mint)
    links = card_links(signal.mint, on_curve=on_curve(signal, snapshot))
    photo = None
    if len(snapshot.prices) >= SPARKLINE_MIN_POINTS:
        photo = await asyncio.to_thread(sparkline_png, [p.price_sol for p in snapshot.prices])
    narrator = narrator_for(services)
    facts = facts_for(signal, snapshot)
    now = services.clock()
    cards: dict[str, RenderedCard] = {}
    for lang in langs:
        narrative = await narrator.narrative(signal.mint, signal.sequence, facts, lang)
        view = card_view(signal, snapshot, narrative)
        text = signal_card(view, lang, now, as_caption=photo is not None)
        cards[lang] = RenderedCard(text, card_keyboard(signal, lang, links), photo)
    return cards


async def render_card(services: BotServices, signal: Signal, lang: str) -> RenderedCard:
    """The card of ``signal`` in ``lang`` at the services' clock."""
    return (await render_cards(services, signal, (lang,)))[lang]


async def send_card(bot: Bot, chat_id: int | str, card: RenderedCard) -> Message:
    """Send a rendered card: sendPhoto with the card as caption, or sendMessage."""
    if card.photo is not None:
        return await bot.send_photo(
            chat_id,
            BufferedInputFile(card.photo, PHOTO_NAME),
            caption=card.text,
            reply_markup=card.keyboard,
        )
    return await bot.send_message(chat_id, card.text, reply_markup=card.keyboard)
