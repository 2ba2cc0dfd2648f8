"""``activity.out`` entries for the chats: a short Smart Activity alert per user whose settings
pass (``recipients.activity_decision``), or to the channel.

The message (``formatters.activity_alert``) names the token by its symbol (``tokens``, one query
per alert) and the wallets by the aliases and tags of the featured and community lists (loaded
with the recipients, refreshed with them). Its first button opens the Smart activity table of the
same mint (every mint for a global alert) and window; a token's alert also has the card's
[Watch]. Each alert is a new message: unlike a signal card it is not edited later.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.telegram.callbacks import ActivityView, CardAction
from bots.telegram.cards import RenderedCard
from bots.telegram.fanout.delivery import AlertKind, Subject
from bots.telegram.fanout.recipients import Audience, Recipient
from bots.telegram.formatters.activity_alert import activity_alert
from bots.telegram.i18n import translator
from bots.telegram.services import BotServices
from core.market.snapshot import TokenSnapshots
from core.signals.activity_alerts import ActivityAlert, activity_alert_from_stream_fields


def activity_alert_keyboard(alert: ActivityAlert, lang: str) -> InlineKeyboardMarkup:
    """[Smart activity] (the /activity table of the alert's mint, or every mint, and window)
    and, for a token, [Watch] (the card's button: its signals reach the user unfiltered).

    The table comes as a new message under a token's alert; a global alert, whose only button
    is [Smart activity], becomes the table (the /activity router edits a message whose buttons
    are all Smart activity buttons)."""
    _ = translator(lang)
    view = ActivityView(mint=alert.mint or "", tag="", window_s=alert.window_s, page=0)
    row = [InlineKeyboardButton(text=_("Smart activity"), callback_data=view.pack())]
    if alert.mint is not None:
        watch = CardAction(action="watch", mint=alert.mint)
        row.append(InlineKeyboardButton(text=_("Watch"), callback_data=watch.pack()))
    return InlineKeyboardMarkup(inline_keyboard=[row])


class ActivityPlanner:
    """Decode a Smart Activity alert, pick its users, render it once per language."""

    kind = AlertKind.ACTIVITY

    def __init__(self, audience: Audience, services: BotServices) -> None:
        self._audience = audience
        self._tokens = TokenSnapshots(engine=services.engine, clock=services.clock)

    def decode(self, fields: Mapping[str, str]) -> ActivityAlert:
        text: dict[str | bytes, str | bytes] = {k: v for k, v in fields.items()}
        return activity_alert_from_stream_fields(text)

    def subject(self, alert: ActivityAlert) -> Subject:
        return Subject(AlertKind.ACTIVITY, alert.mint or "", alert.at)

    async def recipients(self, alert: ActivityAlert) -> list[Recipient]:
        return await self._audience.activity_recipients(alert)

    async def render(
        self, alert: ActivityAlert, langs: Collection[str]
    ) -> Mapping[str, RenderedCard]:
        symbol = None
        if alert.mint is not None:
            label = (await self._tokens.labels([alert.mint])).get(alert.mint)
            symbol = label.symbol if label is not None else None
        wallets = self._audience.wallets
        return {
            lang: RenderedCard(
                activity_alert(alert, lang, symbol=symbol, wallets=wallets),
                activity_alert_keyboard(alert, lang),
            )
            for lang in langs
        }
