"""Async Solana HTTP JSON-RPC client (httpx).

Building a request (``build_request``) is separate from sending it (``RpcClient.call``). The
one transport seam is ``RpcClient._attempt``: there httpx errors, HTTP statuses and JSON-RPC error
objects become ``UpstreamError`` / ``RpcError``. ``call`` retries, with exponential backoff and
full jitter, only what can succeed later: transport errors, HTTP 429 (honouring ``Retry-After``),
HTTP 5xx and retryable RPC codes (``RpcError.retryable``).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import httpx
import orjson
import structlog

from core.chain import metrics
from core.chain.backoff import Backoff, retry_after_s
from core.chain.rpc_types import (
    AccountInfo,
    PrioritizationFee,
    SignatureInfo,
    SignatureStatus,
    SimulationResult,
    TokenAmount,
    TokenAmountEntry,
    TransactionBalances,
    context_value,
    parse_account_info,
    parse_prioritization_fees,
    parse_signature_infos,
    parse_signature_statuses,
    parse_simulation,
    parse_token_amount,
    parse_token_amounts,
    parse_transaction_balances,
)
from core.errors import RpcError, UpstreamError

log = structlog.get_logger(__name__)

Commitment = Literal["processed", "confirmed", "finalized"]
AccountEncoding = Literal["base64", "jsonParsed"]

MAX_ACCOUNTS_PER_CALL = 100
MAX_SIGNATURES_PER_STATUS_CALL = 256
MAX_SIGNATURES_PAGE = 1000
RETRY_AFTER_CAP_S = 60.0


@dataclass(frozen=True, slots=True)
class RpcRequest:
    """One JSON-RPC call, not yet sent."""

    method: str
    params: tuple[Any, ...]

    def payload(self, request_id: int) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": request_id, "method": self.method, "params": self.params}


def build_request(method: str, *params: Any) -> RpcRequest:
    return RpcRequest(method=method, params=params)


class RateLimitedError(UpstreamError):
    """HTTP 429 from the provider; ``retry_after_s`` is the provider's ``Retry-After`` if any."""

    def __init__(self, message: str, *, retry_after_s: float | None, provider: str) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message, retryable=True, provider=provider)


def _retry_after_s(response: httpx.Response) -> float | None:
    return retry_after_s(response.headers.get("Retry-After"), RETRY_AFTER_CAP_S)


class RpcClient:
    """A client of one provider's HTTP JSON-RPC endpoint; ``async with`` it or ``aclose()``."""

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        timeout_s: float = 10,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff_base_s: float = 0.25,
        backoff_cap_s: float = 8.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.name = name or httpx.URL(url).host or url
        self.max_retries = max_retries
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport)
        self._ids = itertools.count(1)
        self._sleep = sleep
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._rng = rng or random.Random()

    async def __aenter__(self) -> RpcClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- sending ---------------------------------------------------------------------------

    async def call(self, request: RpcRequest, *, retry: bool = True) -> Any:
        """Send ``request``, retrying what may succeed later; return the JSON-RPC ``result``.

        ``retry=False``: one attempt only (the caller decides what a failure means, e.g. a
        sendTransaction that timed out may have landed)."""
        backoff = Backoff(self._backoff_base_s, self._backoff_cap_s, self._rng)
        attempt = 0
        max_retries = self.max_retries if retry else 0
        while True:
            try:
                return await self._attempt(request)
            except UpstreamError as exc:
                if not exc.retryable or attempt >= max_retries:
                    if exc.retryable:
                        log.warning(
                            "rpc_retries_exhausted",
                            provider=self.name,
                            method=request.method,
                            attempts=attempt + 1,
                            error=str(exc),
                        )
                    raise
                delay_s = backoff.next_delay_s()
                if isinstance(exc, RateLimitedError) and exc.retry_after_s is not None:
                    delay_s = exc.retry_after_s
                reason = type(exc).__name__ if not isinstance(exc, RpcError) else str(exc.code)
                metrics.RPC_RETRIES.labels(self.name, request.method, reason).inc()
                log.info(
                    "rpc_retry",
                    provider=self.name,
                    method=request.method,
                    attempt=attempt + 1,
                    delay_s=round(delay_s, 3),
                    error=str(exc),
                )
                attempt += 1
                await self._sleep(delay_s)

    async def _attempt(self, request: RpcRequest) -> Any:
        """The transport seam: one HTTP round trip; every failure becomes our typed error."""
        method = request.method
        started = time.perf_counter()
        try:
            response = await self._http.post(
                self.url,
                content=orjson.dumps(request.payload(next(self._ids))),
                headers={"Content-Type": "application/json"},
            )
        except httpx.TimeoutException as exc:
            metrics.RPC_REQUESTS.labels(self.name, method, "transport_error").inc()
            raise UpstreamError(
                f"{self.name} {method}: timed out", retryable=True, provider=self.name
            ) from exc
        except httpx.TransportError as exc:
            metrics.RPC_REQUESTS.labels(self.name, method, "transport_error").inc()
            raise UpstreamError(
                f"{self.name} {method}: transport error {exc!r}",
                retryable=True,
                provider=self.name,
            ) from exc
        finally:
            metrics.RPC_LATENCY_S.labels(self.name, method).observe(time.perf_counter() - started)
        status = response.status_code
        if status != 200:
            metrics.RPC_REQUESTS.labels(self.name, method, "http_error").inc()
            raise self._http_status_error(method, response)
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            metrics.RPC_REQUESTS.labels(self.name, method, "http_error").inc()
            raise UpstreamError(
                f"{self.name} {method}: answer is not JSON", retryable=False, provider=self.name
            ) from exc
        if not isinstance(body, dict):
            metrics.RPC_REQUESTS.labels(self.name, method, "http_error").inc()
            raise UpstreamError(
                f"{self.name} {method}: answer is not a JSON-RPC object",
                retryable=False,
                provider=self.name,
            )
        error = body.get("error")
        if error is not None:
            metrics.RPC_REQUESTS.labels(self.name, method, "rpc_error").inc()
            raise RpcError(
                int(error.get("code", 0)),
                str(error.get("message", "")),
                error.get("data"),
                provider=self.name,
            )
        metrics.RPC_REQUESTS.labels(self.name, method, "ok").inc()
        return body.get("result")

    def _http_status_error(self, method: str, response: httpx.Response) -> UpstreamError:
        status = response.status_code
        if status == 429:
            return RateLimitedError(
                f"{self.name} {method}: rate limited (HTTP 429)",
                retry_after_s=_retry_after_s(response),
                provider=self.name,
            )
        if status == 403:
            return UpstreamError(
                f"{self.name} {method}: the provider refused the request (HTTP 403); "
                "check the API key or whether this IP is allowed",
                retryable=False,
                provider=self.name,
            )
        return UpstreamError(
            f"{self.name} {method}: HTTP {status}", retryable=status >= 500, provider=self.name
        )

    # ---- methods ---------------------------------------------------------------------------

    async def get_transaction(
        self, sig: str, *, encoding: str = "json", commitment: Commitment = "confirmed"
    ) -> dict[str, Any] | None:
        """The transaction (``{slot, blockTime, version, transaction, meta}``) or None."""
        config = {
            "encoding": encoding,
            "commitment": commitment,
            "maxSupportedTransactionVersion": 0,
        }
        result = await self.call(build_request("getTransaction", sig, config))
        return result if isinstance(result, dict) else None

    async def get_account_info(
        self,
        pubkey: str,
        *,
        encoding: AccountEncoding = "base64",
        commitment: Commitment = "confirmed",
    ) -> AccountInfo | None:
        config = {"encoding": encoding, "commitment": commitment}
        result = await self.call(build_request("getAccountInfo", pubkey, config))
        slot, value = context_value("getAccountInfo", result)
        return parse_account_info("getAccountInfo", value, slot)

    async def get_multiple_accounts(
        self,
        pubkeys: Sequence[str],
        *,
        encoding: AccountEncoding = "base64",
        commitment: Commitment = "confirmed",
    ) -> list[AccountInfo | None]:
        """Accounts in the order asked; None where an account does not exist. Chunks of 100."""
        config = {"encoding": encoding, "commitment": commitment}
        accounts: list[AccountInfo | None] = []
        for start in range(0, len(pubkeys), MAX_ACCOUNTS_PER_CALL):
            chunk = list(pubkeys[start : start + MAX_ACCOUNTS_PER_CALL])
            result = await self.call(build_request("getMultipleAccounts", chunk, config))
            slot, value = context_value("getMultipleAccounts", result)
            if not isinstance(value, list) or len(value) != len(chunk):
                raise UpstreamError(
                    f"{self.name} getMultipleAccounts: expected {len(chunk)} accounts",
                    retryable=False,
                    provider=self.name,
                )
            accounts.extend(parse_account_info("getMultipleAccounts", v, slot) for v in value)
        return accounts

    async def get_token_largest_accounts(
        self, mint: str, *, commitment: Commitment = "confirmed"
    ) -> list[TokenAmountEntry]:
        result = await self.call(
            build_request("getTokenLargestAccounts", mint, {"commitment": commitment})
        )
        _, value = context_value("getTokenLargestAccounts", result)
        return parse_token_amounts(value)

    async def get_signatures_for_address(
        self,
        address: str,
        *,
        before: str | None = None,
        until: str | None = None,
        limit: int = MAX_SIGNATURES_PAGE,
        commitment: Commitment = "confirmed",
    ) -> list[SignatureInfo]:
        """Signatures newest→oldest, at most ``limit`` (1 to 1000)."""
        if not 1 <= limit <= MAX_SIGNATURES_PAGE:
            raise ValueError(f"limit must be 1..{MAX_SIGNATURES_PAGE}, got {limit}")
        config: dict[str, Any] = {"commitment": commitment, "limit": limit}
        if before is not None:
            config["before"] = before
        if until is not None:
            config["until"] = until
        result = await self.call(build_request("getSignaturesForAddress", address, config))
        return parse_signature_infos(result)

    async def iter_signatures_until(
        self,
        address: str,
        until: str | None,
        *,
        page_limit: int = MAX_SIGNATURES_PAGE,
        commitment: Commitment = "confirmed",
    ) -> AsyncIterator[SignatureInfo]:
        """Every signature newer than ``until`` (exclusive), newest→oldest, page by page."""
        before: str | None = None
        while True:
            page = await self.get_signatures_for_address(
                address, before=before, until=until, limit=page_limit, commitment=commitment
            )
            for info in page:
                if info.signature == until:  # a node treating ``until`` as inclusive
                    return
                yield info
            if len(page) < page_limit:
                return
            before = page[-1].signature

    async def get_balance(self, pubkey: str, *, commitment: Commitment = "confirmed") -> int:
        """Balance in lamports."""
        result = await self.call(build_request("getBalance", pubkey, {"commitment": commitment}))
        _, value = context_value("getBalance", result)
        return int(value)

    async def get_balances(
        self, pubkeys: Sequence[str], *, commitment: Commitment = "confirmed"
    ) -> list[int]:
        """Balances in lamports, in order (0 for accounts that do not exist); one call per 100."""
        accounts = await self.get_multiple_accounts(
            pubkeys, encoding="base64", commitment=commitment
        )
        return [account.lamports if account else 0 for account in accounts]

    async def simulate_transaction(
        self,
        tx_base64: str,
        *,
        sig_verify: bool = False,
        replace_recent_blockhash: bool = False,
        commitment: Commitment = "confirmed",
    ) -> SimulationResult:
        config = {
            "encoding": "base64",
            "sigVerify": sig_verify,
            "replaceRecentBlockhash": replace_recent_blockhash,
            "commitment": commitment,
        }
        result = await self.call(build_request("simulateTransaction", tx_base64, config))
        return parse_simulation(result)

    async def send_transaction(
        self,
        tx_base64: str,
        *,
        skip_preflight: bool = False,
        max_retries: int | None = None,
        preflight_commitment: Commitment = "confirmed",
        retry: bool = True,
    ) -> str:
        """Submit a signed transaction; returns its signature (not a confirmation).

        A failed preflight is ``RpcError(code=-32002)`` (not retryable) whose ``.data`` is the
        node's simulation result, logs included. ``max_retries`` is the node's own rebroadcast
        setting (``maxRetries``); ``retry=False`` makes this client try once (a timed-out send
        may have landed: check its signature before sending again).
        """
        config: dict[str, Any] = {
            "encoding": "base64",
            "skipPreflight": skip_preflight,
            "preflightCommitment": preflight_commitment,
        }
        if max_retries is not None:
            config["maxRetries"] = max_retries
        result = await self.call(build_request("sendTransaction", tx_base64, config), retry=retry)
        return str(result)

    async def get_token_account_balance(
        self, address: str, *, commitment: Commitment = "confirmed"
    ) -> TokenAmount:
        """A token account's balance; ``RpcError`` -32602 when it is not a token account."""
        result = await self.call(
            build_request("getTokenAccountBalance", address, {"commitment": commitment})
        )
        _, value = context_value("getTokenAccountBalance", result)
        return parse_token_amount("getTokenAccountBalance", value)

    async def get_transaction_balances(
        self, sig: str, *, commitment: Commitment = "confirmed"
    ) -> TransactionBalances | None:
        """The balance changes of a landed transaction (fee, lamports and token balances before
        and after), or None while the node does not know it at ``commitment``."""
        return parse_transaction_balances(
            await self.get_transaction(sig, encoding="json", commitment=commitment)
        )

    async def get_latest_blockhash(
        self, *, commitment: Commitment = "confirmed"
    ) -> tuple[str, int]:
        """(blockhash, lastValidBlockHeight)."""
        result = await self.call(build_request("getLatestBlockhash", {"commitment": commitment}))
        _, value = context_value("getLatestBlockhash", result)
        return str(value["blockhash"]), int(value["lastValidBlockHeight"])

    async def get_signature_statuses(
        self,
        sigs: Sequence[str],
        *,
        search_transaction_history: bool = False,
        retry: bool = True,
    ) -> list[SignatureStatus | None]:
        if len(sigs) > MAX_SIGNATURES_PER_STATUS_CALL:
            raise ValueError(
                f"at most {MAX_SIGNATURES_PER_STATUS_CALL} signatures per call, got {len(sigs)}"
            )
        config = {"searchTransactionHistory": search_transaction_history}
        result = await self.call(
            build_request("getSignatureStatuses", list(sigs), config), retry=retry
        )
        return parse_signature_statuses(result)

    async def get_recent_prioritization_fees(
        self, addresses: Sequence[str] | None = None
    ) -> list[PrioritizationFee]:
        """Recent per-slot minimum fees (micro-lamports per compute unit)."""
        request = (
            build_request("getRecentPrioritizationFees", list(addresses))
            if addresses
            else build_request("getRecentPrioritizationFees")
        )
        return parse_prioritization_fees(await self.call(request))

    async def get_slot(self, *, commitment: Commitment = "confirmed") -> int:
        return int(await self.call(build_request("getSlot", {"commitment": commitment})))

    async def get_block_height(
        self, *, commitment: Commitment = "confirmed", retry: bool = True
    ) -> int:
        request = build_request("getBlockHeight", {"commitment": commitment})
        return int(await self.call(request, retry=retry))
