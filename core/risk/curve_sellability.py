"""Check.HONEYPOT for a mint only tradeable on its Pump.fun bonding curve.

Used by ``check_sellability`` (``on_no_route``) when ``TRADING_PUMP_CURVE_ROUTE=fallback`` and
Jupiter answers that the token has no route (``NoRouteError`` / ``TokenNotTradableError``):

1. Read the curve as the curve route does (``PumpCurveRoute.quote`` of a buy of
   ``probe_lamports``: curve account, ``Global`` fees, the mint's token program); a missing or
   complete curve → UNKNOWN with Jupiter's and the curve's reasons.
2. ``curve_round_trip`` (pure): the buy asks for the quote's ``min_out_raw`` tokens for at most
   ``probe_lamports`` (exactly what the curve route would send); what the program charges for
   them (``amount * vsol // (vtok - amount) + 1`` into the curve, plus each fee part rounded
   up); the sell of exactly those tokens on the curve the buy leaves behind, each fee part
   rounded up and deducted; its ``min_sol_output`` is that figure less ``PROBE_SLIPPAGE_BPS``.
3. ONE transaction from the probe wallet (``curve_probe_instructions``): CU limit, create the
   wallet's token account (idempotent), Pump.fun ``buy``, Pump.fun ``sell`` (the curve route's
   IDL builders). ``simulateTransaction`` with ``sigVerify`` false and
   ``replaceRecentBlockhash`` true; nothing lands.
4. ``curve_verdict`` (pure): success → PASS / FAIL by ``round_trip_verdict`` on the SOL the buy
   pays and the sell returns (the Jupiter probe's limit); a failing buy or sell instruction →
   FAIL ("sell would fail: TooLittleSolReceived", Pump.fun errors named from the IDL).

UNKNOWN, never PASS: any RPC error; a simulation error outside the instructions; and a program
that is missing or not executable (``InvalidProgramForExecution``, ``ProgramAccountNotFound``,
``UnsupportedProgramId``). A mainnet node always holds the Pump.fun program, so such an answer
says the node (or a test chain without the binary) cannot run the check, not that the token
cannot be sold: FAIL would claim a honeypot nobody observed, PASS a sale nobody simulated.

Limits (honest): the loss comes from our curve maths, not from balances read back from the
simulation (the probe's token account rent would count as a loss); the fees ignore the fee
program's market-cap tiers like the curve route does (a sell returning more than 1 % under the
model fails its ``min_sol_output`` and reads FAIL). Never executed against the real program in
our tests: the binary is not available offline.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from typing import Any

import structlog
from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.instruction import Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from core.chain.rpc_client import RpcClient
from core.decode.accounts import BondingCurveAccount
from core.decode.idl import load_idl
from core.errors import DecodeError, UpstreamError
from core.market.curve import BPS_DENOMINATOR
from core.programs import Program
from core.risk.report import Check, CheckResult, Verdict
from core.risk.sellability import (
    PROBE_SLIPPAGE_BPS,
    SIMULATION_CU_LIMIT,
    describe_error,
    round_trip_verdict,
)
from core.trading.jupiter_types import JupiterError
from core.trading.pump_curve_route import (
    PUMP_PROGRAM,
    CurveQuote,
    PumpCurveError,
    PumpCurveRoute,
    PumpGlobal,
    buy_instruction,
    create_ata_idempotent,
    sell_instruction,
)
from core.trading.trade_types import Side

log = structlog.get_logger(__name__)

# A program the node cannot run: a transaction error, or an instruction error's detail.
PROGRAM_MISSING_ERRORS = frozenset(
    {"InvalidProgramForExecution", "ProgramAccountNotFound", "UnsupportedProgramId"}
)
SELL_FROM = 3  # CU limit, token account, buy, then the sell


@dataclass(frozen=True, slots=True)
class CurveRoundTrip:
    """The probe's buy and sell on one curve, by the curve maths (lamports / raw units)."""

    tokens_raw: int  # what the buy asks for and the sell sells
    max_sol_cost_lamports: int  # the buy's bound: the probe's SOL
    buy_cost_lamports: int  # what the buy pays for ``tokens_raw``, fees included
    sell_out_lamports: int  # what selling them back returns, fees deducted
    min_sol_output_lamports: int  # the sell's bound


def _fees(lamports: int, global_: PumpGlobal) -> int:
    """Protocol fee + creator fee on ``lamports``, each rounded up."""
    return sum(
        -(-lamports * bps // BPS_DENOMINATOR)
        for bps in (global_.fee_basis_points, global_.creator_fee_basis_points)
    )


def curve_round_trip(
    curve: BondingCurveAccount,
    global_: PumpGlobal,
    tokens_raw: int,
    probe_lamports: int,
    *,
    slippage_bps: int = PROBE_SLIPPAGE_BPS,
) -> CurveRoundTrip:
    """Buy exactly ``tokens_raw`` for at most ``probe_lamports``, then sell them back."""
    vsol, vtok = curve.virtual_sol_reserves, curve.virtual_token_reserves
    if not 0 < tokens_raw < vtok:
        raise ValueError(f"tokens_raw must be in (0, {vtok}), got {tokens_raw}")
    into_curve = tokens_raw * vsol // (vtok - tokens_raw) + 1
    buy_cost = into_curve + _fees(into_curve, global_)
    vsol, vtok = vsol + into_curve, vtok - tokens_raw  # the curve the buy leaves
    gross = tokens_raw * vsol // (vtok + tokens_raw)
    sell_out = gross - _fees(gross, global_)
    return CurveRoundTrip(
        tokens_raw=tokens_raw,
        max_sol_cost_lamports=probe_lamports,
        buy_cost_lamports=buy_cost,
        sell_out_lamports=sell_out,
        min_sol_output_lamports=sell_out * (BPS_DENOMINATOR - slippage_bps) // BPS_DENOMINATOR,
    )


def curve_probe_instructions(
    probe_wallet: Pubkey, mint: Pubkey, facts: CurveQuote, trip: CurveRoundTrip
) -> list[Instruction]:
    """CU limit, the wallet's token account, Pump.fun ``buy``, Pump.fun ``sell``."""
    if facts.curve.creator is None:
        raise PumpCurveError("the curve account predates creators: not supported")
    common: dict[str, Any] = {
        "user": probe_wallet,
        "mint": mint,
        "token_program": facts.token_program,
        "fee_recipient": facts.global_.fee_recipient,
        "creator": Pubkey.from_string(facts.curve.creator),
    }
    return [
        set_compute_unit_limit(SIMULATION_CU_LIMIT),
        create_ata_idempotent(probe_wallet, mint, facts.token_program),
        buy_instruction(
            **common, amount_raw=trip.tokens_raw, max_sol_cost_lamports=trip.max_sol_cost_lamports
        ),
        sell_instruction(
            **common,
            amount_raw=trip.tokens_raw,
            min_sol_output_lamports=trip.min_sol_output_lamports,
        ),
    ]


def probe_transaction(payer: Pubkey, instructions: list[Instruction]) -> VersionedTransaction:
    """Unsigned v0 transaction; its blockhash is replaced by the node at simulation."""
    message = MessageV0.try_compile(payer, instructions, [], Hash.default())
    signatures = [Signature.default()] * message.header.num_required_signatures
    return VersionedTransaction.populate(message, signatures)


@cache
def _pump_errors() -> dict[int, str]:
    return {int(e["code"]): str(e["name"]) for e in load_idl(Program.PUMP).get("errors", [])}


def _program_missing(err: Any) -> bool:
    if isinstance(err, str):
        return err in PROGRAM_MISSING_ERRORS
    if isinstance(err, dict) and "InstructionError" in err:
        detail = err["InstructionError"]
        return (
            isinstance(detail, list | tuple)
            and isinstance(detail[-1], str)
            and detail[-1] in PROGRAM_MISSING_ERRORS
        )
    return False


def curve_verdict(
    err: Any,
    instructions: list[Instruction],
    trip: CurveRoundTrip,
    max_round_trip_loss_pct: float,
) -> CheckResult:
    """The check's result from the simulation's ``err`` (None: both swaps succeeded)."""
    if err is None:
        return round_trip_verdict(
            trip.buy_cost_lamports, trip.sell_out_lamports, max_round_trip_loss_pct
        )
    if _program_missing(err):
        return CheckResult(
            Check.HONEYPOT,
            Verdict.UNKNOWN,
            None,
            f"curve probe not checked: the node cannot run its programs ({_short(err)})",
        )
    reason = describe_error(_named(err, instructions), instructions, SELL_FROM)
    if reason is None:
        return CheckResult(
            Check.HONEYPOT,
            Verdict.UNKNOWN,
            None,
            f"curve probe simulation failed outside the swaps: {err}",
        )
    return CheckResult(Check.HONEYPOT, Verdict.FAIL, None, reason)


def _named(err: Any, instructions: list[Instruction]) -> Any:
    """``err`` with a Pump.fun custom error code replaced by its IDL name."""
    try:
        index, detail = err["InstructionError"]
        code = detail["Custom"]
        program = instructions[int(index)].program_id
    except (TypeError, KeyError, IndexError, ValueError):
        return err
    name = _pump_errors().get(code) if program == PUMP_PROGRAM else None
    return err if name is None else {"InstructionError": [index, name]}


def _short(err: Any) -> str:
    if isinstance(err, dict) and "InstructionError" in err:
        return str(err["InstructionError"][-1])
    return str(err)


async def check_curve_sellability(
    rpc: RpcClient,
    mint: str,
    no_route: JupiterError,
    *,
    probe_wallet: str,
    probe_lamports: int,
    max_round_trip_loss_pct: float,
) -> CheckResult:
    """Check.HONEYPOT on the curve of ``mint`` (Jupiter answered ``no_route``); see the module
    docstring. The probe wallet's balance was checked by ``check_sellability``."""
    try:
        quote = await PumpCurveRoute(rpc).quote(
            Side.BUY, mint, probe_lamports, slippage_bps=PROBE_SLIPPAGE_BPS
        )
    except PumpCurveError as exc:
        return _unknown(f"no route to trade the token: {no_route}; Pump.fun curve: {exc}")
    except (UpstreamError, DecodeError) as exc:
        log.warning("curve_sellability_unavailable", mint=mint, error=str(exc))
        return _unknown(f"sellability not checked: {exc}")
    assert isinstance(quote.raw, CurveQuote)
    try:
        trip = curve_round_trip(
            quote.raw.curve, quote.raw.global_, quote.min_out_raw, probe_lamports
        )
        instructions = curve_probe_instructions(
            Pubkey.from_string(probe_wallet), Pubkey.from_string(mint), quote.raw, trip
        )
    except (ValueError, PumpCurveError) as exc:
        return _unknown(f"could not build the curve probe transaction: {exc}")
    tx = probe_transaction(Pubkey.from_string(probe_wallet), instructions)
    try:
        simulation = await rpc.simulate_transaction(
            base64.b64encode(bytes(tx)).decode(), sig_verify=False, replace_recent_blockhash=True
        )
    except (UpstreamError, DecodeError) as exc:
        log.warning("curve_sellability_unavailable", mint=mint, error=str(exc))
        return _unknown(f"sellability not checked: {exc}")
    result = curve_verdict(simulation.err, instructions, trip, max_round_trip_loss_pct)
    log.info(
        "curve_sellability_checked", mint=mint, verdict=result.verdict.value, detail=result.detail
    )
    return result


def _unknown(reason: str) -> CheckResult:
    return CheckResult(Check.HONEYPOT, Verdict.UNKNOWN, None, reason)
