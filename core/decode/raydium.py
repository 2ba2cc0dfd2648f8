"""Raydium AMM v4 ``ray_log`` payloads -> fields.

Raydium AMM v4 (675kPX9M...) is a native program: it logs ``Program log: ray_log: <base64>``
where the bytes are a bincode-serialised struct whose first byte is the log type. Layouts follow
raydium-io/raydium-amm ``program/src/log.rs`` (all integers little-endian, u128 as 16 bytes,
pubkey as 32 bytes):

- 0 InitLog: log_type u8, time u64, pc_decimals u8, coin_decimals u8, pc_lot_size u64,
  coin_lot_size u64, pc_amount u64, coin_amount u64, market pubkey
- 1 DepositLog: log_type u8, max_coin, max_pc, base, pool_coin, pool_pc, pool_lp (u64),
  calc_pnl_x, calc_pnl_y (u128), deduct_coin, deduct_pc, mint_lp (u64)
- 2 WithdrawLog: log_type u8, withdraw_lp, user_lp, pool_coin, pool_pc, pool_lp (u64),
  calc_pnl_x, calc_pnl_y (u128), out_coin, out_pc (u64)
- 3 SwapBaseInLog: log_type u8, amount_in, minimum_out, direction, user_source, pool_coin,
  pool_pc, out_amount (u64)
- 4 SwapBaseOutLog: log_type u8, max_in, amount_out, direction, user_source, pool_coin,
  pool_pc, deduct_in (u64)

``direction`` is 1 for coin -> pc and 2 for pc -> coin (raydium-amm ``SwapDirection``).
Bytes after a complete struct are ignored; fewer bytes than the struct is TRUNCATED.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from core.decode.borsh import pubkey_str
from core.decode.events import FailureKind
from core.errors import DecodeError

RAY_LOG_PREFIX = "ray_log: "


@dataclass(frozen=True, slots=True)
class _RayLayout:
    name: str
    st: struct.Struct
    names: tuple[str, ...]
    u128: tuple[str, ...] = ()
    pubkeys: tuple[str, ...] = ()


_LAYOUTS: dict[int, _RayLayout] = {
    0: _RayLayout(
        "InitLog",
        struct.Struct("<BQBBQQQQ32s"),
        (
            "log_type", "time", "pc_decimals", "coin_decimals", "pc_lot_size", "coin_lot_size",
            "pc_amount", "coin_amount", "market",
        ),
        pubkeys=("market",),
    ),
    1: _RayLayout(
        "DepositLog",
        struct.Struct("<BQQQQQQ16s16sQQQ"),
        (
            "log_type", "max_coin", "max_pc", "base", "pool_coin", "pool_pc", "pool_lp",
            "calc_pnl_x", "calc_pnl_y", "deduct_coin", "deduct_pc", "mint_lp",
        ),
        u128=("calc_pnl_x", "calc_pnl_y"),
    ),
    2: _RayLayout(
        "WithdrawLog",
        struct.Struct("<BQQQQQ16s16sQQ"),
        (
            "log_type", "withdraw_lp", "user_lp", "pool_coin", "pool_pc", "pool_lp",
            "calc_pnl_x", "calc_pnl_y", "out_coin", "out_pc",
        ),
        u128=("calc_pnl_x", "calc_pnl_y"),
    ),
    3: _RayLayout(
        "SwapBaseInLog",
        struct.Struct("<BQQQQQQQ"),
        (
            "log_type", "amount_in", "minimum_out", "direction", "user_source", "pool_coin",
            "pool_pc", "out_amount",
        ),
    ),
    4: _RayLayout(
        "SwapBaseOutLog",
        struct.Struct("<BQQQQQQQ"),
        (
            "log_type", "max_in", "amount_out", "direction", "user_source", "pool_coin",
            "pool_pc", "deduct_in",
        ),
    ),
}  # fmt: skip

RAY_LOG_NAMES: tuple[str, ...] = tuple(layout.name for layout in _LAYOUTS.values())


def decode_ray_log(data: bytes) -> tuple[str, dict[str, Any]]:
    """(event name, fields) of one ray_log payload (already base64-decoded).

    Raises DecodeError with kind UNKNOWN_LOG_TYPE (first byte not 0..4) or TRUNCATED.
    """
    if not data:
        raise DecodeError(FailureKind.TRUNCATED.value, "empty ray_log")
    layout = _LAYOUTS.get(data[0])
    if layout is None:
        raise DecodeError(FailureKind.UNKNOWN_LOG_TYPE.value, f"ray_log type {data[0]}")
    if len(data) < layout.st.size:
        raise DecodeError(
            FailureKind.TRUNCATED.value,
            f"{layout.name} needs {layout.st.size} bytes, got {len(data)}",
        )
    fields = dict(zip(layout.names, layout.st.unpack_from(data, 0), strict=True))
    for name in layout.u128:
        fields[name] = int.from_bytes(fields[name], "little")
    for name in layout.pubkeys:
        fields[name] = pubkey_str(fields[name])
    return layout.name, fields
