"""A signal's card as the bot sends it: HTML text, inline keyboard, optional sparkline image.

Used by /signal, /signals and the alert fan-out, so an alert and a command show the same card.
``render_card`` is the one entry point; its signature is the contract with the fan-out.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import ActivityView, BuyAction, CardAction
from bots.telegram.formatters.card import CardView, signal_card
from bots.telegram.i18n import translator
from bots.telegram.services import BotServices
from core.signals.signal import Signal

LAMPORTS_PER_SOL = 1_000_000_000
BUY_SIZES_LAMPORTS = (100_000_000, 500_000_000, 1_000_000_000)


@dataclass(frozen=True, slots=True)
class RenderedCard:
    text: str  # HTML, <= 4096 characters (or <= 1024 as a caption when ``photo`` is set)
    keyboard: InlineKeyboardMarkup
    photo: bytes | None = None  # PNG sparkline; None: send as a text message


def card_keyboard(signal: Signal, lang: str) -> InlineKeyboardMarkup:
    _ = translator(lang)
    kb = InlineKeyboardBuilder()
    for lamports in BUY_SIZES_LAMPORTS:
        kb.button(
            text=_("Buy {sol}").format(sol=f"{lamports / LAMPORTS_PER_SOL:g}"),
            callback_data=BuyAction(mint=signal.mint, lamports=lamports),
        )
    kb.button(text=_("Buy …"), callback_data=BuyAction(mint=signal.mint, lamports=0))
    kb.button(
        text=_("Why {strength}x?").format(strength=f"{signal.strength:.1f}"),
        callback_data=CardAction(action="why", mint=signal.mint),
    )
    kb.button(
        text=_("Smart activity"),
        callback_data=ActivityView(mint=signal.mint, tag="", window_s=600, page=0),
    )
    kb.button(text=_("Watch"), callback_data=CardAction(action="watch", mint=signal.mint))
    kb.adjust(4, 3)
    return kb.as_markup()


async def render_card(services: BotServices, signal: Signal, lang: str) -> RenderedCard:
    """The card of ``signal`` in ``lang`` at the services' clock."""
    view = CardView(signal=signal)
    text = signal_card(view, lang, services.clock())
    return RenderedCard(text=text, keyboard=card_keyboard(signal, lang))
