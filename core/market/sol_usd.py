"""SOL/USD from the Pyth price feed account, with an explicit, logged fallback.

``SolUsdOracle.refresh()`` reads the PriceUpdateV2 account over JSON-RPC and keeps the last price
that passed every check (owner is a Pyth program, expected feed id, Full verification, positive,
not older than ``max_age_s``). ``price_usd`` answers that price while it is fresh *at the time of
reading*, else the configured fallback; ``source`` says which. Every refresh failure is logged
and counted; every switch to the fallback is logged as a warning and counted, so a stale price is
never served silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Literal, Protocol

import structlog

from core.errors import DecodeError, UpstreamError
from core.market import metrics
from core.market.pyth import (
    PYTH_OWNER_PROGRAM_IDS,
    SOL_USD_FEED_ID_HEX,
    SOL_USD_PRICE_ACCOUNT,
    PythPrice,
    parse_price_update_v2,
)

log = structlog.get_logger(__name__)


class PriceSource(StrEnum):
    PYTH = "pyth"
    FALLBACK = "fallback"


class _Account(Protocol):
    @property
    def data(self) -> object: ...  # bytes for base64 encoding

    @property
    def owner(self) -> str: ...


class AccountReader(Protocol):
    """What the oracle needs from an RPC client (``core.chain.rpc_client.RpcClient`` fits)."""

    async def get_account_info(
        self, pubkey: str, *, encoding: Literal["base64"] = ...
    ) -> _Account | None: ...


class SolUsdOracle:
    def __init__(
        self,
        rpc: AccountReader,
        *,
        account: str = SOL_USD_PRICE_ACCOUNT,
        fallback_usd: float,
        max_age_s: float = 60,
        clock: Callable[[], float] = time.time,
        feed_id_hex: str = SOL_USD_FEED_ID_HEX,
        require_full_verification: bool = True,
    ) -> None:
        if fallback_usd <= 0:
            raise ValueError("fallback_usd must be positive")
        self._rpc = rpc
        self.account = account
        self.fallback_usd = fallback_usd
        self.max_age_s = max_age_s
        self._clock = clock
        self._feed_id_hex = feed_id_hex.lower().removeprefix("0x")
        self._require_full = require_full_verification
        self._last: PythPrice | None = None
        self._last_problem = "no_price_yet"
        self._source: PriceSource | None = None  # last source reported, for transition logs

    @property
    def last_pyth(self) -> PythPrice | None:
        """The last Pyth price that passed every check (may be stale now)."""
        return self._last

    @property
    def price_usd(self) -> float:
        """A fresh Pyth SOL/USD price, else the configured fallback."""
        fresh = self._fresh_price()
        price = fresh.price if fresh is not None else self.fallback_usd
        metrics.SOL_USD_PRICE.set(price)
        return price

    @property
    def source(self) -> PriceSource:
        """Where ``price_usd`` comes from right now."""
        return PriceSource.PYTH if self._fresh_price() is not None else PriceSource.FALLBACK

    async def refresh(self) -> None:
        """Read the price account once; never raises for upstream or data problems."""
        try:
            info = await self._rpc.get_account_info(self.account, encoding="base64")
        except UpstreamError as exc:
            self._reject("rpc_error", error=str(exc), retryable=exc.retryable)
            return
        if info is None:
            self._reject("missing_account")
            return
        if info.owner not in PYTH_OWNER_PROGRAM_IDS:
            self._reject("wrong_owner", owner=info.owner)
            return
        if not isinstance(info.data, bytes):
            self._reject("decode_error", error="account data is not raw bytes")
            return
        try:
            price = parse_price_update_v2(info.data)
        except DecodeError as exc:
            self._reject("decode_error", error=str(exc))
            return
        if price.feed_id_hex != self._feed_id_hex:
            self._reject("wrong_feed", feed_id=price.feed_id_hex)
            return
        if self._require_full and not price.is_fully_verified:
            self._reject("unverified", verification=price.verification)
            return
        if price.price <= 0:
            self._reject("bad_price", price=price.price)
            return
        age_s = self._clock() - price.publish_time
        if age_s > self.max_age_s:
            self._reject("stale", age_s=age_s, publish_time=price.publish_time)
            return
        self._last = price
        metrics.SOL_USD_REFRESHES.labels(outcome="ok").inc()
        metrics.SOL_USD_AGE_S.set(age_s)
        log.debug("sol_usd_refreshed", price_usd=price.price, age_s=age_s, slot=price.posted_slot)
        self._fresh_price()

    def _reject(self, outcome: str, **fields: object) -> None:
        self._last_problem = outcome
        metrics.SOL_USD_REFRESHES.labels(outcome=outcome).inc()
        log.warning("sol_usd_refresh_failed", outcome=outcome, account=self.account, **fields)
        self._fresh_price()

    def _fresh_price(self) -> PythPrice | None:
        """The last accepted price if still fresh; logs and counts a switch of source."""
        fresh = self._last
        if fresh is not None and self._clock() - fresh.publish_time > self.max_age_s:
            fresh = None
            self._last_problem = "stale"
        source = PriceSource.PYTH if fresh is not None else PriceSource.FALLBACK
        if source != self._source:
            if source is PriceSource.FALLBACK:
                metrics.SOL_USD_FALLBACKS.labels(reason=self._last_problem).inc()
                log.warning(
                    "sol_usd_using_fallback",
                    reason=self._last_problem,
                    fallback_usd=self.fallback_usd,
                    account=self.account,
                )
            else:
                log.info("sol_usd_using_pyth", price_usd=fresh.price if fresh else None)
            metrics.SOL_USD_USING_FALLBACK.set(1 if source is PriceSource.FALLBACK else 0)
            self._source = source
        return fresh
