from __future__ import annotations

import pytest

from core.errors import DecodeError
from core.market.pyth import SOL_USD_FEED_ID_HEX, parse_price_update_v2
from tests.core.market.factories import price_update_v2_bytes


def test_full_verified_update_decodes_to_scaled_price() -> None:
    data = price_update_v2_bytes(price=14_523_000_000, conf=7_250_000, exponent=-8)
    assert len(data) == 134  # the documented account LEN

    price = parse_price_update_v2(data)

    assert price.price == pytest.approx(145.23)
    assert price.conf == pytest.approx(0.0725)
    assert price.ema_price == pytest.approx(144.0)
    assert price.exponent == -8
    assert price.publish_time == 1_750_000_000
    assert price.posted_slot == 345_678_901
    assert price.feed_id_hex == SOL_USD_FEED_ID_HEX
    assert price.verification == "full"
    assert price.is_fully_verified


def test_partial_update_shifts_fields_by_one_byte_and_keeps_signature_count() -> None:
    data = price_update_v2_bytes(price=9_876_543, exponent=-5, partial_signatures=3)
    assert len(data) == 134

    price = parse_price_update_v2(data)

    assert price.price == pytest.approx(98.76543)
    assert price.verification == "partial:3"
    assert not price.is_fully_verified
    assert price.posted_slot == 345_678_901
    assert price.publish_time == 1_750_000_000


def test_account_of_another_type_is_rejected() -> None:
    data = bytearray(price_update_v2_bytes())
    data[0] ^= 0xFF
    with pytest.raises(DecodeError) as info:
        parse_price_update_v2(bytes(data))
    assert info.value.kind == "unknown_discriminator"


@pytest.mark.parametrize("length", [0, 8, 40, 41, 100, 132])
def test_truncated_update_is_rejected(length: int) -> None:
    with pytest.raises(DecodeError) as info:
        parse_price_update_v2(price_update_v2_bytes()[:length])
    assert info.value.kind == "truncated"


def test_unknown_verification_tag_is_rejected() -> None:
    data = bytearray(price_update_v2_bytes())
    data[40] = 7
    with pytest.raises(DecodeError):
        parse_price_update_v2(bytes(data))
