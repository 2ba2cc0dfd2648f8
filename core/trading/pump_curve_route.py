"""The second route: buy and sell directly on a Pump.fun bonding curve (mints not yet migrated).

Instructions are built from the bundled official IDL (``core/decode/idl/pump.json``): the
account list, its order, signer / writable flags and every PDA come from the IDL's ``accounts``
entries (``address`` constants; ``pda`` seeds of constants, other accounts, and
``bonding_curve.creator`` read from the curve account); the data is the instruction's 8-byte
discriminator followed by its Borsh-encoded ``args``. Only the inputs the IDL leaves open are
ours: the user, the mint, its token program, the fee recipient (``Global.fee_recipient``) and the
curve's creator.

Quotes are the curve maths of ``core.market.curve`` over the curve account's virtual reserves,
with ``Global.fee_basis_points + creator_fee_basis_points`` as the fee. Slippage bounds the
instruction itself: ``max_sol_cost`` (buy) and ``min_sol_output`` (sell); the program refuses
with TooMuchSolRequired / TooLittleSolReceived (``tx_errors`` names both slippage).

Selected only with ``TRADING_PUMP_CURVE_ROUTE=fallback`` (``route_choice``): when Jupiter has no
route for the mint and its curve is live.

Honest limits: the Pump.fun program is not available to the local LiteSVM chain, so these
transactions are checked against the IDL and a real mainnet buy instruction
(``/work/shared/fixtures/mainnet/carbon_pumpfun_buy_ix.json``), never executed here: through
the executor, the simulation of a curve trade fails on the local chain and nothing is sent. The
buy asks for exactly the quote's ``min_out_raw`` tokens for at most the SOL given, so a buy that
fills at the quoted price spends a little less than asked (the slippage share). The fee
read from ``Global`` ignores the fee program's market-cap tiers (``fee_config``) and mayhem-mode
recipients; the slippage bound absorbs a small difference, a large one fails in simulation.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from typing import Any

from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from core.chain.rpc_client import RpcClient
from core.decode.accounts import BondingCurveAccount, decode_bonding_curve
from core.decode.idl import load_idl
from core.errors import DecodeError, UpstreamError
from core.market import curve
from core.programs import PROGRAM_IDS, Program
from core.trading.routes import BuiltSwap, RouteQuote
from core.trading.trade_types import Side

PUMP_PROGRAM = Pubkey.from_string(PROGRAM_IDS[Program.PUMP])
ASSOCIATED_TOKEN_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
COMPUTE_UNIT_LIMIT = 120_000
_GLOBAL_DISCRIMINATOR = bytes([167, 232, 232, 177, 200, 108, 114, 127])
# Global: disc 8, initialized 1, authority 32, fee_recipient 32, 4 x u64, fee_basis_points u64,
# withdraw_authority 32, enable_migrate 1, pool_migration_fee u64, creator_fee_basis_points u64.
_FEE_RECIPIENT_AT, _FEE_BPS_AT, _CREATOR_FEE_BPS_AT = 41, 105, 154


class PumpCurveError(UpstreamError):
    """The curve cannot be traded here (missing, complete/migrated, or not decodable)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, provider="pump")


@dataclass(frozen=True, slots=True)
class PumpGlobal:
    fee_recipient: Pubkey
    fee_basis_points: int
    creator_fee_basis_points: int

    @property
    def total_fee_bps(self) -> int:
        return self.fee_basis_points + self.creator_fee_basis_points


def decode_global(data: bytes) -> PumpGlobal:
    if len(data) < _CREATOR_FEE_BPS_AT + 8 or data[:8] != _GLOBAL_DISCRIMINATOR:
        raise DecodeError("bad_value", "not a Pump.fun Global account")
    fee_bps = struct.unpack_from("<Q", data, _FEE_BPS_AT)[0]
    creator_bps = struct.unpack_from("<Q", data, _CREATOR_FEE_BPS_AT)[0]
    recipient = Pubkey.from_bytes(data[_FEE_RECIPIENT_AT : _FEE_RECIPIENT_AT + 32])
    return PumpGlobal(recipient, fee_bps, creator_bps)


@cache
def _instruction_idl(name: str) -> dict[str, Any]:
    for ix in load_idl(Program.PUMP)["instructions"]:
        if ix["name"] == name:
            return dict(ix)
    raise KeyError(f"pump IDL has no instruction {name!r}")


def _seed(seed: dict[str, Any], resolved: dict[str, Pubkey], creator: Pubkey) -> bytes:
    if seed["kind"] == "const":
        return bytes(seed["value"])
    path = seed["path"]
    if path == "bonding_curve.creator":
        return bytes(creator)
    return bytes(resolved[path])


def resolve_accounts(name: str, given: dict[str, Pubkey], *, creator: Pubkey) -> list[AccountMeta]:
    """The instruction's accounts in IDL order: constants and PDAs from the IDL, the rest from
    ``given`` (by IDL name). Raises ``KeyError`` naming an input the IDL leaves open."""
    entries = _instruction_idl(name)["accounts"]
    resolved: dict[str, Pubkey] = dict(given)
    pending = list(entries)
    for _ in range(len(entries)):  # PDAs may depend on later entries (token_program)
        for entry in list(pending):
            key = entry["name"]
            if key in resolved:
                pending.remove(entry)
            elif "address" in entry:
                resolved[key] = Pubkey.from_string(entry["address"])
                pending.remove(entry)
            elif "pda" in entry:
                pda = entry["pda"]
                try:
                    seeds = [_seed(s, resolved, creator) for s in pda["seeds"]]
                    program = PUMP_PROGRAM
                    if "program" in pda:
                        program = Pubkey.from_bytes(_seed(pda["program"], resolved, creator))
                except KeyError:
                    continue
                resolved[key] = Pubkey.find_program_address(seeds, program)[0]
                pending.remove(entry)
    if pending:
        raise KeyError(f"{name}: give the accounts {[e['name'] for e in pending]}")
    return [
        AccountMeta(
            resolved[e["name"]], bool(e.get("signer", False)), bool(e.get("writable", False))
        )
        for e in entries
    ]


def _data(name: str, *u64_args: int, option_bool: bool | None = None) -> bytes:
    ix = _instruction_idl(name)
    data = bytes(ix["discriminator"]) + b"".join(struct.pack("<Q", a) for a in u64_args)
    if any(a["type"] == {"defined": {"name": "OptionBool"}} for a in ix["args"]):
        data += bytes([1 if option_bool else 0])  # OptionBool: a struct of one bool
    return data


def _user_accounts(user: Pubkey, mint: Pubkey, token_program: Pubkey) -> dict[str, Pubkey]:
    ata = Pubkey.find_program_address(
        [bytes(user), bytes(token_program), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM
    )[0]
    return {"user": user, "mint": mint, "token_program": token_program, "associated_user": ata}


def buy_instruction(
    *,
    user: Pubkey,
    mint: Pubkey,
    token_program: Pubkey,
    fee_recipient: Pubkey,
    creator: Pubkey,
    amount_raw: int,
    max_sol_cost_lamports: int,
    track_volume: bool = False,
) -> Instruction:
    """``buy``: exactly ``amount_raw`` tokens for at most ``max_sol_cost_lamports``."""
    given = {**_user_accounts(user, mint, token_program), "fee_recipient": fee_recipient}
    metas = resolve_accounts("buy", given, creator=creator)
    data = _data("buy", amount_raw, max_sol_cost_lamports, option_bool=track_volume)
    return Instruction(PUMP_PROGRAM, data, metas)


def sell_instruction(
    *,
    user: Pubkey,
    mint: Pubkey,
    token_program: Pubkey,
    fee_recipient: Pubkey,
    creator: Pubkey,
    amount_raw: int,
    min_sol_output_lamports: int,
) -> Instruction:
    """``sell``: exactly ``amount_raw`` tokens for at least ``min_sol_output_lamports``."""
    given = {**_user_accounts(user, mint, token_program), "fee_recipient": fee_recipient}
    metas = resolve_accounts("sell", given, creator=creator)
    return Instruction(PUMP_PROGRAM, _data("sell", amount_raw, min_sol_output_lamports), metas)


def bonding_curve_address(mint: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([b"bonding-curve", bytes(mint)], PUMP_PROGRAM)[0]


def global_address() -> Pubkey:
    return Pubkey.find_program_address([b"global"], PUMP_PROGRAM)[0]


@dataclass(frozen=True, slots=True)
class CurveQuote:
    curve: BondingCurveAccount
    global_: PumpGlobal
    token_program: Pubkey


class PumpCurveRoute:
    """A ``SwapRoute`` over the Pump.fun program (see the module docstring for its limits)."""

    name = "pump_curve"

    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def quote(
        self, side: Side, mint: str, amount_raw: int, *, slippage_bps: int
    ) -> RouteQuote:
        key = Pubkey.from_string(mint)
        curve_info, global_info, mint_info = await self._rpc.get_multiple_accounts(
            [str(bonding_curve_address(key)), str(global_address()), mint]
        )
        if curve_info is None or mint_info is None or global_info is None:
            raise PumpCurveError(f"{mint} has no Pump.fun bonding curve")
        if not isinstance(curve_info.data, bytes) or not isinstance(global_info.data, bytes):
            raise PumpCurveError("the curve accounts did not come back as bytes")
        try:
            state = decode_bonding_curve(curve_info.data)
            global_ = decode_global(global_info.data)
        except DecodeError as exc:
            raise PumpCurveError(f"the curve accounts of {mint} do not decode ({exc})") from exc
        if state.complete:
            raise PumpCurveError(f"the curve of {mint} is complete: trade it on its AMM pool")
        fee = global_.total_fee_bps
        vsol, vtok = state.virtual_sol_reserves, state.virtual_token_reserves
        if side is Side.BUY:
            out = curve.buy_quote(
                amount_raw, vsol, vtok, fee, real_token_reserves=state.real_token_reserves
            )
            impact = curve.price_impact_pct(amount_raw, vsol, vtok, fee)
        else:
            out = curve.sell_quote(amount_raw, vsol, vtok, fee)
            spot = amount_raw * vsol / vtok
            impact = max(0.0, 100.0 * (1 - out / spot)) if spot else 0.0
        return RouteQuote(
            route=self.name,
            side=side,
            mint=mint,
            in_amount_raw=amount_raw,
            out_amount_raw=out,
            min_out_raw=out * (10_000 - slippage_bps) // 10_000,
            price_impact_pct=impact,
            slippage_bps=slippage_bps,
            labels=("Pump.fun",),
            raw=CurveQuote(state, global_, Pubkey.from_string(mint_info.owner)),
        )

    async def build(
        self, quote: RouteQuote, wallet: str, *, priority_fee_micro_lamports_per_cu: int
    ) -> BuiltSwap:
        if not isinstance(quote.raw, CurveQuote):
            raise TypeError("PumpCurveRoute builds only its own quotes")
        facts = quote.raw
        if facts.curve.creator is None:
            raise PumpCurveError("the curve account predates creators: not supported")
        user, mint = Pubkey.from_string(wallet), Pubkey.from_string(quote.mint)
        common: dict[str, Any] = {
            "user": user,
            "mint": mint,
            "token_program": facts.token_program,
            "fee_recipient": facts.global_.fee_recipient,
            "creator": Pubkey.from_string(facts.curve.creator),
        }
        ixs = [
            set_compute_unit_limit(COMPUTE_UNIT_LIMIT),
            set_compute_unit_price(priority_fee_micro_lamports_per_cu),
        ]
        if quote.side is Side.BUY:
            ixs.append(create_ata_idempotent(user, mint, facts.token_program))
            # buy takes a token amount: the quote's minimum, paying at most the SOL given
            ixs.append(
                buy_instruction(
                    **common,
                    amount_raw=quote.min_out_raw,
                    max_sol_cost_lamports=quote.in_amount_raw,
                )
            )
        else:
            ixs.append(
                sell_instruction(
                    **common,
                    amount_raw=quote.in_amount_raw,
                    min_sol_output_lamports=quote.min_out_raw,
                )
            )
        blockhash, last_valid = await self._rpc.get_latest_blockhash()
        message = MessageV0.try_compile(user, ixs, [], Hash.from_string(blockhash))
        tx = VersionedTransaction.populate(
            message, [Signature.default()] * message.header.num_required_signatures
        )
        return BuiltSwap(tx, last_valid)


def create_ata_idempotent(owner: Pubkey, mint: Pubkey, token_program: Pubkey) -> Instruction:
    ata = _user_accounts(owner, mint, token_program)["associated_user"]
    system = Pubkey.from_string("11111111111111111111111111111111")
    return Instruction(
        ASSOCIATED_TOKEN_PROGRAM,
        bytes([1]),  # CreateIdempotent
        [
            AccountMeta(owner, True, True),
            AccountMeta(ata, False, True),
            AccountMeta(owner, False, False),
            AccountMeta(mint, False, False),
            AccountMeta(system, False, False),
            AccountMeta(token_program, False, False),
        ],
    )
