"""Resolve PumpSwap pools first seen through their trades: which token, which quote, decimals.

On mainnet most pools were created before the ingester started, so their ``CreatePoolEvent``
never reaches it. The pool account (owned by the PumpSwap program) names its base and quote
mints; the mint accounts give the decimals. Two batched ``getMultipleAccounts`` calls per batch
of pools; mint decimals are cached.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from prometheus_client import Counter

from core.chain.rpc_client import RpcClient
from core.decode.accounts import decode_mint, decode_pump_swap_pool
from core.errors import DecodeError
from core.ingest.normalize import PoolMints
from core.programs import PROGRAM_IDS, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID, Program

log = structlog.get_logger(__name__)

POOLS_RESOLVED = Counter(
    "solsignals_ingest_pools_resolved_total", "Unknown pools looked up on chain", ["outcome"]
)
PUMP_AMM_ID = PROGRAM_IDS[Program.PUMP_AMM]
TOKEN_PROGRAMS = (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID)


class PoolResolver:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc
        self._decimals: dict[str, int] = {}

    async def resolve(self, pools: Sequence[str]) -> dict[str, PoolMints | None]:
        """Mints of each pool; None for an address that is not a readable PumpSwap pool.

        Raises ``UpstreamError`` when the RPC fails: the caller retries later.
        """
        accounts = await self._rpc.get_multiple_accounts(list(pools), encoding="base64")
        found: dict[str, tuple[str, str]] = {}
        out: dict[str, PoolMints | None] = {}
        for pool, account in zip(pools, accounts, strict=True):
            out[pool] = None
            if (
                account is None
                or account.owner != PUMP_AMM_ID
                or not isinstance(account.data, bytes)
            ):
                POOLS_RESOLVED.labels("not_a_pool").inc()
                log.warning("pool_unresolvable", pool=pool, reason="missing or not PumpSwap")
                continue
            try:
                decoded = decode_pump_swap_pool(account.data)
            except DecodeError as exc:
                POOLS_RESOLVED.labels("undecodable").inc()
                log.warning("pool_unresolvable", pool=pool, reason=str(exc))
                continue
            found[pool] = (decoded.base_mint, decoded.quote_mint)
        await self._load_decimals({m for pair in found.values() for m in pair})
        for pool, (base, quote) in found.items():
            if base not in self._decimals or quote not in self._decimals:
                POOLS_RESOLVED.labels("mint_unreadable").inc()
                log.warning("pool_unresolvable", pool=pool, reason="mint account unreadable")
                continue
            out[pool] = PoolMints(base, quote, self._decimals[base], self._decimals[quote])
            POOLS_RESOLVED.labels("resolved").inc()
        return out

    async def _load_decimals(self, mints: set[str]) -> None:
        unknown = sorted(m for m in mints if m not in self._decimals)
        if not unknown:
            return
        accounts = await self._rpc.get_multiple_accounts(unknown, encoding="base64")
        for mint, account in zip(unknown, accounts, strict=True):
            if account is None or account.owner not in TOKEN_PROGRAMS:
                continue
            if not isinstance(account.data, bytes):
                continue
            try:
                self._decimals[mint] = decode_mint(account.data, account.owner).decimals
            except DecodeError as exc:
                log.warning("mint_undecodable", mint=mint, reason=str(exc))
