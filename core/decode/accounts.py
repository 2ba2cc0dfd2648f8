"""Account decoders: Pump.fun BondingCurve, PumpSwap Pool, SPL Token / Token-2022 Mint.

Pure functions from account bytes (as ``getAccountInfo`` base64 returns them) to frozen
dataclasses; anything that is not the expected account raises ``DecodeError``.

Anchor accounts (BondingCurve, Pool) are read field by field from the bundled official IDL
(``accounts`` discriminators, ``types`` layouts). As with events, accounts created by older
program versions hold a *prefix* of the newest layout: the 49-byte pre-creator BondingCurve of
2024 decodes with ``creator=None``. Accounts are often allocated larger than the layout that
wrote them, so trailing fields may read as zero (false / the all-zero key).

Mints: the 82-byte SPL layout, and Token-2022 mints with extensions (base 82 bytes, zero padding
to 165, account-type byte 1 = Mint, then TLV entries ``u16 type, u16 length, value``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any

from solders.pubkey import Pubkey

from core.decode.events import FailureKind
from core.decode.idl import load_idl
from core.errors import DecodeError
from core.programs import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID, Program

TOKEN_2022_PROGRAM = TOKEN_2022_PROGRAM_ID
"""Token-2022 program id. core.programs.TOKEN_2022_PROGRAM_ID reads ...AS5... (a typo; the
program deployed on mainnet and in LiteSVM is ...AS6...)."""

_ZERO_KEY = bytes(32)
_PRIMITIVE_SIZES = {
    "u8": 1,
    "i8": 1,
    "bool": 1,
    "u16": 2,
    "i16": 2,
    "u32": 4,
    "i32": 4,
    "u64": 8,
    "i64": 8,
    "u128": 16,
    "i128": 16,
    "pubkey": 32,
}
_INT_FORMATS = {
    "u8": "<B",
    "i8": "<b",
    "u16": "<H",
    "i16": "<h",
    "u32": "<I",
    "i32": "<i",
    "u64": "<Q",
    "i64": "<q",
}


# ---- Anchor accounts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BondingCurveAccount:
    """A Pump.fun bonding curve. Fields absent from an older layout are ``None``."""

    virtual_token_reserves: int
    virtual_sol_reserves: int
    real_token_reserves: int
    real_sol_reserves: int
    token_total_supply: int
    complete: bool
    creator: str | None = None
    is_mayhem_mode: bool | None = None
    is_cashback_coin: bool | None = None
    quote_mint: str | None = None  # None also when all-zero (unset: the curve trades SOL)


@dataclass(frozen=True, slots=True)
class PumpSwapPool:
    """A PumpSwap (pump_amm) pool. Fields absent from an older layout are ``None``."""

    pool_bump: int
    index: int
    creator: str
    base_mint: str
    quote_mint: str
    lp_mint: str
    pool_base_token_account: str
    pool_quote_token_account: str
    lp_supply: int
    coin_creator: str | None = None
    is_mayhem_mode: bool | None = None
    is_cashback_coin: bool | None = None


# The newest IDL renamed the SOL fields to "quote"; our names keep "sol".
_RENAMES = {
    "virtual_quote_reserves": "virtual_sol_reserves",
    "real_quote_reserves": "real_sol_reserves",
}
_BONDING_CURVE_REQUIRED = 6  # fields of the original 49-byte layout
_POOL_REQUIRED = 9  # pool_bump .. lp_supply


@cache
def _account_layout(program: Program, name: str) -> tuple[bytes, tuple[tuple[str, str], ...]]:
    idl = load_idl(program)
    discriminator = next(bytes(a["discriminator"]) for a in idl["accounts"] if a["name"] == name)
    type_def = next(t["type"] for t in idl["types"] if t["name"] == name)
    fields = []
    for field in type_def["fields"]:
        ftype = "pubkey" if field["type"] == "publicKey" else field["type"]
        if ftype not in _PRIMITIVE_SIZES:
            raise ValueError(f"{name}.{field['name']}: unsupported account field type {ftype!r}")
        fields.append((_RENAMES.get(field["name"], field["name"]), ftype))
    return discriminator, tuple(fields)


def _read_value(data: bytes, offset: int, ftype: str) -> Any:
    if ftype == "pubkey":
        return str(Pubkey.from_bytes(data[offset : offset + 32]))
    if ftype == "bool":
        return data[offset] != 0
    if ftype in ("u128", "i128"):
        return int.from_bytes(data[offset : offset + 16], "little", signed=ftype == "i128")
    return struct.unpack_from(_INT_FORMATS[ftype], data, offset)[0]


def _decode_anchor_account(
    data: bytes, program: Program, name: str, required: int
) -> dict[str, Any]:
    discriminator, fields = _account_layout(program, name)
    if data[:8] != discriminator:
        raise DecodeError(
            FailureKind.UNKNOWN_DISCRIMINATOR.value,
            f"not a {program.value} {name} account (discriminator {data[:8].hex()})",
        )
    values: dict[str, Any] = {}
    offset = 8
    for index, (fname, ftype) in enumerate(fields):
        size = _PRIMITIVE_SIZES[ftype]
        if offset + size > len(data):
            if index < required:
                raise DecodeError(
                    FailureKind.TRUNCATED.value,
                    f"{name} account of {len(data)} bytes ends inside required field {fname}",
                )
            break
        values[fname] = _read_value(data, offset, ftype)
        offset += size
    return values


def decode_bonding_curve(data: bytes) -> BondingCurveAccount:
    """Decode a Pump.fun BondingCurve account (any layout from the 49-byte original on)."""
    values = _decode_anchor_account(data, Program.PUMP, "BondingCurve", _BONDING_CURVE_REQUIRED)
    if values.get("quote_mint") == str(Pubkey.default()):
        values["quote_mint"] = None
    known = BondingCurveAccount.__slots__
    return BondingCurveAccount(**{k: v for k, v in values.items() if k in known})


def decode_pump_swap_pool(data: bytes) -> PumpSwapPool:
    """Decode a PumpSwap Pool account (from the pre-coin-creator layout on)."""
    values = _decode_anchor_account(data, Program.PUMP_AMM, "Pool", _POOL_REQUIRED)
    known = PumpSwapPool.__slots__
    return PumpSwapPool(**{k: v for k, v in values.items() if k in known})


# ---- SPL Token / Token-2022 mints ------------------------------------------------------------


class ExtensionType(IntEnum):
    """Token-2022 extension type ids (spl-token-2022 ``ExtensionType``) relevant to mints."""

    UNINITIALIZED = 0
    TRANSFER_FEE_CONFIG = 1
    MINT_CLOSE_AUTHORITY = 3
    CONFIDENTIAL_TRANSFER_MINT = 4
    DEFAULT_ACCOUNT_STATE = 6
    NON_TRANSFERABLE = 9
    INTEREST_BEARING_CONFIG = 10
    PERMANENT_DELEGATE = 12
    TRANSFER_HOOK = 14
    METADATA_POINTER = 18
    TOKEN_METADATA = 19
    GROUP_POINTER = 20
    GROUP_MEMBER_POINTER = 22
    SCALED_UI_AMOUNT = 25
    PAUSABLE = 26


@dataclass(frozen=True, slots=True)
class TransferFee:
    epoch: int  # first epoch in which this fee applies
    maximum_fee_raw: int
    basis_points: int


@dataclass(frozen=True, slots=True)
class TransferFeeConfig:
    config_authority: str | None
    withdraw_withheld_authority: str | None
    withheld_amount_raw: int
    older: TransferFee
    newer: TransferFee

    def fee_at(self, epoch: int) -> TransferFee:
        """The fee in force at ``epoch``: the newer one once its epoch has begun."""
        return self.newer if epoch >= self.newer.epoch else self.older

    def worst_case(self) -> TransferFee:
        """The higher of both fees (when the current epoch is unknown)."""
        return max(self.older, self.newer, key=lambda f: (f.basis_points, f.maximum_fee_raw))


@dataclass(frozen=True, slots=True)
class MintInfo:
    """A token mint. ``transfer_fee_*`` are None when the mint has no transfer fee extension."""

    mint_authority: str | None
    freeze_authority: str | None
    supply_raw: int
    decimals: int
    is_initialized: bool
    token_program: str
    transfer_fee_bps: int | None = None
    transfer_fee_max_raw: int | None = None
    extension_types: tuple[int, ...] = ()  # Token-2022 extensions present, in account order
    transfer_fee_config: TransferFeeConfig | None = None


MINT_BASE_LEN = 82
_ACCOUNT_TYPE_OFFSET = 165  # Token-2022: base account length (a token account is 165 bytes)
_ACCOUNT_TYPE_MINT = 1
_MINT_BASE = struct.Struct("<I32sQBBI32s")
_TRANSFER_FEE = struct.Struct("<QQH")
_TRANSFER_FEE_CONFIG_LEN = 32 + 32 + 8 + 2 * _TRANSFER_FEE.size  # 108


def _coption_key(tag: int, key: bytes, field: str) -> str | None:
    if tag == 0:
        return None
    if tag == 1:
        return str(Pubkey.from_bytes(key))
    raise DecodeError("bad_value", f"mint {field} COption tag {tag} is not 0 or 1")


def _nonzero_key(key: bytes) -> str | None:
    return None if key == _ZERO_KEY else str(Pubkey.from_bytes(key))


def _parse_transfer_fee_config(value: bytes) -> TransferFeeConfig:
    if len(value) < _TRANSFER_FEE_CONFIG_LEN:
        raise DecodeError(
            FailureKind.TRUNCATED.value, f"TransferFeeConfig is {len(value)} bytes, needs 108"
        )
    (withheld,) = struct.unpack_from("<Q", value, 64)
    older = TransferFee(*_TRANSFER_FEE.unpack_from(value, 72))
    newer = TransferFee(*_TRANSFER_FEE.unpack_from(value, 72 + _TRANSFER_FEE.size))
    return TransferFeeConfig(
        config_authority=_nonzero_key(value[0:32]),
        withdraw_withheld_authority=_nonzero_key(value[32:64]),
        withheld_amount_raw=withheld,
        older=older,
        newer=newer,
    )


def _parse_mint_extensions(data: bytes) -> tuple[tuple[int, ...], TransferFeeConfig | None]:
    if len(data) <= _ACCOUNT_TYPE_OFFSET:
        raise DecodeError(
            FailureKind.TRUNCATED.value, f"mint of {len(data)} bytes: extensions need > 165"
        )
    if any(data[MINT_BASE_LEN:_ACCOUNT_TYPE_OFFSET]):
        raise DecodeError("bad_value", "Token-2022 mint padding (bytes 82..165) is not zero")
    if data[_ACCOUNT_TYPE_OFFSET] != _ACCOUNT_TYPE_MINT:
        raise DecodeError(
            "bad_value", f"account type byte is {data[_ACCOUNT_TYPE_OFFSET]}, not 1 (Mint)"
        )
    types: list[int] = []
    fee_config: TransferFeeConfig | None = None
    offset = _ACCOUNT_TYPE_OFFSET + 1
    while offset + 4 <= len(data):
        ext_type, length = struct.unpack_from("<HH", data, offset)
        if ext_type == ExtensionType.UNINITIALIZED:
            break  # the rest of the account is unused space
        value = data[offset + 4 : offset + 4 + length]
        if len(value) < length:
            raise DecodeError(
                FailureKind.TRUNCATED.value, f"extension {ext_type} runs past the account end"
            )
        types.append(ext_type)
        if ext_type == ExtensionType.TRANSFER_FEE_CONFIG:
            fee_config = _parse_transfer_fee_config(value)
        offset += 4 + length
    return tuple(types), fee_config


def _fee_fields(
    config: TransferFeeConfig | None, epoch: int | None
) -> tuple[int | None, int | None]:
    if config is None:
        return None, None
    fee = config.worst_case() if epoch is None else config.fee_at(epoch)
    return fee.basis_points, fee.maximum_fee_raw


def decode_mint(data: bytes, token_program: str, *, epoch: int | None = None) -> MintInfo:
    """Decode SPL Token / Token-2022 mint bytes owned by ``token_program``.

    ``transfer_fee_bps`` / ``transfer_fee_max_raw`` are the fee in force at ``epoch``; without an
    epoch, the higher of the older and newer fee (the worst case for a trader).
    """
    if len(data) < MINT_BASE_LEN:
        raise DecodeError(
            FailureKind.TRUNCATED.value, f"mint needs {MINT_BASE_LEN} bytes, got {len(data)}"
        )
    mint_tag, mint_key, supply, decimals, initialized, freeze_tag, freeze_key = (
        _MINT_BASE.unpack_from(data, 0)
    )
    if initialized > 1:
        raise DecodeError("bad_value", f"mint is_initialized byte is {initialized}")
    types: tuple[int, ...] = ()
    fee_config: TransferFeeConfig | None = None
    if len(data) > MINT_BASE_LEN:
        types, fee_config = _parse_mint_extensions(data)
    fee_bps, fee_max = _fee_fields(fee_config, epoch)
    return MintInfo(
        mint_authority=_coption_key(mint_tag, mint_key, "mint_authority"),
        freeze_authority=_coption_key(freeze_tag, freeze_key, "freeze_authority"),
        supply_raw=supply,
        decimals=decimals,
        is_initialized=bool(initialized),
        token_program=token_program,
        transfer_fee_bps=fee_bps,
        transfer_fee_max_raw=fee_max,
        extension_types=types,
        transfer_fee_config=fee_config,
    )


# ---- jsonParsed mints ------------------------------------------------------------------------

_PARSED_PROGRAMS = {"spl-token": TOKEN_PROGRAM_ID, "spl-token-2022": TOKEN_2022_PROGRAM}
_PARSED_EXTENSIONS = {
    "transferFeeConfig": ExtensionType.TRANSFER_FEE_CONFIG,
    "mintCloseAuthority": ExtensionType.MINT_CLOSE_AUTHORITY,
    "confidentialTransferMint": ExtensionType.CONFIDENTIAL_TRANSFER_MINT,
    "defaultAccountState": ExtensionType.DEFAULT_ACCOUNT_STATE,
    "nonTransferable": ExtensionType.NON_TRANSFERABLE,
    "interestBearingConfig": ExtensionType.INTEREST_BEARING_CONFIG,
    "permanentDelegate": ExtensionType.PERMANENT_DELEGATE,
    "transferHook": ExtensionType.TRANSFER_HOOK,
    "metadataPointer": ExtensionType.METADATA_POINTER,
    "tokenMetadata": ExtensionType.TOKEN_METADATA,
    "groupPointer": ExtensionType.GROUP_POINTER,
    "groupMemberPointer": ExtensionType.GROUP_MEMBER_POINTER,
    "scaledUiAmountConfig": ExtensionType.SCALED_UI_AMOUNT,
    "pausableConfig": ExtensionType.PAUSABLE,
}


def _parsed_fee(raw: dict[str, Any]) -> TransferFee:
    return TransferFee(
        epoch=int(raw["epoch"]),
        maximum_fee_raw=int(raw["maximumFee"]),
        basis_points=int(raw["transferFeeBasisPoints"]),
    )


def mint_info_from_parsed(parsed: dict[str, Any], *, epoch: int | None = None) -> MintInfo:
    """MintInfo from a ``jsonParsed`` getAccountInfo answer.

    Accepts the account ``value`` (with ``data`` and ``owner``) or its ``data`` object
    (``{"parsed": {"type": "mint", "info": ...}, "program": "spl-token"}``).
    """
    try:
        data = parsed.get("data", parsed)
        owner = parsed.get("owner") or _PARSED_PROGRAMS[data["program"]]
        if data["parsed"]["type"] != "mint":
            raise DecodeError("bad_value", f"parsed account is a {data['parsed']['type']!r}")
        info = data["parsed"]["info"]
        types: list[int] = []
        fee_config: TransferFeeConfig | None = None
        for ext in info.get("extensions", []):
            ext_type = _PARSED_EXTENSIONS.get(ext["extension"])
            if ext_type is not None:
                types.append(int(ext_type))
            if ext_type == ExtensionType.TRANSFER_FEE_CONFIG:
                state = ext["state"]
                fee_config = TransferFeeConfig(
                    config_authority=state.get("transferFeeConfigAuthority"),
                    withdraw_withheld_authority=state.get("withdrawWithheldAuthority"),
                    withheld_amount_raw=int(state["withheldAmount"]),
                    older=_parsed_fee(state["olderTransferFee"]),
                    newer=_parsed_fee(state["newerTransferFee"]),
                )
        fee_bps, fee_max = _fee_fields(fee_config, epoch)
        return MintInfo(
            mint_authority=info.get("mintAuthority"),
            freeze_authority=info.get("freezeAuthority"),
            supply_raw=int(info["supply"]),
            decimals=int(info["decimals"]),
            is_initialized=bool(info["isInitialized"]),
            token_program=owner,
            transfer_fee_bps=fee_bps,
            transfer_fee_max_raw=fee_max,
            extension_types=tuple(types),
            transfer_fee_config=fee_config,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DecodeError("bad_frame", f"not a jsonParsed mint account: {exc!r}") from exc
