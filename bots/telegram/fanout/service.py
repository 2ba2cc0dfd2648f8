"""The alert fan-out of one bot process: ``signals.out`` and ``activity.out`` -> per-user
filter -> Telegram; ``trading.out`` (the user's orders) and ``autotrade.out`` (auto-buys to
confirm, and their outcomes) -> their user's private chat, unfiltered.

``FanOut(services, bot, redis, settings).run()`` runs until ``stop()``: one reader per stream
(each its own consumer group on its stream, named ``settings.group``), one sender shared by all
(Telegram's limits are the bot's, whatever the alert), and the heartbeats, as tasks. On stop,
reading ends, requests in flight finish (up to ``drain_timeout_s``) and everything not yet
delivered stays pending in its stream for this consumer's restart (or another consumer's claim).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Collection
from typing import TypeVar

import redis.asyncio as aioredis
import structlog
from aiogram import Bot

from bots.telegram.cards import RenderedCard, render_cards
from bots.telegram.fanout.activity import ActivityPlanner
from bots.telegram.fanout.config import FanoutSettings
from bots.telegram.fanout.consumer import AlertReader, Observer, Planner
from bots.telegram.fanout.deadletter import DEAD_STREAM, DeadLetter
from bots.telegram.fanout.delivery import AlertKind, Delivery, Result
from bots.telegram.fanout.intents import IntentPlanner
from bots.telegram.fanout.messages import CardMessages, CardStates
from bots.telegram.fanout.outbox import Outbox
from bots.telegram.fanout.progress import Progress
from bots.telegram.fanout.recipients import Audience
from bots.telegram.fanout.recorder import Recorder
from bots.telegram.fanout.sender import Sender
from bots.telegram.fanout.signals import SignalPlanner
from bots.telegram.fanout.trading import TradeNoticePlanner
from bots.telegram.services import BotServices
from core.alerts.pacing import Pacer
from core.bus.streams import StreamConsumer
from core.signals.activity_alerts import STREAM as ACTIVITY_STREAM
from core.signals.activity_alerts import ActivityAlert
from core.signals.codec import STREAM
from core.signals.signal import Signal
from core.trading.autotrade import STREAM as AUTOTRADE_STREAM
from core.trading.notices import STREAM as TRADING_STREAM
from core.trading.notices import IntentNotice, TradeNotice

AnyReader = (
    AlertReader[Signal]
    | AlertReader[ActivityAlert]
    | AlertReader[TradeNotice]
    | AlertReader[IntentNotice]
)

log = structlog.get_logger(__name__)
A = TypeVar("A")


class FanOut:
    def __init__(
        self,
        services: BotServices,
        bot: Bot,
        redis: aioredis.Redis,
        settings: FanoutSettings,
        *,
        stream: str = STREAM,
        activity_stream: str | None = ACTIVITY_STREAM,
        trading_stream: str | None = TRADING_STREAM,
        autotrade_stream: str | None = AUTOTRADE_STREAM,
        dead_stream: str = DEAD_STREAM,
        observer: Observer | None = None,
    ) -> None:
        """``activity_stream`` None (or ``settings.activity_alerts`` off): no Smart Activity
        alerts; ``trading_stream`` / ``autotrade_stream`` None: no order notices / auto-buys."""
        self.settings = settings
        self._services = services
        self.audience = Audience(services, ttl_s=settings.recipients_ttl_s)
        per_chat = settings.per_chat_per_s
        if self.audience.channel_mode:  # one chat: a channel's own limit (about 20/min)
            per_chat = min(per_chat, settings.channel_per_min / 60.0)
        self.pacer = Pacer(global_per_s=settings.global_per_s, per_chat_per_s=per_chat)
        self.outbox = Outbox(settings.queue_size)
        self.dead_letter = DeadLetter(redis, stream=dead_stream, maxlen=settings.dead_maxlen)
        recorder = Recorder(redis, ttl_s=settings.message_ttl_s)
        self.sender = Sender(
            bot,
            self.outbox,
            self.pacer,
            self._on_done,
            max_in_flight=settings.max_in_flight,
            max_attempts=settings.max_attempts,
            max_rate_limited=settings.max_rate_limited,
            backoff_base_s=settings.backoff_base_s,
            backoff_max_s=settings.backoff_max_s,
        )
        self._redis = redis
        self._recorder = recorder
        self._observer = observer
        self.streams = StreamConsumer(redis, stream, settings.group, settings.consumer)
        self.reader: AlertReader[Signal] = self._reader(
            self.streams,
            SignalPlanner(self.audience, self._render),
            progress_group=settings.group,
            edits_in_place=True,
        )
        self.activity_reader: AlertReader[ActivityAlert] | None = None
        if activity_stream is not None and settings.activity_alerts:
            self.activity_reader = self._reader(
                self._consumer(activity_stream), ActivityPlanner(self.audience, services)
            )
        self.trading_reader: AlertReader[TradeNotice] | None = None
        if trading_stream is not None:
            self.trading_reader = self._reader(
                self._consumer(trading_stream), TradeNoticePlanner(services)
            )
        self.autotrade_reader: AlertReader[IntentNotice] | None = None
        if autotrade_stream is not None:
            # the outcome edits the question in place (its message id kept like a card's)
            self.autotrade_reader = self._reader(
                self._consumer(autotrade_stream), IntentPlanner(services), edits_in_place=True
            )
        self.ready = asyncio.Event()  # the groups exist and the recipients are loaded
        self._stop = asyncio.Event()

    def _consumer(self, stream: str) -> StreamConsumer:
        return StreamConsumer(self._redis, stream, self.settings.group, self.settings.consumer)

    def _reader(
        self,
        streams: StreamConsumer,
        planner: Planner[A],
        *,
        progress_group: str | None = None,
        edits_in_place: bool = False,
    ) -> AlertReader[A]:
        """A reader of one stream sharing this fan-out's outbox, sender, recorder and dead
        letter; its progress keys are its own (``<group>:<stream>`` unless given)."""
        settings = self.settings
        group = progress_group or f"{settings.group}:{streams.stream}"
        states = None
        if edits_in_place:
            states = CardStates(CardMessages(self._redis, ttl_s=settings.message_ttl_s))
        return AlertReader(
            self._redis,
            streams,
            planner,
            self.outbox,
            Progress(self._redis, group, ttl_s=settings.message_ttl_s),
            self._recorder,
            self.dead_letter,
            self.sender.requests.prepare,
            card_states=states,
            claim_idle_s=settings.claim_idle_s,
            read_count=settings.read_count,
            plan_ahead=settings.plan_ahead,
            observer=self._observer,
        )

    @property
    def readers(self) -> list[AnyReader]:
        out: list[AnyReader] = [self.reader]
        for reader in (self.activity_reader, self.trading_reader, self.autotrade_reader):
            if reader is not None:
                out.append(reader)
        return out

    async def _render(self, signal: Signal, langs: Collection[str]) -> dict[str, RenderedCard]:
        return await render_cards(self._services, signal, langs)

    async def _on_done(self, delivery: Delivery, result: Result) -> None:
        kind = delivery.subject.kind
        if kind is AlertKind.ACTIVITY and self.activity_reader is not None:
            await self.activity_reader.complete(delivery, result)
        elif kind is AlertKind.TRADING and self.trading_reader is not None:
            await self.trading_reader.complete(delivery, result)
        elif kind is AlertKind.AUTOTRADE and self.autotrade_reader is not None:
            await self.autotrade_reader.complete(delivery, result)
        else:
            await self.reader.complete(delivery, result)

    async def run(self) -> None:
        """Deliver alerts until ``stop()`` (or a loop fails, which is raised)."""
        for reader in self.readers:
            await reader.prepare()
        await self.audience.load()
        if self.settings.gc_freeze:
            # What is alive now (modules, settings, the loaded users) lives as long as the
            # process: out of the collector's sight, a full collection scans only what came
            # later (bench: ~330k objects, 130-220 ms pauses holding every alert -> 10-25 ms).
            # Collected first, so no garbage is frozen.
            gc.collect()
            gc.freeze()
        log.info(
            "telegram.fanout_started",
            consumer=self.settings.consumer,
            group=self.settings.group,
            mode="channel" if self.audience.channel_mode else "private",
            activity=self.activity_reader is not None,
        )
        self.ready.set()
        background: list[asyncio.Task[None]] = []
        for reader in self.readers:
            name = f"telegram-fanout-{reader.kind.value}"
            background.append(asyncio.create_task(reader.run(), name=f"{name}-read"))
            background.append(asyncio.create_task(reader.keep_claimed(), name=f"{name}-hb"))
        sending = asyncio.create_task(self.sender.run(), name="telegram-fanout-send")
        stopping = asyncio.create_task(self._stop.wait(), name="telegram-fanout-stop")
        tasks = {*background, sending, stopping}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopping}:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in (*background, stopping):
                task.cancel()
            await asyncio.gather(*background, stopping, return_exceptions=True)
            await self.sender.stop(self.settings.drain_timeout_s)
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            left = self.outbox.clear()
            await self.audience.aclose()
            log.info(
                "telegram.fanout_stopped",
                consumer=self.settings.consumer,
                undelivered_left_pending=left,
                open_entries=sum(len(r.tracker) for r in self.readers),
            )

    def stop(self) -> None:
        """Ask ``run`` to finish (it returns once requests in flight are done)."""
        self._stop.set()
