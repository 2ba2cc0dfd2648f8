"""Check.HONEYPOT: can a small buy of a mint be sold back, and what does the round trip cost?

Method (one simulated transaction — option (i) of the design brief):
1. Quote a buy of ``probe_lamports`` SOL → mint, and a sell of the buy's
   ``otherAmountThreshold`` (the least the buy can deliver) mint → SOL.
2. Have Jupiter build both swap transactions for the probe wallet (the sell with
   ``dynamicComputeUnitLimit`` off: Jupiter's own simulation of it would fail, the wallet holds
   none of the token yet).
3. Decompile both messages (address lookup tables fetched over RPC), drop their compute-budget
   instructions and join them into ONE v0 transaction: CU limit 1.4M, the buy's instructions,
   then the sell's. ``simulateTransaction`` it (``sigVerify`` false, ``replaceRecentBlockhash``
   true): the sell runs against the state the buy left, so it is really simulated, with the
   probe wallet holding the bought tokens, without anything landing.
4. A failing instruction is attributed to the buy or the sell by its index → FAIL ("sell would
   fail: AccountFrozen"); else the round-trip loss from the two quotes is compared with the
   limit → FAIL ("round trip loses 62% > 25%") or PASS with the measured loss.
Any Jupiter or RPC error, no route, an underfunded probe wallet, or a simulation error that
belongs to neither swap → UNKNOWN with the reason (never PASS). With ``on_no_route``
(``TRADING_PUMP_CURVE_ROUTE=fallback``), a no-route answer hands the check to that probe instead:
``core.risk.curve_sellability`` simulates a buy and a sell on the mint's Pump.fun curve.

Limits (honest):
- Only what happens inside one transaction is seen. A honeypot whose owner freezes (or
  blacklists) buyers in a LATER transaction, e.g. a bot watching buys, passes this check; its
  prerequisite, a freeze authority, is what Check.FREEZE_AUTHORITY fails on. Time- or
  block-dependent sell taxes are also invisible.
- The loss is measured from quotes, and the sold amount is the buy's minimum after slippage, so
  the figure overstates the real loss by up to ``slippage_bps`` (the safe direction).
- Two Jupiter swaps in one transaction can exceed the 1232-byte limit on long routes; the node
  then refuses the simulation and the result is UNKNOWN.
- The probe wallet must exist and hold ``probe_lamports`` plus fees and rent (checked first); it
  never signs anything here.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, Protocol

import structlog
from solders.address_lookup_table_account import AddressLookupTable, AddressLookupTableAccount
from solders.compute_budget import ID as COMPUTE_BUDGET_ID
from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from core.chain.rpc_client import RpcClient
from core.errors import DecodeError, UpstreamError
from core.programs import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID, WSOL_MINT
from core.risk.report import Check, CheckResult, Verdict
from core.trading.jupiter_client import JupiterClient
from core.trading.jupiter_types import JupiterError, NoRouteError, TokenNotTradableError

log = structlog.get_logger(__name__)

PROBE_SLIPPAGE_BPS = 100
SIMULATION_CU_LIMIT = 1_400_000
FEE_AND_RENT_MARGIN_LAMPORTS = 10_000_000  # ATA rent (~0.002 SOL each) + fees, generously
_TOKEN_ERRORS = {  # spl-token TokenError (also Token-2022's first codes)
    0: "NotRentExempt",
    1: "InsufficientFunds",
    3: "MintMismatch",
    4: "OwnerMismatch",
    17: "AccountFrozen",
}


class NoRouteProbe(Protocol):
    """Another probe for a mint Jupiter has no route for (``core.risk.curve_sellability``)."""

    async def __call__(
        self,
        rpc: RpcClient,
        mint: str,
        no_route: JupiterError,
        *,
        probe_wallet: str,
        probe_lamports: int,
        max_round_trip_loss_pct: float,
    ) -> CheckResult: ...


def _unknown(reason: str) -> CheckResult:
    return CheckResult(Check.HONEYPOT, Verdict.UNKNOWN, None, reason)


# ---- pure parts ------------------------------------------------------------------------------


def round_trip_verdict(
    probe_lamports: int, sell_out_lamports: int, max_round_trip_loss_pct: float
) -> CheckResult:
    """PASS/FAIL from the SOL spent and the SOL the sell returns (both swaps simulated ok)."""
    loss_pct = round(max(0.0, (1 - sell_out_lamports / probe_lamports) * 100), 2)
    limit = f"{max_round_trip_loss_pct:g}%"
    if loss_pct > max_round_trip_loss_pct:
        return CheckResult(
            Check.HONEYPOT, Verdict.FAIL, loss_pct, f"round trip loses {loss_pct:g}% > {limit}"
        )
    return CheckResult(
        Check.HONEYPOT,
        Verdict.PASS,
        loss_pct,
        f"round trip loses {loss_pct:g}% <= {limit} (buy and sell simulated)",
    )


def describe_error(err: Any, instructions: Sequence[Instruction], sell_from: int) -> str | None:
    """ "buy would fail: …" / "sell would fail: …" for an InstructionError of the joined
    transaction (``sell_from``: index of the sell's first instruction); None otherwise."""
    if not isinstance(err, dict) or "InstructionError" not in err:
        return None
    try:
        index, detail = err["InstructionError"]
        index = int(index)
    except (TypeError, ValueError):
        return None
    if not 0 <= index < len(instructions):
        return None
    program = str(instructions[index].program_id)
    if isinstance(detail, dict) and "Custom" in detail:
        code = detail["Custom"]
        if program in (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID) and code in _TOKEN_ERRORS:
            detail = _TOKEN_ERRORS[code]
        else:
            detail = f"custom error {code} of {program}"
    side = "sell" if index >= sell_from else "buy"
    return f"{side} would fail: {detail}"


def _header_flags(message: MessageV0 | Message, n_keys: int) -> list[tuple[bool, bool]]:
    """(is_signer, is_writable) of every key index: static keys, then looked-up ones."""
    header = message.header
    n_sig = header.num_required_signatures
    n_static = len(message.account_keys)
    flags = []
    for i in range(n_static):
        if i < n_sig:
            flags.append((True, i < n_sig - header.num_readonly_signed_accounts))
        else:
            flags.append((False, i < n_static - header.num_readonly_unsigned_accounts))
    lookups = message.address_table_lookups if isinstance(message, MessageV0) else []
    writable_lookups = sum(len(x.writable_indexes) for x in lookups)
    flags += [(False, True)] * writable_lookups
    flags += [(False, False)] * (n_keys - len(flags))
    return flags


def decompile(
    message: MessageV0 | Message, tables: dict[Pubkey, AddressLookupTableAccount]
) -> list[Instruction]:
    """The instructions of ``message`` with full account metas (lookups resolved by
    ``tables``; raises KeyError when a table is missing)."""
    keys = list(message.account_keys)
    lookups = message.address_table_lookups if isinstance(message, MessageV0) else []
    writable: list[Pubkey] = []
    readonly: list[Pubkey] = []
    for lookup in lookups:
        addresses = tables[lookup.account_key].addresses
        writable += [addresses[i] for i in lookup.writable_indexes]
        readonly += [addresses[i] for i in lookup.readonly_indexes]
    keys += writable + readonly
    flags = _header_flags(message, len(keys))
    out = []
    for ix in message.instructions:
        metas = [AccountMeta(keys[i], flags[i][0], flags[i][1]) for i in bytes(ix.accounts)]
        out.append(Instruction(keys[ix.program_id_index], bytes(ix.data), metas))
    return out


def join_swaps(
    payer: Pubkey,
    buy: Sequence[Instruction],
    sell: Sequence[Instruction],
    tables: Sequence[AddressLookupTableAccount],
    blockhash: Hash,
) -> tuple[VersionedTransaction, list[Instruction], int]:
    """One unsigned v0 transaction: CU limit, ``buy`` then ``sell`` (their compute-budget
    instructions dropped). Returns it, its instructions and the sell's first index."""
    buy_ixs = [ix for ix in buy if ix.program_id != COMPUTE_BUDGET_ID]
    sell_ixs = [ix for ix in sell if ix.program_id != COMPUTE_BUDGET_ID]
    instructions = [set_compute_unit_limit(SIMULATION_CU_LIMIT), *buy_ixs, *sell_ixs]
    message = MessageV0.try_compile(payer, instructions, list(tables), blockhash)
    signatures = [Signature.default()] * message.header.num_required_signatures
    return VersionedTransaction.populate(message, signatures), instructions, 1 + len(buy_ixs)


# ---- the I/O -----------------------------------------------------------------------------------


async def _lookup_tables(
    rpc: RpcClient, messages: Sequence[MessageV0 | Message]
) -> dict[Pubkey, AddressLookupTableAccount]:
    keys = sorted(
        {
            lookup.account_key
            for message in messages
            if isinstance(message, MessageV0)
            for lookup in message.address_table_lookups
        },
        key=str,
    )
    if not keys:
        return {}
    accounts = await rpc.get_multiple_accounts([str(k) for k in keys])
    tables = {}
    for key, account in zip(keys, accounts, strict=True):
        if account is None or not isinstance(account.data, bytes):
            raise DecodeError("missing", f"address lookup table {key} not found")
        try:
            table = AddressLookupTable.deserialize(account.data)
        except ValueError as exc:
            raise DecodeError("bad_value", f"address lookup table {key}: {exc}") from exc
        tables[key] = AddressLookupTableAccount(key, list(table.addresses))
    return tables


async def check_sellability(
    jupiter: JupiterClient,
    rpc: RpcClient,
    mint: str,
    *,
    probe_wallet: str,
    probe_lamports: int = 10_000_000,
    max_round_trip_loss_pct: float = 25.0,
    on_no_route: NoRouteProbe | None = None,
) -> CheckResult:
    """Check.HONEYPOT for ``mint``: a buy and a sell for ``probe_wallet`` simulated in one
    transaction (see the module docstring for the method and its limits). ``on_no_route``:
    when Jupiter has no route, that probe answers instead of UNKNOWN (with the same wallet,
    amount and loss limit)."""
    if probe_lamports <= 0:
        raise ValueError("probe_lamports must be positive")
    try:
        balance = await rpc.get_balance(probe_wallet)
        if balance < probe_lamports + FEE_AND_RENT_MARGIN_LAMPORTS:
            return _unknown(
                f"probe wallet {probe_wallet} holds {balance} lamports, needs "
                f"{probe_lamports + FEE_AND_RENT_MARGIN_LAMPORTS}"
            )
        buy_quote = await jupiter.quote(
            WSOL_MINT, mint, probe_lamports, slippage_bps=PROBE_SLIPPAGE_BPS
        )
        sell_quote = await jupiter.quote(
            mint,
            WSOL_MINT,
            buy_quote.other_amount_threshold_raw,
            slippage_bps=PROBE_SLIPPAGE_BPS,
        )
        buy_tx = await jupiter.swap_transaction(
            buy_quote, probe_wallet, priority_fee_micro_lamports_per_cu=None
        )
        sell_tx = await jupiter.swap_transaction(
            sell_quote,
            probe_wallet,
            priority_fee_micro_lamports_per_cu=None,
            dynamic_compute_unit_limit=False,
        )
        buy_msg, sell_msg = _message(buy_tx.transaction()), _message(sell_tx.transaction())
        tables = await _lookup_tables(rpc, [buy_msg, sell_msg])
        joined, instructions, sell_from = join_swaps(
            Pubkey.from_string(probe_wallet),
            decompile(buy_msg, tables),
            decompile(sell_msg, tables),
            list(tables.values()),
            buy_msg.recent_blockhash,
        )
        simulation = await rpc.simulate_transaction(
            _b64(joined), sig_verify=False, replace_recent_blockhash=True
        )
    except (NoRouteError, TokenNotTradableError) as exc:
        if on_no_route is None:
            return _unknown(f"no route to trade the token: {exc}")
        return await on_no_route(
            rpc,
            mint,
            exc,
            probe_wallet=probe_wallet,
            probe_lamports=probe_lamports,
            max_round_trip_loss_pct=max_round_trip_loss_pct,
        )
    except (UpstreamError, DecodeError) as exc:
        log.warning("sellability_unavailable", mint=mint, error=str(exc))
        return _unknown(f"sellability not checked: {exc}")
    except (ValueError, KeyError) as exc:  # an undecodable transaction or a too-large join
        log.warning("sellability_unbuildable", mint=mint, error=str(exc))
        return _unknown(f"could not build the probe transaction: {exc}")
    if simulation.err is not None:
        reason = describe_error(simulation.err, instructions, sell_from)
        if reason is None:
            return _unknown(f"probe simulation failed outside the swaps: {simulation.err}")
        log.info("sellability_failed", mint=mint, reason=reason)
        return CheckResult(Check.HONEYPOT, Verdict.FAIL, None, reason)
    return round_trip_verdict(probe_lamports, sell_quote.out_amount_raw, max_round_trip_loss_pct)


def _message(tx: VersionedTransaction) -> MessageV0 | Message:
    message = tx.message
    if not isinstance(message, MessageV0 | Message):
        raise ValueError(f"unsupported message version {type(message).__name__}")
    return message


def _b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()
