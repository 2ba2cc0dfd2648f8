"""A Pyth SOL/USD PriceUpdateV2 account for the replay, so the demo reads SOL/USD the way
production does (getAccountInfo on the push-oracle account), not from a hard-coded value."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable

from core.market.pyth import (
    PRICE_UPDATE_V2_DISCRIMINATOR,
    PYTH_PUSH_ORACLE_PROGRAM_ID,
    SOL_USD_FEED_ID_HEX,
    SOL_USD_PRICE_ACCOUNT,
)

EXPONENT = -8
# discriminator, write_authority, verification Full (tag 1), feed_id, price, conf, exponent,
# publish_time, prev_publish_time, ema_price, ema_conf, posted_slot
_LAYOUT = struct.Struct("<8s32sB32sqQiqqqQQ")
WRITE_AUTHORITY = bytes(32)


def price_update_v2(price_usd: float, publish_time: int, posted_slot: int) -> bytes:
    price = round(price_usd * 10**-EXPONENT)
    conf = max(1, price // 2_000)  # 0.05 %
    return _LAYOUT.pack(
        PRICE_UPDATE_V2_DISCRIMINATOR,
        WRITE_AUTHORITY,
        1,
        bytes.fromhex(SOL_USD_FEED_ID_HEX),
        price,
        conf,
        EXPONENT,
        publish_time,
        publish_time - 1,
        price,
        conf,
        posted_slot,
    )


def sol_usd_account_source(
    price_usd: float, clock: Callable[[], float] = time.time
) -> Callable[[str], tuple[str, bytes] | None]:
    """An account lookup answering the SOL/USD price account, published "now" at each read."""

    def lookup(address: str) -> tuple[str, bytes] | None:
        if address != SOL_USD_PRICE_ACCOUNT:
            return None
        now = int(clock())
        return PYTH_PUSH_ORACLE_PROGRAM_ID, price_update_v2(price_usd, now, posted_slot=now)

    return lookup
