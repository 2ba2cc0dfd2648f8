"""Builders of market test inputs: Pyth PriceUpdateV2 account bytes, written from the layout."""

from __future__ import annotations

import struct

from core.market.pyth import PRICE_UPDATE_V2_DISCRIMINATOR, SOL_USD_FEED_ID_HEX


def price_update_v2_bytes(
    *,
    price: int = 14_523_000_000,
    conf: int = 7_250_000,
    exponent: int = -8,
    publish_time: int = 1_750_000_000,
    feed_id_hex: str = SOL_USD_FEED_ID_HEX,
    partial_signatures: int | None = None,
    posted_slot: int = 345_678_901,
    ema_price: int = 14_400_000_000,
    write_authority: bytes = bytes(range(32)),
) -> bytes:
    """A PriceUpdateV2 account: Full verification unless ``partial_signatures`` is given.

    Accounts are allocated at the largest variant's size (LEN = 134, Partial); a Full update
    leaves the last byte unused.
    """
    verification = b"\x01" if partial_signatures is None else bytes([0, partial_signatures])
    message = struct.pack(
        "<32sqQiqqqQ",
        bytes.fromhex(feed_id_hex),
        price,
        conf,
        exponent,
        publish_time,
        publish_time - 1,
        ema_price,
        8_000_000,
    )
    content = (
        PRICE_UPDATE_V2_DISCRIMINATOR
        + write_authority
        + verification
        + message
        + struct.pack("<Q", posted_slot)
    )
    return content.ljust(134, b"\x00")
