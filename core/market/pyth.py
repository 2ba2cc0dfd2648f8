"""Parse a Pyth ``PriceUpdateV2`` account (pull oracle / push-oracle price feed account).

Layout (Anchor, Borsh, little-endian; /work/shared/reference/solana-rpc.md section 12)::

    [0..8]   discriminator sha256("account:PriceUpdateV2")[:8] = 22 f1 23 63 9d 7e f4 cd
    32       write_authority
    1 (+1)   verification_level: 0 = Partial {num_signatures u8}, 1 = Full
    84       price_message: feed_id [u8;32], price i64, conf u64, exponent i32,
             publish_time i64, prev_publish_time i64, ema_price i64, ema_conf u64
    8        posted_slot u64

The verification tag is parsed, never assumed: a Partial update shifts later fields by one byte.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from core.errors import DecodeError

PRICE_UPDATE_V2_DISCRIMINATOR = bytes.fromhex("22f123639d7ef4cd")
SOL_USD_FEED_ID_HEX = "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d"
SOL_USD_PRICE_ACCOUNT = "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE"
"""Sponsored (shard 0) SOL/USD price feed account of the push oracle."""
PYTH_PUSH_ORACLE_PROGRAM_ID = "pythWSnswVUd12oZpeFP8e9CVaEqJg25g1Vtc2biRsT"
PYTH_RECEIVER_PROGRAM_ID = "rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ"
PYTH_OWNER_PROGRAM_IDS = frozenset({PYTH_PUSH_ORACLE_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID})

_HEADER = 8 + 32  # discriminator + write_authority
_MESSAGE = struct.Struct("<32sqQiqqqQ")  # feed_id .. ema_conf (84 bytes)
_SLOT = struct.Struct("<Q")

VERIFICATION_FULL = "full"
VERIFICATION_PARTIAL = "partial"


@dataclass(frozen=True, slots=True)
class PythPrice:
    """One Pyth price. ``price`` and ``conf`` are already scaled by ``10**exponent``."""

    price: float
    conf: float
    exponent: int
    publish_time: int  # unix s
    feed_id_hex: str
    verification: str  # "full" | "partial:<num_signatures>"
    posted_slot: int
    price_raw: int = 0
    ema_price: float = 0.0

    @property
    def is_fully_verified(self) -> bool:
        return self.verification == VERIFICATION_FULL


def parse_price_update_v2(data: bytes) -> PythPrice:
    """Decode a ``PriceUpdateV2`` account; raises DecodeError on anything else."""
    if len(data) < _HEADER + 1:
        raise DecodeError("truncated", f"PriceUpdateV2 needs > {_HEADER} bytes, got {len(data)}")
    if data[:8] != PRICE_UPDATE_V2_DISCRIMINATOR:
        raise DecodeError(
            "unknown_discriminator",
            f"not a PriceUpdateV2 account (discriminator {data[:8].hex()})",
        )
    tag = data[_HEADER]
    offset = _HEADER + 1
    if tag == 1:
        verification = VERIFICATION_FULL
    elif tag == 0:
        if len(data) < offset + 1:
            raise DecodeError("truncated", "PriceUpdateV2 ends inside verification_level")
        verification = f"{VERIFICATION_PARTIAL}:{data[offset]}"
        offset += 1
    else:
        raise DecodeError("bad_value", f"unknown verification_level tag {tag}")
    end = offset + _MESSAGE.size + _SLOT.size
    if len(data) < end:
        raise DecodeError("truncated", f"PriceUpdateV2 needs {end} bytes, got {len(data)}")
    feed_id, price, conf, exponent, publish_time, _prev, ema_price, _ema_conf = (
        _MESSAGE.unpack_from(data, offset)
    )
    (posted_slot,) = _SLOT.unpack_from(data, offset + _MESSAGE.size)
    scale = 10.0**exponent
    return PythPrice(
        price=price * scale,
        conf=conf * scale,
        exponent=exponent,
        publish_time=publish_time,
        feed_id_hex=feed_id.hex(),
        verification=verification,
        posted_slot=posted_slot,
        price_raw=price,
        ema_price=ema_price * scale,
    )
