"""The Telegram test server speaks the Bot API the way aiogram expects (infrastructure check)."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import CommandStart
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from tests.telegram_emulator import TelegramEmulator, User


def _bot(emulator: TelegramEmulator) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.url))
    return Bot(emulator.token, session=session)


async def test_aiogram_bot_answers_a_user_through_the_emulator(
    telegram_emulator: TelegramEmulator,
) -> None:
    bot = _bot(telegram_emulator)
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        kb = InlineKeyboardBuilder()
        kb.button(text="Ping", callback_data="ping")
        await message.answer(f"hello {message.from_user.first_name}", reply_markup=kb.as_markup())

    @dp.callback_query(F.data == "ping")
    async def ping(query: CallbackQuery) -> None:
        await query.answer("pong")
        await query.message.edit_text("pong")

    @dp.message(F.document)
    async def document(message: Message) -> None:
        data = await bot.download(message.document.file_id)
        await message.answer(f"got {len(data.read())} bytes")

    me = await bot.get_me()
    assert me.is_bot and me.username == "SolsignalsTestBot"
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        user = User()
        await telegram_emulator.send_text("/start", user)
        (reply,) = await telegram_emulator.bot_messages(user)
        assert reply["text"] == "hello Ana"
        assert reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ping"

        await telegram_emulator.press("ping", reply, user)
        (edited,) = await telegram_emulator.bot_messages(user)  # the edit is reported too
        answers = await telegram_emulator.requests("answerCallbackQuery")
        assert answers and answers[-1]["params"]["text"] == "pong"
        assert edited["text"] == "pong"

        await telegram_emulator.send_document(b"address,alias\n", "w.csv", "text/csv", user)
        (got,) = await telegram_emulator.bot_messages(user)
        assert got["text"] == "got 14 bytes"

        photo = await bot.send_photo(user.id, BufferedInputFile(b"\x89PNG", "s.png"), caption="c")
        assert photo.photo and photo.caption == "c"
        await telegram_emulator.fail_next("sendMessage", times=1, retry_after_s=3)
        try:
            await bot.send_message(user.id, "x")
            raise AssertionError("expected a 429")
        except TelegramRetryAfter as exc:
            assert exc.retry_after == 3
    finally:
        await dp.stop_polling()
        await polling
        await bot.session.close()


async def test_an_edit_keeps_its_buttons_only_if_it_sends_them_as_telegram_does(
    telegram_emulator: TelegramEmulator,
) -> None:
    bot = _bot(telegram_emulator)
    user = User()
    kb = InlineKeyboardBuilder()
    kb.button(text="Ping", callback_data="ping")
    try:
        sent = await bot.send_message(user.id, "card", reply_markup=kb.as_markup())
        (first,) = await telegram_emulator.bot_messages(user)
        await bot.edit_message_text(
            "card v2", chat_id=user.id, message_id=sent.message_id, reply_markup=kb.as_markup()
        )
        (kept,) = await telegram_emulator.bot_messages(user)
        await bot.edit_message_text("card v3", chat_id=user.id, message_id=sent.message_id)
        (dropped,) = await telegram_emulator.bot_messages(user)
    finally:
        await bot.session.close()

    assert first["reply_markup"]["inline_keyboard"][0][0]["text"] == "Ping"
    assert kept["text"] == "card v2" and kept["reply_markup"]["inline_keyboard"]
    assert dropped["text"] == "card v3" and "reply_markup" not in dropped


async def test_what_telegram_refuses_is_refused(telegram_emulator: TelegramEmulator) -> None:
    """HTML that does not parse, texts over Telegram's limits, callback_data over 64 bytes: the
    emulator answers 400 as Telegram does, so a formatter that forgets to escape fails a test."""
    bot = Bot(
        telegram_emulator.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(telegram_emulator.url)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    user = User()
    refused = {
        "/buy <mint> <SOL>": 'Unsupported start tag "mint"',
        "a < b": 'Unexpected "<"',
        "<b>bold": "Can't find end tag",
        "x" * 4097: "message is too long",
    }
    try:
        for text, description in refused.items():
            try:
                await bot.send_message(user.id, text)
                raise AssertionError(f"accepted: {text[:40]!r}")
            except TelegramBadRequest as exc:
                assert description in exc.message
        kb = InlineKeyboardBuilder()
        kb.button(text="x", callback_data="d" * 65)
        try:
            await bot.send_message(user.id, "ok", reply_markup=kb.as_markup())
            raise AssertionError("accepted callback_data of 65 bytes")
        except TelegramBadRequest as exc:
            assert "BUTTON_DATA_INVALID" in exc.message
        # what is fine stays fine: escaped text, supported tags, 4096 characters shown
        await bot.send_message(user.id, "/buy &lt;mint&gt; <b>bold</b> <code>x</code>")
        await bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>")
    finally:
        await bot.session.close()
