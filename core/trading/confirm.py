"""Landing one signed transaction: send, poll its status to ``confirmed``, rebroadcast the same
bytes until its blockhash expires.

Why this cannot trade twice: only one signed transaction is ever sent here, and a transaction
lands at most once (its signature is its identity; the cluster drops duplicates). Every resend
is the same bytes. What must never happen is concluding "not landed" too early and letting the
caller build a second transaction; so "expired" is answered only when the chain's block height
is past the blockhash's ``lastValidBlockHeight`` AND a status lookup with
``searchTransactionHistory`` still does not know the signature.

Sending is one attempt per call (no client-side retries): an answer that did not arrive (a
timeout, a transport error, HTTP 5xx/429) means "maybe sent", so the next step is a status check
by signature, never a blind second send. A node's explicit refusal at the first send (preflight
failure, signature verification failure) means nothing was accepted: ``REJECTED``. A resumed
landing (``already_sent``, e.g. after a crash) starts with a status check.

When the RPC node cannot tell us anything for ``max_wait_s``, the answer is ``UNCONFIRMED``: the
transaction may still land; the caller keeps the request open (a later resume checks again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import structlog
from prometheus_client import Counter

from core.chain.rpc_client import RpcClient
from core.chain.rpc_types import SignatureStatus
from core.errors import RpcError, UpstreamError

log = structlog.get_logger(__name__)

CONFIRMED_LEVELS = ("confirmed", "finalized")

SENDS = Counter(
    "solsignals_trade_sends_total",
    "sendTransaction calls for trades, by outcome (ok, unknown, already_processed, "
    "blockhash_not_found, rejected)",
    ["outcome"],
)
STATUS_POLLS = Counter(
    "solsignals_trade_status_polls_total",
    "getSignatureStatuses polls while confirming trades, by outcome (unknown, processed, "
    "confirmed, failed, error)",
    ["outcome"],
)
REBROADCASTS = Counter(
    "solsignals_trade_rebroadcasts_total", "Resends of a trade's signed transaction"
)


class LandingKind(StrEnum):
    CONFIRMED = "confirmed"  # landed without error at confirmed (or finalized)
    FAILED_ON_CHAIN = "failed_on_chain"  # landed with an error: the fee was paid, nothing else
    EXPIRED = "expired"  # the blockhash expired and the transaction never landed
    REJECTED = "rejected"  # the node refused the first send: nothing was accepted
    UNCONFIRMED = "unconfirmed"  # no answer could settle it within max_wait_s


@dataclass(frozen=True, slots=True)
class Landing:
    kind: LandingKind
    signature: str
    sends: int
    slot: int | None = None
    err: Any = None
    logs: tuple[str, ...] = field(default_factory=tuple)
    message: str = ""


class _Send(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    ALREADY_PROCESSED = "already_processed"
    BLOCKHASH_NOT_FOUND = "blockhash_not_found"
    REJECTED = "rejected"


def _preflight_err(exc: RpcError) -> tuple[Any, tuple[str, ...]]:
    data = exc.data if isinstance(exc.data, dict) else {}
    return data.get("err"), tuple(data.get("logs") or ())


class TransactionLander:
    """Lands signed transactions over one ``RpcClient``. ``sleep`` / ``clock`` are injectable
    (tests move the chain on in ``sleep``)."""

    def __init__(
        self,
        rpc: RpcClient,
        *,
        poll_s: float = 0.4,
        rebroadcast_s: float = 2.0,
        max_wait_s: float = 150.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rpc = rpc
        self.poll_s = poll_s
        self.rebroadcast_s = rebroadcast_s
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self._clock = clock

    async def pause(self) -> None:
        """Wait one poll interval (e.g. before asking again for a transaction just confirmed)."""
        await self._sleep(self.poll_s)

    async def land(
        self,
        signed_b64: str,
        signature: str,
        last_valid_block_height: int,
        *,
        already_sent: bool = False,
        on_rebroadcast: Callable[[int], Awaitable[None]] | None = None,
    ) -> Landing:
        started = self._clock()
        sends = 0
        maybe_sent = already_sent  # could an earlier send (ours or a crashed run's) have landed?
        last_send_at: float | None = None
        check_first = already_sent
        while True:
            if self._clock() - started > self.max_wait_s:
                return Landing(
                    LandingKind.UNCONFIRMED,
                    signature,
                    sends,
                    message=f"no confirmation within {self.max_wait_s:.0f} s; it may still land",
                )
            if not check_first and (
                last_send_at is None or self._clock() - last_send_at >= self.rebroadcast_s
            ):
                outcome, exc = await self._send(signed_b64, first=sends == 0 and not maybe_sent)
                sends += 1
                last_send_at = self._clock()
                if sends > 1:
                    REBROADCASTS.inc()
                    if on_rebroadcast is not None:
                        await on_rebroadcast(sends)
                if outcome is _Send.REJECTED and not maybe_sent:
                    assert exc is not None
                    err, logs = _preflight_err(exc)
                    return Landing(
                        LandingKind.REJECTED,
                        signature,
                        sends,
                        err=err,
                        logs=logs,
                        message=str(exc),
                    )
                # BlockhashNotFound alone proves nothing (the node may be behind): expiry is
                # decided below, from the block height.
                maybe_sent = maybe_sent or outcome is not _Send.REJECTED
            check_first = False
            status = await self._status(signature)
            if status is not None:
                if status.err is not None:
                    return Landing(
                        LandingKind.FAILED_ON_CHAIN,
                        signature,
                        sends,
                        slot=status.slot,
                        err=status.err,
                        message=f"the transaction landed with an error: {status.err}",
                    )
                if status.confirmation_status in CONFIRMED_LEVELS:
                    return Landing(LandingKind.CONFIRMED, signature, sends, slot=status.slot)
            else:
                height = await self._height()
                if height is not None and height > last_valid_block_height:
                    final = await self._expired_check(signature)
                    if final is not None:
                        return replace(final, sends=sends)
                    continue
            await self._sleep(self.poll_s)

    async def _send(self, signed_b64: str, *, first: bool) -> tuple[_Send, RpcError | None]:
        try:
            await self._rpc.send_transaction(
                signed_b64, skip_preflight=not first, max_retries=0, retry=False
            )
        except RpcError as exc:
            err, _ = _preflight_err(exc)
            if err == "AlreadyProcessed":
                outcome = _Send.ALREADY_PROCESSED
            elif err == "BlockhashNotFound":
                outcome = _Send.BLOCKHASH_NOT_FOUND
            elif exc.retryable:
                outcome = _Send.UNKNOWN
            else:
                outcome = _Send.REJECTED
            SENDS.labels(outcome.value).inc()
            log.info("trade_send_refused", outcome=outcome.value, error=str(exc), first=first)
            return outcome, exc
        except UpstreamError as exc:
            SENDS.labels(_Send.UNKNOWN.value).inc()
            log.warning("trade_send_unanswered", error=str(exc), first=first)
            return _Send.UNKNOWN, None
        SENDS.labels(_Send.OK.value).inc()
        return _Send.OK, None

    async def _status(self, signature: str, *, history: bool = False) -> SignatureStatus | None:
        try:
            [status] = await self._rpc.get_signature_statuses(
                [signature], search_transaction_history=history, retry=False
            )
        except UpstreamError as exc:
            STATUS_POLLS.labels("error").inc()
            log.warning("trade_status_unavailable", signature=signature, error=str(exc))
            return None
        if status is None:
            STATUS_POLLS.labels("unknown").inc()
        elif status.err is not None:
            STATUS_POLLS.labels("failed").inc()
        else:
            STATUS_POLLS.labels(status.confirmation_status or "processed").inc()
        return status

    async def _height(self) -> int | None:
        try:
            return await self._rpc.get_block_height(retry=False)
        except UpstreamError as exc:
            log.warning("trade_block_height_unavailable", error=str(exc))
            return None

    async def _expired_check(self, signature: str) -> Landing | None:
        """EXPIRED when the full history does not know the signature; None when it landed (the
        caller's next status poll reports how) or the node could not answer."""
        try:
            [status] = await self._rpc.get_signature_statuses(
                [signature], search_transaction_history=True, retry=False
            )
        except UpstreamError as exc:
            log.warning("trade_expiry_check_unavailable", signature=signature, error=str(exc))
            return None
        if status is not None:
            return None
        return Landing(
            LandingKind.EXPIRED,
            signature,
            0,
            message="the blockhash expired before the transaction landed",
        )
