"""/watch, /unwatch and /list (the user's own list, the featured and community lists, sortable,
in pages edited in place), and the admins' /feature and /unfeature."""

from __future__ import annotations

import re
from dataclasses import dataclass

import structlog
from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import WalletsPage
from bots.telegram.filters import AdminOnly
from bots.telegram.formatters.errors import missing_argument, not_an_address, not_watched
from bots.telegram.formatters.wallets import (
    Change,
    feature_result,
    kind_label,
    list_action_label,
    not_featured,
    sort_label,
    unfeature_result,
    unwatch_result,
    wallet_list,
    watch_result,
)
from bots.telegram.routers.wallet_files import WalletFileAction
from bots.telegram.services import BotServices
from core.storage.models import ListKind
from core.users.service import UserProfile
from core.wallets.csv_json import address_problem
from core.wallets.registry import SortKey, WalletEntry

log = structlog.get_logger(__name__)

PAGE_SIZE = 8
KINDS = (ListKind.MINE, ListKind.FEATURED, ListKind.COMMUNITY)
SORTS = (SortKey.PNL, SortKey.BALANCE, SortKey.HITRATE, SortKey.WATCHERS)
TAG_SPLIT = re.compile(r"[|;,\s]+")
NO_ALIAS = "-"
WATCH_USAGE = "/watch <address> [alias] [tags]"
FEATURE_USAGE = "/feature <address> [alias] [tags]"


@dataclass(frozen=True, slots=True)
class WalletArgs:
    """``<address> [alias] [tags]``: alias one word ("-" for none), tags after it separated
    by | ; , or spaces."""

    address: str
    alias: str | None
    tags: tuple[str, ...]


def parse_wallet_args(text: str | None) -> WalletArgs | None:
    words = (text or "").split()
    if not words:
        return None
    alias = words[1] if len(words) > 1 and words[1] != NO_ALIAS else None
    tags = tuple(t for t in TAG_SPLIT.split(" ".join(words[2:])) if t)
    return WalletArgs(words[0], alias, tags)


async def _checked_args(
    message: Message, text: str | None, usage: str, lang: str
) -> WalletArgs | None:
    """The parsed arguments, or None after telling the user what is wrong."""
    args = parse_wallet_args(text)
    if args is None:
        await message.answer(missing_argument(usage, lang))
        return None
    if address_problem(args.address) is not None:
        example = usage.split()[0] + " 7xKX…pump whale1 smart"
        await message.answer(not_an_address(args.address, lang, example=example))
        return None
    return args


def _find(entries: list[WalletEntry], address: str) -> WalletEntry | None:
    return next((e for e in entries if e.address == address), None)


def _change(before: WalletEntry | None, args: WalletArgs) -> Change:
    if before is None:
        return Change.ADDED
    if args.alias is None and not args.tags:
        return Change.UNCHANGED
    return Change.UPDATED


# ---- /watch, /unwatch -------------------------------------------------------------------------


async def watch(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    lang: str,
) -> None:
    args = await _checked_args(message, command.args, WATCH_USAGE, lang)
    if args is None:
        return
    before = _find(await services.wallets.entries(user_id=profile.id), args.address)
    entry = await services.wallets.add(
        args.address, alias=args.alias, tags=args.tags, kind=ListKind.MINE, user_id=profile.id
    )
    change = _change(before, args)
    log.info("telegram.wallet_watched", user_id=profile.id, wallet=entry.address, change=change)
    await message.answer(watch_result(entry, change, lang))


async def unwatch(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    lang: str,
) -> None:
    words = (command.args or "").split()
    if not words:
        await message.answer(missing_argument("/unwatch <address>", lang))
        return
    address = words[0]
    if address_problem(address) is not None:
        await message.answer(not_an_address(address, lang, example="/unwatch 7xKX…pump"))
        return
    entry = _find(await services.wallets.entries(user_id=profile.id), address)
    if entry is None:
        await message.answer(not_watched(address, lang))
        return
    await services.wallets.remove(address, user_id=profile.id)
    log.info("telegram.wallet_unwatched", user_id=profile.id, wallet=address)
    await message.answer(unwatch_result(entry, lang))


# ---- /feature, /unfeature (admins) ------------------------------------------------------------


async def feature(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    lang: str,
) -> None:
    args = await _checked_args(message, command.args, FEATURE_USAGE, lang)
    if args is None:
        return
    before = _find(await services.wallets.entries(kind=ListKind.FEATURED), args.address)
    entry = await services.wallets.add(
        args.address,
        alias=args.alias,
        tags=args.tags,
        kind=ListKind.FEATURED,
        user_id=profile.id,
    )
    change = _change(before, args)
    log.info("telegram.wallet_featured", admin_id=profile.id, wallet=entry.address, change=change)
    await message.answer(feature_result(entry, change, lang))


async def unfeature(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    lang: str,
) -> None:
    """Take a wallet off the featured list: users who watch it keep it on their own lists (the
    registry row becomes a bare "mine" row); nobody watching, it leaves the registry."""
    words = (command.args or "").split()
    if not words:
        await message.answer(missing_argument("/unfeature <address>", lang))
        return
    address = words[0]
    if address_problem(address) is not None:
        await message.answer(not_an_address(address, lang, example="/unfeature 7xKX…pump"))
        return
    entry = _find(await services.wallets.entries(kind=ListKind.FEATURED), address)
    if entry is None:
        await message.answer(not_featured(address, lang))
        return
    if entry.monitor_count > 0:
        await services.wallets.edit(address, alias="", tags=[], kind=ListKind.MINE)
    else:
        await services.wallets.remove(address)
    log.info("telegram.wallet_unfeatured", admin_id=profile.id, wallet=address)
    await message.answer(unfeature_result(address, lang))


# ---- /list ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListView:
    text: str
    markup: InlineKeyboardMarkup


def _mark(label: str, current: bool) -> str:
    return f"✓ {label}" if current else label


def _keyboard(
    kind: ListKind, sort: SortKey, page: int, pages: int, lang: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for k in KINDS:
        data = WalletsPage(kind=k.value, sort=sort.value, page=0)
        kb.button(text=_mark(kind_label(k, lang), k is kind), callback_data=data)
    for s in SORTS:
        data = WalletsPage(kind=kind.value, sort=s.value, page=0)
        kb.button(text=_mark(sort_label(s, lang), s is sort), callback_data=data)
    sizes = [len(KINDS), len(SORTS)]
    if pages > 1:

        def at(p: int) -> WalletsPage:
            return WalletsPage(kind=kind.value, sort=sort.value, page=p % pages)

        kb.button(text="◀", callback_data=at(page - 1))
        kb.button(text=f"{page + 1}/{pages}", callback_data=at(page))
        kb.button(text="▶", callback_data=at(page + 1))
        sizes.append(3)
    if kind is ListKind.MINE:
        for action in ("import", "export"):
            kb.button(
                text=list_action_label(action, lang),
                callback_data=WalletFileAction(action=action),
            )
        sizes.append(2)
    kb.adjust(*sizes)
    return kb.as_markup()


async def list_view(
    services: BotServices,
    profile: UserProfile,
    kind: ListKind,
    sort: SortKey,
    page: int,
    lang: str,
) -> ListView:
    """One page of a list (``page`` clamped to the pages there are) and its buttons."""
    user_id = profile.id if kind is ListKind.MINE else None
    ranked = await services.wallets.ranked(sort=sort, kind=kind, user_id=user_id)
    pages = max(1, -(-len(ranked) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    start = page * PAGE_SIZE
    text = wallet_list(
        ranked[start : start + PAGE_SIZE],
        lang,
        sort=sort,
        kind=kind,
        total=len(ranked),
        offset=start,
    )
    return ListView(text, _keyboard(kind, sort, page, pages, lang))


async def list_command(
    message: Message, services: BotServices, profile: UserProfile, lang: str
) -> None:
    view = await list_view(services, profile, ListKind.MINE, SortKey.PNL, 0, lang)
    await message.answer(view.text, reply_markup=view.markup)


async def list_pressed(
    query: CallbackQuery,
    callback_data: WalletsPage,
    services: BotServices,
    profile: UserProfile,
    lang: str,
) -> None:
    kind, sort = ListKind(callback_data.kind), SortKey(callback_data.sort)
    view = await list_view(services, profile, kind, sort, callback_data.page, lang)
    await query.answer()
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(view.text, reply_markup=view.markup)
            return
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return  # the [n/N] button, or a press that changes nothing
            log.info("telegram.wallet_list_edit_failed", error=exc.message)
    if query.bot is not None:  # the message is too old to edit: answer with a new one
        await query.bot.send_message(query.from_user.id, view.text, reply_markup=view.markup)


def build_router() -> Router:
    router = Router(name="wallets")
    router.message.register(watch, Command("watch"))
    router.message.register(unwatch, Command("unwatch"))
    router.message.register(list_command, Command("list"))
    router.message.register(feature, Command("feature"), AdminOnly())
    router.message.register(unfeature, Command("unfeature"), AdminOnly())
    router.callback_query.register(
        list_pressed,
        WalletsPage.filter(
            F.kind.in_([k.value for k in KINDS])
            & F.sort.in_([s.value for s in SortKey])
            & (F.page >= 0)
        ),
    )
    return router
