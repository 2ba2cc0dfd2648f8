"""``autotrade.out`` entries for the chats: a confirm-mode rule's buy to confirm, with
[✅ Confirm] [✖ Cancel] (``routers.intents`` answers them), then how it ended.

``pending`` sends the question; ``done`` / ``failed`` / ``expired`` / ``cancelled`` edit that
same message in place (its key is ``autotrade:<intent id>``, kept like a signal card's), or are
sent as a new message when there is none (a direct-mode rule never asks). Like trading notices
they go to the intent's user's private chat only, whatever their alert filters, in channel mode
too. The question shows the rule's thresholds and the smart buyers counted (read from the
intent and its rule); an outcome shows the trade's figures (its ``trade_requests`` row).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bots.telegram.cards import RenderedCard
from bots.telegram.fanout.delivery import AlertKind, Subject
from bots.telegram.fanout.recipients import Recipient
from bots.telegram.fanout.trading import user_chat
from bots.telegram.formatters.trading_notices import intent_outcome, intent_prompt
from bots.telegram.i18n import translator
from bots.telegram.routers.inplace import NO_BUTTONS
from bots.telegram.routers.intents import intent_keyboard, token_of
from bots.telegram.services import BotServices
from core.trading.autotrade import IntentState, intent_key
from core.trading.execution import outcome_of
from core.trading.notices import IntentNotice, intent_notice_from_stream_fields
from core.trading.trade_requests import TradeRequestStore

SHOWN = frozenset(
    {
        IntentState.PENDING,
        IntentState.DONE,
        IntentState.FAILED,
        IntentState.EXPIRED,
        IntentState.CANCELLED,
    }
)


def message_key(intent_id: int) -> str:
    """Where the chat's message of an intent is remembered (``Subject.mint``)."""
    return f"autotrade:{intent_id}"


class IntentPlanner:
    """Decode an auto-trade intent, find its user's chat, render the question or outcome."""

    kind = AlertKind.AUTOTRADE

    def __init__(self, services: BotServices) -> None:
        self._services = services
        self._trades = TradeRequestStore(engine=services.engine, clock=services.clock)

    def decode(self, fields: Mapping[str, str]) -> IntentNotice:
        text: dict[str | bytes, str | bytes] = {k: v for k, v in fields.items()}
        return intent_notice_from_stream_fields(text)

    def subject(self, alert: IntentNotice) -> Subject:
        return Subject(
            AlertKind.AUTOTRADE,
            message_key(alert.intent_id),
            int(self._services.clock().timestamp()),
        )

    async def recipients(self, alert: IntentNotice) -> list[Recipient]:
        if alert.state not in SHOWN:  # confirmed / executing are never published
            return []
        return await user_chat(self._services, alert.user_id)

    async def render(
        self, alert: IntentNotice, langs: Collection[str]
    ) -> Mapping[str, RenderedCard]:
        services = self._services
        token = await token_of(services, alert.mint)
        if alert.state is IntentState.PENDING:
            intent = await services.autotrade.get(alert.intent_id)
            rule = await services.autotrade.rule(alert.rule_id)
            count = intent.detail.get("smart_buyers") if intent is not None else None
            smart_buyers = int(count) if isinstance(count, int) else None
            now = services.clock()
            return {
                lang: RenderedCard(
                    intent_prompt(
                        alert, token, lang, now=now, rule=rule, smart_buyers=smart_buyers
                    ),
                    intent_keyboard(alert.intent_id, translator(lang)),
                )
                for lang in langs
            }
        outcome = None
        if alert.state in (IntentState.DONE, IntentState.FAILED):
            record = await self._trades.get(intent_key(alert.rule_id, alert.mint))
            outcome = outcome_of(record) if record is not None else None
        return {
            lang: RenderedCard(intent_outcome(alert, token, lang, outcome=outcome), NO_BUTTONS)
            for lang in langs
        }
