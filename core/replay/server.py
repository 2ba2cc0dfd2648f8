"""A local Solana RPC look-alike serving a replay: pubsub websocket and HTTP JSON-RPC on "/".

One port, one path, as RPC providers do: a websocket upgrade speaks pubsub (``logsSubscribe``,
``slotSubscribe`` and their unsubscribes), a POST speaks JSON-RPC (``getTransaction``,
``getSignaturesForAddress``, ``getSignatureStatuses``, ``getAccountInfo``,
``getMultipleAccounts``, ``getTokenLargestAccounts``, ``getTokenSupply``, ``getSlot``,
``getHealth``, ``getVersion``, batches). Account state comes from ``accounts`` (e.g.
``SimulatedMarket.account``), token balances from ``largest_accounts`` (e.g.
``SimulatedMarket.largest_token_accounts``); without them no account or balance exists.
Transactions are published from ``source`` at ``rate_per_s`` (None = as fast as possible)
whether or not anyone listens, and kept (up to ``max_ledger``) to answer RPC questions.
``drop_connections`` / ``drop_every_n`` / ``kill`` / ``restart`` simulate provider trouble so
reconnect and gap fill can be tested.

``record_send_times=True`` (off by default; for latency benchmarks) notes in ``sent_at`` when
each transaction's first ``logsNotification`` frame was handed to a subscriber's socket (unix s,
``time.time()``); off, it costs one test per frame sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
import structlog
from aiohttp import WSMsgType, web

from core.replay import metrics
from core.replay.index import TxIndex
from core.replay.ledger import ReplayTx
from core.replay.rpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    AccountSource,
    HttpRpc,
    LargestAccountsSource,
    RpcFault,
    error_response,
    result_response,
)
from core.replay.subscriptions import (
    LOGS_PREFIX,
    SLOT_PREFIX,
    Client,
    Subscriptions,
    frame,
    logs_result,
    logs_signature,
    parse_logs_filter,
)

log = structlog.get_logger(__name__)

TICK_S = 0.01
FAST_BATCH = 256
FAST_BACKLOG_FRAMES = 1024
ROOT_LAG_SLOTS = 32


class ReplayServer:
    """Serves ``source`` over the Solana pubsub + JSON-RPC protocols on one local port."""

    def __init__(
        self,
        source: Iterable[ReplayTx],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_per_s: float | None = None,
        drop_every_n: int | None = None,
        max_ledger: int = 1_000_000,
        accounts: AccountSource | None = None,
        largest_accounts: LargestAccountsSource | None = None,
        record_send_times: bool = False,
    ) -> None:
        if rate_per_s is not None and rate_per_s <= 0:
            raise ValueError("rate_per_s must be > 0 or None")
        if drop_every_n is not None and drop_every_n < 1:
            raise ValueError("drop_every_n must be >= 1 or None")
        self._source: Iterator[ReplayTx] = iter(source)
        self._host = host
        self._port = port
        self._rate_per_s = rate_per_s
        self._drop_every_n = drop_every_n
        self.index = TxIndex(max_ledger)
        self.published: list[str] = []
        """Signatures in publish order (every published transaction, listened to or not)."""
        self.sent_at: dict[str, float] | None = {} if record_send_times else None
        """With ``record_send_times``: signature -> when its first notification frame was
        written to a subscriber's socket (unix s). None otherwise."""
        self.done = asyncio.Event()
        """Set when the source is exhausted (never, for an infinite market)."""
        self.slot = 0
        self._subs = Subscriptions()
        self._clients: set[Client] = set()
        self._rpc = HttpRpc(self.index, lambda: self.slot, accounts, largest_accounts)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._unpaused = asyncio.Event()
        self._unpaused.set()
        self._progress = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def ws_url(self) -> str:
        return f"ws://{self._host}:{self._port}/"

    @property
    def http_url(self) -> str:
        return f"http://{self._host}:{self._port}/"

    @property
    def listening(self) -> bool:
        return self._site is not None

    async def start(self) -> None:
        """Listen and start publishing."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await self._listen()
        self._publisher = asyncio.create_task(self._publish_loop(), name="replay-publisher")
        log.info("replay_started", url=self.ws_url, rate_per_s=self._rate_per_s)

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self._host, self._port)
        await self._site.start()
        self._port = self._runner.addresses[-1][1]

    async def stop(self) -> None:
        """Stop publishing, close every connection, release the port."""
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
            self._publisher = None
        self._drop_all("stop")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None
        log.info("replay_stopped", published=len(self.published))

    async def kill(self) -> None:
        """Stop listening and cut every connection; publishing goes on into the ledger."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        self._drop_all("kill")
        if self._runner is not None:
            for handler in self._runner.server.connections if self._runner.server else ():
                handler.force_close()
        log.info("replay_killed", port=self._port, published=len(self.published))

    async def restart(self) -> None:
        """Listen again on the same port (after ``kill``)."""
        if self._site is None:
            await self._listen()
        log.info("replay_restarted", port=self._port, published=len(self.published))

    async def drop_connections(self) -> None:
        """Abort every websocket (no close frame), like a provider hiccup; keep listening."""
        self._drop_all("drop")
        await asyncio.sleep(0)

    def _drop_all(self, reason: str) -> None:
        for client in list(self._clients):
            if not client.closed:
                client.abort()
                metrics.DROPPED.labels(reason).inc()
        if self._clients:
            log.info("replay_connections_dropped", reason=reason, count=len(self._clients))

    def pause(self) -> None:
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    async def wait_published(self, n: int) -> None:
        """Return once at least ``n`` transactions are published (or the source is done)."""
        while len(self.published) < n and not self.done.is_set():
            await self._progress.wait()

    # -- publishing -----------------------------------------------------------------------

    async def _publish_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self._rate_per_s is None:
                while True:
                    await self._unpaused.wait()
                    if self._publish_batch(FAST_BATCH) < FAST_BATCH:
                        return
                    await asyncio.sleep(0)
                    while self._backlogged():
                        await asyncio.sleep(0.001)
            rate = self._rate_per_s
            credit, last = 0.0, loop.time()
            while True:
                if not self._unpaused.is_set():
                    await self._unpaused.wait()
                    last = loop.time()
                now = loop.time()
                credit = min(credit + (now - last) * rate, max(1.0, rate * 0.25))
                last = now
                due = int(credit)
                if due:
                    sent = self._publish_batch(due)
                    credit -= sent
                    if sent < due:
                        return
                await asyncio.sleep(TICK_S)
        finally:
            self.done.set()
            self._wake_waiters()

    def _backlogged(self) -> bool:
        """As fast as possible means as fast as the subscribers read: wait for their queues."""
        return any(len(c.frames) > FAST_BACKLOG_FRAMES and not c.closed for c in self._clients)

    def _wake_waiters(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    def _publish_batch(self, count: int) -> int:
        sent = 0
        for tx in self._source:
            self._publish(tx)
            sent += 1
            if sent == count:
                break
        metrics.PUBLISHED.inc(sent)
        self._wake_waiters()
        return sent

    def _publish(self, tx: ReplayTx) -> None:
        self.index.add(tx)
        self.published.append(tx.signature)
        if tx.slot != self.slot:
            self._notify_slot(tx.slot)
        targets = self._subs.logs_targets(tx)
        if targets:
            result = logs_result(tx)
            for sub_id, client in targets:
                if not client.closed and not client.push(frame(LOGS_PREFIX, result, sub_id)):
                    self._drop_slow(client)
            metrics.FRAMES_SENT.inc(len(targets))
        if self._drop_every_n is not None and len(self.published) % self._drop_every_n == 0:
            self._drop_all("drop")

    def _notify_slot(self, slot: int) -> None:
        parent = self.slot or slot - 1
        self.slot = slot
        targets = self._subs.slot_targets()
        if not targets:
            return
        result = orjson.dumps(
            {"parent": parent, "root": max(0, slot - ROOT_LAG_SLOTS), "slot": slot}
        )
        for sub_id, client in targets:
            if not client.closed:
                client.push(frame(SLOT_PREFIX, result, sub_id))

    def _drop_slow(self, client: Client) -> None:
        log.warning("replay_slow_consumer_dropped", queued=len(client.frames))
        metrics.DROPPED.labels("slow_consumer").inc()
        client.abort()

    # -- HTTP and websocket ---------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=1024 * 1024, autoclose=False)
        if ws.can_prepare(request).ok:
            return await self._serve_websocket(ws, request)
        if request.method != "POST":
            return web.Response(status=405, text="POST JSON-RPC or upgrade to websocket\n")
        body = await request.read()
        metrics.RPC_REQUESTS.labels("http").inc()
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            answer: Any = error_response(PARSE_ERROR, "Parse error")
        else:
            answer = self._rpc.handle_payload(payload)
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    async def _serve_websocket(
        self, ws: web.WebSocketResponse, request: web.Request
    ) -> web.WebSocketResponse:
        await ws.prepare(request)
        client = Client(ws, request)
        self._clients.add(client)
        metrics.CONNECTIONS.inc()
        sender = asyncio.create_task(self._send_frames(client))
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    metrics.RPC_REQUESTS.labels("ws").inc()
                    client.push(orjson.dumps(self._ws_answer(client, msg.data)))
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            client.closed = True
            self._subs.remove_client(client)
            self._clients.discard(client)
            metrics.CONNECTIONS.dec()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        await ws.close()  # answers the client's close frame now that no data frame can follow
        return ws

    async def _send_frames(self, client: Client) -> None:
        ws, frames, sent_at = client.ws, client.frames, self.sent_at
        try:
            while not client.closed:
                await client.wakeup.wait()
                client.wakeup.clear()
                while frames and not client.closed:
                    data = frames.popleft()
                    await ws.send_frame(data, WSMsgType.TEXT)
                    if sent_at is not None:  # record_send_times: the first notification's time
                        signature = logs_signature(data)
                        if signature is not None and signature not in sent_at:
                            sent_at[signature] = time.time()
        except ConnectionError as exc:
            log.info("replay_send_failed", error=str(exc))
            client.closed = True

    def _ws_answer(self, client: Client, data: str | bytes) -> Any:
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            return error_response(PARSE_ERROR, "Parse error")
        if isinstance(payload, list):
            if not payload:
                return error_response(INVALID_REQUEST, "Invalid Request")
            return [self._ws_request(client, item) for item in payload]
        return self._ws_request(client, payload)

    def _ws_request(self, client: Client, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            request_id = request.get("id") if isinstance(request, dict) else None
            return error_response(INVALID_REQUEST, "Invalid Request", request_id)
        request_id = request.get("id")
        method = request["method"]
        params = request.get("params", [])
        try:
            if method == "logsSubscribe":
                address = parse_logs_filter(params)
                return result_response(self._subs.add_logs(client, address), request_id)
            if method == "slotSubscribe":
                return result_response(self._subs.add_slot(client), request_id)
            if method in ("logsUnsubscribe", "slotUnsubscribe"):
                kind = "logs" if method == "logsUnsubscribe" else "slot"
                if not isinstance(params, list) or len(params) != 1:
                    raise RpcFault(INVALID_PARAMS, "Invalid params: expected [subscription id]")
                if not self._subs.remove(client, params[0], kind):
                    raise RpcFault(INVALID_PARAMS, "Invalid subscription id.")
                return result_response(True, request_id)
        except RpcFault as fault:
            return error_response(fault.code, fault.message, request_id)
        return error_response(METHOD_NOT_FOUND, "Method not found", request_id)
