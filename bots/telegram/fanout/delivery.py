"""One delivery: one alert's message to one chat, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bots.telegram.fanout.messages import CardState
    from bots.telegram.fanout.requests import PreparedCard


class AlertKind(StrEnum):
    SIGNAL = "signal"  # a signal card (signals.out); a re-score edits the chat's card in place
    ACTIVITY = "activity"  # a Smart Activity alert (activity.out); always a new message
    TRADING = "trading"  # an order of the user's executed / failed (trading.out); new message
    AUTOTRADE = "autotrade"  # an auto-buy to confirm, then its outcome edits that message


class Outcome(StrEnum):
    SENT = "sent"  # a new message
    EDITED = "edited"  # the chat's card of this mint, edited in place
    NOT_MODIFIED = "not_modified"  # the edit changed nothing (Telegram says so): delivered
    DEAD = "dead"  # written to the dead letter stream


class DeadReason(StrEnum):
    BLOCKED = "blocked"  # 403: the user blocked the bot, left, or was deactivated
    CHAT_NOT_FOUND = "chat_not_found"  # 400: no such chat (or the bot is not in the channel)
    BAD_REQUEST = "bad_request"  # 400 otherwise: Telegram refuses this message
    TOO_LARGE = "too_large"  # 413
    UNAUTHORIZED = "unauthorized"  # 401: the bot token was revoked
    MIGRATED = "migrated"  # the group became a supergroup (new id in the description)
    RETRIES_EXHAUSTED = "retries_exhausted"  # transient errors (network, 5xx, 429) kept coming
    RENDER_FAILED = "render_failed"  # the message could not be rendered
    UNDECODABLE = "undecodable"  # the stream entry is not an alert


def published_s(entry_id: str) -> float:
    """When Redis added the entry (its id is ``<unix ms>-<seq>``), in unix seconds."""
    return int(entry_id.split("-", 1)[0]) / 1000.0


@dataclass(frozen=True, slots=True)
class Subject:
    """What a delivery is about: for logs, the dead letter, the latency metric and editing."""

    kind: AlertKind
    # "" for a global Smart Activity alert (every mint); "autotrade:<intent id>" for an
    # auto-buy's messages (the key its outcome finds the pending message under)
    mint: str
    at: int  # unix s: the event's time (Signal.at, ActivityAlert.at)
    sequence: int | None = None  # the signal's sequence (signals only)

    @property
    def edits_in_place(self) -> bool:
        """A chat's card of the mint is edited by the mint's next signal; an auto-buy's
        pending message by its outcome."""
        return self.kind in (AlertKind.SIGNAL, AlertKind.AUTOTRADE)


@dataclass(slots=True)
class Delivery:
    entry_id: str  # the stream entry
    subject: Subject
    chat_id: int
    lang: str
    card: PreparedCard
    published_s: float  # unix s, from the entry id
    state: CardState | None = None  # the chat's card of the mint (signals), shared in process
    attempts: int = 0  # transient failures so far
    rate_limited: int = 0  # 429 answers so far
    waited_s: float = 0.0  # pacing, retry_after and backoff waits so far
    ready_s: float = 0.0  # monotonic: since when it has been ready to go (head of its lane)
    planned_s: float = 0.0  # unix s: when it was put in the outbox
    started_s: float | None = None  # unix s: when its last attempt started
    request_s: float | None = None  # unix s: when its last Bot API request left
    slot_wait_s: float = 0.0  # ready, but every in-flight slot was taken (answers awaited)


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    message_id: int | None = None  # the chat's card message (sent or edited)
    is_photo: bool = False
    reason: DeadReason | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What an observer (the benchmark) learns of each finished delivery."""

    entry_id: str
    chat_id: int
    outcome: Outcome
    reason: DeadReason | None
    published_s: float  # unix s
    planned_s: float  # unix s: filtered, rendered and put in the outbox
    started_s: float | None  # unix s: the last attempt started (the request is built)
    request_s: float | None  # unix s: the last request left our process
    done_s: float  # unix s: Telegram answered (or the dead letter was chosen)
    waited_s: float  # pacing / retry_after / backoff
    kind: AlertKind = AlertKind.SIGNAL
    slot_wait_s: float = 0.0  # ready, waiting for a free in-flight slot (answers awaited)

    @property
    def own_s(self) -> float | None:
        """Publication to request, minus the waits Telegram's limits imposed."""
        if self.request_s is None:
            return None
        return self.request_s - self.published_s - self.waited_s
