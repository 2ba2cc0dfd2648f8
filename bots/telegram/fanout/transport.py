"""Keep-alive HTTP/1.1 connections for the fan-out's prepared Bot API requests.

aiohttp's ``ClientSession.post`` costs about 0.4 ms of CPU per request (measured against the
local emulator: cookies, tracing, redirects, timeouts, header merging, its payload writer), more
than everything else a delivery needs. The fan-out's requests need none of it: each is a
``POST`` of an already url-encoded form to one origin, answered by a small JSON body. ``HttpPool``
writes such a request on an idle keep-alive connection (opening one when none is idle) and reads
the answer (``Content-Length``, chunked, or up to the connection's end), about 0.1 ms per request.

Connections are opened as concurrent requests need them (the sender's ``max_in_flight`` bounds
them). A connection is reused only after a complete answer with keep-alive, never after a timeout,
a cancellation or an error, and not once idle for the server's ``Keep-Alive: timeout`` (less a
margin) or ``keepalive_s``. Errors are raised as ``OSError`` (``ConnectionError`` when the server
closes mid-answer, ``HttpProtocolError`` for an unreadable answer) and ``TimeoutError``; the
caller turns them into its own. HTTPS uses the given SSL context; proxies are not supported
(a bot behind a proxy goes through aiogram).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

_MAX_HEAD = 64 * 1024
_KEEP_ALIVE_TIMEOUT = re.compile(rb"timeout\s*=\s*(\d+)")
_IDLE_MARGIN_S = 1.0


class HttpProtocolError(ConnectionError):
    """The server's answer is not HTTP/1.x as expected."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> tuple[Origin, str]:
        """The origin of ``url`` and its path (with the query)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return cls(parts.scheme, parts.hostname, port), path

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its answer parsed as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_until = 0.0  # monotonic: reusable until then
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._status = 0
        self._head_done = False
        self._length: int | None = None  # Content-Length, when given
        self._chunked = False
        self._to_eof = False  # neither: the body ends with the connection
        self.keep_alive = True
        self.server_idle_s: float | None = None
        self.deadline = 0.0  # monotonic: the answer being awaited times out then

    # ---- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            self.closed = True  # bytes nobody asked for: the connection is unusable
            if self.transport is not None:
                self.transport.close()
            return
        self._buffer += data
        try:
            self._parse()
        except HttpProtocolError as exc:
            self._fail(exc)

    def eof_received(self) -> bool | None:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            if exc is None and self._head_done and self._to_eof:
                self._complete(bytes(self._buffer))
            else:
                self._fail(ConnectionError(f"the server closed the connection: {exc or 'EOF'}"))

    # ---- one exchange -------------------------------------------------------------------

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._buffer.clear()
        self._status, self._head_done, self._length = 0, False, None
        self._chunked = self._to_eof = False
        self.transport.write(request)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def time_out(self) -> None:
        """No (complete) answer in time: the connection cannot be reused."""
        self._fail(TimeoutError("no answer in time"))

    def _parse(self) -> None:
        buffer = self._buffer
        if not self._head_done:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    raise HttpProtocolError("answer head too long")
                return
            self._read_head(bytes(buffer[:end]))
            del buffer[: end + 4]
            if self._status < 200:  # 1xx (100 Continue): the real answer follows
                self._head_done = False
                self._parse()
                return
        if self._length is not None:
            if len(buffer) >= self._length:
                self._complete(bytes(buffer[: self._length]))
        elif self._chunked:
            body = _dechunk(buffer)
            if body is not None:
                self._complete(body)

    def _read_head(self, head: bytes) -> None:
        status_end = head.find(b"\r\n")
        status_line = (head if status_end < 0 else head[:status_end]).split(b" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
            raise HttpProtocolError(f"not an HTTP/1.x answer: {head[:80]!r}")
        try:
            self._status = int(status_line[1])
        except ValueError as exc:
            raise HttpProtocolError(f"bad status: {head[:80]!r}") from exc
        self._head_done = True
        # only the headers that say where the body ends and whether the connection stays
        lowered = head.lower()
        length = _header(lowered, b"content-length")
        if length is not None:
            try:
                self._length = int(length)
            except ValueError as exc:
                raise HttpProtocolError(f"bad Content-Length: {length[:40]!r}") from exc
        self._chunked = (_header(lowered, b"transfer-encoding") or b"").endswith(b"chunked")
        connection = _header(lowered, b"connection") or b""
        if b"close" in connection:
            self.keep_alive = False
        else:
            self.keep_alive = status_line[0] == b"HTTP/1.1" or b"keep-alive" in connection
        keep_alive = _header(lowered, b"keep-alive")
        if keep_alive is not None:
            match = _KEEP_ALIVE_TIMEOUT.search(keep_alive)
            if match:
                self.server_idle_s = float(match.group(1))
        if self._chunked:
            self._length = None
        elif self._length is None:
            if self._status in (204, 304):
                self._length = 0
            else:
                self._to_eof = True
                self.keep_alive = False

    def _complete(self, body: bytes) -> None:
        waiter, self._waiter = self._waiter, None
        self._buffer.clear()
        if waiter is not None and not waiter.done():
            waiter.set_result((self._status, body))

    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


def _header(lowered_head: bytes, name: bytes) -> bytes | None:
    """The value of the header ``name`` (lower case) in a lowered answer head, or None."""
    at = lowered_head.find(b"\r\n" + name + b":")
    if at < 0:
        return None
    start = at + len(name) + 3
    end = lowered_head.find(b"\r\n", start)
    return (lowered_head[start:] if end < 0 else lowered_head[start:end]).strip()


def _dechunk(buffer: bytearray) -> bytes | None:
    """The body of a complete chunked answer in ``buffer``, or None while incomplete."""
    body = bytearray()
    pos = 0
    while True:
        end = buffer.find(b"\r\n", pos)
        if end < 0:
            return None
        size_text = bytes(buffer[pos:end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise HttpProtocolError(f"bad chunk size: {size_text[:20]!r}") from exc
        pos = end + 2
        if size == 0:  # trailers (if any) end with an empty line
            trailer_end = buffer.find(b"\r\n\r\n", pos - 2)
            return bytes(body) if trailer_end >= 0 else None
        if len(buffer) < pos + size + 2:
            return None
        body += buffer[pos : pos + size]
        pos += size + 2


class HttpPool:
    """``post`` url-encoded forms to one origin over reused connections."""

    def __init__(
        self,
        origin: Origin,
        *,
        ssl_context: ssl.SSLContext | None = None,
        keepalive_s: float = 15.0,
        user_agent: str = "solsignals-fanout",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.origin = origin
        self._ssl = ssl_context if origin.scheme == "https" else None
        if origin.scheme == "https" and self._ssl is None:
            self._ssl = ssl.create_default_context()
        self._keepalive_s = keepalive_s
        self._now = monotonic
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self._busy: set[_Connection] = set()  # awaiting an answer
        # one timer for the earliest deadline of the busy connections, not one per request
        # (scheduling and cancelling a timer per request was a fifth of post's CPU, profiled)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._head = (
            f"Host: {origin.host_header}\r\nUser-Agent: {user_agent}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
        ).encode()

    @property
    def connections(self) -> int:
        """Open connections (idle or busy)."""
        return sum(1 for c in self._all if not c.closed)

    async def post(
        self,
        path: bytes,
        body: bytes,
        *,
        timeout_s: float,
        on_sent: Callable[[], None] = lambda: None,
    ) -> tuple[int, bytes]:
        """(status, body) of the answer; ``on_sent`` is called once the request is written."""
        request = b"POST %s HTTP/1.1\r\n%s%d\r\n\r\n%s" % (path, self._head, len(body), body)
        deadline = self._now() + timeout_s
        connection = self._take()
        if connection is None:
            async with asyncio.timeout(timeout_s):
                connection = await self._open()
        reusable = False
        try:
            answer = connection.send(request)
            on_sent()
            connection.deadline = deadline
            self._busy.add(connection)
            if self._timer is None or deadline < self._timer_at:
                self._arm(deadline)
            status, content = await answer
            reusable = connection.keep_alive
            return status, content
        finally:
            self._busy.discard(connection)
            self._give_back(connection, reusable)

    def _arm(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().call_later(
            max(0.0, at - self._now()), self._time_out
        )

    def _time_out(self) -> None:
        """The earliest deadline passed: fail the connections past theirs (a timer, not
        asyncio.timeout per request: that was a third of the CPU of a post, profiled)."""
        self._timer = None
        now = self._now()
        for connection in [c for c in self._busy if c.deadline <= now]:
            self._busy.discard(connection)
            connection.time_out()
        if self._busy:
            self._arm(min(c.deadline for c in self._busy))

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for connection in list(self._all):
            connection.close()
        self._all.clear()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports close

    def _take(self) -> _Connection | None:
        now = self._now()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the least likely to expire
            if not connection.closed and now < connection.idle_until:
                return connection
            connection.close()
            self._all.discard(connection)
        return None

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _transport, connection = await loop.create_connection(
            _Connection,
            self.origin.host,
            self.origin.port,
            ssl=self._ssl,
            server_hostname=self.origin.host if self._ssl is not None else None,
        )
        self._all.add(connection)
        return connection

    def _give_back(self, connection: _Connection, reusable: bool) -> None:
        if not reusable or connection.closed:
            connection.close()
            self._all.discard(connection)
            return
        idle_s = self._keepalive_s
        if connection.server_idle_s is not None:
            idle_s = min(idle_s, connection.server_idle_s - _IDLE_MARGIN_S)
        connection.idle_until = self._now() + idle_s
        self._idle.append(connection)
