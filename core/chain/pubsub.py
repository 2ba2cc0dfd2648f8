"""Solana pubsub websocket client: logsSubscribe per address, reconnect, failover, gap fill.

One websocket to the active provider carries one ``logsSubscribe {"mentions": [address]}`` per
address (Solana accepts exactly one address per filter) and one ``slotSubscribe`` that tracks the
node's slot. Every ``logsNotification`` becomes a ``LogsNotice`` on ``out`` (a bounded queue:
when it is full the client stops reading, which is the backpressure), at most once per signature.

Reconnect: exponential backoff with full jitter (``backoff_base_s``..``backoff_cap_s``); every
address is subscribed again, then the gap is filled over HTTP (see ``core.chain.gapfill``).

Failover along the ordered provider list happens when ``error_threshold`` consecutive sessions
failed (refused, dropped before subscribing, subscription errors) or when the active provider's
slot lags the best slot known from the other providers' HTTP ``getSlot`` by more than
``max_slot_lag``. The list wraps around. The client returns to the preferred (first) provider
when, while on another one, a probe every ``preferred_retry_s`` finds the preferred provider's
HTTP ``getSlot`` answering within ``max_slot_lag`` of the best known slot; gap fill covers the
switch.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from core.chain import metrics
from core.chain.backoff import Backoff
from core.chain.dedupe import DEFAULT_CAPACITY, SignatureDedupe
from core.chain.gapfill import GapTracker, fill_address
from core.chain.notices import LogsNotice
from core.chain.providers import Provider
from core.chain.rpc_client import RpcClient
from core.errors import UpstreamError

log = structlog.get_logger(__name__)

_SLOT_REQUEST_ID = 0


class _SlotLag(UpstreamError):
    def __init__(self, provider: str, lag_slots: int) -> None:
        self.lag_slots = lag_slots
        super().__init__(
            f"{provider} lags by {lag_slots} slots", retryable=True, provider=provider
        )


CLOSE_TIMEOUT_S = 1.0


class _PreferredBack(Exception):
    """The preferred provider is healthy again: leave the fallback."""


@dataclass(slots=True)
class PubsubState:
    """What the client is doing, for status pages and tests."""

    provider: str
    connected: bool = False
    subscribed: bool = False
    sessions: int = 0
    reconnects: int = 0
    failovers: int = 0
    consecutive_errors: int = 0
    notices: int = 0
    ws_notices: int = 0
    gapfilled: int = 0
    duplicates: int = 0
    subscribe_errors: int = 0
    node_slot: int | None = None
    best_slot: int | None = None


def _default_rpc_factory(provider: Provider) -> RpcClient:
    return RpcClient(provider.http_url, name=provider.name)


class PubsubClient:
    def __init__(
        self,
        providers: Sequence[Provider],
        addresses: Sequence[str],
        out: asyncio.Queue[LogsNotice],
        *,
        commitment: str = "confirmed",
        heartbeat_s: float = 20.0,
        max_slot_lag: int = 150,
        error_threshold: int = 3,
        rpc_factory: Callable[[Provider], RpcClient] | None = None,
        gapfill: bool = True,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        lag_check_s: float | None = None,
        preferred_retry_s: float = 300.0,
        dedupe_capacity: int = DEFAULT_CAPACITY,
        open_timeout_s: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        if not providers:
            raise ValueError("at least one provider is needed")
        if not addresses:
            raise ValueError("at least one address is needed")
        self._providers = list(providers)
        self._addresses = list(dict.fromkeys(addresses))
        self._out = out
        self._commitment = commitment
        self._heartbeat_s = heartbeat_s
        self._max_slot_lag = max_slot_lag
        self._error_threshold = error_threshold
        self._rpc_factory = rpc_factory or _default_rpc_factory
        self._gapfill = gapfill
        self._lag_check_s = lag_check_s if lag_check_s is not None else heartbeat_s
        self._preferred_retry_s = preferred_retry_s
        self._open_timeout_s = open_timeout_s
        self._backoff = Backoff(backoff_base_s, backoff_cap_s, rng or random.Random())
        self._dedupe = SignatureDedupe(dedupe_capacity)
        self._tracker = GapTracker(self._addresses)
        self._rpcs: dict[str, RpcClient] = {}
        self._active = 0
        self._stop = asyncio.Event()
        self.state = PubsubState(provider=self._providers[0].name)

    @property
    def current_provider(self) -> str:
        return self._providers[self._active].name

    def stop(self) -> None:
        """Ask ``run()`` to close the connection and return."""
        self._stop.set()

    # ---- main loop -------------------------------------------------------------------------

    async def run(self) -> None:
        """Stream notices until ``stop()``. Connection problems never escape; they are retried."""
        self._stop.clear()
        try:
            while not self._stop.is_set():
                provider = self._providers[self._active]
                self.state.provider = provider.name
                if self.state.sessions:
                    self.state.reconnects += 1
                    metrics.PUBSUB_RECONNECTS.labels(provider.name).inc()
                self.state.sessions += 1
                try:
                    stopped = await self._until_stopped(self._session(provider))
                except _SlotLag as exc:
                    self._failover(provider, "slot_lag", lag_slots=exc.lag_slots)
                    continue
                except _PreferredBack:
                    self._switch_to(0, provider, "preferred_back")
                    continue
                except (OSError, TimeoutError, WebSocketException, UpstreamError) as exc:
                    self._on_session_error(provider, exc)
                    if self._active == self._providers.index(provider):
                        await self._sleep_unless_stopped(self._backoff.next_delay_s())
                    continue
                finally:
                    self.state.connected = False
                    self.state.subscribed = False
                    self._tracker.abort_fills()
                if stopped:
                    break
        finally:
            for rpc in self._rpcs.values():
                await rpc.aclose()
            self._rpcs.clear()
            log.info("pubsub_stopped", provider=self.current_provider)

    async def _until_stopped(self, coro: Any) -> bool:
        """Run ``coro``; True if ``stop()`` came first (then ``coro`` is cancelled)."""
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task in done:
            task.result()
            return False
        return True

    async def _sleep_unless_stopped(self, delay_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=delay_s)

    def _on_session_error(self, provider: Provider, exc: BaseException) -> None:
        self.state.consecutive_errors += 1
        log.warning(
            "pubsub_session_error",
            provider=provider.name,
            consecutive_errors=self.state.consecutive_errors,
            error=repr(exc),
        )
        if self.state.consecutive_errors >= self._error_threshold and len(self._providers) > 1:
            self._failover(provider, "errors")

    def _failover(self, provider: Provider, reason: str, **fields: Any) -> None:
        self._switch_to((self._active + 1) % len(self._providers), provider, reason, **fields)

    def _switch_to(self, index: int, provider: Provider, reason: str, **fields: Any) -> None:
        self._active = index
        self.state.failovers += 1
        self.state.consecutive_errors = 0
        self._backoff.reset()
        metrics.PUBSUB_FAILOVERS.labels(provider.name, reason).inc()
        log.warning(
            "pubsub_failover",
            from_provider=provider.name,
            to_provider=self._providers[index].name,
            reason=reason,
            **fields,
        )

    def _rpc(self, provider: Provider) -> RpcClient:
        rpc = self._rpcs.get(provider.name)
        if rpc is None:
            rpc = self._rpcs[provider.name] = self._rpc_factory(provider)
        return rpc

    # ---- one connection --------------------------------------------------------------------

    async def _session(self, provider: Provider) -> None:
        async with connect(
            provider.ws_url,
            ping_interval=self._heartbeat_s,
            ping_timeout=self._heartbeat_s,
            open_timeout=self._open_timeout_s,
            # A provider still streaming may never answer our close frame: do not wait the
            # library's default 10 s for it on shutdown or failover.
            close_timeout=CLOSE_TIMEOUT_S,
            max_size=None,
            compression=None,
        ) as ws:
            self.state.connected = True
            self.state.node_slot = None  # a slot from the previous provider says nothing here
            log.info("pubsub_connected", provider=provider.name, url=provider.ws_url)
            subscriptions = await self._subscribe(ws, provider)
            self.state.subscribed = True
            self.state.consecutive_errors = 0
            self._backoff.reset()
            try:
                async with asyncio.TaskGroup() as group:
                    if self._gapfill:
                        group.create_task(self._fill_gaps(provider))
                    if len(self._providers) > 1:
                        group.create_task(self._watch_health(provider))
                    group.create_task(self._read(ws, provider, subscriptions))
            except BaseExceptionGroup as group_exc:
                raise group_exc.exceptions[0] from None

    async def _subscribe(self, ws: ClientConnection, provider: Provider) -> dict[int, str]:
        """Send every subscription, wait for all answers; return {subscription id: address}."""
        pending: dict[int, str] = {}
        for request_id, address in enumerate(self._addresses, start=1):
            pending[request_id] = address
            await ws.send(
                orjson.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": request_id,
                        "method": "logsSubscribe",
                        "params": [{"mentions": [address]}, {"commitment": self._commitment}],
                    }
                ).decode()
            )
        await ws.send(
            orjson.dumps(
                {"jsonrpc": "2.0", "id": _SLOT_REQUEST_ID, "method": "slotSubscribe"}
            ).decode()
        )
        slot_pending = True
        subscriptions: dict[int, str] = {}
        while pending or slot_pending:
            message = self._parse(await ws.recv(), provider)
            if message is None:
                continue
            answered: Any = message.get("id")
            if "method" in message:
                await self._on_notification(message, provider, subscriptions)
                continue
            if "error" in message:
                self.state.subscribe_errors += 1
                metrics.PUBSUB_SUBSCRIBE_ERRORS.labels(provider.name).inc()
                error = message["error"] or {}
                what = pending.get(answered, "slotSubscribe")
                log.error(
                    "pubsub_subscribe_rejected",
                    provider=provider.name,
                    subscription=what,
                    code=error.get("code"),
                    message=error.get("message"),
                )
                if answered == _SLOT_REQUEST_ID:
                    slot_pending = False  # lag tracking is optional; logs are not
                    continue
                raise UpstreamError(
                    f"{provider.name} refused logsSubscribe for {what}: "
                    f"{error.get('code')} {error.get('message')}",
                    retryable=True,
                    provider=provider.name,
                )
            if answered == _SLOT_REQUEST_ID:
                slot_pending = False
            elif answered in pending:
                subscriptions[int(message["result"])] = pending.pop(answered)
        log.info("pubsub_subscribed", provider=provider.name, addresses=len(subscriptions))
        return subscriptions

    def _parse(self, raw: str | bytes, provider: Provider) -> dict[str, Any] | None:
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            log.warning("pubsub_message_not_json", provider=provider.name, size=len(raw))
            return None
        if not isinstance(message, dict):
            log.warning("pubsub_message_not_object", provider=provider.name)
            return None
        return message

    async def _read(
        self, ws: ClientConnection, provider: Provider, subscriptions: dict[int, str]
    ) -> None:
        async for raw in ws:
            message = self._parse(raw, provider)
            if message is not None and "method" in message:
                await self._on_notification(message, provider, subscriptions)
        raise UpstreamError(
            f"{provider.name} closed the websocket", retryable=True, provider=provider.name
        )

    async def _on_notification(
        self, message: dict[str, Any], provider: Provider, subscriptions: dict[int, str]
    ) -> None:
        method = message.get("method")
        params = message.get("params") or {}
        result = params.get("result") or {}
        if method == "slotNotification":
            self.state.node_slot = int(result.get("slot", 0))
            return
        if method != "logsNotification":
            log.debug("pubsub_unexpected_method", provider=provider.name, method=method)
            return
        subscription: Any = params.get("subscription")
        address = subscriptions.get(subscription)
        value = result.get("value") or {}
        signature = value.get("signature")
        if not signature:
            log.warning("pubsub_notice_without_signature", provider=provider.name)
            return
        slot = int((result.get("context") or {}).get("slot", 0))
        notice = LogsNotice(
            signature=signature,
            slot=slot,
            err=value.get("err"),
            logs=tuple(value.get("logs") or ()),
            provider=provider.name,
            source="ws",
        )
        if self.state.node_slot is None or slot > self.state.node_slot:
            self.state.node_slot = slot
        await self._emit(notice)
        if address is not None:
            self._tracker.note_live(address, signature)
        else:
            log.warning(
                "pubsub_unknown_subscription",
                provider=provider.name,
                subscription=subscription,
            )

    async def _emit(self, notice: LogsNotice) -> bool:
        """Put ``notice`` on the output queue unless its signature was emitted already."""
        if not self._dedupe.first_sighting(notice.signature):
            self.state.duplicates += 1
            metrics.PUBSUB_DUPLICATES.labels(notice.provider, notice.source).inc()
            return False
        await self._out.put(notice)
        self.state.notices += 1
        if notice.source == "gapfill":
            self.state.gapfilled += 1
            metrics.PUBSUB_GAPFILLED.labels(notice.provider).inc()
        else:
            self.state.ws_notices += 1
        metrics.PUBSUB_NOTICES.labels(notice.provider, notice.source).inc()
        metrics.PUBSUB_QUEUE_DEPTH.set(self._out.qsize())
        return True

    # ---- background work of a session ------------------------------------------------------

    async def _fill_gaps(self, provider: Provider) -> None:
        rpc = self._rpc(provider)
        pending = self._tracker.begin_fill()
        for address in self._tracker.needing_baseline():
            head = await rpc.get_signatures_for_address(address, limit=1)
            self._tracker.set_baseline(address, head[0].signature if head else None)
        if not pending:
            return
        total = 0
        for address, until in pending.items():
            newest, emitted = await fill_address(
                rpc, address, until, already_seen=self._dedupe, emit=self._emit
            )
            self._tracker.finish_fill(address, newest)
            total += emitted
        log.info("pubsub_gapfill_done", provider=provider.name, emitted=total)

    async def _watch_health(self, provider: Provider) -> None:
        """Fail over when this provider lags; go back to the preferred one when it is healthy."""
        loop = asyncio.get_running_loop()
        next_preferred_probe = loop.time() + self._preferred_retry_s
        others = [p for p in self._providers if p.name != provider.name]
        while True:
            await asyncio.sleep(self._lag_check_s)
            slots = await asyncio.gather(*(self._probe_slot(p) for p in others))
            known = {p.name: s for p, s in zip(others, slots, strict=True) if s is not None}
            own = self.state.node_slot
            best = max([*known.values(), *([own] if own is not None else [])], default=None)
            self.state.best_slot = best
            if own is not None and best is not None:
                lag = best - own
                metrics.PUBSUB_SLOT_LAG.labels(provider.name).set(lag)
                if lag > self._max_slot_lag:
                    raise _SlotLag(provider.name, lag)
            preferred = self._providers[0]
            if self._active != 0 and loop.time() >= next_preferred_probe:
                next_preferred_probe = loop.time() + self._preferred_retry_s
                preferred_slot = known.get(preferred.name)
                if (
                    preferred_slot is not None
                    and best is not None
                    and best - preferred_slot <= self._max_slot_lag
                ):
                    raise _PreferredBack()

    async def _probe_slot(self, provider: Provider) -> int | None:
        try:
            return await self._rpc(provider).get_slot(commitment="confirmed")
        except UpstreamError as exc:
            log.info("pubsub_slot_probe_failed", provider=provider.name, error=str(exc))
            return None
