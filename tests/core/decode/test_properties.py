"""Decoders never raise on hostile input and always return lists."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from core.decode import DecodeStats, decode_event_data, decode_logs, decode_transaction
from core.decode.idl import event_layout
from core.programs import PROGRAM_IDS, Program

PUMP = PROGRAM_IDS[Program.PUMP]
TRADE_DISC = event_layout(Program.PUMP, "TradeEvent").discriminator
CREATE_DISC = event_layout(Program.PUMP, "CreateEvent").discriminator
programs = st.sampled_from(list(Program))


@given(programs, st.binary(max_size=400))
def test_random_bytes_never_raise(program: Program, data: bytes) -> None:
    stats = DecodeStats()
    event = decode_event_data(program, data, stats)
    assert event is not None or stats.failed == 1


@given(programs, st.sampled_from([TRADE_DISC, CREATE_DISC]), st.binary(max_size=400))
def test_random_bodies_behind_real_discriminators_never_raise(
    program: Program, disc: bytes, body: bytes
) -> None:
    stats = DecodeStats()
    decode_event_data(program, disc + body, stats)
    assert stats.decoded + stats.failed == 1


line_parts = st.sampled_from(
    [f"Program {PUMP} invoke [1]", f"Program {PUMP} success", "Program log: ray_log: AAAA",
     "Program 675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8 invoke [2]", "Log truncated",
     "Program data: ", "]", " success", "Program  invoke [", ""]
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(st.one_of(st.text(max_size=60), line_parts), max_size=30))
def test_random_lines_never_raise(lines: list[str]) -> None:
    assert isinstance(decode_logs(lines, stats=DecodeStats()), list)


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(st.binary(max_size=300), st.binary(max_size=300).map(lambda b: TRADE_DISC + b))
    )
)
def test_random_program_data_under_our_programs_never_raises(payloads: list[bytes]) -> None:
    lines = [f"Program {PUMP} invoke [1]"]
    lines += ["Program data: " + base64.b64encode(p).decode() for p in payloads]
    stats = DecodeStats()
    events = decode_logs([*lines, f"Program {PUMP} success"], stats=stats)
    assert len(events) == stats.decoded
    assert stats.decoded + stats.failed == len(payloads)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
tx_keys = st.sampled_from(["transaction", "meta", "slot", "message", "accountKeys",
                           "instructions", "innerInstructions", "logMessages", "err",
                           "loadedAddresses", "programIdIndex", "accounts", "data"])  # fmt: skip
tx_like = st.recursive(
    json_values,
    lambda inner: st.dictionaries(tx_keys, inner, max_size=5) | st.lists(inner, max_size=3),
    max_leaves=25,
)


@settings(max_examples=400)
@given(st.dictionaries(tx_keys, tx_like, max_size=5))
def test_random_transaction_shapes_never_raise(result: dict) -> None:  # type: ignore[type-arg]
    assert isinstance(decode_transaction(result, stats=DecodeStats()), list)
