"""Read an alert stream in a consumer group and turn each entry into deliveries.

One ``AlertReader`` per stream: ``signals.out`` (signal cards) and ``activity.out`` (Smart
Activity alerts), each with its ``Planner`` (what an entry means, who gets it, its message per
language). Several bot processes in a group share the stream (each entry goes to one of them). A
restarted consumer (same name) first re-reads its own pending entries; entries another consumer
left unacknowledged for ``claim_idle_s`` are claimed; this process keeps its own open entries
fresh (``XCLAIM ... JUSTID`` to itself) so a slow but alive consumer is not robbed.

Each entry is filtered per recipient, rendered once for all its languages, and every delivery is
put in the bounded ``Outbox`` (which stops the reading while full). Signal cards look up the
chats' earlier cards of the mint once per entry (``CardStates``), so a re-score edits them. The
entry is acknowledged only when every delivery it produced is sent or dead-lettered and recorded
(``Recorder``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import redis.asyncio as aioredis
import structlog
from prometheus_client import Counter

from bots.telegram.cards import RenderedCard
from bots.telegram.fanout import metrics
from bots.telegram.fanout.deadletter import DeadLetter
from bots.telegram.fanout.delivery import (
    AlertKind,
    DeadReason,
    Delivery,
    DeliveryReport,
    Outcome,
    Result,
    Subject,
    published_s,
)
from bots.telegram.fanout.messages import CardRef, CardState, CardStates, card_key
from bots.telegram.fanout.outbox import Outbox
from bots.telegram.fanout.progress import Progress
from bots.telegram.fanout.recipients import Recipient
from bots.telegram.fanout.recorder import Record, Recorder
from bots.telegram.fanout.requests import PreparedCard
from bots.telegram.fanout.tracker import EntryTracker
from core.bus.streams import StreamConsumer, StreamEntry
from core.errors import DecodeError, UpstreamError

log = structlog.get_logger(__name__)

A = TypeVar("A")
Observer = Callable[[DeliveryReport], None]

_XCLAIM_CHUNK = 500


class Planner(Protocol[A]):
    """What one stream's entries mean for the chats."""

    kind: AlertKind

    def decode(self, fields: Mapping[str, str]) -> A:
        """The entry's alert; raises ``DecodeError`` when it is not one."""
        ...

    def subject(self, alert: A) -> Subject: ...

    async def recipients(self, alert: A) -> list[Recipient]:
        """The chats the alert goes to, each with the language to render it in."""
        ...

    async def render(self, alert: A, langs: Collection[str]) -> Mapping[str, RenderedCard]:
        """The alert's message in each of ``langs`` (raises when it cannot be rendered)."""
        ...


@dataclass(frozen=True, slots=True)
class _Plan:
    """An entry, prepared: what it is about (None: undecodable), who gets it, the messages."""

    subject: Subject | None
    recipients: list[Recipient] = field(default_factory=list)
    cards: Mapping[str, PreparedCard] = field(default_factory=dict)
    undecodable: str = ""


class AlertReader(Generic[A]):
    def __init__(
        self,
        redis: aioredis.Redis,
        streams: StreamConsumer,
        planner: Planner[A],
        outbox: Outbox,
        progress: Progress,
        recorder: Recorder,
        dead: DeadLetter,
        prepare: Callable[[RenderedCard], PreparedCard],
        *,
        card_states: CardStates | None = None,
        claim_idle_s: float,
        read_count: int,
        plan_ahead: int = 8,
        observer: Observer | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._streams = streams
        self._planner = planner
        self._outbox = outbox
        self._progress = progress
        self._recorder = recorder
        self._dead = dead
        self._prepare_card = prepare
        self._card_states = card_states
        self._claim_idle_s = claim_idle_s
        self._read_count = read_count
        self._plan_ahead = plan_ahead
        self._observer = observer
        self._now = monotonic
        self.kind = planner.kind
        self.tracker = EntryTracker()
        # labelled metrics of each finished delivery, looked up once
        self._delivered: dict[Outcome, Counter] = {
            o: metrics.DELIVERED.labels(o.value) for o in Outcome if o is not Outcome.DEAD
        }
        self._by_outcome = {
            o: metrics.DELIVERIES_BY_KIND.labels(self.kind.value, o.value) for o in Outcome
        }

    def _loop(self, name: str) -> str:
        """A loop's metric label: "reader" for signals, "activity_reader" for activity."""
        return name if self.kind is AlertKind.SIGNAL else f"{self.kind.value}_{name}"

    async def prepare(self) -> None:
        """Create the group if absent, at the stream's end: a new deployment alerts on entries
        published from now on, not on the stream's history."""
        await self._streams.ensure_group(start_id="$")

    # ---- the loops --------------------------------------------------------------------------

    async def run(self) -> None:
        """Read, claim and plan until cancelled.

        Entries are prepared (decoded, filtered, rendered) up to ``plan_ahead`` at a time, and
        their deliveries enter the outbox in stream order (a mint's re-score never overtakes
        the alert before it). When the outbox is full, preparing and reading wait."""
        claim_every_s = max(0.05, self._claim_idle_s / 2)
        block_ms = max(10, min(1000, int(claim_every_s * 1000)))
        next_claim_s = 0.0
        failures = 0
        prepared: asyncio.Queue[tuple[StreamEntry, asyncio.Task[_Plan]]] = asyncio.Queue(
            maxsize=self._plan_ahead
        )
        enqueuing = asyncio.create_task(self._enqueue_loop(prepared), name="telegram-enqueue")
        try:
            while True:
                metrics.LOOP_ITERATIONS.labels(self._loop("reader")).inc()
                if enqueuing.done():
                    enqueuing.result()  # raise what stopped it
                try:
                    if self._now() >= next_claim_s:
                        next_claim_s = self._now() + claim_every_s
                        claimed = await self._streams.claim_stale(
                            min_idle_ms=int(self._claim_idle_s * 1000), count=self._read_count
                        )
                        await self._prepare_all(claimed, prepared)
                    entries = await self._streams.read(count=self._read_count, block_ms=block_ms)
                    fresh = [e for e in entries if e.id not in self.tracker]
                    if entries and not fresh:  # own pending entries still being delivered
                        await self.tracker.wait_progress(1.0)
                    await self._prepare_all(fresh, prepared)
                    failures = 0
                except UpstreamError as exc:
                    failures += 1
                    metrics.LOOP_ERRORS.labels(self._loop("reader")).inc()
                    log.warning(
                        "telegram.fanout_read_failed",
                        stream=self._streams.stream,
                        error=str(exc),
                        failures=failures,
                    )
                    await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
        finally:
            enqueuing.cancel()
            pending: list[asyncio.Task[Any]] = [enqueuing]
            while not prepared.empty():
                _entry, task = prepared.get_nowait()
                task.cancel()
                pending.append(task)
            await asyncio.gather(*pending, return_exceptions=True)

    async def keep_claimed(self) -> None:
        """Until cancelled: reset the idle time of this process's open entries, and publish
        the group's pending count."""
        while True:
            await asyncio.sleep(self._claim_idle_s / 3)
            metrics.LOOP_ITERATIONS.labels(self._loop("heartbeat")).inc()
            ids: list[Any] = self.tracker.ids()
            try:
                for start in range(0, len(ids), _XCLAIM_CHUNK):
                    await self._redis.xclaim(
                        self._streams.stream,
                        self._streams.group,
                        self._streams.consumer,
                        0,
                        ids[start : start + _XCLAIM_CHUNK],
                        justid=True,
                    )
                await self._streams.pending_count()
            except (aioredis.RedisError, UpstreamError) as exc:
                metrics.LOOP_ERRORS.labels(self._loop("heartbeat")).inc()
                log.warning(
                    "telegram.fanout_heartbeat_failed", stream=self._streams.stream, error=str(exc)
                )

    # ---- planning ---------------------------------------------------------------------------

    async def _prepare_all(
        self,
        entries: Iterable[StreamEntry],
        prepared: asyncio.Queue[tuple[StreamEntry, asyncio.Task[_Plan]]],
    ) -> None:
        for entry in entries:
            if entry.id in self.tracker:
                continue
            self.tracker.open(entry.id)
            task = asyncio.create_task(self._prepare(entry), name="telegram-prepare")
            await prepared.put((entry, task))  # waits while plan_ahead entries are in hand

    async def _enqueue_loop(
        self, prepared: asyncio.Queue[tuple[StreamEntry, asyncio.Task[_Plan]]]
    ) -> None:
        while True:
            entry, task = await prepared.get()
            try:
                plan = await task
                await self._enqueue(entry, plan)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the entry stays pending: claimed and planned again later
                metrics.LOOP_ERRORS.labels(self._loop("plan")).inc()
                log.error(
                    "telegram.alert_plan_failed",
                    stream=self._streams.stream,
                    entry=entry.id,
                    exc_info=exc,
                )
                self.tracker.drop(entry.id)

    async def _prepare(self, entry: StreamEntry) -> _Plan:
        """Decode, filter and render one entry (several run at once)."""
        planner = self._planner
        try:
            alert = planner.decode(entry.fields)
        except DecodeError as exc:
            return _Plan(None, undecodable=str(exc))
        subject = planner.subject(alert)
        recipients = await planner.recipients(alert)
        if recipients:
            done = await self._progress.done_chats(entry.id)
            if done:
                recipients = [r for r in recipients if r.chat_id not in done]
        if not recipients:
            return _Plan(subject)
        return _Plan(subject, recipients, await self._cards(alert, subject, recipients))

    async def _cards(
        self, alert: A, subject: Subject, recipients: list[Recipient]
    ) -> dict[str, PreparedCard]:
        """The message in every language needed; {} when it cannot be rendered (each of its
        recipients then gets a dead letter)."""
        try:
            rendered = await self._planner.render(alert, {r.lang for r in recipients})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error(
                "telegram.card_render_failed",
                kind=subject.kind.value,
                mint=subject.mint,
                exc_info=exc,
            )
            return {}
        return {lang: self._prepare_card(card) for lang, card in rendered.items()}

    async def _enqueue(self, entry: StreamEntry, plan: _Plan) -> None:
        """Put an entry's deliveries in the outbox (in stream order), or settle it now."""
        subject = plan.subject
        if subject is None:
            metrics.ENTRIES.labels("undecodable").inc()
            await self._dead.record(
                entry_id=entry.id,
                reason=DeadReason.UNDECODABLE,
                description=plan.undecodable,
                mint=entry.fields.get("mint", ""),
                stream=self._streams.stream,
            )
            await self._ack(entry.id)
            return
        if not plan.recipients:
            metrics.ENTRIES.labels("empty").inc()
            await self._ack(entry.id)
            return
        metrics.ENTRIES.labels("planned").inc()
        states: dict[int, CardState] = {}
        if subject.edits_in_place and self._card_states is not None:
            chats = [r.chat_id for r in plan.recipients if r.lang in plan.cards]
            states = dict(
                zip(chats, await self._card_states.hold(chats, subject.mint), strict=True)
            )
        published = published_s(entry.id)
        for recipient in plan.recipients:
            card = plan.cards.get(recipient.lang)
            if card is None:
                await self._render_failed(entry.id, subject, recipient)
                continue
            delivery = Delivery(
                entry.id,
                subject,
                recipient.chat_id,
                recipient.lang,
                card,
                published,
                states.get(recipient.chat_id),
            )
            self.tracker.add(entry.id)
            delivery.planned_s = time.time()
            await self._outbox.put(delivery, self._now())
        if self.tracker.seal(entry.id):
            await self._ack(entry.id)
        log.debug(
            "telegram.alert_planned",
            kind=subject.kind.value,
            entry=entry.id,
            mint=subject.mint,
            chats=len(plan.recipients),
        )

    async def _render_failed(self, entry_id: str, subject: Subject, recipient: Recipient) -> None:
        self.tracker.add(entry_id)
        result = Result(Outcome.DEAD, reason=DeadReason.RENDER_FAILED, description="render")
        await self._finish(entry_id, subject, recipient.chat_id, result, None, None)

    # ---- finishing ------------------------------------------------------------------------

    async def complete(self, delivery: Delivery, result: Result) -> None:
        """The sender's ``on_done``: record the outcome, then acknowledge a complete entry."""
        done_s = time.time()
        delivered = result.outcome is not Outcome.DEAD
        if delivered:
            self._delivered[result.outcome].inc()
            metrics.LATENCY.observe(max(0.0, done_s - delivery.subject.at))
            metrics.WAIT_SECONDS.observe(delivery.waited_s)
        self._by_outcome[result.outcome].inc()
        state = delivery.state
        if delivered and state is not None and result.message_id is not None:
            state.ref, state.known = CardRef(result.message_id, result.is_photo), True
        request_s = delivery.request_s
        if request_s is not None and delivered:  # DeliveryReport.own_s
            own_s = request_s - delivery.published_s - delivery.waited_s
            metrics.OWN_SECONDS.observe(max(0.0, own_s))
        report = None
        if self._observer is not None:  # (a frozen dataclass: built only when observed)
            report = DeliveryReport(
                delivery.entry_id,
                delivery.chat_id,
                result.outcome,
                result.reason,
                delivery.published_s,
                delivery.planned_s,
                delivery.started_s,
                request_s,
                done_s,
                delivery.waited_s,
                self.kind,
                delivery.slot_wait_s,
            )
        await self._finish(
            delivery.entry_id, delivery.subject, delivery.chat_id, result, report, state
        )

    async def _finish(
        self,
        entry_id: str,
        subject: Subject,
        chat_id: int,
        result: Result,
        report: DeliveryReport | None,
        state: CardState | None,
    ) -> None:
        try:
            recorded = await self._record(entry_id, subject, chat_id, result, state)
        finally:
            if state is not None and self._card_states is not None:
                self._card_states.release(state)
        if not recorded:
            metrics.RECORD_FAILED.inc()
            self.tracker.abandon(entry_id)
        if report is not None and self._observer is not None:
            self._observer(report)
        if self.tracker.settle(entry_id):
            await self._ack(entry_id)

    async def _record(
        self,
        entry_id: str,
        subject: Subject,
        chat_id: int,
        result: Result,
        state: CardState | None,
    ) -> bool:
        """Dead letter (if dead), card reference (if any) and progress; False if Redis fails."""
        if result.outcome is Outcome.DEAD:
            assert result.reason is not None
            written = await self._dead.record_retrying(
                entry_id=entry_id,
                reason=result.reason,
                description=result.description,
                chat_id=chat_id,
                mint=subject.mint,
                sequence=subject.sequence,
                stream=self._streams.stream,
            )
            if not written:
                return False
        card = None
        if state is not None and result.outcome is not Outcome.DEAD and state.ref is not None:
            ref = state.ref
            card = (card_key(chat_id, subject.mint), f"{ref.message_id}:{int(ref.is_photo)}")
        return await self._recorder.record(Record(self._progress.key(entry_id), chat_id, card))

    async def _ack(self, entry_id: str) -> None:
        try:
            await self._streams.ack([entry_id])
            metrics.ENTRIES.labels("acked").inc()
            await self._progress.forget([entry_id])
        except UpstreamError as exc:  # stays pending: claimed later, its done chats skipped
            metrics.LOOP_ERRORS.labels(self._loop("ack")).inc()
            log.warning(
                "telegram.fanout_ack_failed",
                stream=self._streams.stream,
                entry=entry_id,
                error=str(exc),
            )
        finally:
            self.tracker.drop(entry_id)
