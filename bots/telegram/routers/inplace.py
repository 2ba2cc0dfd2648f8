"""Answer a button press by editing the message it is on (or with a new message when that one
cannot be edited any more). Shared by the features whose buttons change what a message shows."""

from __future__ import annotations

import structlog
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

log = structlog.get_logger(__name__)

# An edit with this keyboard removes the message's buttons (a new message gets none at all).
NO_BUTTONS = InlineKeyboardMarkup(inline_keyboard=[])


async def edit_or_send(
    query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None
) -> None:
    """Show ``text`` and ``keyboard`` in the pressed message. Pressing a button that changes
    nothing ("message is not modified") is not an error; a message Telegram no longer lets us
    edit (older than 48 h, deleted) gets the answer as a new message."""
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=keyboard)
            return
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return
            log.info("telegram.edit_failed", error=exc.message, message_id=message.message_id)
    await send_new(query, text, keyboard)


async def send_new(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Answer a press with a new message in the chat of the pressed one (the user's chat); a
    keyboard without buttons is left out (an empty one only means "remove" on an edit)."""
    if keyboard is not None and not any(keyboard.inline_keyboard):
        keyboard = None
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=keyboard)
    elif query.bot is not None:
        await query.bot.send_message(query.from_user.id, text, reply_markup=keyboard)


def only_buttons_with_prefix(message: Message, prefix: str) -> bool:
    """Whether every callback button of ``message`` carries data of ``prefix`` (e.g. the
    message is one of our activity tables, not a signal card that merely links to one)."""
    markup = message.reply_markup
    if markup is None:
        return False
    data = [b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data]
    return bool(data) and all(d.split(":", 1)[0] == prefix for d in data)
