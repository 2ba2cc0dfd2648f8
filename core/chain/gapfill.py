"""Gap fill: after a reconnect, recover the transactions a websocket missed while it was down.

``GapTracker`` remembers, per address, the newest signature up to which the stream is known to be
complete (the *anchor*). A live notice moves the anchor only while no fill is pending for that
address, so a fill that dies half-way is redone from the old anchor on the next connection.
On the first subscription an address gets a *baseline*: the newest signature the node lists for
it (``limit=1``), so a quiet address that saw no live notice before an outage is still filled;
an address with no history at all is then filled from its very first transaction.
``fill_address`` pages getSignaturesForAddress backwards from the head until the anchor, then
fetches each missing transaction oldest→newest and hands it to ``emit``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass
from typing import Any

import structlog

from core.chain import metrics
from core.chain.notices import LogsNotice
from core.chain.rpc_client import RpcClient
from core.chain.rpc_types import SignatureInfo

log = structlog.get_logger(__name__)

DEFAULT_MAX_SIGNATURES = 5_000
DEFAULT_CONCURRENCY = 8
MISSING_TX_ATTEMPTS = 3
MISSING_TX_DELAY_S = 0.2


@dataclass(slots=True)
class _AddressState:
    anchor: str | None = None  # newest signature with everything older already emitted
    known: bool = False  # a baseline (or a live notice) fixed where the stream starts
    filling: bool = False
    live_newest: str | None = None  # newest live signature seen while a fill is pending


class GapTracker:
    """Per-address anchors for gap fill. Not thread-safe; lives on one event loop."""

    def __init__(self, addresses: list[str]) -> None:
        self._states = {address: _AddressState() for address in addresses}

    def anchor(self, address: str) -> str | None:
        return self._states[address].anchor

    def note_live(self, address: str, signature: str) -> None:
        state = self._states[address]
        if state.filling:
            state.live_newest = signature
        else:
            state.anchor = signature
            state.known = True

    def needing_baseline(self) -> list[str]:
        return [address for address, state in self._states.items() if not state.known]

    def set_baseline(self, address: str, newest: str | None) -> None:
        """The newest signature listed right after subscribing (None: no history yet)."""
        state = self._states[address]
        if state.anchor is None:
            state.anchor = newest
        state.known = True

    def begin_fill(self) -> dict[str, str | None]:
        """Mark every address with a known start as filling; return {address: until}.

        ``until`` None means the address had no history when first subscribed: fill it all.
        """
        pending: dict[str, str | None] = {}
        for address, state in self._states.items():
            state.live_newest = None
            state.filling = state.known
            if state.known:
                pending[address] = state.anchor
        return pending

    def finish_fill(self, address: str, newest_filled: str | None) -> None:
        """The fill of ``address`` completed: everything up to the head is emitted."""
        state = self._states[address]
        state.anchor = state.live_newest or newest_filled or state.anchor
        state.filling = False
        state.live_newest = None

    def abort_fills(self) -> None:
        """The connection died: keep the old anchors (live notices are in the dedupe anyway)."""
        for state in self._states.values():
            state.filling = False
            state.live_newest = None


def notice_from_transaction(signature: str, tx: dict[str, Any], provider: str) -> LogsNotice:
    """A gap-fill ``LogsNotice`` from a getTransaction (json) result."""
    meta = tx.get("meta") or {}
    return LogsNotice(
        signature=signature,
        slot=int(tx.get("slot", 0)),
        err=meta.get("err"),
        logs=tuple(meta.get("logMessages") or ()),
        provider=provider,
        source="gapfill",
        block_time=tx.get("blockTime"),
    )


async def _fetch_transaction(rpc: RpcClient, signature: str) -> dict[str, Any] | None:
    for attempt in range(MISSING_TX_ATTEMPTS):
        tx = await rpc.get_transaction(signature)
        if tx is not None:
            return tx
        if attempt + 1 < MISSING_TX_ATTEMPTS:
            await asyncio.sleep(MISSING_TX_DELAY_S)
    return None


async def fill_address(
    rpc: RpcClient,
    address: str,
    until: str | None,
    *,
    already_seen: Container[str],
    emit: Callable[[LogsNotice], Awaitable[bool]],
    max_signatures: int = DEFAULT_MAX_SIGNATURES,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> tuple[str | None, int]:
    """Emit every transaction mentioning ``address`` newer than ``until`` not yet seen.

    Returns (newest signature listed, number emitted). Raises ``UpstreamError`` on RPC failure.
    """
    listed: list[SignatureInfo] = []
    async for info in rpc.iter_signatures_until(address, until):
        listed.append(info)
        if len(listed) >= max_signatures:
            log.warning(
                "gapfill_truncated",
                address=address,
                provider=rpc.name,
                max_signatures=max_signatures,
            )
            break
    newest = listed[0].signature if listed else None
    missing = [info.signature for info in reversed(listed) if info.signature not in already_seen]
    emitted = 0
    for start in range(0, len(missing), concurrency):
        batch = missing[start : start + concurrency]
        txs = await asyncio.gather(*(_fetch_transaction(rpc, sig) for sig in batch))
        for signature, tx in zip(batch, txs, strict=True):
            if tx is None:
                metrics.PUBSUB_GAPFILL_MISSING.labels(rpc.name).inc()
                log.warning(
                    "gapfill_transaction_missing",
                    signature=signature,
                    address=address,
                    provider=rpc.name,
                )
                continue
            if await emit(notice_from_transaction(signature, tx, rpc.name)):
                emitted += 1
    log.info(
        "gapfill_address_done",
        address=address,
        provider=rpc.name,
        listed=len(listed),
        emitted=emitted,
    )
    return newest, emitted
