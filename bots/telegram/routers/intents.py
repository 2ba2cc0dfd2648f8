"""[✅ Confirm] / [✖ Cancel] under an auto-trade rule's pending buy (the fan-out sends it from
``autotrade.out``).

Confirm moves the intent ``pending -> confirmed`` (``AutoTradeStore.confirm``) and the message
says it is being bought; the buy itself is made by the workers' auto-trade loop, which leases
confirmed intents, and its outcome edits the same message. Cancel ends it. Only the intent's
own user may answer; an intent no longer pending (expired, answered) is answered plainly and
nothing changes.
"""

from __future__ import annotations

import dataclasses

import structlog
from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

from bots.telegram.formatters.trading_notices import (
    intent_already,
    intent_confirmed,
    intent_not_yours,
    intent_outcome,
)
from bots.telegram.i18n import Translator
from bots.telegram.routers.inplace import NO_BUTTONS, edit_or_send
from bots.telegram.services import BotServices
from core.errors import UserInputError
from core.trading.autotrade import Intent, IntentState
from core.trading.notices import IntentNotice
from core.trading.service import TokenInfo
from core.users.service import UserProfile

log = structlog.get_logger(__name__)

# Replaces the buttons when a message is edited (and shows none on a new one).


class IntentAnswer(CallbackData, prefix="ai"):
    """The answer to an auto-trade intent: ``confirm`` buys, otherwise it is cancelled."""

    intent_id: int
    confirm: bool


def intent_keyboard(intent_id: int, _: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✅ Confirm"),
                    callback_data=IntentAnswer(intent_id=intent_id, confirm=True).pack(),
                ),
                InlineKeyboardButton(
                    text=_("✖ Cancel"),
                    callback_data=IntentAnswer(intent_id=intent_id, confirm=False).pack(),
                ),
            ]
        ]
    )


async def token_of(services: BotServices, mint: str) -> TokenInfo:
    """Symbol and decimals as stored; decimals from the chain (trading) when not stored.
    (Shared with the fan-out's trading and auto-trade messages.)"""
    token = await services.repository.token(mint)
    symbol = token.symbol if token is not None else None
    decimals = token.decimals if token is not None else None
    if decimals is None and services.trading is not None:
        info = await services.trading.token_info(mint)
        return TokenInfo(mint, symbol or info.symbol, info.decimals)
    return TokenInfo(mint, symbol, decimals)


def notice_of_intent(intent: Intent) -> IntentNotice:
    """The intent as its ``autotrade.out`` entry describes it (for the shared wording)."""
    return IntentNotice(
        state=intent.state,
        intent_id=intent.id,
        rule_id=intent.rule_id,
        rule=str(intent.detail.get("rule", "")),
        user_id=intent.user_id,
        mint=intent.mint,
        buy_lamports=intent.buy_lamports,
        mode=intent.mode,
        strength=intent.strength,
        why=str(intent.detail.get("why", "")),
        reason=intent.reason,
        position_id=intent.position_id,
        expires_at=intent.expires_at,
    )


async def answer_intent(
    query: CallbackQuery,
    callback_data: IntentAnswer,
    services: BotServices,
    profile: UserProfile | None,
    lang: str,
    _: Translator,
) -> None:
    store = services.autotrade
    intent = await store.get(callback_data.intent_id)
    if profile is None or intent is None or intent.user_id != profile.id:
        log.info(
            "telegram.intent_refused",
            intent=callback_data.intent_id,
            user_id=profile.id if profile else None,
        )
        await query.answer(intent_not_yours(lang), show_alert=True)
        return
    try:
        if callback_data.confirm:
            decided = await store.confirm(intent.id, user_id=profile.id)
        else:
            decided = await store.cancel(intent.id, user_id=profile.id)
    except UserInputError:  # no longer pending (expired, or answered in another tap)
        current = await store.get(intent.id) or intent
        state = current.state
        if state is IntentState.PENDING:  # past its expiry; the loop has not marked it yet
            state = IntentState.EXPIRED
        await query.answer(intent_already(state, lang, current.reason), show_alert=True)
        if state in (IntentState.EXPIRED, IntentState.CANCELLED):
            shown = dataclasses.replace(notice_of_intent(current), state=state)
            token = await token_of(services, intent.mint)
            await edit_or_send(query, intent_outcome(shown, token, lang), NO_BUTTONS)
        return
    log.info(
        "telegram.intent_answered",
        intent=intent.id,
        user_id=profile.id,
        state=decided.state.value,
    )
    token = await token_of(services, intent.mint)
    notice = notice_of_intent(decided)
    if decided.state is IntentState.CONFIRMED:
        await query.answer(_("Confirmed"))
        await edit_or_send(query, intent_confirmed(notice, token, lang), NO_BUTTONS)
    else:
        await query.answer(_("Cancelled"))
        await edit_or_send(query, intent_outcome(notice, token, lang), NO_BUTTONS)


def build_router() -> Router:
    router = Router(name="intents")
    router.callback_query.register(answer_intent, IntentAnswer.filter(), F.message)
    return router
