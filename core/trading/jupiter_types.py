"""Typed answers and errors of Jupiter's swap API (quote + swap transaction). No I/O.

Amounts in Jupiter's JSON are decimal strings; here they are ``int`` raw units (lamports for
SOL). ``Quote.raw`` keeps the exact quote object Jupiter sent, because the swap call must get it
back unchanged (unknown fields included).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from solders.transaction import VersionedTransaction

from core.errors import UpstreamError

PROVIDER = "jupiter"

# Routing errors of the quote endpoint (HTTP 400) [jup-ag/docs swap/v1/common-errors.mdx].
NO_ROUTE_CODES = frozenset(
    {
        "NO_ROUTES_FOUND",
        "COULD_NOT_FIND_ANY_ROUTE",
        "ROUTE_PLAN_DOES_NOT_CONSUME_ALL_THE_AMOUNT",
        "MARKET_NOT_FOUND",
        "CANNOT_COMPUTE_OTHER_AMOUNT_THRESHOLD",
    }
)
NOT_TRADABLE_CODES = frozenset({"TOKEN_NOT_TRADABLE", "NOT_SUPPORTED"})
KNOWN_CODES = (
    NO_ROUTE_CODES
    | NOT_TRADABLE_CODES
    | {
        "CIRCULAR_ARBITRAGE_IS_DISABLED",
        "MAX_ACCOUNT_GREATER_THAN_MAX",
        "INVALID_COMPUTE_UNIT_PRICE_AND_PRIORITIZATION_FEE",
        "FAILED_TO_GET_SWAP_AND_ACCOUNT_METAS",
    }
)


# ---- errors ------------------------------------------------------------------------------------


class JupiterError(UpstreamError):
    """Jupiter answered with an error. ``code``: Jupiter's error code when it sent or named one
    (``"COULD_NOT_FIND_ANY_ROUTE"``), else None; ``status``: the HTTP status (0: no answer)."""

    def __init__(
        self, message: str, *, status: int, code: str | None = None, retryable: bool = False
    ) -> None:
        self.status = status
        self.code = code
        super().__init__(message, retryable=retryable, provider=PROVIDER)


class NoRouteError(JupiterError):
    """No route between the two mints for this amount (no pool, or the amount is too small)."""


class TokenNotTradableError(JupiterError):
    """Jupiter does not trade this token (unknown, not indexed, or not supported)."""


class JupiterAuthError(JupiterError):
    """HTTP 401/403: the API key is invalid or lacks access to the endpoint, or the firewall
    blocked the request. Fix the ``api_key`` setting; retrying does not help."""


class JupiterRateLimitedError(JupiterError):
    """HTTP 429; ``retry_after_s`` from ``Retry-After`` (or ``x-ratelimit-reset``) if sent."""

    def __init__(self, message: str, *, retry_after_s: float | None) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message, status=429, code=None, retryable=True)


# ---- answers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quote:
    input_mint: str
    output_mint: str
    in_amount_raw: int
    out_amount_raw: int  # after AMM and platform fees, before slippage
    other_amount_threshold_raw: int  # ExactIn: the minimum out after slippage
    swap_mode: str
    slippage_bps: int
    price_impact_pct: float  # percent points (1.5 means 1.5 %)
    route_labels: tuple[str, ...]  # AMM labels of the route's hops, in order
    context_slot: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SwapTx:
    """An unsigned (or partially signed) transaction built by Jupiter for one user."""

    transaction_base64: str
    last_valid_block_height: int
    compute_unit_limit: int | None = None
    prioritization_fee_lamports: int | None = None
    simulation_error: Any = None  # Jupiter's own simulation failure, when it reports one

    def transaction(self) -> VersionedTransaction:
        return VersionedTransaction.from_bytes(base64.b64decode(self.transaction_base64))


# ---- parsing -----------------------------------------------------------------------------------


def _shape_error(what: str, problem: str) -> JupiterError:
    return JupiterError(f"jupiter {what}: unexpected answer ({problem})", status=200)


def _int(body: Mapping[str, Any], key: str, what: str) -> int:
    value = body.get(key)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise _shape_error(what, f"{key}={value!r} is not an integer") from exc


def _optional_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def parse_quote(body: Any) -> Quote:
    """A quote answer (Metis ``QuoteResponse``; the V2 ``priceImpact`` number is accepted)."""
    if not isinstance(body, Mapping):
        raise _shape_error("quote", "not an object")
    for key in ("inputMint", "outputMint"):
        if not isinstance(body.get(key), str):
            raise _shape_error("quote", f"{key} missing")
    impact = body.get("priceImpactPct")
    impact_pct: float
    try:
        # Metis: ``priceImpactPct`` is a fraction as a string ("0.0123" = 1.23 %);
        # V2: ``priceImpact`` is a number in percent points.
        if impact is not None:
            impact_pct = float(impact) * 100
        else:
            impact_pct = float(body.get("priceImpact") or 0.0)
    except (TypeError, ValueError) as exc:
        raise _shape_error("quote", f"priceImpactPct={impact!r}") from exc
    labels: list[str] = []
    plan = body.get("routePlan")
    if not isinstance(plan, list):
        raise _shape_error("quote", "routePlan missing")
    for step in plan:
        info = step.get("swapInfo") if isinstance(step, Mapping) else None
        if isinstance(info, Mapping) and isinstance(info.get("label"), str):
            labels.append(info["label"])
    return Quote(
        input_mint=body["inputMint"],
        output_mint=body["outputMint"],
        in_amount_raw=_int(body, "inAmount", "quote"),
        out_amount_raw=_int(body, "outAmount", "quote"),
        other_amount_threshold_raw=_int(body, "otherAmountThreshold", "quote"),
        swap_mode=str(body.get("swapMode", "ExactIn")),
        slippage_bps=_optional_int(body.get("slippageBps")) or 0,
        price_impact_pct=impact_pct,
        route_labels=tuple(labels),
        context_slot=_optional_int(body.get("contextSlot")),
        raw=dict(body),
    )


def parse_swap(body: Any) -> SwapTx:
    """A swap answer: ``swapTransaction`` (base64) and ``lastValidBlockHeight`` (int or str)."""
    if not isinstance(body, Mapping):
        raise _shape_error("swap", "not an object")
    tx = body.get("swapTransaction")
    if not isinstance(tx, str) or not tx:
        raise _shape_error("swap", "swapTransaction missing")
    return SwapTx(
        transaction_base64=tx,
        last_valid_block_height=_int(body, "lastValidBlockHeight", "swap"),
        compute_unit_limit=_optional_int(body.get("computeUnitLimit")),
        prioritization_fee_lamports=_optional_int(body.get("prioritizationFeeLamports")),
        simulation_error=body.get("simulationError"),
    )


def error_from_answer(status: int, body: Any, text: str) -> JupiterError:
    """The typed error for a non-200 answer (``body``: parsed JSON or None; ``text``: raw)."""
    message = text.strip()[:300] or f"HTTP {status}"
    code: str | None = None
    if isinstance(body, Mapping):
        message = str(body.get("error") or body.get("message") or message)
        raw_code = body.get("errorCode") or body.get("code")
        code = str(raw_code) if raw_code is not None else None
    if code is None:  # the v1 envelope is not specified: find a known code in the message
        code = next((c for c in KNOWN_CODES if c in message.upper().replace(" ", "_")), None)
        if code is None and "route" in message.lower():
            code = "COULD_NOT_FIND_ANY_ROUTE"
    full = f"jupiter HTTP {status}: {message}" + (f" ({code})" if code else "")
    if status in (401, 403):
        return JupiterAuthError(full, status=status, code=code)
    if status >= 500:
        return JupiterError(full, status=status, code=code, retryable=True)
    if code in NO_ROUTE_CODES:
        return NoRouteError(full, status=status, code=code)
    if code in NOT_TRADABLE_CODES:
        return TokenNotTradableError(full, status=status, code=code)
    return JupiterError(full, status=status, code=code)
