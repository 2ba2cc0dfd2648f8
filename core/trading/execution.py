"""The stages of one trade request, run by ``TradeExecutor`` while it holds the request's lease.

    policy (mint, wallet) -> quote -> policy (impact) -> build -> policy (priority fee) -> sign
    -> simulate -> [commit: quoted, simulated, sent + the signed transaction] -> send/confirm
    -> [commit: position + confirmed]

Database writes are few and at the points that matter: the ``quoted`` transition is committed
together with the next one (``sent``, or the refusal / failure that ends the trade), and the
``sent`` commit — signed transaction, signature, ``lastValidBlockHeight`` — always happens
before the first send. Each audit row keeps the time its step happened.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from prometheus_client import Histogram
from solders.message import VersionedMessage
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from core.chain.rpc_client import RpcClient
from core.errors import RpcError, UpstreamError, UserInputError
from core.trading.confirm import LandingKind, TransactionLander
from core.trading.jupiter_types import NoRouteError, TokenNotTradableError
from core.trading.policy import (
    MintFacts,
    TradePolicy,
    check_balance,
    check_mint,
    check_priority_fee,
    check_quote,
)
from core.trading.positions import fill_from_balances
from core.trading.priority_fee import PriorityFeeEstimator, compute_budget
from core.trading.routes import RouteQuote, SwapRoute
from core.trading.signer import Signer, sign_transaction
from core.trading.trade_requests import TradeRecord, TradeRequestStore, TradeStep
from core.trading.trade_types import (
    FailureReason,
    Refusal,
    Side,
    TradeOutcome,
    TradeRequest,
    TradeState,
    UpdateKind,
)
from core.trading.tx_errors import SLIPPAGE_CODES, failure_of, log_tail

log = structlog.get_logger(__name__)

ASSOCIATED_TOKEN_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
FactsSource = Callable[[str], Awaitable[MintFacts]]  # mint -> risk report and liquidity
SignerSource = Callable[[str], Signer]  # wallet address -> its signer
Emit = Callable[..., Awaitable[None]]  # (kind, **fields) -> None

STAGE_SECONDS = Histogram(
    "solsignals_trade_stage_seconds",
    "Time spent in each stage of a trade (checks, quote, build, sign, simulate, land, fill, db)",
    ["stage"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120),
)


@dataclass(frozen=True, slots=True)
class ExecutorDeps:
    store: TradeRequestStore
    rpc: RpcClient
    route: SwapRoute
    signer_for: SignerSource
    fees: PriorityFeeEstimator
    lander: TransactionLander
    facts: FactsSource | None
    max_quote_rounds: int
    fill_attempts: int
    clock: Callable[[], float]
    owner: str


class Stop(Exception):
    """The trade ended (refused or failed); ``outcome`` says how."""

    def __init__(self, outcome: TradeOutcome) -> None:
        self.outcome = outcome


def outcome_of(record: TradeRecord, **flags: bool) -> TradeOutcome:
    token_delta = record.token_amount_raw
    if token_delta is not None and record.side is Side.SELL:
        token_delta = -token_delta
    return TradeOutcome(
        idempotency_key=record.idempotency_key,
        state=record.state,
        side=record.side,
        mint=record.mint,
        reason=record.reason,
        message=record.detail.get("message"),
        detail=record.detail,
        signature=record.signature,
        token_delta_raw=token_delta,
        sol_delta_lamports=record.sol_delta_lamports,
        fee_lamports=record.fee_lamports,
        position_id=record.position_id,
        **flags,
    )


class Execution:
    """One request, from where its stored state says it is, to an outcome (or ``Stop``)."""

    def __init__(
        self,
        deps: ExecutorDeps,
        record: TradeRecord,
        request: TradeRequest,
        policy: TradePolicy,
        emit: Emit,
        started: float,
    ) -> None:
        self.d = deps
        self.record = record
        self.request = request
        self.policy = policy
        self.emit = emit
        self.started = started
        self._quoted: tuple[dict[str, Any], datetime] | None = None  # committed with the next
        self._quote: RouteQuote | None = None

    # ---- the loop ---------------------------------------------------------------------------

    async def run(self) -> TradeOutcome:
        resumed = self.record.state is TradeState.SENT  # a send may have happened: check first
        need_send = not resumed
        while True:
            if need_send:
                await self._prepare_and_send()
                resumed = need_send = False
            record = self.record
            assert record.signed_tx and record.signature and record.last_valid_block_height
            t = self.d.clock()
            landing = await self.d.lander.land(
                record.signed_tx,
                record.signature,
                record.last_valid_block_height,
                already_sent=resumed,
                on_rebroadcast=self._rebroadcast,
            )
            STAGE_SECONDS.labels("land").observe(self.d.clock() - t)
            kind = landing.kind
            if kind is LandingKind.CONFIRMED:
                return await self._confirmed()
            if kind is LandingKind.UNCONFIRMED:
                return outcome_of(self.record, in_progress=True)
            if kind is LandingKind.EXPIRED and record.attempts < self.d.max_quote_rounds:
                await self.emit(UpdateKind.REQUOTED, signature=record.signature)
                need_send = True  # the next quote moves sent -> quoted ("trade.requoted")
                continue
            if kind is LandingKind.EXPIRED:
                raise await self.fail(
                    FailureReason.BLOCKHASH_EXPIRED,
                    "the transaction did not land before its blockhash expired "
                    f"({record.attempts} quotes tried): nothing was traded",
                    {"signatures": list(record.signatures)},
                )
            landed = kind is not LandingKind.REJECTED
            reason, text = failure_of(landing.err, _message_of(record.signed_tx), landed=landed)
            if not landed and reason is FailureReason.SIMULATION_FAILED:
                reason = FailureReason.SEND_REJECTED
                text = f"the RPC node refused the transaction ({landing.message}): nothing sent"
            raise await self.fail(
                reason, text, {"err": _jsonable(landing.err), "logs": list(landing.logs)}
            )

    async def _rebroadcast(self, sends: int) -> None:
        async with self._step() as step:
            step.renew("trade.rebroadcast", {"sends": sends, "signature": self.record.signature})

    # ---- before sending ---------------------------------------------------------------------

    async def _prepare_and_send(self) -> None:
        request, policy = self.request, self.policy
        if self.record.attempts == 0:
            t = self.d.clock()
            refusals = await self._pre_quote_checks()
            STAGE_SECONDS.labels("checks").observe(self.d.clock() - t)
            if refusals:
                raise await self.refuse(refusals)
        t = self.d.clock()
        try:
            quote = await self.d.route.quote(
                request.side,
                request.mint,
                request.amount_raw,
                slippage_bps=self.record.slippage_bps,
            )
        except (UpstreamError, ValueError) as exc:
            raise await self.fail_upstream(exc, "quote") from None
        STAGE_SECONDS.labels("quote").observe(self.d.clock() - t)
        self._quoted = (
            {
                **_quote_details(quote),
                "expired_signature": self.record.signature if self.record.attempts else None,
            },
            self.d.store.now(),
        )
        self._quote = quote
        refusals = check_quote(policy, quote.price_impact_pct)
        if refusals:
            raise await self.refuse(refusals)
        t = self.d.clock()
        price = await self.d.fees.micro_lamports_per_cu()
        try:
            built = await self.d.route.build(
                quote, request.wallet, priority_fee_micro_lamports_per_cu=price
            )
        except (UpstreamError, ValueError) as exc:
            raise await self.fail_upstream(exc, "swap") from None
        STAGE_SECONDS.labels("build").observe(self.d.clock() - t)
        message = built.transaction.message
        payer = str(message.account_keys[0]) if message.account_keys else None
        if payer != request.wallet:
            raise await self.fail(
                FailureReason.UNEXPECTED_TRANSACTION,
                "the route built a transaction this wallet does not pay for: nothing was sent",
                {"fee_payer": payer},
            )
        budget = compute_budget(message)
        refusals = check_priority_fee(policy, budget.priority_fee_lamports)
        if refusals:
            raise await self.refuse(refusals)
        await self.emit(
            UpdateKind.QUOTED,
            in_amount_raw=quote.in_amount_raw,
            out_amount_raw=quote.out_amount_raw,
            min_out_raw=quote.min_out_raw,
            price_impact_pct=quote.price_impact_pct,
            network_fee_lamports=budget.network_fee_lamports,
            route=quote.route,
        )
        t = self.d.clock()
        try:
            signed = await sign_transaction(built.transaction, [self.d.signer_for(request.wallet)])
        except (UpstreamError, UserInputError) as exc:
            raise await self.fail(
                FailureReason.SIGNER_FAILED, f"signing failed ({exc}): nothing was sent"
            ) from None
        STAGE_SECONDS.labels("sign").observe(self.d.clock() - t)
        signed_b64 = base64.b64encode(bytes(signed)).decode()
        signature = str(signed.signatures[0])
        t = self.d.clock()
        try:
            simulation = await self.d.rpc.simulate_transaction(signed_b64, sig_verify=True)
        except UpstreamError as exc:
            raise await self.fail_upstream(exc, "simulateTransaction") from None
        STAGE_SECONDS.labels("simulate").observe(self.d.clock() - t)
        if simulation.err is not None:
            reason, text = failure_of(simulation.err, message, landed=False)
            raise await self.fail(
                reason, text, {"err": _jsonable(simulation.err), "logs": log_tail(simulation.logs)}
            )
        async with self._step() as step:  # written before the send: a resume checks it
            step.move(
                TradeState.SIMULATED,
                action="trade.simulated",
                details={"units_consumed": simulation.units_consumed, "signature": signature},
            )
            step.move(
                TradeState.SENT,
                action="trade.sent",
                details={
                    "signature": signature,
                    "last_valid_block_height": built.last_valid_block_height,
                    "network_fee_lamports": budget.network_fee_lamports,
                },
                signature=signature,
                signatures=[*self.record.signatures, signature],
                signed_tx=signed_b64,
                last_valid_block_height=built.last_valid_block_height,
            )
        await self.emit(UpdateKind.SIMULATED, compute_units=simulation.units_consumed)
        await self.emit(UpdateKind.SENT, signature=signature)

    async def _pre_quote_checks(self) -> list[Refusal]:
        request = self.request
        refusals: list[Refusal] = []
        if request.side is Side.BUY:
            facts = MintFacts(None, None)  # unknown facts refuse (risk_unknown), never pass
            if self.d.facts is not None:
                try:
                    facts = await self.d.facts(request.mint)
                except UpstreamError as exc:
                    log.warning("trade_facts_unavailable", mint=request.mint, error=str(exc))
            refusals += check_mint(self.policy, facts)
            if refusals:
                return refusals
        try:
            balance = await self._balance()
        except UpstreamError as exc:
            raise await self.fail_upstream(exc, "the balance lookup") from None
        return check_balance(request, balance)

    async def _balance(self) -> int:
        request, rpc = self.request, self.d.rpc
        if request.side is Side.BUY:
            return await rpc.get_balance(request.wallet)
        mint = await rpc.get_account_info(request.mint)
        if mint is None:
            return 0
        ata, _ = Pubkey.find_program_address(
            [
                bytes(Pubkey.from_string(request.wallet)),
                bytes(Pubkey.from_string(mint.owner)),
                bytes(Pubkey.from_string(request.mint)),
            ],
            ASSOCIATED_TOKEN_PROGRAM,
        )
        try:
            return (await rpc.get_token_account_balance(str(ata))).amount_raw
        except RpcError as exc:
            if exc.code == -32602:  # not a token account: the wallet never held this token
                return 0
            raise

    # ---- after landing ----------------------------------------------------------------------

    async def _confirmed(self) -> TradeOutcome:
        record = self.record
        assert record.signature is not None
        t = self.d.clock()
        balances = None
        for attempt in range(self.d.fill_attempts):
            try:
                balances = await self.d.rpc.get_transaction_balances(record.signature)
            except UpstreamError as exc:
                log.warning("trade_fill_unavailable", signature=record.signature, error=str(exc))
            if balances is not None:
                break
            if attempt + 1 < self.d.fill_attempts:
                await self.d.lander.pause()
        if balances is None:  # it landed; the next resume of this key reads the fill
            log.error("trade_fill_unknown", key=record.idempotency_key, signature=record.signature)
            return outcome_of(record, in_progress=True)
        fill = fill_from_balances(balances, self.request.wallet, self.request.mint)
        STAGE_SECONDS.labels("fill").observe(self.d.clock() - t)
        seconds = round(self.d.clock() - self.started, 3)
        async with self._step() as step:
            change = await step.apply_fill(fill)
            step.move(
                TradeState.CONFIRMED,
                action="trade.confirmed",
                details={
                    "signature": fill.signature,
                    "slot": fill.slot,
                    "token_delta_raw": fill.token_delta_raw,
                    "sol_delta_lamports": fill.sol_delta_lamports,
                    "fee_lamports": fill.fee_lamports,
                    "seconds": seconds,
                },
                token_amount_raw=abs(fill.token_delta_raw),
                sol_delta_lamports=fill.sol_delta_lamports,
                fee_lamports=fill.fee_lamports,
                position_id=change.position_id if change else None,
                confirmed_at=step.now,
                detail={"seconds": seconds, "slot": fill.slot},
            )
        await self.emit(
            UpdateKind.CONFIRMED,
            signature=fill.signature,
            token_delta_raw=fill.token_delta_raw,
            sol_delta_lamports=fill.sol_delta_lamports,
            seconds=seconds,
        )
        return outcome_of(self.record)

    # ---- endings and the database -----------------------------------------------------------

    async def refuse(self, refusals: list[Refusal]) -> Stop:
        first = refusals[0]
        detail = {
            "message": first.message,
            **dict(first.detail),
            "refusals": [{"reason": r.reason.value, "message": r.message} for r in refusals],
        }
        return await self._end(TradeState.REFUSED, first.reason.value, detail)

    async def fail(
        self, reason: FailureReason, message: str, extra: dict[str, Any] | None = None
    ) -> Stop:
        return await self._end(
            TradeState.FAILED, reason.value, {"message": message, **(extra or {})}
        )

    async def fail_upstream(self, exc: Exception, what: str) -> Stop:
        if isinstance(exc, NoRouteError):
            return await self.fail(
                FailureReason.NO_ROUTE, f"no route for this trade ({exc}): nothing was sent"
            )
        if isinstance(exc, TokenNotTradableError):
            return await self.fail(
                FailureReason.NOT_TRADABLE, "this token cannot be traded: nothing was sent"
            )
        code = getattr(exc, "code", None)
        if isinstance(code, str) and code in SLIPPAGE_CODES:
            return await self.fail(
                FailureReason.SLIPPAGE_EXCEEDED,
                "the price moved past your slippage limit before the swap: nothing was traded",
                {"error": str(exc)},
            )
        return await self.fail(
            FailureReason.UPSTREAM_UNAVAILABLE,
            f"{what} failed ({exc}): nothing was sent; try again",
            {"error": str(exc), "retryable": bool(getattr(exc, "retryable", False))},
        )

    async def _end(self, state: TradeState, reason: str, detail: dict[str, Any]) -> Stop:
        action = "trade.refused" if state is TradeState.REFUSED else "trade.failed"
        async with self._step() as step:
            step.move(
                state,
                action=action,
                details={"reason": reason, **detail},
                reason=reason,
                detail=detail,
            )
        log.info(action.replace(".", "_"), key=self.request.idempotency_key, reason=reason)
        return Stop(outcome_of(self.record))

    def _step(self) -> _StepScope:
        return _StepScope(self)

    def _apply_pending_quote(self, step: TradeStep) -> None:
        if self._quoted is None:
            return
        details, at = self._quoted
        quote = self._quote
        assert quote is not None
        requote = self.record.attempts > 0
        step.move(
            TradeState.QUOTED,
            action="trade.requoted" if requote else "trade.quoted",
            details=details,
            at=at,
            attempts=self.record.attempts + 1,
            quote_out_raw=quote.out_amount_raw,
            price_impact_pct=quote.price_impact_pct,
        )
        self._quoted = None


class _StepScope:
    """``async with execution._step() as step``: a store step over the current record, with
    the pending ``quoted`` move applied first; the record is updated when it commits."""

    def __init__(self, execution: Execution) -> None:
        self._execution = execution
        self._cm: Any = None

    async def __aenter__(self) -> TradeStep:
        e = self._execution
        self._started = e.d.clock()
        self._cm = e.d.store.step(e.record, e.d.owner, actor=e.request.audit_actor)
        step: TradeStep = await self._cm.__aenter__()
        e._apply_pending_quote(step)
        self._stepper = step
        return step

    async def __aexit__(self, *exc: Any) -> None:
        await self._cm.__aexit__(*exc)
        if exc[0] is None:
            self._execution.record = self._stepper.record
        STAGE_SECONDS.labels("db").observe(self._execution.d.clock() - self._started)


def _quote_details(quote: RouteQuote) -> dict[str, Any]:
    return {
        "route": quote.route,
        "in_amount_raw": quote.in_amount_raw,
        "out_amount_raw": quote.out_amount_raw,
        "min_out_raw": quote.min_out_raw,
        "price_impact_pct": quote.price_impact_pct,
        "slippage_bps": quote.slippage_bps,
        "labels": list(quote.labels),
    }


def _message_of(signed_b64: str) -> VersionedMessage:
    return VersionedTransaction.from_bytes(base64.b64decode(signed_b64)).message


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)
