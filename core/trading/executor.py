"""``TradeExecutor.execute``: one trade request, exactly once, from policy to a confirmed fill.

    policy (request) -> policy (mint, wallet) -> quote -> policy (impact) -> build
    -> policy (priority fee) -> sign -> simulate -> send -> confirm (rebroadcast until the
    blockhash expires; one re-quote after expiry) -> position from the confirmed balance change

The request is stored first (``trade_requests``, keyed by its idempotency key, with the daily
limit reserved in the same transaction) and leased to this executor; every later step is a
conditional, row-locking transition with its audit rows (``execution``). The signed
transaction and its signature are committed before the first send, so a retried job, a double
tap or a crash never trades twice (``confirm``). Progress goes to ``on_update`` as
``TradeUpdate``s — an error in the callback is logged and counted, never stops the trade — and
the return value says how it ended.

Faults and what the user gets (each ends with one or zero executions):
- policy refusal: ``refused`` with the reason, nothing signed (before the quote when it can be);
- no route, Jupiter or the RPC node down before sending: ``failed``, nothing sent;
- simulation error: ``failed`` (``simulation_failed`` / ``slippage_exceeded``), nothing sent;
- the price moved past the slippage limit: ``failed`` / ``slippage_exceeded``, nothing traded;
- an RPC timeout on send: the signature's status is checked before any resend;
- blockhash expired with nothing landed: one re-quote and a new transaction, then
  ``blockhash_expired`` if that one expires too;
- landed with an error: ``failed`` / ``transaction_failed`` (the network fee was paid);
- no answer from the RPC node at all: the request stays ``sent`` and the outcome is
  ``in_progress``; executing the same key again resumes by checking the signature.
"""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from prometheus_client import Counter, Histogram

from core.chain.rpc_client import RpcClient
from core.trading.confirm import TransactionLander
from core.trading.execution import (
    Execution,
    ExecutorDeps,
    FactsSource,
    SignerSource,
    Stop,
    outcome_of,
)
from core.trading.policy import TradePolicy, check_request
from core.trading.priority_fee import PriorityFeeEstimator
from core.trading.routes import SwapRoute
from core.trading.trade_requests import TradeRequestStore
from core.trading.trade_types import (
    TradeOutcome,
    TradeRequest,
    TradeState,
    TradeUpdate,
    UpdateKind,
)

log = structlog.get_logger(__name__)

OnUpdate = Callable[[TradeUpdate], Awaitable[None] | None]
PolicySource = Callable[[int], Awaitable[TradePolicy]]  # user id -> the user's policy

TRADES = Counter(
    "solsignals_trades_total",
    "Trade requests finished by this process, by side, final state and reason",
    ["side", "state", "reason"],
)
TRADE_SECONDS = Histogram(
    "solsignals_trade_seconds",
    "From execute() to the end of a trade, by side and final state",
    ["side", "state"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)
UPDATE_ERRORS = Counter(
    "solsignals_trade_update_callback_errors_total", "Progress callbacks that raised"
)
_FINAL_KINDS = {
    TradeState.REFUSED: UpdateKind.REFUSED,
    TradeState.FAILED: UpdateKind.FAILED,
    TradeState.CONFIRMED: UpdateKind.CONFIRMED,
}


def fixed_policy(policy: TradePolicy) -> PolicySource:
    """A ``PolicySource`` giving every user the same policy (tests, single-user installs)."""

    async def _policy(_user_id: int) -> TradePolicy:
        return policy

    return _policy


class _Emitter:
    def __init__(self, on_update: OnUpdate | None, request: TradeRequest) -> None:
        self._on_update = on_update
        self._request = request

    async def __call__(self, kind: UpdateKind, **fields: Any) -> None:
        if self._on_update is None:
            return
        request = self._request
        update = TradeUpdate(kind, request.idempotency_key, request.side, request.mint, **fields)
        try:
            result = self._on_update(update)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # a broken channel never stops a trade
            UPDATE_ERRORS.inc()
            log.warning("trade_update_callback_failed", kind=kind.value, error=repr(exc))

    async def final(self, outcome: TradeOutcome) -> None:
        kind = _FINAL_KINDS.get(outcome.state)
        if kind is not None:
            await self(
                kind,
                reason=outcome.reason,
                message=outcome.message,
                detail=outcome.detail,
                signature=outcome.signature,
                token_delta_raw=outcome.token_delta_raw,
                sol_delta_lamports=outcome.sol_delta_lamports,
            )


class TradeExecutor:
    """Executes trade requests. One instance per process (or per worker); ``owner`` names its
    leases. ``facts`` is required for buys (without it every buy is refused ``risk_unknown``)."""

    def __init__(
        self,
        *,
        store: TradeRequestStore,
        rpc: RpcClient,
        route: SwapRoute,
        signer_for: SignerSource,
        policy_for: PolicySource,
        fees: PriorityFeeEstimator,
        lander: TransactionLander,
        facts: FactsSource | None = None,
        max_quote_rounds: int = 2,
        fill_attempts: int = 5,
        clock: Callable[[], float] = time.monotonic,
        owner: str | None = None,
    ) -> None:
        self._policy_for = policy_for
        self.owner = owner or f"executor:{uuid.uuid4().hex[:12]}"
        self._deps = ExecutorDeps(
            store=store,
            rpc=rpc,
            route=route,
            signer_for=signer_for,
            fees=fees,
            lander=lander,
            facts=facts,
            max_quote_rounds=max_quote_rounds,
            fill_attempts=fill_attempts,
            clock=clock,
            owner=self.owner,
        )

    async def execute(
        self, request: TradeRequest, on_update: OnUpdate | None = None
    ) -> TradeOutcome:
        """Execute ``request`` once. Asking again with the same key returns the first
        execution's outcome (``replayed``) or, while another executor works on it, where it
        stands (``in_progress``); a request left unfinished (a crash, an unreachable RPC node)
        is resumed. A key reused for another trade is a ``UserInputError``."""
        d = self._deps
        started = d.clock()
        emit = _Emitter(on_update, request)
        policy = await self._policy_for(request.user_id)
        record, created = await d.store.open(
            request,
            route=d.route.name,
            slippage_bps=policy.slippage_for(request),
            admit=lambda spent: check_request(policy, request, spent_today_lamports=spent),
            owner=self.owner,
        )
        if record.state.terminal:
            outcome = outcome_of(record, replayed=not created)
            if created:
                self._count(outcome, started)
            await emit.final(outcome)
            return outcome
        if not created:
            claimed = await d.store.claim(request.idempotency_key, self.owner)
            if claimed is None:
                current = await d.store.get(request.idempotency_key)
                assert current is not None
                if current.state.terminal:
                    return outcome_of(current, replayed=True)
                return outcome_of(current, in_progress=True)
            record = claimed
        execution = Execution(d, record, request, policy, emit, started)
        result: TradeOutcome | None = None
        try:
            result = await execution.run()
        except Stop as stop:
            result = stop.outcome
            await emit.final(result)
        finally:
            if result is None or not result.state.terminal:  # terminal moves free the lease
                await d.store.release(request.idempotency_key, self.owner)
        self._count(result, started)
        return result

    def _count(self, outcome: TradeOutcome, started: float) -> None:
        side, state = outcome.side.value, outcome.state.value
        TRADES.labels(side, state, outcome.reason or "").inc()
        TRADE_SECONDS.labels(side, state).observe(self._deps.clock() - started)
