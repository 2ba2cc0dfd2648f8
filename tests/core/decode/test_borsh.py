"""Borsh event bodies: IDL prefix rule, truncation, trailing bytes, every supported type."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from core.decode import DecodeStats, decode_event_data
from core.decode.borsh import EventBodyDecoder, _min_size
from core.decode.idl import EventLayout, FieldSpec, event_layout, event_layouts
from core.decode.instructions import instruction_layouts
from core.errors import DecodeError
from core.programs import Program
from tests.core.decode._fixtures import crocchi_lines

DISC = bytes(range(8))


def _trade_bytes() -> bytes:
    return base64.b64decode(crocchi_lines()[2].removeprefix("Program data: "))


def test_older_ten_field_trade_event_decodes_as_a_prefix() -> None:
    # A 2024 TradeEvent ends after real_token_reserves: 8 + 32+8+8+1+32+8+4*8 = 129 bytes.
    stats = DecodeStats()
    event = decode_event_data(Program.PUMP, _trade_bytes()[:129], stats)
    assert event is not None
    assert list(event.fields) == [
        "mint", "sol_amount", "token_amount", "is_buy", "user", "timestamp",
        "virtual_sol_reserves", "virtual_token_reserves", "real_sol_reserves",
        "real_token_reserves",
    ]  # fmt: skip
    assert event.fields["real_token_reserves"] == 304_601_860_155_043
    assert "fee_recipient" not in event.fields
    assert stats.decoded == 1


def test_data_ending_inside_a_field_is_truncated() -> None:
    stats = DecodeStats()
    assert decode_event_data(Program.PUMP, _trade_bytes()[:133], stats) is None
    assert stats.failures == {"truncated": 1}
    assert stats.failures_by_program == {"pump": 1}


def test_full_newest_layout_decodes_and_bytes_after_it_are_ignored() -> None:
    wsol = bytes(Pubkey.from_string("So11111111111111111111111111111111111111112"))
    tail = (
        b"\x01" + struct.pack("<QQQq", 1, 2, 3, 1754687812)
        + struct.pack("<I", 3) + b"buy" + b"\x00" + struct.pack("<QQQQ", 4, 5, 6, 7)
        + struct.pack("<I", 1) + bytes(32) + struct.pack("<H", 10_000)
        + wsol + struct.pack("<QQQ", 8, 9, 10)
    )  # fmt: skip
    full = decode_event_data(Program.PUMP, _trade_bytes() + tail)
    newer = decode_event_data(Program.PUMP, _trade_bytes() + tail + b"\xff" * 13)
    assert full is not None and newer is not None
    assert newer.fields == full.fields
    assert full.fields["creator_fee"] == 100_001
    assert full.fields["ix_name"] == "buy"
    assert full.fields["shareholders"] == [
        {"address": "11111111111111111111111111111111", "share_bps": 10_000}
    ]
    assert full.fields["quote_mint"] == "So11111111111111111111111111111111111111112"
    assert full.fields["real_quote_reserves"] == 10
    assert len(full.fields) == 32


def test_unknown_discriminator_is_counted() -> None:
    stats = DecodeStats()
    assert decode_event_data(Program.PUMP_AMM, _trade_bytes(), stats) is None
    assert stats.failures == {"unknown_discriminator": 1}


def _decoder(*fields: FieldSpec) -> EventBodyDecoder:
    return EventBodyDecoder(EventLayout(Program.PUMP, "Test", DISC, fields))


def test_strings_vecs_options_arrays_structs_enums_and_wide_ints_decode() -> None:
    dec = _decoder(
        FieldSpec("label", "string"),
        FieldSpec(
            "shares", ("vec", ("struct", (FieldSpec("bps", "u16"), FieldSpec("on", "bool"))))
        ),
        FieldSpec("maybe", ("option", "u32")),
        FieldSpec("nothing", ("option", "u32")),
        FieldSpec("pair", ("array", "i8", 2)),
        FieldSpec(
            "kind", ("enum", (("Plain", ()), ("WithAmount", (FieldSpec("amount", "u64"),))))
        ),
        FieldSpec("big", "u128"),
        FieldSpec("neg", "i128"),
        FieldSpec("blob", "bytes"),
    )
    body = (
        struct.pack("<I", 3) + b"abc"
        + struct.pack("<I", 2) + struct.pack("<H?H?", 500, True, 9500, False)
        + b"\x01" + struct.pack("<I", 77)
        + b"\x00"
        + struct.pack("<bb", -1, 5)
        + b"\x01" + struct.pack("<Q", 42)
        + (2**100).to_bytes(16, "little")
        + (-(2**90)).to_bytes(16, "little", signed=True)
        + struct.pack("<I", 2) + b"\xde\xad"
    )  # fmt: skip
    assert dec.decode(DISC + body) == {
        "label": "abc",
        "shares": [{"bps": 500, "on": True}, {"bps": 9500, "on": False}],
        "maybe": 77,
        "nothing": None,
        "pair": [-1, 5],
        "kind": {"WithAmount": {"amount": 42}},
        "big": 2**100,
        "neg": -(2**90),
        "blob": "dead",
    }


def test_invalid_utf8_in_a_name_is_replaced_not_dropped() -> None:
    dec = _decoder(FieldSpec("name", "string"), FieldSpec("n", "u8"))
    assert dec.decode(DISC + struct.pack("<I", 3) + b"a\xffb" + b"\x07") == {
        "name": "a\ufffdb",
        "n": 7,
    }


def test_huge_vec_length_fails_as_truncated_without_allocating() -> None:
    dec = _decoder(FieldSpec("v", ("vec", "pubkey")))
    with pytest.raises(DecodeError) as info:
        dec.decode(DISC + struct.pack("<I", 0xFFFFFFFF) + bytes(64))
    assert info.value.kind == "truncated"


def test_string_longer_than_data_is_truncated() -> None:
    dec = _decoder(FieldSpec("name", "string"))
    with pytest.raises(DecodeError) as info:
        dec.decode(DISC + struct.pack("<I", 10) + b"abc")
    assert info.value.kind == "truncated"


def test_event_with_only_a_discriminator_has_no_fields() -> None:
    assert _decoder(FieldSpec("a", "u64"), FieldSpec("b", "u8")).decode(DISC) == {}


def _outcome(decode: Callable[[bytes, int], dict[str, Any]], data: bytes) -> object:
    try:
        return decode(data, 8)
    except DecodeError as exc:
        return ("error", exc.kind, str(exc))


_EVERY_LAYOUT = [
    layout
    for program in (Program.PUMP, Program.PUMP_AMM, Program.RAYDIUM_CPMM)
    for layout in event_layouts(program)
] + [
    EventLayout(ix.program, ix.name, ix.discriminator, ix.args)
    for program in (Program.PUMP, Program.PUMP_AMM, Program.RAYDIUM_CPMM)
    for ix in instruction_layouts(program)
]


@settings(max_examples=400)
@given(st.sampled_from(_EVERY_LAYOUT), st.data())
def test_generated_decoder_agrees_with_the_step_loop_on_every_prefix_and_garbage(
    layout: EventLayout, data: st.DataObject
) -> None:
    dec = EventBodyDecoder(layout)
    # A realistic body (zero-filled: empty strings / vecs, None options, first enum variant),
    # cut anywhere or extended, and random bytes: same dict or the same error, every time.
    full = bytes(sum(_min_size(f.type) for f in layout.fields))
    cut = data.draw(st.integers(0, len(full) + 4))
    body = (full + data.draw(st.binary(max_size=4)))[:cut]
    for candidate in (body, data.draw(st.binary(max_size=600))):
        raw = DISC + candidate
        assert _outcome(dec.decode, raw) == _outcome(dec.decode_steps, raw)


def test_generated_decoder_agrees_with_the_step_loop_on_the_mainnet_trade() -> None:
    dec = EventBodyDecoder(event_layout(Program.PUMP, "TradeEvent"))
    data = _trade_bytes()
    for cut in range(8, len(data) + 1):
        assert _outcome(dec.decode, data[:cut]) == _outcome(dec.decode_steps, data[:cut])
