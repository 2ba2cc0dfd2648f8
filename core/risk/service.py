"""RiskService: looks a mint up on chain (the I/O edge) and runs the pure checks on it.

One lookup per mint (and pool) fetches the mint account and its largest token accounts
concurrently — plus, for a migrated token, the PumpSwap pool and its LP mint — and keeps those
chain facts for ``ttl_s``. Concurrent callers of the same mint share one lookup; different mints
run at most ``max_concurrency`` lookups at once. A failed RPC call or undecodable account makes
the checks that need it ``UNKNOWN`` with the reason (never ``PASS``); such facts are kept only
``error_ttl_s`` so the next caller tries again. The blocklist and ``dev_sold`` come from the
caller and are applied on every call, cached facts or not.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from core.chain.rpc_client import RpcClient
from core.chain.rpc_types import AccountInfo, TokenAmountEntry
from core.decode.accounts import (
    MintInfo,
    PumpSwapPool,
    decode_mint,
    decode_pump_swap_pool,
)
from core.errors import DecodeError, UpstreamError
from core.programs import PROGRAM_IDS, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID, Program
from core.risk import metrics
from core.risk.blocklist import Blocklist
from core.risk.checks import (
    RiskParams,
    check_blocklist,
    check_dev_selling,
    check_freeze_authority,
    check_lp_burnt,
    check_mint_authority,
    check_top10,
    check_top_holder,
    check_transfer_tax,
    unknown,
)
from core.risk.report import Check, CheckResult, RiskReport, Verdict
from core.risk.vaults import excluded_holder_accounts

log = structlog.get_logger(__name__)

_TOKEN_PROGRAMS = (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID)


@dataclass(frozen=True, slots=True)
class ChainFacts:
    """What one lookup learnt about a mint; each part is the value or why it is missing."""

    fetched_at: float
    mint: MintInfo | str
    largest: list[TokenAmountEntry] | str
    pool: PumpSwapPool | str | None = None  # None: no pool asked for
    lp_mint: MintInfo | str | None = None

    @property
    def complete(self) -> bool:
        parts = (self.mint, self.largest, self.pool, self.lp_mint)
        return not any(isinstance(part, str) for part in parts)


def _reason(what: str, exc: BaseException) -> str:
    return f"{what} unavailable: {exc}"


def _mint_from_account(account: AccountInfo | None, address: str) -> MintInfo:
    if account is None:
        raise DecodeError("missing", f"no account at {address}")
    if account.owner not in _TOKEN_PROGRAMS or not isinstance(account.data, bytes):
        raise DecodeError("bad_value", f"{address} is not a token mint (owner {account.owner})")
    return decode_mint(account.data, account.owner)


def _pool_from_account(account: AccountInfo | None, address: str) -> PumpSwapPool:
    if account is None:
        raise DecodeError("missing", f"no account at {address}")
    if account.owner != PROGRAM_IDS[Program.PUMP_AMM] or not isinstance(account.data, bytes):
        raise DecodeError("bad_value", f"{address} is not a PumpSwap pool (owner {account.owner})")
    return decode_pump_swap_pool(account.data)


def evaluate(
    mint: str,
    facts: ChainFacts,
    params: RiskParams,
    blocklist: Blocklist,
    *,
    creator: str | None,
    dev_sold: bool | None,
) -> RiskReport:
    """The report for ``mint`` from looked-up ``facts`` and what the caller knows. Pure."""
    results: list[CheckResult] = []
    info = facts.mint
    if isinstance(info, MintInfo):
        results += [
            check_mint_authority(info),
            check_freeze_authority(info),
            check_transfer_tax(info, params),
        ]
    else:
        results += [unknown(c, info) for c in (Check.MINT_AUTHORITY, Check.FREEZE_AUTHORITY)]
        results.append(unknown(Check.TRANSFER_TAX, info))
    results += _holder_results(mint, facts, params)
    results.append(check_blocklist(mint, creator, blocklist))
    results.append(check_dev_selling(dev_sold))
    if facts.pool is not None:
        results.append(_lp_result(facts, params))
    return RiskReport(mint=mint, checked_at=int(facts.fetched_at), results=tuple(results))


def _holder_results(mint: str, facts: ChainFacts, params: RiskParams) -> list[CheckResult]:
    info, largest, pool = facts.mint, facts.largest, facts.pool
    if isinstance(info, str) or isinstance(largest, str):
        reason = info if isinstance(info, str) else str(largest)
        return [unknown(Check.TOP_HOLDER, reason), unknown(Check.TOP10, reason)]
    excluded = excluded_holder_accounts(
        mint, info.token_program, pool if isinstance(pool, PumpSwapPool) else None
    )
    results = [
        check_top_holder(largest, info.supply_raw, excluded, params),
        check_top10(largest, info.supply_raw, excluded, params),
    ]
    if isinstance(pool, str):
        # The pool vault could not be excluded: a FAIL may be the vault itself. A PASS stands
        # (excluding more accounts can only lower concentration).
        results = [
            unknown(r.check, f"{r.detail}, but {pool}") if r.verdict is Verdict.FAIL else r
            for r in results
        ]
    return results


def _lp_result(facts: ChainFacts, params: RiskParams) -> CheckResult:
    if isinstance(facts.pool, str):
        return unknown(Check.LP_BURNT, facts.pool)
    if not isinstance(facts.lp_mint, MintInfo):
        return unknown(Check.LP_BURNT, facts.lp_mint or "LP mint not looked up")
    assert facts.pool is not None
    return check_lp_burnt(facts.pool.lp_supply, facts.lp_mint.supply_raw, params)


class RiskService:
    """Risk reports of mints over one ``RpcClient``; chain facts cached per mint for ``ttl_s``."""

    def __init__(
        self,
        rpc: RpcClient,
        params: RiskParams,
        *,
        ttl_s: float = 60,
        clock: Callable[[], float] = time.time,
        max_concurrency: int = 8,
        blocklist: Blocklist | None = None,
        error_ttl_s: float = 5,
        max_entries: int = 10_000,
        sellability: Callable[[str], Awaitable[CheckResult]] | None = None,
    ) -> None:
        if max_concurrency < 1 or max_entries < 1:
            raise ValueError("max_concurrency and max_entries must be at least 1")
        self._rpc = rpc
        self.params = params
        self.blocklist = blocklist or Blocklist()
        self._ttl_s = ttl_s
        self._error_ttl_s = min(error_ttl_s, ttl_s)
        self._clock = clock
        self._limit = asyncio.Semaphore(max_concurrency)
        self._max_entries = max_entries
        self._cache: OrderedDict[tuple[str, str | None], ChainFacts] = OrderedDict()
        self._in_flight: dict[tuple[str, str | None], asyncio.Task[ChainFacts]] = {}
        # Check.HONEYPOT (quotes + one simulated buy-then-sell): cached per mint like the facts.
        self._sellability = sellability
        self._sell_cache: OrderedDict[str, tuple[float, CheckResult]] = OrderedDict()

    async def report(
        self,
        mint: str,
        *,
        creator: str | None = None,
        pool: str | None = None,
        dev_sold: bool | None = False,
    ) -> RiskReport:
        """The risk report of ``mint``. ``pool``: its PumpSwap pool once migrated (adds
        LP_BURNT, excludes the pool vault); ``dev_sold``: None when the engine does not know."""
        if self._sellability is None:
            facts = await self._facts(mint, pool)
            honeypot = None
        else:
            facts, honeypot = await asyncio.gather(self._facts(mint, pool), self._honeypot(mint))
        report = evaluate(
            mint, facts, self.params, self.blocklist, creator=creator, dev_sold=dev_sold
        )
        if honeypot is not None:
            report = RiskReport(report.mint, report.checked_at, (*report.results, honeypot))
        for result in report.results:
            metrics.RISK_VERDICTS.labels(result.check.value, result.verdict.value).inc()
        return report

    async def _honeypot(self, mint: str) -> CheckResult:
        assert self._sellability is not None
        cached = self._sell_cache.get(mint)
        if cached is not None:
            ttl_s = self._ttl_s if cached[1].verdict is not Verdict.UNKNOWN else self._error_ttl_s
            if self._clock() - cached[0] < ttl_s:
                return cached[1]
        async with self._limit:
            result = await self._sellability(mint)
        self._sell_cache[mint] = (self._clock(), result)
        if len(self._sell_cache) > self._max_entries:
            self._sell_cache.popitem(last=False)
        return result

    def forget(self, mint: str) -> None:
        """Drop cached facts of ``mint`` (e.g. after it migrated)."""
        for key in [k for k in self._cache if k[0] == mint]:
            del self._cache[key]
        metrics.RISK_CACHE_ENTRIES.set(len(self._cache))

    # ---- cache and in-flight sharing -----------------------------------------------------------

    async def _facts(self, mint: str, pool: str | None) -> ChainFacts:
        key = (mint, pool)
        cached = self._cache.get(key)
        if cached is not None:
            ttl_s = self._ttl_s if cached.complete else self._error_ttl_s
            if self._clock() - cached.fetched_at < ttl_s:
                self._cache.move_to_end(key)
                metrics.RISK_REPORTS.labels("cache").inc()
                return cached
            del self._cache[key]
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.create_task(self._lookup(mint, pool))
            self._in_flight[key] = task
            task.add_done_callback(lambda _t: self._in_flight.pop(key, None))
            metrics.RISK_REPORTS.labels("lookup").inc()
        else:
            metrics.RISK_REPORTS.labels("shared").inc()
        # shield: one caller giving up does not cancel the lookup the others wait for
        facts = await asyncio.shield(task)
        self._store(key, facts)
        return facts

    def _store(self, key: tuple[str, str | None], facts: ChainFacts) -> None:
        self._cache[key] = facts
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
        metrics.RISK_CACHE_ENTRIES.set(len(self._cache))

    # ---- the I/O ---------------------------------------------------------------------------

    async def _lookup(self, mint: str, pool: str | None) -> ChainFacts:
        async with self._limit:
            metrics.RISK_LOOKUPS_IN_FLIGHT.inc()
            try:
                return await self._fetch(mint, pool)
            finally:
                metrics.RISK_LOOKUPS_IN_FLIGHT.dec()

    async def _fetch(self, mint: str, pool_address: str | None) -> ChainFacts:
        fetched_at = self._clock()
        calls: list[Any] = [
            self._rpc.get_account_info(mint),
            self._rpc.get_token_largest_accounts(mint),
        ]
        if pool_address is not None:
            calls.append(self._rpc.get_account_info(pool_address))
        answers = await asyncio.gather(*calls, return_exceptions=True)

        mint_part: MintInfo | str = self._part(
            "mint account", answers[0], lambda a: _mint_from_account(a, mint), mint
        )
        largest_part: list[TokenAmountEntry] | str = self._part(
            "largest accounts", answers[1], lambda rows: rows, mint
        )
        pool_part: PumpSwapPool | str | None = None
        lp_part: MintInfo | str | None = None
        if pool_address is not None:
            pool_part = self._part(
                "pool account", answers[2], lambda a: _pool_from_account(a, pool_address), mint
            )
            if isinstance(pool_part, PumpSwapPool):
                lp_mint = pool_part.lp_mint
                try:
                    lp_answer: Any = await self._rpc.get_account_info(lp_mint)
                except (UpstreamError, DecodeError) as exc:
                    lp_answer = exc
                lp_part = self._part(
                    "LP mint", lp_answer, lambda a: _mint_from_account(a, lp_mint), mint
                )
        return ChainFacts(fetched_at, mint_part, largest_part, pool_part, lp_part)

    @staticmethod
    def _part(what: str, answer: Any, decode: Callable[[Any], Any], mint: str) -> Any:
        """``decode(answer)``, or the reason it is missing when the call or decoding failed."""
        if isinstance(answer, BaseException):
            if not isinstance(answer, UpstreamError | DecodeError):
                raise answer  # a bug, or cancellation: not a chain problem to report
            error: Exception = answer
        else:
            try:
                return decode(answer)
            except DecodeError as exc:
                error = exc
        metrics.RISK_LOOKUP_FAILURES.labels(what).inc()
        log.warning("risk_lookup_failed", mint=mint, what=what, error=str(error))
        return _reason(what, error)
