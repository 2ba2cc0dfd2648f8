"""Send the outbox's deliveries within Telegram's limits, and say how each one ended.

One dispatcher takes the next lane that may go, asks the ``Pacer`` for its slot (about 30
messages/s overall, 1/s per chat), and starts the request (at most ``max_in_flight`` Bot API
requests awaiting their answer at once; recording an answered delivery holds no slot). A chat has
one delivery in flight at a time, and its next one waits the per-chat interval after the previous
answer, so transit jitter cannot bring two of its messages closer than that. A 429 pauses
everything for ``retry_after`` seconds, as Telegram asks, and the delivery goes again; network
errors and 5xx are retried with a doubling backoff; final errors, and transient ones that outlast
``max_attempts``, end in the dead letter. The caller's ``on_done`` records each finished delivery
(sent, edited or dead) before its chat's next delivery may go.

A re-score edits the chat's earlier card of the mint (``editMessageText``, or
``editMessageCaption`` when the card is a photo) with the new keyboard; which message that is was
looked up when the delivery was planned (``messages.CardStates``); "message is not modified"
counts as delivered; an earlier card that is gone (deleted, too old) gets a new one. Requests are
serialised once per card (``requests.CardRequests``).

Time a ready delivery spent while every slot awaited an answer is noted on it (``slot_wait_s``).
It is not all the Bot API's time: while the slots are taken this process may be busy too
(reading answers, recording them); the benchmark splits own time by whether our event loop ran
or sat idle awaiting answers.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import Message

from bots.telegram.fanout import metrics
from bots.telegram.fanout.delivery import DeadReason, Delivery, Outcome, Result
from bots.telegram.fanout.errors import (
    Action,
    Failure,
    classify,
    edit_not_modified,
    edit_target_gone,
)
from bots.telegram.fanout.intervals import Intervals
from bots.telegram.fanout.messages import CardRef
from bots.telegram.fanout.outbox import Outbox
from bots.telegram.fanout.requests import CardRequests
from core.alerts.pacing import Pacer
from core.errors import UpstreamError

log = structlog.get_logger(__name__)

CAPTION_MAX = 1024
# Pacer.next_slot of a chat that never sends: when the next message may go at all (the global
# bucket and any retry_after). 0 is no Telegram chat id.
_ANY_CHAT = 0
_PAUSES_KEPT = 256

# aiogram parses every answer as ``Response[<method's return type>]``; pydantic keeps those
# parametrized classes in a weak cache, so after a garbage collection each one is rebuilt (about
# 15 ms of CPU, measured). Holding them here keeps them cached for the process.
_RESPONSE_TYPES = (Response[Message], Response[Message | bool])

_CURRENT: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar(
    "telegram_fanout_delivery", default=None
)

OnDone = Callable[[Delivery, Result], Awaitable[None]]


async def stamp_requests(make_request: Any, bot: Bot, method: TelegramMethod[Any]) -> Any:
    """aiogram request middleware: note when a delivery's request leaves (for latency)."""
    delivery = _CURRENT.get()
    if delivery is not None:
        delivery.request_s = time.time()
    return await make_request(bot, method)


def _stamp_request() -> None:
    delivery = _CURRENT.get()
    if delivery is not None:
        delivery.request_s = time.time()


def install_request_stamp(bot: Bot) -> None:
    """Once per Bot: the fan-out's requests carry the time they left (``request_s``)."""
    if stamp_requests not in bot.session.middleware:
        bot.session.middleware(stamp_requests)


class Sender:
    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        pacer: Pacer,
        on_done: OnDone,
        *,
        max_in_flight: int,
        max_attempts: int,
        max_rate_limited: int,
        backoff_base_s: float,
        backoff_max_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._outbox = outbox
        self._pacer = pacer
        self._on_done = on_done
        self._slots = asyncio.Semaphore(max_in_flight)
        self._max_attempts = max_attempts
        self._max_rate_limited = max_rate_limited
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._now = monotonic
        self._chat_gap_s = 1.0 / pacer.per_chat_per_s
        self._tasks: set[asyncio.Task[None]] = set()  # deliveries being sent or recorded
        self._holding: set[asyncio.Task[None]] = set()  # ... of which awaiting the Bot API
        self._stopping = asyncio.Event()
        self._pauses = Intervals(_PAUSES_KEPT)  # global rate, retry_after (monotonic)
        self._blocked = Intervals(_PAUSES_KEPT)  # no slot free (monotonic)
        self._iterations = metrics.LOOP_ITERATIONS.labels("sender")
        install_request_stamp(bot)
        self.requests = CardRequests(bot, _stamp_request)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    # ---- the dispatcher -----------------------------------------------------------------

    async def run(self) -> None:
        """Dispatch until ``stop``; requests in flight then finish on their own."""
        while not self._stopping.is_set():
            if self._slots.locked():  # every slot awaits an answer: note how long
                blocked_from = self._now()
                await self._slots.acquire()
                self._blocked.add(blocked_from, self._now())
            else:
                await self._slots.acquire()
            try:
                delivery = await self._next()
            except BaseException:
                self._slots.release()
                raise
            if delivery is None:
                self._slots.release()
                return
            self._iterations.inc()
            task = asyncio.create_task(self._run_one(delivery), name="telegram-alert-send")
            self._tasks.add(task)
            self._holding.add(task)
            metrics.IN_FLIGHT.set(len(self._holding))
            task.add_done_callback(self._forget)

    async def stop(self, drain_timeout_s: float) -> None:
        """No new requests; wait up to ``drain_timeout_s`` for those in flight."""
        self._stopping.set()
        self._outbox.changed.set()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=drain_timeout_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
                log.warning("telegram.fanout_drain_timeout", cancelled=len(pending))
        await self.requests.aclose()

    def _release(self, task: asyncio.Task[Any] | None) -> None:
        """The task's Bot API call is over: its slot is free (recording it needs none)."""
        if task in self._holding:
            self._holding.discard(task)
            metrics.IN_FLIGHT.set(len(self._holding))
            self._slots.release()

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._release(task)
        if not task.cancelled() and task.exception() is not None:
            metrics.LOOP_ERRORS.labels("sender").inc()
            log.error("telegram.alert_send_crashed", exc_info=task.exception())

    async def _next(self) -> Delivery | None:
        """The next delivery that may go now (its pacing slot reached), or None on stop."""
        outbox, pacer = self._outbox, self._pacer
        while not self._stopping.is_set():
            outbox.changed.clear()
            now = self._now()
            free_at = pacer.next_slot(_ANY_CHAT, now)
            if free_at > now:  # the global rate or a retry_after: nothing may go
                self._note_pause(now, free_at)
                await self._wait(free_at - now, wake_on_change=False)
                continue
            head = outbox.peek()
            if head is None:
                await self._wait(None)
                continue
            at, chat = head
            if at > now:
                await self._wait(at - now)
                continue
            delivery = outbox.pop()
            delivery.waited_s += self._pauses.covered(delivery.ready_s, now)
            slot = pacer.next_slot(chat, now)
            if slot > now:  # this chat's own rate
                delivery.waited_s += slot - now
                delivery.ready_s = slot
                outbox.defer(chat, slot)
                continue
            pacer.sent(chat, now)
            # ready while every in-flight slot awaited an answer
            delivery.slot_wait_s += self._blocked.covered(delivery.ready_s, now)
            return outbox.start(chat)
        return None

    async def _wait(self, timeout_s: float | None, *, wake_on_change: bool = True) -> None:
        waiters = [asyncio.ensure_future(self._stopping.wait())]
        if wake_on_change:
            waiters.append(asyncio.ensure_future(self._outbox.changed.wait()))
        try:
            await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def _note_pause(self, start: float, end: float) -> None:
        metrics.PAUSED_SECONDS.inc(end - start)
        self._pauses.add(start, end)

    # ---- one delivery ---------------------------------------------------------------------

    async def _run_one(self, delivery: Delivery) -> None:
        _CURRENT.set(delivery)
        delivery.started_s = time.time()
        try:
            result = await self._attempt(delivery)
        except Exception as exc:
            self._release(asyncio.current_task())
            failure = classify(exc)
            if failure is None:  # Redis (card lookup) or our own bug: retried, then dead
                failure = Failure(
                    Action.RETRY,
                    "redis" if isinstance(exc, UpstreamError) else "internal",
                    f"{type(exc).__name__}: {exc}",
                )
                if not isinstance(exc, UpstreamError):
                    log.error("telegram.alert_send_error", signal=delivery.entry_id, exc_info=exc)
            retried_or_dead = self._after_failure(delivery, failure)
            if retried_or_dead is None:
                return  # back in its lane, goes again later
            result = retried_or_dead
        else:
            self._release(asyncio.current_task())
        try:
            await self._on_done(delivery, result)
        finally:
            now = self._now()
            # The chat's next message leaves one per-chat interval after this one was answered
            # (not merely dispatched): Telegram sees them >= 1 s apart whatever the transit.
            self._outbox.finish(delivery, now, now + self._chat_gap_s)

    def _after_failure(self, delivery: Delivery, failure: Failure) -> Result | None:
        """Schedule the delivery again (None), or the dead-letter result."""
        now = self._now()
        log_fields = {
            "signal": delivery.entry_id,
            "mint": delivery.subject.mint,
            "chat": delivery.chat_id,
            "reason": failure.reason,
            "description": failure.description[:200],
        }
        if failure.action is Action.DEAD:
            return Result(
                Outcome.DEAD, reason=failure.dead_reason, description=failure.description
            )
        if failure.action is Action.WAIT:
            metrics.RATE_LIMITED.inc()
            delivery.rate_limited += 1
            self._pacer.retry_after(failure.retry_after_s, now)
            log.warning("telegram.rate_limited", retry_after_s=failure.retry_after_s, **log_fields)
            if delivery.rate_limited > self._max_rate_limited:
                return Result(
                    Outcome.DEAD,
                    reason=DeadReason.RETRIES_EXHAUSTED,
                    description=f"{delivery.rate_limited} x 429: {failure.description}",
                )
            metrics.FAILED.labels(failure.reason).inc()
            # the global pause (counted by the dispatcher) covers this delivery's wait
            self._outbox.retry(delivery, now)
            return None
        delivery.attempts += 1
        if delivery.attempts >= self._max_attempts:
            return Result(
                Outcome.DEAD,
                reason=DeadReason.RETRIES_EXHAUSTED,
                description=f"{delivery.attempts} attempts: {failure.description}",
            )
        metrics.FAILED.labels(failure.reason).inc()
        backoff = min(self._backoff_max_s, self._backoff_base_s * 2 ** (delivery.attempts - 1))
        backoff = max(backoff, self._chat_gap_s)
        delivery.waited_s += backoff
        log.info(
            "telegram.alert_retry", attempt=delivery.attempts, backoff_s=backoff, **log_fields
        )
        self._outbox.retry(delivery, now + backoff)
        return None

    async def _attempt(self, delivery: Delivery) -> Result:
        state = delivery.state
        ref = state.ref if state is not None else None
        if ref is not None:
            edited = await self._edit(delivery, ref)
            if edited is not None:
                return edited
        message_id = await self.requests.send(delivery.card, delivery.chat_id)
        return Result(Outcome.SENT, message_id, delivery.card.is_photo)

    async def _edit(self, delivery: Delivery, ref: CardRef) -> Result | None:
        """Edit the earlier card in place; None when it cannot be (send a new one)."""
        if ref.is_photo and len(delivery.card.card.text) > CAPTION_MAX:
            return None  # a long text card does not fit the photo's caption
        try:
            await self.requests.edit(
                delivery.card, delivery.chat_id, ref.message_id, caption=ref.is_photo
            )
        except TelegramBadRequest as exc:
            if edit_not_modified(exc):
                return Result(Outcome.NOT_MODIFIED, ref.message_id, ref.is_photo)
            if edit_target_gone(exc):
                metrics.MESSAGE_GONE.inc()
                log.info(
                    "telegram.card_gone",
                    chat=delivery.chat_id,
                    mint=delivery.subject.mint,
                    message_id=ref.message_id,
                )
                return None
            raise
        return Result(Outcome.EDITED, ref.message_id, ref.is_photo)
