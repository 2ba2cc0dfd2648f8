"""Jupiter Swap API V2, Router path: the answer of ``GET /swap/v2/build`` (a quote and raw swap
instructions) as typed data, and the v0 message we assemble from it. No I/O (the requests are
built and sent by ``jupiter_client``).

Source: the OpenAPI spec in ``jup-ag/docs`` (``openapi-spec/swap/v2/swap.yaml``, read at
07c4ba5a and d81fbeda) and the ``/build`` guide (``swap/build/index.mdx``, 0cf17fc4). Fields of a
``/build`` answer this module relies on, and the shapes it accepts:

- ``inputMint``, ``outputMint`` (str); ``inAmount``, ``outAmount``, ``otherAmountThreshold``
  (decimal strings, spec; plain integers accepted); ``slippageBps`` (number).
- price impact: ``priceImpactPct`` (decimal ratio as a string, "0.001" = 0.1 %, spec 07c4ba5a)
  or ``priceImpact`` (number in percent points, as ``/order`` sends it). The spec at d81fbeda
  lists neither, so it is uncertain: an answer with neither is refused (the price impact
  ceiling of the trade policy must never be skipped).
- ``routePlan[].swapInfo.label`` (AMM labels, for the audit trail only).
- instructions: ``computeBudgetInstructions[]`` (the compute unit price only, spec: "does not
  include compute unit limit"), ``setupInstructions[]``, ``swapInstruction`` (required),
  ``cleanupInstruction`` (nullable), ``otherInstructions[]``, ``tipInstruction`` (nullable; we
  never ask for a tip, so a non-null one is refused). An instruction is ``{programId,
  accounts: [{pubkey, isSigner, isWritable}], data}`` with ``data`` base64 (spec); accounts with
  ``is_signer`` / ``is_writable`` and ``data`` as a byte array are accepted too.
- ``addressesByLookupTableAddress``: ``{table address: [addresses]}`` or null (spec: nullable).
- ``blockhashWithMetadata``: ``blockhash`` a 32-byte array (spec) or a base58 string;
  ``lastValidBlockHeight`` a number (spec) or a decimal string; ``fetchedAt`` is not used.

Anything else (a missing field, a wrong type, a bad key) is a ``JupiterError`` naming the field.
``compose_message`` puts the pieces in the order of Jupiter's guide — compute budget (ours:
SetComputeUnitLimit, SetComputeUnitPrice), setup, swap, cleanup, other — and drops Jupiter's
compute budget instructions: the compute unit price is our bid, the limit our simulation.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import ID as COMPUTE_BUDGET_ID
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash, ParseHashError
from solders.instruction import AccountMeta, Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey

from core.trading.jupiter_types import JupiterError
from core.trading.priority_fee import MAX_COMPUTE_UNITS

CU_HEADROOM = 1.15  # the limit is the simulated units x 1.15 + CU_MARGIN, at most 1.4M
CU_MARGIN = 5_000


# ---- the answer --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwapBuild:
    """A ``/build`` answer: its quote figures (raw units), its instruction groups (Jupiter's
    compute budget instructions apart), its lookup tables and its blockhash."""

    input_mint: str
    output_mint: str
    in_amount_raw: int
    out_amount_raw: int
    other_amount_threshold_raw: int  # the least the swap instruction accepts
    slippage_bps: int
    price_impact_pct: float  # percent points
    route_labels: tuple[str, ...]
    compute_budget_instructions: tuple[Instruction, ...]
    setup_instructions: tuple[Instruction, ...]
    swap_instruction: Instruction
    cleanup_instruction: Instruction | None
    other_instructions: tuple[Instruction, ...]
    lookup_tables: tuple[AddressLookupTableAccount, ...]
    blockhash: Hash
    last_valid_block_height: int
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def swap_instructions(self) -> list[Instruction]:
        """Setup, swap, cleanup, other — without any compute budget instruction."""
        ixs = [*self.setup_instructions, self.swap_instruction]
        if self.cleanup_instruction is not None:
            ixs.append(self.cleanup_instruction)
        return [*ixs, *self.other_instructions]


def _shape_error(problem: str) -> JupiterError:
    return JupiterError(f"jupiter build: unexpected answer ({problem})", status=200)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _shape_error(f"{name}={value!r} is not an integer")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise _shape_error(f"{name}={value!r} is not an integer") from exc


def _pubkey(value: Any, name: str) -> Pubkey:
    if not isinstance(value, str):
        raise _shape_error(f"{name} is not an address")
    try:
        return Pubkey.from_string(value)
    except ValueError as exc:
        raise _shape_error(f"{name}={value!r} is not an address") from exc


def _bytes(value: Any, name: str) -> bytes:
    """base64 (spec) or an array of bytes."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _shape_error(f"{name} is not base64") from exc
    if isinstance(value, list) and all(
        isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in value
    ):
        return bytes(value)
    raise _shape_error(f"{name} is neither base64 nor a byte array")


def _flag(account: Mapping[str, Any], camel: str, snake: str, name: str) -> bool:
    value = account.get(camel, account.get(snake))
    if not isinstance(value, bool):
        raise _shape_error(f"{name}.{camel} is not a boolean")
    return value


def parse_instruction(body: Any, name: str) -> Instruction:
    if not isinstance(body, Mapping):
        raise _shape_error(f"{name} is not an object")
    program = _pubkey(body.get("programId"), f"{name}.programId")
    accounts = body.get("accounts")
    if not isinstance(accounts, list):
        raise _shape_error(f"{name}.accounts is not a list")
    metas = []
    for i, account in enumerate(accounts):
        where = f"{name}.accounts[{i}]"
        if not isinstance(account, Mapping):
            raise _shape_error(f"{where} is not an object")
        metas.append(
            AccountMeta(
                _pubkey(account.get("pubkey"), f"{where}.pubkey"),
                _flag(account, "isSigner", "is_signer", where),
                _flag(account, "isWritable", "is_writable", where),
            )
        )
    return Instruction(program, _bytes(body.get("data"), f"{name}.data"), metas)


def _instructions(body: Mapping[str, Any], key: str) -> tuple[Instruction, ...]:
    value = body.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _shape_error(f"{key} is not a list")
    return tuple(parse_instruction(ix, f"{key}[{i}]") for i, ix in enumerate(value))


def _lookup_tables(value: Any) -> tuple[AddressLookupTableAccount, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise _shape_error("addressesByLookupTableAddress is not an object")
    tables = []
    for table, addresses in value.items():
        if not isinstance(addresses, list):
            raise _shape_error(f"addressesByLookupTableAddress[{table}] is not a list")
        tables.append(
            AddressLookupTableAccount(
                _pubkey(table, "lookup table"),
                [_pubkey(a, f"lookup table {table} entry") for a in addresses],
            )
        )
    return tuple(tables)


def _blockhash(meta: Any) -> tuple[Hash, int]:
    if not isinstance(meta, Mapping):
        raise _shape_error("blockhashWithMetadata missing")
    value = meta.get("blockhash")
    try:
        if isinstance(value, str):
            blockhash = Hash.from_string(value)
        elif isinstance(value, list) and len(value) == 32:
            blockhash = Hash(_bytes(value, "blockhashWithMetadata.blockhash"))
        else:
            raise _shape_error("blockhashWithMetadata.blockhash is not 32 bytes nor base58")
    except (ValueError, ParseHashError) as exc:
        raise _shape_error(f"blockhashWithMetadata.blockhash={value!r}") from exc
    height = _int(meta.get("lastValidBlockHeight"), "blockhashWithMetadata.lastValidBlockHeight")
    return blockhash, height


def _price_impact_pct(body: Mapping[str, Any]) -> float:
    try:
        if body.get("priceImpactPct") is not None:  # a ratio as a string
            return float(body["priceImpactPct"]) * 100
        if body.get("priceImpact") is not None:  # percent points
            return float(body["priceImpact"])
    except (TypeError, ValueError) as exc:
        raise _shape_error("price impact is not a number") from exc
    raise _shape_error("no priceImpactPct nor priceImpact")


def parse_build(body: Any) -> SwapBuild:
    """A ``/build`` answer (see the module docstring for the shapes accepted)."""
    if not isinstance(body, Mapping):
        raise _shape_error("not an object")
    for key in ("inputMint", "outputMint"):
        if not isinstance(body.get(key), str):
            raise _shape_error(f"{key} missing")
    if body.get("tipInstruction") is not None:
        raise _shape_error("a tipInstruction that was not asked for")
    plan = body.get("routePlan")
    labels = []
    for step in plan if isinstance(plan, list) else []:
        info = step.get("swapInfo") if isinstance(step, Mapping) else None
        if isinstance(info, Mapping) and isinstance(info.get("label"), str):
            labels.append(info["label"])
    cleanup = body.get("cleanupInstruction")
    blockhash, last_valid = _blockhash(body.get("blockhashWithMetadata"))
    build = SwapBuild(
        input_mint=body["inputMint"],
        output_mint=body["outputMint"],
        in_amount_raw=_int(body.get("inAmount"), "inAmount"),
        out_amount_raw=_int(body.get("outAmount"), "outAmount"),
        other_amount_threshold_raw=_int(body.get("otherAmountThreshold"), "otherAmountThreshold"),
        slippage_bps=_int(body.get("slippageBps", 0), "slippageBps"),
        price_impact_pct=_price_impact_pct(body),
        route_labels=tuple(labels),
        compute_budget_instructions=_instructions(body, "computeBudgetInstructions"),
        setup_instructions=_instructions(body, "setupInstructions"),
        swap_instruction=parse_instruction(body.get("swapInstruction"), "swapInstruction"),
        cleanup_instruction=(
            None if cleanup is None else parse_instruction(cleanup, "cleanupInstruction")
        ),
        other_instructions=_instructions(body, "otherInstructions"),
        lookup_tables=_lookup_tables(body.get("addressesByLookupTableAddress")),
        blockhash=blockhash,
        last_valid_block_height=last_valid,
        raw=dict(body),
    )
    for ix in build.swap_instructions():
        if ix.program_id == COMPUTE_BUDGET_ID:
            raise _shape_error("a compute budget instruction outside computeBudgetInstructions")
    return build


# ---- our transaction ---------------------------------------------------------------------------


def compute_unit_limit_for(units_consumed: int | None) -> int:
    """The limit for a transaction that used ``units_consumed`` in simulation (the maximum
    when the simulation did not say)."""
    if units_consumed is None:
        return MAX_COMPUTE_UNITS
    return min(MAX_COMPUTE_UNITS, math.ceil(units_consumed * CU_HEADROOM) + CU_MARGIN)


def compose_message(
    build: SwapBuild,
    payer: Pubkey,
    *,
    compute_unit_limit: int,
    compute_unit_price_micro_lamports: int,
) -> MessageV0:
    """The swap as a v0 message paid by ``payer``, with our compute budget instructions, the
    answer's lookup tables and blockhash. Refused when anyone but ``payer`` must sign."""
    instructions = [
        set_compute_unit_limit(compute_unit_limit),
        set_compute_unit_price(compute_unit_price_micro_lamports),
        *build.swap_instructions(),
    ]
    message = MessageV0.try_compile(
        payer, instructions, list(build.lookup_tables), build.blockhash
    )
    signers = list(message.account_keys[: message.header.num_required_signatures])
    if signers != [payer]:
        raise _shape_error(f"instructions need signers other than the taker: {signers}")
    return message
