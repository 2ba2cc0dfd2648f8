"""``trading.out`` entries for the chats: a notice about one of the user's orders (a take
profit, stop loss, trailing stop, time exit or DCA leg that executed, failed or was re-armed).

It goes to its user's private chat only, whatever their alert filters (alerts off, quiet hours,
tags: it is about their money) and in channel mode too (never to the channel). A user without a
Telegram chat gets nothing (the entry is acknowledged). Each notice is a new message.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bots.telegram.cards import RenderedCard
from bots.telegram.fanout.delivery import AlertKind, Subject
from bots.telegram.fanout.recipients import Recipient
from bots.telegram.formatters.trading_notices import order_notice
from bots.telegram.i18n import DEFAULT_LANG
from bots.telegram.routers.inplace import NO_BUTTONS
from bots.telegram.routers.intents import token_of
from bots.telegram.services import BotServices
from core.trading.notices import TradeNotice, notice_from_stream_fields


async def user_chat(services: BotServices, user_id: int) -> list[Recipient]:
    """The private chat of the core user ``user_id`` (none without a Telegram account)."""
    profile = await services.users.by_id(user_id)
    if profile is None or profile.telegram_id is None:
        return []
    return [Recipient(profile.telegram_id, profile.language or DEFAULT_LANG)]


class TradeNoticePlanner:
    """Decode a trading notice, find its user's chat, render it in their language."""

    kind = AlertKind.TRADING

    def __init__(self, services: BotServices) -> None:
        self._services = services

    def decode(self, fields: Mapping[str, str]) -> TradeNotice:
        text: dict[str | bytes, str | bytes] = {k: v for k, v in fields.items()}
        return notice_from_stream_fields(text)

    def subject(self, alert: TradeNotice) -> Subject:
        return Subject(AlertKind.TRADING, alert.mint, alert.at)

    async def recipients(self, alert: TradeNotice) -> list[Recipient]:
        return await user_chat(self._services, alert.user_id)

    async def render(
        self, alert: TradeNotice, langs: Collection[str]
    ) -> Mapping[str, RenderedCard]:
        token = await token_of(self._services, alert.mint)
        return {lang: RenderedCard(order_notice(alert, token, lang), NO_BUTTONS) for lang in langs}
