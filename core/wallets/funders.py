"""``FunderTracker``: looks up the first SOL funder of every tracked wallet, once, in the
background, for common-funder clusters (``ClusterIndex.set_funders``).

- ``track(wallets)`` says which wallets are tracked now: stored answers are loaded from
  ``wallet_funders`` and the wallets still without one are queued (wallets no longer tracked
  leave the queue).
- ``resolve_due`` looks up the queued wallets whose time has come with ``find_funder``, at most
  ``concurrency`` at once, and stores the final answers (found, no transfer, history too long):
  a wallet is asked about once, across restarts.
- An RPC failure means *unknown*, never "no funder": the wallet is asked again after
  ``retry_s`` × 2^(failures - 1), at most ``max_retry_s``. A wallet with no transaction yet is
  asked again after ``no_history_retry_s`` (it may be funded later).
- ``run`` repeats ``resolve_due`` until cancelled, sleeping until the next wallet is due or
  ``track`` queues new ones, and calls ``on_change`` after a pass that found funders.

Metrics: lookups by outcome, the queue length, known funders, store failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.exc import SQLAlchemyError

from core.chain.rpc_client import RpcClient
from core.errors import UpstreamError
from core.wallets.funder_store import FunderStore
from core.wallets.funding import MAX_PAGES, FunderOutcome, FunderResult, find_funder

log = structlog.get_logger(__name__)

FUNDER_LOOKUPS = Counter(
    "solsignals_wallet_funder_lookups_total",
    "First-funder lookups of tracked wallets, by outcome (found, no_transfer, too_long, "
    "no_history, failed)",
    ["outcome"],
)
FUNDER_PENDING = Gauge(
    "solsignals_wallet_funder_pending",
    "Tracked wallets waiting for a first-funder lookup (new or retrying after a failure)",
)
FUNDERS_KNOWN = Gauge(
    "solsignals_wallet_funders_known", "Wallets whose first funder has been found"
)
FUNDER_STORE_ERRORS = Counter(
    "solsignals_wallet_funder_store_errors_total",
    "Failed reads or writes of the wallet_funders table (answers stay in memory)",
)
FUNDER_LOOP_ERRORS = Counter(
    "solsignals_wallet_funder_loop_errors_total", "Unexpected errors in the funder lookup loop"
)


@dataclass(slots=True)
class _Pending:
    due_at: float  # clock time of the next lookup
    failures: int = 0


class FunderTracker:
    def __init__(
        self,
        rpc: RpcClient,
        store: FunderStore | None,
        *,
        concurrency: int = 4,
        batch: int = 100,
        retry_s: float = 60.0,
        max_retry_s: float = 3_600.0,
        no_history_retry_s: float = 3_600.0,
        max_pages: int = MAX_PAGES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1 or batch < 1:
            raise ValueError("concurrency and batch must be at least 1")
        self._rpc = rpc
        self._store = store
        self._slots = asyncio.Semaphore(concurrency)
        self._batch = batch
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s
        self._no_history_retry_s = no_history_retry_s
        self._max_pages = max_pages
        self._clock = clock
        self._answers: dict[str, FunderResult] = {}  # final answers
        self._pending: dict[str, _Pending] = {}
        self._wake = asyncio.Event()
        self.lookups = 0
        self.failures = 0

    # ---- what is tracked --------------------------------------------------------------------

    async def track(self, wallets: Collection[str]) -> int:
        """The tracked wallets now; returns how many were newly queued for a lookup.

        Raises ``SQLAlchemyError`` when stored answers cannot be read (nothing is queued then:
        call again later)."""
        wanted = set(wallets)
        for wallet in [w for w in self._pending if w not in wanted]:
            del self._pending[wallet]
        new = [w for w in wanted if w not in self._answers and w not in self._pending]
        if new and self._store is not None:
            try:
                self._answers.update(await self._store.load(new))
            except SQLAlchemyError:
                FUNDER_STORE_ERRORS.inc()
                raise
        now = self._clock()
        queued = 0
        for wallet in new:
            if wallet not in self._answers:
                self._pending[wallet] = _Pending(now)
                queued += 1
        self._gauges()
        if queued:
            self._wake.set()
        return queued

    # ---- answers ----------------------------------------------------------------------------

    def funders(self, wallets: Iterable[str]) -> dict[str, str]:
        """Known first funders of ``wallets`` (those without one are left out)."""
        out: dict[str, str] = {}
        for wallet in wallets:
            answer = self._answers.get(wallet)
            if answer is not None and answer.funder is not None:
                out[wallet] = answer.funder
        return out

    def answer(self, wallet: str) -> FunderResult | None:
        """The final answer for ``wallet``, or None while unknown."""
        return self._answers.get(wallet)

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def known(self) -> int:
        return sum(1 for a in self._answers.values() if a.funder is not None)

    # ---- lookups ----------------------------------------------------------------------------

    async def resolve_due(self, *, limit: int | None = None) -> list[FunderResult]:
        """Look up the queued wallets that are due (at most ``limit``); returns the final
        answers found in this pass (stored before returning)."""
        now = self._clock()
        due = sorted(w for w, p in self._pending.items() if p.due_at <= now)
        if limit is not None:
            due = due[:limit]
        if not due:
            return []
        outcomes = await asyncio.gather(*(self._lookup(w) for w in due))
        finals: list[FunderResult] = []
        now = self._clock()
        for wallet, result in zip(due, outcomes, strict=True):
            pending = self._pending.get(wallet)
            if result is not None and result.outcome.final:  # a fact of the chain: keep it
                self._pending.pop(wallet, None)
                self._answers[wallet] = result
                finals.append(result)
            elif pending is None:  # no longer tracked while we asked
                continue
            elif result is None:
                pending.failures += 1
                delay = self._retry_s * 2 ** (pending.failures - 1)
                pending.due_at = now + min(delay, self._max_retry_s)
            else:  # no history yet
                pending.due_at = now + self._no_history_retry_s
        if finals and self._store is not None:
            try:
                await self._store.save(finals)
            except (SQLAlchemyError, OSError) as exc:  # kept in memory; asked again on restart
                FUNDER_STORE_ERRORS.inc()
                log.warning("wallet_funders_store_failed", count=len(finals), error=str(exc))
        self._gauges()
        return finals

    async def _lookup(self, wallet: str) -> FunderResult | None:
        async with self._slots:
            self.lookups += 1
            try:
                result = await find_funder(self._rpc, wallet, max_pages=self._max_pages)
            except UpstreamError as exc:
                self.failures += 1
                FUNDER_LOOKUPS.labels("failed").inc()
                log.info("wallet_funder_lookup_failed", wallet=wallet, error=str(exc))
                return None
        FUNDER_LOOKUPS.labels(result.outcome.value).inc()
        if result.funder is not None:
            log.info("wallet_funder_found", wallet=wallet, funder=result.funder)
        return result

    def next_due_in_s(self) -> float | None:
        """Seconds until the next queued wallet is due (0 when one is), None when none is."""
        if not self._pending:
            return None
        return max(0.0, min(p.due_at for p in self._pending.values()) - self._clock())

    async def run(self, on_change: Callable[[], None]) -> None:
        """Resolve due wallets until cancelled; ``on_change`` after a pass that found funders."""
        while True:
            self._wake.clear()
            try:
                finals = await self.resolve_due(limit=self._batch)
                if any(r.outcome is FunderOutcome.FOUND for r in finals):
                    on_change()
            except Exception:  # the loop must outlive a bug in one pass; counted and logged
                FUNDER_LOOP_ERRORS.inc()
                log.exception("wallet_funder_loop_failed")
                await asyncio.sleep(self._retry_s)
                continue
            delay = self.next_due_in_s()
            if delay == 0.0:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def aclose(self) -> None:
        """Close the store (the RPC client belongs to the caller)."""
        if self._store is not None:
            await self._store.aclose()

    def _gauges(self) -> None:
        FUNDER_PENDING.set(len(self._pending))
        FUNDERS_KNOWN.set(self.known)
