"""The fan-out's cheap paths: prepared requests on its own keep-alive connections, the batched
delivery records, and the sender's interval bookkeeping.

The requests go to the local Bot API emulator (what it received is asserted) or, for what the
emulator never does (chunked answers, closing, silence), to a small HTTP/1.1 server in the test.
The records go to real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.telegram.app import build_bot
from bots.telegram.cards import RenderedCard
from bots.telegram.fanout.intervals import Intervals
from bots.telegram.fanout.recorder import Record, Recorder
from bots.telegram.fanout.requests import CardRequests
from bots.telegram.fanout.transport import HttpPool, Origin
from tests.telegram_emulator import TelegramEmulator

CHAT = 424242
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Solscan", url="https://solscan.io/")]]
)


def card(text: str = "<b>BONK</b> Strength 2.4 &amp; rising") -> RenderedCard:
    return RenderedCard(text=text, keyboard=KEYBOARD)


@pytest.fixture
async def card_requests(
    telegram_emulator: TelegramEmulator,
) -> AsyncIterator[tuple[CardRequests, list[float]]]:
    bot = build_bot(telegram_emulator.token, telegram_emulator.url)
    stamps: list[float] = []
    requests = CardRequests(bot, lambda: stamps.append(time.time()))
    try:
        yield requests, stamps
    finally:
        await requests.aclose()
        await bot.session.close()


# ---- prepared requests through the emulator ---------------------------------------------------


async def test_one_prepared_card_reaches_many_chats_with_their_own_chat_id(
    telegram_emulator: TelegramEmulator, card_requests: tuple[CardRequests, list[float]]
) -> None:
    requests, stamps = card_requests
    prepared = requests.prepare(card())
    ids = await asyncio.gather(*(requests.send(prepared, CHAT + i) for i in range(20)))

    calls = await telegram_emulator.requests("sendMessage")
    assert sorted(int(c["params"]["chat_id"]) for c in calls) == [CHAT + i for i in range(20)]
    for call in calls:
        assert call["params"]["text"] == "<b>BONK</b> Strength 2.4 &amp; rising"
        assert call["params"]["parse_mode"] == "HTML"
        assert call["params"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Solscan"
    assert len(set(ids)) == 20 and all(isinstance(i, int) for i in ids)
    assert len(stamps) == 20  # each request noted as it left


async def test_an_edit_changes_the_message_the_send_created(
    telegram_emulator: TelegramEmulator, card_requests: tuple[CardRequests, list[float]]
) -> None:
    requests, _stamps = card_requests
    message_id = await requests.send(requests.prepare(card("first")), CHAT)
    await requests.edit(requests.prepare(card("second")), CHAT, message_id, caption=False)

    (edit,) = await telegram_emulator.requests("editMessageText")
    assert int(edit["params"]["chat_id"]) == CHAT
    assert int(edit["params"]["message_id"]) == message_id
    assert edit["params"]["text"] == "second"


async def test_telegram_errors_arrive_as_aiogram_exceptions_and_the_connection_is_reused(
    telegram_emulator: TelegramEmulator, card_requests: tuple[CardRequests, list[float]]
) -> None:
    requests, _stamps = card_requests
    prepared = requests.prepare(card())
    await telegram_emulator.fail_chat(CHAT, error_code=403)
    with pytest.raises(TelegramForbiddenError):
        await requests.send(prepared, CHAT)
    await telegram_emulator.fail_next("sendMessage", retry_after_s=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await requests.send(prepared, CHAT)
    assert caught.value.retry_after == 7
    assert await requests.send(prepared, CHAT) > 0
    assert requests._pool is not None and requests._pool.connections == 1


async def test_a_bot_api_that_is_down_is_a_network_error() -> None:
    bot = build_bot("123456:TEST-TOKEN", "http://127.0.0.1:9")  # nothing listens on port 9
    requests = CardRequests(bot)
    try:
        with pytest.raises(TelegramNetworkError):
            await requests.send(requests.prepare(card()), CHAT)
    finally:
        await requests.aclose()
        await bot.session.close()


# ---- the HTTP/1.1 client against a server doing what the emulator does not ------------------


class Server:
    """An HTTP/1.1 server that answers each request with ``answer(n)`` (n: 0, 1, ...)."""

    def __init__(self, answer: Callable[[int], list[bytes] | None]) -> None:
        self._answer = answer
        self.requests: list[bytes] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                self.requests.append(head + await reader.readexactly(length))
                parts = self._answer(len(self.requests) - 1)
                if parts is None:  # say nothing (a hung server)
                    await asyncio.sleep(30)
                    return
                for part in parts:
                    writer.write(part)
                    await writer.drain()
                    await asyncio.sleep(0.01)  # separate TCP segments
                if b"Connection: close" in b"".join(parts):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


OK = b'{"ok":true,"result":{"message_id":5}}'


def plain(body: bytes = OK, extra: bytes = b"") -> list[bytes]:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(
        body
    )
    return [head + extra + b"\r\n" + body]


async def post(pool: HttpPool, n: int = 0, timeout_s: float = 5.0) -> tuple[int, bytes]:
    return await pool.post(b"/bot1:T/sendMessage", b"chat_id=%d&text=hi" % n, timeout_s=timeout_s)


async def test_requests_share_one_kept_alive_connection() -> None:
    async with Server(lambda n: plain()) as server:
        pool = HttpPool(Origin("http", "127.0.0.1", server.port))
        for n in range(3):
            assert await post(pool, n) == (200, OK)
        await pool.aclose()
    assert server.connections == 1
    assert server.requests[2].startswith(b"POST /bot1:T/sendMessage HTTP/1.1\r\n")
    assert server.requests[2].endswith(b"\r\n\r\nchat_id=2&text=hi")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in server.requests[2]


async def test_a_chunked_answer_split_over_segments_is_read_whole() -> None:
    chunked = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"a\r\n" + OK[:10] + b"\r\n",
        b"%x\r\n" % (len(OK) - 10) + OK[10:] + b"\r\n",
        b"0\r\n\r\n",
    ]
    async with Server(lambda n: chunked) as server:
        pool = HttpPool(Origin("http", "127.0.0.1", server.port))
        assert await post(pool) == (200, OK)
        assert await post(pool) == (200, OK)
        await pool.aclose()
    assert server.connections == 1


async def test_a_server_that_closes_gets_a_new_connection_next_time() -> None:
    async with Server(lambda n: plain(extra=b"Connection: close\r\n")) as server:
        pool = HttpPool(Origin("http", "127.0.0.1", server.port))
        assert await post(pool, 0) == (200, OK)
        assert await post(pool, 1) == (200, OK)
        await pool.aclose()
    assert server.connections == 2


async def test_a_connection_idle_past_the_servers_keep_alive_timeout_is_not_reused() -> None:
    clock = [100.0]
    async with Server(lambda n: plain(extra=b"Keep-Alive: timeout=5\r\n")) as server:
        pool = HttpPool(Origin("http", "127.0.0.1", server.port), monotonic=lambda: clock[0])
        await post(pool, 0)
        clock[0] += 3.0  # within the server's 5 s (less our 1 s margin)
        await post(pool, 1)
        clock[0] += 4.5
        await post(pool, 2)
        await pool.aclose()
    assert server.connections == 2


async def test_a_server_that_never_answers_times_out_and_its_connection_is_dropped() -> None:
    async with Server(lambda n: None if n == 0 else plain()) as server:
        pool = HttpPool(Origin("http", "127.0.0.1", server.port))
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await post(pool, 0, timeout_s=0.3)
        assert 0.25 < time.monotonic() - started < 2.0
        assert await post(pool, 1) == (200, OK)
        await pool.aclose()
    assert server.connections == 2


async def test_requests_awaiting_answers_together_each_time_out_at_their_own_deadline() -> None:
    # one timer serves the pool: a later request with a nearer deadline must still be timed
    # out on time, and the earlier one once its own deadline passes
    async with Server(lambda n: None if n < 2 else plain()) as server:
        pool = HttpPool(Origin("http", "127.0.0.1", server.port))
        started = time.monotonic()
        ended: dict[str, float] = {}

        async def timed(name: str, n: int, timeout_s: float) -> None:
            with pytest.raises(TimeoutError):
                await post(pool, n, timeout_s=timeout_s)
            ended[name] = time.monotonic() - started

        first = asyncio.create_task(timed("long", 0, 1.2))
        await asyncio.sleep(0.05)
        await asyncio.gather(first, timed("short", 1, 0.3))
        assert 0.25 < ended["short"] < 0.9
        assert 1.1 < ended["long"] < 3.0
        assert await post(pool, 2) == (200, OK)  # a new connection (the others were dropped)
        await pool.aclose()
    assert server.connections == 3


async def test_a_server_closing_mid_answer_is_a_connection_error() -> None:
    truncated = [b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"ok"']
    async with Server(lambda n: truncated) as server:
        pool = HttpPool(Origin("http", "127.0.0.1", server.port))
        with pytest.raises(ConnectionError):
            await post(pool)
        await pool.aclose()


async def test_an_answer_without_length_ends_with_the_connection() -> None:
    async with Server(lambda n: [b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n" + OK]) as server:
        pool = HttpPool(Origin("http", "127.0.0.1", server.port))
        assert await post(pool) == (200, OK)
        assert pool.connections == 0
        await pool.aclose()


def test_origin_of_a_url() -> None:
    origin, path = Origin.of("https://api.telegram.org/bot1:T/sendMessage?x=1")
    assert origin == Origin("https", "api.telegram.org", 443)
    assert path == "/bot1:T/sendMessage?x=1"
    assert origin.host_header == "api.telegram.org"
    assert Origin.of("http://127.0.0.1:8081/b")[0].host_header == "127.0.0.1:8081"
    with pytest.raises(ValueError):
        Origin.of("file:///tmp/x")


# ---- batched records in Redis ---------------------------------------------------------------


async def test_deliveries_finishing_together_are_recorded_in_redis(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    recorder = Recorder(redis, ttl_s=600)
    records = [
        Record("telegram.fanout.done:g:1-0", 10 + i, (f"telegram.card:{10 + i}:M", f"{i}:0"))
        for i in range(50)
    ] + [Record("telegram.fanout.done:g:2-0", 7), Record("telegram.fanout.done:g:2-0", 8)]
    try:
        results = await asyncio.gather(*(recorder.record(r) for r in records))
        assert all(results)
        assert await redis.smembers("telegram.fanout.done:g:1-0") == {
            str(10 + i) for i in range(50)
        }
        assert await redis.smembers("telegram.fanout.done:g:2-0") == {"7", "8"}
        assert await redis.get("telegram.card:42:M") == "32:0"
        assert 590 < await redis.ttl("telegram.card:42:M") <= 600
        assert 590 < await redis.ttl("telegram.fanout.done:g:2-0") <= 600
    finally:
        await redis.aclose()


async def test_a_batch_redis_refuses_is_reported_unrecorded(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    await redis.set("telegram.card:1:M", "not a set")
    recorder = Recorder(redis, ttl_s=600, attempts=2, backoff_s=0.01)
    try:
        # the second record's progress key holds a string: the script fails on it, and every
        # delivery of the batch is reported unrecorded (its entry stays pending)
        results = await asyncio.gather(
            recorder.record(Record("telegram.fanout.done:g:3-0", 1, ("telegram.card:2:M", "9:0"))),
            recorder.record(Record("telegram.card:1:M", 2)),
        )
        assert results == [False, False]
        assert await redis.get("telegram.card:1:M") == "not a set"
    finally:
        await redis.aclose()


# ---- the sender's intervals -----------------------------------------------------------------


def test_intervals_cover_the_overlapping_part_of_a_span() -> None:
    intervals = Intervals()
    intervals.add(1.0, 2.0)
    intervals.add(1.5, 3.0)  # overlaps: extends the last
    intervals.add(5.0, 6.0)
    intervals.add(10.0, 20.0)  # reaches past "now"
    assert len(intervals) == 3
    assert intervals.covered(0.0, 100.0) == pytest.approx(2.0 + 1.0 + 10.0)
    assert intervals.covered(2.5, 5.5) == pytest.approx(0.5 + 0.5)
    assert intervals.covered(3.0, 5.0) == 0.0
    assert intervals.covered(12.0, 13.0) == pytest.approx(1.0)
    assert intervals.covered(4.0, 4.0) == 0.0


def test_intervals_forget_the_oldest_beyond_what_they_keep() -> None:
    intervals = Intervals(kept=4)
    for i in range(20):
        intervals.add(float(i), i + 0.5)
    assert len(intervals) <= 8
    assert intervals.covered(15.0, 20.0) == pytest.approx(2.5)
