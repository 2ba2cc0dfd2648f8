"""The one error handler: a user's mistake is answered with its reason; anything else is logged
with its trace and a reference, and the user is told plainly that nothing changed."""

from __future__ import annotations

import secrets

import structlog
from aiogram import Router
from aiogram.types import ErrorEvent

from bots.telegram import metrics
from bots.telegram.filters import AdminRefused
from bots.telegram.formatters.errors import internal_error, user_input_error
from bots.telegram.i18n import normalize_lang
from core.errors import UserInputError

log = structlog.get_logger(__name__)


async def _answer(event: ErrorEvent, text: str) -> None:
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer()
        if update.callback_query.message is not None:
            await update.callback_query.message.answer(text)
    elif update.message is not None:
        await update.message.answer(text)


def _lang(event: ErrorEvent) -> str:
    update = event.update
    user = (
        update.message.from_user
        if update.message is not None
        else update.callback_query.from_user
        if update.callback_query is not None
        else None
    )
    return normalize_lang(user.language_code if user is not None else None)


async def on_error(event: ErrorEvent, lang: str | None = None) -> bool:
    lang = lang or _lang(event)
    exc = event.exception
    if isinstance(exc, AdminRefused):  # already answered by the filter
        return True
    if isinstance(exc, UserInputError):
        metrics.HANDLER_ERRORS.labels(kind="user_input").inc()
        await _answer(event, user_input_error(exc, lang))
        return True
    reference = secrets.token_hex(4)
    metrics.HANDLER_ERRORS.labels(kind="internal").inc()
    log.error(
        "telegram.handler_failed",
        reference=reference,
        update_id=event.update.update_id,
        exc_info=exc,
    )
    try:
        await _answer(event, internal_error(reference, lang))
    except Exception:  # the answer itself failed (e.g. Telegram down): the log has it
        log.warning("telegram.error_answer_failed", reference=reference)
    return True


def build_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
