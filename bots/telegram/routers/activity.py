"""/activity [tag] [window] and the Smart activity button: the latest fills of the user's
tracked wallets (featured, community and their own watches) as a table.

Buttons (``ActivityView``) page through the fills, change the window (10m / 1h / 24h) and
switch between KOL wallets only and all wallets, editing the table in place. The signal card's
Smart activity button answers with a NEW message for that mint (the card stays as it is);
presses on that message then edit it.
"""

from __future__ import annotations

import re

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import ActivityView
from bots.telegram.formatters.activity import activity_table, window_label
from bots.telegram.formatters.numbers import clip
from bots.telegram.i18n import Translator
from bots.telegram.routers.inplace import edit_or_send, only_buttons_with_prefix, send_new
from bots.telegram.services import BotServices
from core.errors import UserInputError
from core.signals.activity import ActivityPage
from core.users.service import UserProfile
from core.users.settings import TAG

PAGE_SIZE = 10
DEFAULT_WINDOW_S = 600
MAX_WINDOW_S = 7 * 86_400
WINDOW_BUTTONS_S = (600, 3600, 86_400)
KOL = "kol"
NO_FILTER = frozenset({"all", "any"})
MAX_PAGE = 1000
MINT_MAX = 44
_WINDOW = re.compile(r"^(\d{1,7})([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_EXAMPLES = "/activity, /activity kol, /activity 1h, /activity whale 24h, /activity 90s"


def parse_window(text: str, _: Translator) -> int:
    """ "90s" / "10m" / "1h" / "24h" / "7d" -> seconds (1 s to 7 days)."""
    match = _WINDOW.match(text.lower())
    if match is None:
        raise UserInputError(
            _(
                '"{text}" is not a time window: write a number then s, m, h or d, up to 7d. '
                "Examples: {examples}"
            ).format(text=clip(text, 20), examples=_EXAMPLES)
        )
    window_s = int(match.group(1)) * _UNIT_S[match.group(2)]
    if not 0 < window_s <= MAX_WINDOW_S:
        raise UserInputError(
            _(
                "The window {text} is out of range (allowed: 1s to 7d). Examples: {examples}"
            ).format(text=clip(text, 20), examples=_EXAMPLES)
        )
    return window_s


def parse_args(args: str | None, _: Translator) -> tuple[str, int]:
    """``[tag] [window]`` in either order -> (tag or "", window_s). A word starting with a
    digit is a window; "all" / "any" mean no tag filter."""
    tag, window_s = "", DEFAULT_WINDOW_S
    seen_tag = seen_window = False
    for word in (args or "").split():
        if word[0].isdigit():
            if seen_window:
                raise UserInputError(_too_many(_))
            window_s, seen_window = parse_window(word, _), True
            continue
        if seen_tag:
            raise UserInputError(_too_many(_))
        seen_tag = True
        lowered = word.lower()
        if lowered in NO_FILTER:
            continue
        if not TAG.match(lowered):
            raise UserInputError(
                _(
                    '"{text}" is not a tag (lowercase letters, digits, _ or -, up to 24). '
                    "Examples: kol, smart, whale, sniper, dev"
                ).format(text=clip(word, 30))
            )
        tag = lowered
    return tag, window_s


def _too_many(_: Translator) -> str:
    return _(
        "Give at most one tag and one window: /activity [tag] [window]. Examples: {examples}"
    ).format(examples=_EXAMPLES)


def _checked(view: ActivityView, _: Translator) -> ActivityView:
    """A button's data comes from the client: the same limits as typed input."""
    ok = (
        0 < view.window_s <= MAX_WINDOW_S
        and 0 <= view.page <= MAX_PAGE
        and (view.tag == "" or TAG.match(view.tag) is not None)
        and len(view.mint) <= MINT_MAX
    )
    if not ok:
        raise UserInputError(_("This button is out of date. Send /activity again."))
    return view


async def _page(services: BotServices, profile: UserProfile, view: ActivityView) -> ActivityPage:
    async def fetch(page: int) -> ActivityPage:
        return await services.activity.smart_activity(
            mint=view.mint or None,
            tags={view.tag} if view.tag else None,
            window_s=view.window_s,
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
            user_id=profile.id,
        )

    page = await fetch(view.page)
    if not page.rows and page.totals.fills and view.page > 0:
        # fills left the window since the button was drawn: show the last page there is
        page = await fetch((page.totals.fills - 1) // PAGE_SIZE)
    return page


def _keyboard(view: ActivityView, page: ActivityPage, _: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    current = page.offset // PAGE_SIZE
    paging = 0
    if page.has_prev:
        kb.button(
            text=_("◀ Prev"),
            callback_data=ActivityView(
                mint=view.mint, tag=view.tag, window_s=view.window_s, page=current - 1
            ),
        )
        paging += 1
    if page.has_next:
        kb.button(
            text=_("Next ▶"),
            callback_data=ActivityView(
                mint=view.mint, tag=view.tag, window_s=view.window_s, page=current + 1
            ),
        )
        paging += 1
    for window_s in WINDOW_BUTTONS_S:
        label = window_label(window_s, _)
        kb.button(
            text=f"✓ {label}" if window_s == view.window_s else label,
            callback_data=ActivityView(mint=view.mint, tag=view.tag, window_s=window_s, page=0),
        )
    if view.tag:
        kb.button(
            text=_("All wallets"),
            callback_data=ActivityView(mint=view.mint, tag="", window_s=view.window_s, page=0),
        )
    else:
        kb.button(
            text=_("KOL only"),
            callback_data=ActivityView(mint=view.mint, tag=KOL, window_s=view.window_s, page=0),
        )
    kb.adjust(*((paging,) if paging else ()), len(WINDOW_BUTTONS_S), 1)
    return kb.as_markup()


async def _render(
    services: BotServices, profile: UserProfile, view: ActivityView, lang: str, _: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    page = await _page(services, profile, view)
    symbol = None
    if view.mint and not page.rows:
        token = await services.repository.token(view.mint)
        symbol = token.symbol if token is not None else None
    text = activity_table(page, lang, symbol=symbol, watch_hint=True)
    return text, _keyboard(view, page, _)


async def activity_command(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    lang: str,
    _: Translator,
) -> None:
    tag, window_s = parse_args(command.args, _)
    view = ActivityView(mint="", tag=tag, window_s=window_s, page=0)
    text, keyboard = await _render(services, profile, view, lang, _)
    await message.answer(text, reply_markup=keyboard)


async def activity_pressed(
    query: CallbackQuery,
    callback_data: ActivityView,
    services: BotServices,
    profile: UserProfile,
    lang: str,
    _: Translator,
) -> None:
    view = _checked(callback_data, _)
    text, keyboard = await _render(services, profile, view, lang, _)
    await query.answer()
    pressed = query.message
    if isinstance(pressed, Message) and only_buttons_with_prefix(pressed, ActivityView.__prefix__):
        await edit_or_send(query, text, keyboard)
    else:  # the card's button: the card stays, the table comes as a new message
        await send_new(query, text, keyboard)


def build_router() -> Router:
    router = Router(name="activity")
    router.message.register(activity_command, Command("activity"))
    router.callback_query.register(activity_pressed, ActivityView.filter())
    return router
