"""Priority fees: the compute unit price to bid, and what a built transaction will pay.

The price is a percentile (nearest rank) of ``getRecentPrioritizationFees`` — the per-slot
minimum fee (micro-lamports per compute unit) that landed transactions paid over the node's
last ~150 slots; zeros are normal and count — clamped to ``[min, max]`` from the settings. It is
kept ``ttl_s`` so a burst of trades costs one RPC call. When the node cannot answer, the floor
``min`` is used (logged and counted): a trade still goes out, at the cheapest configured bid.

``compute_budget`` reads what a transaction built by someone else (Jupiter) will pay: its
SetComputeUnitLimit and SetComputeUnitPrice instructions and its signature count. The policy
caps the priority fee on that, not on our bid, so a route that asks for more is refused.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from prometheus_client import Counter, Gauge
from solders.compute_budget import ID as COMPUTE_BUDGET_ID
from solders.message import VersionedMessage

from core.chain.rpc_client import RpcClient
from core.errors import UpstreamError

log = structlog.get_logger(__name__)

LAMPORTS_PER_SIGNATURE = 5_000
DEFAULT_UNITS_PER_INSTRUCTION = 200_000
MAX_COMPUTE_UNITS = 1_400_000
_SET_LIMIT, _SET_PRICE = 2, 3  # ComputeBudgetInstruction tags

PRIORITY_FEE_BID = Gauge(
    "solsignals_trade_priority_fee_micro_lamports",
    "The compute unit price last chosen for trades (micro-lamports per compute unit)",
)
PRIORITY_FEE_LOOKUPS = Counter(
    "solsignals_trade_priority_fee_lookups_total",
    "getRecentPrioritizationFees lookups for trades, by outcome (ok, error, cached)",
    ["outcome"],
)


def percentile(values: Sequence[int], pct: int) -> int:
    """Nearest-rank percentile of ``values`` (0 for none); ``pct`` 0-100."""
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be 0-100, got {pct}")
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class FeeBid:
    percentile: int = 75
    min_micro_lamports: int = 1_000
    max_micro_lamports: int = 1_000_000

    def choose(self, recent_micro_lamports: Sequence[int]) -> int:
        """The bid: the percentile of the recent fees, clamped to [min, max]."""
        value = percentile(recent_micro_lamports, self.percentile)
        return min(self.max_micro_lamports, max(self.min_micro_lamports, value))


@dataclass(frozen=True, slots=True)
class ComputeBudget:
    """What a transaction asks of the compute budget program, and the fees that follow."""

    unit_limit: int
    unit_price_micro_lamports: int
    signatures: int

    @property
    def priority_fee_lamports(self) -> int:
        return -(-self.unit_limit * self.unit_price_micro_lamports // 1_000_000)  # ceil

    @property
    def network_fee_lamports(self) -> int:
        """Base fee (5000 lamports per signature) + the priority fee."""
        return LAMPORTS_PER_SIGNATURE * self.signatures + self.priority_fee_lamports


def compute_budget(message: VersionedMessage) -> ComputeBudget:
    """The compute unit limit and price a message sets (defaults when it sets none)."""
    keys = list(message.account_keys)
    limit: int | None = None
    price = 0
    other = 0
    for ix in message.instructions:
        program = keys[ix.program_id_index] if ix.program_id_index < len(keys) else None
        data = bytes(ix.data)
        if program == COMPUTE_BUDGET_ID and data:
            if data[0] == _SET_LIMIT and len(data) >= 5:
                limit = int.from_bytes(data[1:5], "little")
            elif data[0] == _SET_PRICE and len(data) >= 9:
                price = int.from_bytes(data[1:9], "little")
        else:
            other += 1
    if limit is None:
        limit = min(MAX_COMPUTE_UNITS, DEFAULT_UNITS_PER_INSTRUCTION * other)
    return ComputeBudget(limit, price, message.header.num_required_signatures)


class PriorityFeeEstimator:
    """The compute unit price to bid now, from one RPC node's recent fees."""

    def __init__(
        self,
        rpc: RpcClient,
        bid: FeeBid,
        *,
        ttl_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rpc = rpc
        self.bid = bid
        self._ttl_s = ttl_s
        self._clock = clock
        self._cached: tuple[float, int] | None = None

    async def micro_lamports_per_cu(self, accounts: Sequence[str] | None = None) -> int:
        """The bid; ``accounts`` (≤128): the writable accounts the trade will lock, when known
        (the node then answers what landing a write to all of them cost)."""
        now = self._clock()
        if accounts is None and self._cached is not None and now - self._cached[0] < self._ttl_s:
            PRIORITY_FEE_LOOKUPS.labels("cached").inc()
            return self._cached[1]
        try:
            fees = await self._rpc.get_recent_prioritization_fees(accounts)
        except UpstreamError as exc:
            PRIORITY_FEE_LOOKUPS.labels("error").inc()
            log.warning(
                "priority_fee_lookup_failed", error=str(exc), using=self.bid.min_micro_lamports
            )
            return self.bid.min_micro_lamports
        PRIORITY_FEE_LOOKUPS.labels("ok").inc()
        value = self.bid.choose([fee.fee_micro_lamports_per_cu for fee in fees])
        if accounts is None:
            self._cached = (now, value)
        PRIORITY_FEE_BID.set(value)
        return value
