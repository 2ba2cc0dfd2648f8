"""Typed answers of the Solana JSON-RPC methods we call, and their parsers.

Parsers take the JSON ``result`` (or its ``value``) exactly as the node sends it and raise
``UpstreamError`` (not retryable) when the shape is not what the Solana docs describe.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import UpstreamError


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """An account. ``data`` is raw bytes (base64 encoding) or the node's parsed dict (jsonParsed,
    e.g. ``{"program": "spl-token", "parsed": {...}, "space": 82}``)."""

    lamports: int
    owner: str
    executable: bool
    data: bytes | dict[str, Any]
    slot: int  # context slot of the answer
    rent_epoch: int | None = None
    space: int | None = None


@dataclass(frozen=True, slots=True)
class TokenAmountEntry:
    """One row of getTokenLargestAccounts."""

    address: str
    amount_raw: int
    decimals: int
    ui_amount_string: str


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """One row of getSignaturesForAddress (newest first in the answer)."""

    signature: str
    slot: int
    err: Any
    memo: str | None
    block_time: int | None
    confirmation_status: str | None


@dataclass(frozen=True, slots=True)
class SimulationResult:
    err: Any
    logs: tuple[str, ...]
    units_consumed: int | None
    slot: int
    return_data: dict[str, Any] | None = None
    replacement_blockhash: str | None = None
    replacement_last_valid_block_height: int | None = None
    fee_lamports: int | None = None


@dataclass(frozen=True, slots=True)
class SignatureStatus:
    slot: int
    confirmations: int | None  # None once rooted (finalized)
    err: Any
    confirmation_status: str | None  # processed | confirmed | finalized


@dataclass(frozen=True, slots=True)
class PrioritizationFee:
    slot: int
    fee_micro_lamports_per_cu: int


def _shape_error(method: str, detail: str) -> UpstreamError:
    return UpstreamError(f"{method}: unexpected answer shape ({detail})", retryable=False)


def context_value(method: str, result: Any) -> tuple[int, Any]:
    """Split a ``{"context": {"slot"}, "value"}`` answer into (slot, value)."""
    if not isinstance(result, Mapping) or "value" not in result:
        raise _shape_error(method, "missing context/value")
    context = result.get("context") or {}
    return int(context.get("slot", 0)), result["value"]


def parse_account_info(method: str, value: Any, slot: int) -> AccountInfo | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _shape_error(method, "account is not an object")
    raw = value.get("data")
    data: bytes | dict[str, Any]
    if isinstance(raw, list) and len(raw) == 2 and raw[1] == "base64":
        try:
            data = base64.b64decode(raw[0], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _shape_error(method, "account data is not base64") from exc
    elif isinstance(raw, dict):
        data = dict(raw)
    else:
        raise _shape_error(method, f"unsupported account data {type(raw).__name__}")
    try:
        return AccountInfo(
            lamports=int(value["lamports"]),
            owner=str(value["owner"]),
            executable=bool(value["executable"]),
            data=data,
            slot=slot,
            rent_epoch=value.get("rentEpoch"),
            space=value.get("space"),
        )
    except KeyError as exc:
        raise _shape_error(method, f"account lacks {exc.args[0]}") from exc


def parse_token_amounts(value: Any) -> list[TokenAmountEntry]:
    if not isinstance(value, list):
        raise _shape_error("getTokenLargestAccounts", "value is not a list")
    try:
        return [
            TokenAmountEntry(
                address=item["address"],
                amount_raw=int(item["amount"]),
                decimals=int(item["decimals"]),
                ui_amount_string=item.get("uiAmountString", ""),
            )
            for item in value
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise _shape_error("getTokenLargestAccounts", str(exc)) from exc


def parse_signature_infos(result: Any) -> list[SignatureInfo]:
    if not isinstance(result, list):
        raise _shape_error("getSignaturesForAddress", "result is not a list")
    try:
        return [
            SignatureInfo(
                signature=item["signature"],
                slot=int(item["slot"]),
                err=item.get("err"),
                memo=item.get("memo"),
                block_time=item.get("blockTime"),
                confirmation_status=item.get("confirmationStatus"),
            )
            for item in result
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise _shape_error("getSignaturesForAddress", str(exc)) from exc


def parse_simulation(result: Any) -> SimulationResult:
    slot, value = context_value("simulateTransaction", result)
    if not isinstance(value, Mapping):
        raise _shape_error("simulateTransaction", "value is not an object")
    replacement = value.get("replacementBlockhash") or {}
    return SimulationResult(
        err=value.get("err"),
        logs=tuple(value.get("logs") or ()),
        units_consumed=value.get("unitsConsumed"),
        slot=slot,
        return_data=value.get("returnData"),
        replacement_blockhash=replacement.get("blockhash"),
        replacement_last_valid_block_height=replacement.get("lastValidBlockHeight"),
        fee_lamports=value.get("fee"),
    )


def parse_signature_statuses(result: Any) -> list[SignatureStatus | None]:
    _, value = context_value("getSignatureStatuses", result)
    if not isinstance(value, list):
        raise _shape_error("getSignatureStatuses", "value is not a list")
    statuses: list[SignatureStatus | None] = []
    for item in value:
        if item is None:
            statuses.append(None)
            continue
        statuses.append(
            SignatureStatus(
                slot=int(item["slot"]),
                confirmations=item.get("confirmations"),
                err=item.get("err"),
                confirmation_status=item.get("confirmationStatus"),
            )
        )
    return statuses


def parse_prioritization_fees(result: Any) -> list[PrioritizationFee]:
    if not isinstance(result, list):
        raise _shape_error("getRecentPrioritizationFees", "result is not a list")
    return [
        PrioritizationFee(
            slot=int(item["slot"]), fee_micro_lamports_per_cu=int(item["prioritizationFee"])
        )
        for item in result
    ]


@dataclass(frozen=True, slots=True)
class TokenAmount:
    """A token account's balance (getTokenAccountBalance)."""

    amount_raw: int
    decimals: int


@dataclass(frozen=True, slots=True)
class TokenBalance:
    """One entry of a transaction's ``preTokenBalances`` / ``postTokenBalances``."""

    account_index: int  # into ``TransactionBalances.account_keys``
    mint: str
    owner: str | None
    program_id: str | None
    amount_raw: int
    decimals: int


@dataclass(frozen=True, slots=True)
class TransactionBalances:
    """What a landed transaction did to balances (getTransaction ``meta``).

    ``account_keys`` is the message's static keys, then the addresses loaded from lookup tables
    (writable, then readonly): the order ``pre_lamports`` / ``post_lamports`` and every
    ``TokenBalance.account_index`` refer to."""

    signature: str
    slot: int
    block_time: int | None
    err: Any
    fee_lamports: int
    account_keys: tuple[str, ...]
    pre_lamports: tuple[int, ...]
    post_lamports: tuple[int, ...]
    pre_token: tuple[TokenBalance, ...]
    post_token: tuple[TokenBalance, ...]


def parse_token_amount(method: str, value: Any) -> TokenAmount:
    if not isinstance(value, Mapping):
        raise _shape_error(method, "value is not an object")
    try:
        return TokenAmount(amount_raw=int(value["amount"]), decimals=int(value["decimals"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise _shape_error(method, str(exc)) from exc


def _token_balances(items: Any) -> tuple[TokenBalance, ...]:
    balances = []
    for item in items or ():
        amount = item["uiTokenAmount"]
        balances.append(
            TokenBalance(
                account_index=int(item["accountIndex"]),
                mint=str(item["mint"]),
                owner=item.get("owner"),
                program_id=item.get("programId"),
                amount_raw=int(amount["amount"]),
                decimals=int(amount["decimals"]),
            )
        )
    return tuple(balances)


def _key(item: Any) -> str:
    return str(item["pubkey"]) if isinstance(item, Mapping) else str(item)  # jsonParsed: objects


def parse_transaction_balances(result: Any) -> TransactionBalances | None:
    """The balance changes of a getTransaction answer (``json`` or ``jsonParsed``); None when
    the node does not know the transaction."""
    if result is None:
        return None
    method = "getTransaction"
    if not isinstance(result, Mapping) or not isinstance(result.get("meta"), Mapping):
        raise _shape_error(method, "missing meta")
    meta = result["meta"]
    try:
        tx = result["transaction"]
        message = tx["message"]
        loaded = meta.get("loadedAddresses") or {}
        keys = [_key(k) for k in message["accountKeys"]]
        static_count = len(keys)
        keys += [str(k) for k in loaded.get("writable") or ()]
        keys += [str(k) for k in loaded.get("readonly") or ()]
        if any(isinstance(k, Mapping) for k in message["accountKeys"]):
            keys = keys[:static_count]  # jsonParsed already lists loaded addresses
        return TransactionBalances(
            signature=str(tx["signatures"][0]),
            slot=int(result["slot"]),
            block_time=result.get("blockTime"),
            err=meta.get("err"),
            fee_lamports=int(meta["fee"]),
            account_keys=tuple(keys),
            pre_lamports=tuple(int(x) for x in meta["preBalances"]),
            post_lamports=tuple(int(x) for x in meta["postBalances"]),
            pre_token=_token_balances(meta.get("preTokenBalances")),
            post_token=_token_balances(meta.get("postTokenBalances")),
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise _shape_error(method, f"{type(exc).__name__}: {exc}") from exc
