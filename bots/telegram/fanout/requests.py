"""The fan-out's Bot API requests: serialised once per card, sent to each chat.

aiogram turns every call into a request the same way: validate a method model, dump it, turn
each value into a form field (``BaseSession.prepare_value``: the bot's defaults such as
``parse_mode``, JSON for the keyboard), url-encode the form, then parse the answer into a
``Message``. For one card going to hundreds of chats all of that is identical but ``chat_id``
(~0.7-1 ms of CPU per message, measured). ``CardRequests`` does it once per card and method,
with aiogram's own ``prepare_value`` (so the body is the one aiogram would send), and per
delivery only puts ``chat_id`` (and ``message_id`` for an edit) in front of the encoded form and
posts it on a keep-alive connection of the fan-out's own ``transport.HttpPool`` (URL from
``session.api.api_url``, the session's timeout): aiohttp's client costs more CPU per request
than the rest of a delivery. ``on_request`` is called once the request is written.

A successful answer is read for what the fan-out needs (``message_id``), with orjson.
Anything else (an error status, ``ok: false``, an unreadable body) goes through aiogram's
``check_response``, so failures are aiogram's own exceptions (``TelegramRetryAfter``,
``TelegramForbiddenError``...), and network errors and timeouts become ``TelegramNetworkError``
as in ``AiohttpSession.make_request``.

Photo cards: the first chat's ``sendPhoto`` uploads the PNG through aiogram (multipart); later
chats reuse the uploaded photo's ``file_id`` (Telegram keeps it for the bot; if Telegram refuses
it, the photo is uploaded again).

A new message whose card has no button (a trading notice, an auto-buy's outcome) is sent without
``reply_markup``; an edit always carries the card's keyboard, an empty one removing the buttons
the message had (an auto-buy question's Confirm / Cancel).

A bot whose session is not an ``AiohttpSession`` is called through aiogram's methods throughout,
and so is one configured with a proxy.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import certifi
import orjson
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import (
    EditMessageCaption,
    EditMessageText,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bots.telegram.cards import PHOTO_NAME, RenderedCard
from bots.telegram.fanout.transport import HttpPool, Origin

_VARYING = frozenset({"chat_id", "message_id"})


@dataclass(frozen=True, slots=True)
class _Form:
    """One method's request for a card, but for ``chat_id`` / ``message_id``."""

    method: TelegramMethod[Any]  # aiogram's method object (for check_response and errors)
    path: bytes  # the URL's path on the Bot API server
    tail: bytes  # b"&" and the url-encoded fields other than chat_id and message_id


@dataclass(slots=True)
class PreparedCard:
    """A rendered card and its requests, built on first use and shared by its deliveries."""

    card: RenderedCard
    photo_file_id: str | None = None  # the uploaded sparkline, once a chat received it
    send: _Form | None = None
    edit_text: _Form | None = None
    edit_caption: _Form | None = None

    @property
    def is_photo(self) -> bool:
        return self.card.photo is not None


class CardRequests:
    """``send`` / ``edit`` a prepared card to one chat; ``on_request`` is called as each
    request leaves (the latency stamp)."""

    def __init__(self, bot: Bot, on_request: Callable[[], None] = lambda: None) -> None:
        self._bot = bot
        self._on_request = on_request
        session = bot.session
        self._session: AiohttpSession | None = (
            session if isinstance(session, AiohttpSession) and session.proxy is None else None
        )
        self._pool: HttpPool | None = None
        if self._session is not None:
            try:
                origin, _path = Origin.of(self._session.api.api_url(token=bot.token, method="x"))
            except ValueError:  # not an http(s) server: aiogram's way
                self._session = None
            else:
                context = None
                if origin.scheme == "https":
                    context = ssl.create_default_context(cafile=certifi.where())  # as aiogram
                self._pool = HttpPool(origin, ssl_context=context)

    async def aclose(self) -> None:
        """Close the kept-alive connections."""
        if self._pool is not None:
            await self._pool.aclose()

    def prepare(self, card: RenderedCard) -> PreparedCard:
        return PreparedCard(card)

    # ---- sending ----------------------------------------------------------------------------

    async def send(self, prepared: PreparedCard, chat_id: int) -> int:
        """Send the card as a new message; its message_id."""
        card = prepared.card
        if self._session is None or (card.photo is not None and prepared.photo_file_id is None):
            message = await self._send_with_aiogram(prepared, chat_id)
            return message.message_id
        if prepared.send is None:
            if card.photo is not None:
                assert prepared.photo_file_id is not None
                method: TelegramMethod[Any] = SendPhoto(
                    chat_id=0,
                    photo=prepared.photo_file_id,
                    caption=card.text,
                    reply_markup=new_message_markup(card.keyboard),
                )
            else:
                method = SendMessage(
                    chat_id=0, text=card.text, reply_markup=new_message_markup(card.keyboard)
                )
            prepared.send = self._form(method)
        try:
            result = await self._post(prepared.send, chat_id, None, _has_message_id)
        except TelegramBadRequest as exc:
            if card.photo is None or "file" not in exc.message.lower():
                raise
            # Telegram does not take the photo's file_id ("wrong file identifier"...): upload
            # it again, and reuse the new one from then on
            prepared.photo_file_id = prepared.send = None
            return (await self._send_with_aiogram(prepared, chat_id)).message_id
        return int(result["message_id"])

    async def edit(
        self, prepared: PreparedCard, chat_id: int, message_id: int, *, caption: bool
    ) -> None:
        """Edit the chat's message (its caption when it is a photo) to show the card."""
        card = prepared.card
        if self._session is None:
            if caption:
                await self._bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=message_id,
                    caption=card.text,
                    reply_markup=card.keyboard,
                )
            else:
                await self._bot.edit_message_text(
                    text=card.text,
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=card.keyboard,
                )
            return
        if caption:
            if prepared.edit_caption is None:
                prepared.edit_caption = self._form(
                    EditMessageCaption(caption=card.text, reply_markup=card.keyboard)
                )
            form = prepared.edit_caption
        else:
            if prepared.edit_text is None:
                prepared.edit_text = self._form(
                    EditMessageText(text=card.text, reply_markup=card.keyboard)
                )
            form = prepared.edit_text
        await self._post(form, chat_id, message_id, _edited)

    # ---- the requests -----------------------------------------------------------------------

    def _form(self, method: TelegramMethod[Any]) -> _Form:
        """The url-encoded form aiogram would build (``AiohttpSession.build_form_data``)."""
        assert self._session is not None
        fields: list[tuple[str, str]] = []
        files: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            if key in _VARYING:
                continue
            prepared = self._session.prepare_value(value, bot=self._bot, files=files)
            if not prepared:
                continue
            fields.append((key, prepared))
        if files:  # never: uploads go through aiogram
            raise ValueError("a prepared request cannot carry a file")
        url = self._session.api.api_url(token=self._bot.token, method=method.__api_method__)
        _origin, path = Origin.of(url)
        # doseq=True, as aiohttp's FormData: a str enum (the bot's default ParseMode.HTML) is
        # encoded as its value ("HTML"), not as str() of it ("ParseMode.HTML")
        tail = urlencode(fields, doseq=True).encode()
        return _Form(method, path.encode(), b"&" + tail if tail else b"")

    async def _post(
        self, form: _Form, chat_id: int, message_id: int | None, valid: Callable[[Any], bool]
    ) -> Any:
        """POST the form for this chat; the answer's ``result`` as JSON data, when ``valid``
        says it is what the method returns (else aiogram reads the answer, and raises)."""
        assert self._session is not None and self._pool is not None
        if message_id is None:
            body = b"chat_id=%d%s" % (chat_id, form.tail)
        else:
            body = b"chat_id=%d&message_id=%d%s" % (chat_id, message_id, form.tail)
        try:
            status, raw = await self._pool.post(
                form.path, body, timeout_s=self._session.timeout, on_sent=self._on_request
            )
        except TimeoutError as exc:
            raise TelegramNetworkError(
                method=self._method(form, chat_id, message_id), message="Request timeout error"
            ) from exc
        except OSError as exc:
            raise TelegramNetworkError(
                method=self._method(form, chat_id, message_id),
                message=f"{type(exc).__name__}: {exc}",
            ) from exc
        if 200 <= status <= 226:
            try:
                answer = orjson.loads(raw)
            except orjson.JSONDecodeError:
                answer = None
            if (
                isinstance(answer, dict)
                and answer.get("ok") is True
                and valid(answer.get("result"))
            ):
                return answer["result"]
        response = self._session.check_response(
            bot=self._bot,
            method=self._method(form, chat_id, message_id),
            status_code=status,
            content=raw.decode("utf-8", errors="replace"),
        )
        result = response.result
        return result.model_dump() if isinstance(result, Message) else result

    @staticmethod
    def _method(form: _Form, chat_id: int, message_id: int | None) -> TelegramMethod[Any]:
        update: dict[str, int] = {"chat_id": chat_id}
        if message_id is not None:
            update["message_id"] = message_id
        return form.method.model_copy(update=update)

    async def _send_with_aiogram(self, prepared: PreparedCard, chat_id: int) -> Message:
        card = prepared.card
        markup = new_message_markup(card.keyboard)
        if card.photo is None:
            return await self._bot.send_message(chat_id, card.text, reply_markup=markup)
        message = await self._bot.send_photo(
            chat_id,
            BufferedInputFile(card.photo, filename=PHOTO_NAME),
            caption=card.text,
            reply_markup=markup,
        )
        if message.photo and prepared.photo_file_id is None:
            prepared.photo_file_id = message.photo[-1].file_id
        return message


def new_message_markup(keyboard: InlineKeyboardMarkup) -> InlineKeyboardMarkup | None:
    """The keyboard of a new message: None (no ``reply_markup`` at all) when it has no
    button. Edits keep the empty keyboard: there it is how the old buttons are removed."""
    return keyboard if any(keyboard.inline_keyboard) else None


def _has_message_id(result: Any) -> bool:
    return isinstance(result, dict) and isinstance(result.get("message_id"), int)


def _edited(result: Any) -> bool:
    return result is True or _has_message_id(result)
