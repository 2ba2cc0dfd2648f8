"""Handler filters shared by features."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from bots.telegram.i18n import Translator
from core.users.service import UserProfile


class AdminRefused(Exception):
    """Raised by AdminOnly once the refusal is answered: the error handler ends the update
    quietly, so no other handler (e.g. "unknown command") answers it a second time."""


class AdminOnly(Filter):
    """Passes for admins; anyone else is told plainly that the command is for admins, and the
    update stops there (nothing changes, nothing else answers)."""

    async def __call__(
        self, event: Message | CallbackQuery, profile: UserProfile | None, _: Translator
    ) -> bool | dict[str, Any]:
        if profile is not None and profile.is_admin:
            return True
        text = _("This command is for admins only; nothing was changed.")
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        else:
            await event.answer(text)
        raise AdminRefused
