"""Wallet list files: /import (help), any CSV / JSON document sent in private chat (imported into
the sender's list; caption "partial" imports the good lines only), /export [csv|json] and the
[Import CSV] / [Export] buttons under /list."""

from __future__ import annotations

from pathlib import PurePath

import structlog
from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Document, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bots.telegram.callbacks import ExportFormat
from bots.telegram.formatters.wallet_files import (
    empty_file,
    export_caption,
    export_empty,
    export_menu,
    file_too_large,
    import_done,
    import_help,
    import_rejected,
    not_utf8,
    unknown_export_format,
    unknown_file_type,
)
from bots.telegram.services import BotServices
from core.storage.models import ListKind
from core.users.service import UserProfile
from core.wallets.csv_json import FileFormat
from core.wallets.registry import WalletFileError

log = structlog.get_logger(__name__)

MAX_FILE_BYTES = 1024 * 1024
EXPORT_NAME = "solsignals-wallets"
PARTIAL_WORD = "partial"
FORMAT_BY_EXTENSION = {".csv": FileFormat.CSV, ".json": FileFormat.JSON}
FORMAT_BY_MIME = {
    "text/csv": FileFormat.CSV,
    "application/csv": FileFormat.CSV,
    "text/comma-separated-values": FileFormat.CSV,
    "application/json": FileFormat.JSON,
    "text/json": FileFormat.JSON,
}


class WalletFileAction(CallbackData, prefix="wf"):
    """The [Import CSV] / [Export] buttons under "My wallets" (/list): import | export."""

    action: str


def file_format(file_name: str, mime: str | None) -> FileFormat | None:
    """CSV or JSON by the file's extension, else by its MIME type; None when neither says."""
    by_extension = FORMAT_BY_EXTENSION.get(PurePath(file_name).suffix.lower())
    if by_extension is not None:
        return by_extension
    return FORMAT_BY_MIME.get((mime or "").split(";")[0].strip().lower())


def wants_partial(caption: str | None) -> bool:
    """Caption "partial" or "/import partial" (any case)."""
    return PARTIAL_WORD in (caption or "").lower().split()


# ---- import -----------------------------------------------------------------------------------


async def import_command(message: Message, lang: str) -> None:
    await message.answer(import_help(MAX_FILE_BYTES, lang))


class _Refused(Exception):
    """A file we cannot import; ``answer`` tells the user why and how to fix it."""

    def __init__(self, answer: str) -> None:
        super().__init__(answer)
        self.answer = answer


async def _read(bot: Bot, document: Document, name: str, lang: str) -> str:
    """The document's text; raises _Refused (too large, not UTF-8, empty)."""
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        raise _Refused(file_too_large(name, document.file_size, MAX_FILE_BYTES, lang))
    downloaded = await bot.download(document)
    content = downloaded.read() if downloaded is not None else b""
    if len(content) > MAX_FILE_BYTES:  # file_size is optional in the Bot API
        raise _Refused(file_too_large(name, len(content), MAX_FILE_BYTES, lang))
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refused(not_utf8(name, lang)) from exc
    if not text.strip("\ufeff \t\r\n"):
        raise _Refused(empty_file(name, lang))
    return text


async def import_document(
    message: Message, bot: Bot, services: BotServices, profile: UserProfile, lang: str
) -> None:
    document = message.document
    assert document is not None  # the F.document filter
    name = document.file_name or "file"
    fmt = file_format(name, document.mime_type)
    if fmt is None:
        await message.answer(unknown_file_type(name, lang))
        return
    try:
        text = await _read(bot, document, name, lang)
    except _Refused as refused:
        log.info("telegram.wallet_file_refused", user_id=profile.id, file_name=name)
        await message.answer(refused.answer)
        return
    partial = wants_partial(message.caption)
    try:
        report = await services.wallets.import_text(
            text, fmt, kind=ListKind.MINE, user_id=profile.id, partial=partial
        )
    except WalletFileError as exc:
        log.info(
            "telegram.wallet_import_rejected",
            user_id=profile.id,
            file_name=name,
            bad_rows=len(exc.errors),
            fatal=exc.fatal,
        )
        await message.answer(import_rejected(name, exc.errors, exc.fatal, lang))
        return
    log.info(
        "telegram.wallet_imported",
        user_id=profile.id,
        file_name=name,
        added=report.added,
        updated=report.updated,
        skipped=len(report.errors),
    )
    await message.answer(import_done(name, report, lang))


# ---- export -----------------------------------------------------------------------------------


def _export_keyboard() -> InlineKeyboardBuilder:
    kb = InlineKeyboardBuilder()
    for fmt in FileFormat:
        kb.button(text=fmt.value.upper(), callback_data=ExportFormat(fmt=fmt.value))
    return kb


async def _send_export(
    message: Message, services: BotServices, profile: UserProfile, fmt: FileFormat, lang: str
) -> None:
    entries = await services.wallets.entries(kind=ListKind.MINE, user_id=profile.id)
    if not entries:
        await message.answer(export_empty(lang))
        return
    text = await services.wallets.export(fmt, kind=ListKind.MINE, user_id=profile.id)
    document = BufferedInputFile(text.encode("utf-8"), filename=f"{EXPORT_NAME}.{fmt.value}")
    log.info("telegram.wallets_exported", user_id=profile.id, fmt=fmt.value, rows=len(entries))
    await message.answer_document(document, caption=export_caption(len(entries), lang))


async def export_command(
    message: Message,
    command: CommandObject,
    services: BotServices,
    profile: UserProfile,
    lang: str,
) -> None:
    wanted = (command.args or "").strip().lower()
    if not wanted:
        await message.answer(export_menu(lang), reply_markup=_export_keyboard().as_markup())
        return
    if wanted not in {f.value for f in FileFormat}:
        await message.answer(unknown_export_format(wanted, lang))
        return
    await _send_export(message, services, profile, FileFormat(wanted), lang)


async def export_pressed(
    query: CallbackQuery,
    callback_data: ExportFormat,
    services: BotServices,
    profile: UserProfile,
    lang: str,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        fmt = FileFormat(callback_data.fmt)
        await _send_export(query.message, services, profile, fmt, lang)


async def list_action_pressed(
    query: CallbackQuery, callback_data: WalletFileAction, lang: str
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.action == "import":
        await query.message.answer(import_help(MAX_FILE_BYTES, lang))
    else:
        await query.message.answer(export_menu(lang), reply_markup=_export_keyboard().as_markup())


def build_router() -> Router:
    router = Router(name="wallet_files")
    # Documents first: a file whose caption is "/import partial" is an import, not /import.
    router.message.register(import_document, F.document, F.chat.type == ChatType.PRIVATE)
    router.message.register(import_command, Command("import"))
    router.message.register(export_command, Command("export"))
    router.callback_query.register(
        export_pressed, ExportFormat.filter(F.fmt.in_([f.value for f in FileFormat]))
    )
    router.callback_query.register(
        list_action_pressed, WalletFileAction.filter(F.action.in_(["import", "export"]))
    )
    return router
