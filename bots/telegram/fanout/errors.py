"""What a failed Bot API call means for a delivery: wait, retry, or give up (dead letter).

aiogram's exceptions are sorted here, in one place: ``TelegramRetryAfter`` (429) pauses the
whole sender; network errors, timeouts, 5xx and unreadable answers are retried with backoff;
403, 400, 401, 413 and a group migration are final, each with its dead-letter reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bots.telegram.fanout.delivery import DeadReason


class Action(StrEnum):
    WAIT = "wait"  # 429: everything waits retry_after, then this delivery goes again
    RETRY = "retry"  # transient: this delivery goes again after a backoff
    DEAD = "dead"  # final: dead letter


@dataclass(frozen=True, slots=True)
class Failure:
    action: Action
    reason: str  # a metric label: a DeadReason value for DEAD, else network / server_error…
    description: str
    retry_after_s: float = 0.0

    @property
    def dead_reason(self) -> DeadReason:
        return DeadReason(self.reason)


_CHAT_GONE = ("chat not found", "peer_id_invalid", "user not found", "chat_id is empty")


def classify(exc: BaseException) -> Failure | None:
    """The failure ``exc`` means, or None when it is not a Bot API / transport error."""
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, TelegramRetryAfter):
        return Failure(Action.WAIT, "rate_limited", text, float(exc.retry_after))
    if isinstance(exc, TelegramEntityTooLarge):  # a TelegramNetworkError subclass, but final
        return Failure(Action.DEAD, DeadReason.TOO_LARGE.value, text)
    if isinstance(exc, TelegramNetworkError | asyncio.TimeoutError | ClientDecodeError):
        return Failure(Action.RETRY, "network", text)
    if isinstance(exc, TelegramServerError):
        return Failure(Action.RETRY, "server_error", text)
    if isinstance(exc, TelegramForbiddenError):
        return Failure(Action.DEAD, DeadReason.BLOCKED.value, text)
    if isinstance(exc, TelegramMigrateToChat):
        return Failure(
            Action.DEAD,
            DeadReason.MIGRATED.value,
            f"{text} (new chat id {exc.migrate_to_chat_id})",
        )
    if isinstance(exc, TelegramUnauthorizedError):
        return Failure(Action.DEAD, DeadReason.UNAUTHORIZED.value, text)
    if isinstance(exc, TelegramBadRequest | TelegramNotFound):
        lowered = text.lower()
        if any(marker in lowered for marker in _CHAT_GONE):
            return Failure(Action.DEAD, DeadReason.CHAT_NOT_FOUND.value, text)
        return Failure(Action.DEAD, DeadReason.BAD_REQUEST.value, text)
    if isinstance(exc, TelegramAPIError):  # an unexpected status: try again, then give up
        return Failure(Action.RETRY, "api_error", text)
    return None


_NOT_MODIFIED = "message is not modified"
_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "message not found",
)


def edit_not_modified(exc: TelegramBadRequest) -> bool:
    """The edit would change nothing: the card is already what it should be."""
    return _NOT_MODIFIED in exc.message.lower()


def edit_target_gone(exc: TelegramBadRequest) -> bool:
    """The message to edit is gone (deleted, too old to edit): send a new one."""
    lowered = exc.message.lower()
    return any(marker in lowered for marker in _GONE)
