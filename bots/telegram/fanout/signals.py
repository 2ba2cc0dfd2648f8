"""``signals.out`` entries for the chats: a signal card per user whose settings pass."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping

from bots.telegram.cards import RenderedCard
from bots.telegram.fanout.delivery import AlertKind, Subject
from bots.telegram.fanout.recipients import Audience, Recipient
from core.signals.codec import signal_from_stream_fields
from core.signals.signal import Signal

RenderCards = Callable[[Signal, Collection[str]], Awaitable[Mapping[str, RenderedCard]]]


class SignalPlanner:
    """Decode a signal, pick its users (``Audience``), render its card once per language."""

    kind = AlertKind.SIGNAL

    def __init__(self, audience: Audience, render: RenderCards) -> None:
        self._audience = audience
        self._render = render

    def decode(self, fields: Mapping[str, str]) -> Signal:
        return signal_from_stream_fields(fields)

    def subject(self, alert: Signal) -> Subject:
        return Subject(AlertKind.SIGNAL, alert.mint, alert.at, alert.sequence)

    async def recipients(self, alert: Signal) -> list[Recipient]:
        return await self._audience.recipients(alert)

    async def render(self, alert: Signal, langs: Collection[str]) -> Mapping[str, RenderedCard]:
        return await self._render(alert, langs)
