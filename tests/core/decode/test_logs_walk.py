"""The cached-transition log walk equals a plain invoke-stack walk on any sequence of lines.

``reference_walk`` is the walk as the module docstring of ``core.decode.logs`` states it, with a
list as the stack and no cache: hypothesis feeds both the same lines (invoke and success lines
of our programs and others at any depth, out of step, data and ray_log lines, instruction logs,
noise), also with the transition cache nearly full so that it starts afresh mid-walk.
"""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

import core.decode.logs as logs_module
from core.decode import DecodeStats, decode_logs
from core.decode.events import DecodedEvent
from core.decode.logs import decode_event_data
from core.programs import PROGRAM_IDS, Program
from tests.core.decode._fixtures import crocchi_lines

RAYDIUM = Program.RAYDIUM_AMM_V4


def reference_walk(lines: list[str], stats: DecodeStats) -> list[DecodedEvent]:
    stack: list[str] = []
    events: list[DecodedEvent] = []
    for line in lines:
        if line[-1:] == "]":
            if line.startswith("Program ") and " invoke [" in line:
                stack.append(line[8 : line.index(" ", 8)])
            continue
        if line.endswith(" success"):
            pid = line[8:-8]
            if pid in stack:
                while stack.pop() != pid:
                    pass
            continue
        top = logs_module.PROGRAM_BY_ID.get(stack[-1]) if stack else None
        if top is None:
            continue
        if line.startswith("Program data: ") and top is not RAYDIUM:
            payload = line[14:]
            chunks = payload.split() if " " in payload else [payload]
        elif top is RAYDIUM and line.startswith("Program log: ray_log: "):
            chunks = [line[22:].strip()]
        else:
            continue
        try:
            data = b"".join(base64.b64decode(c, validate=True) for c in chunks)
        except ValueError as exc:
            stats.fail(logs_module.FailureKind.BAD_BASE64, str(exc), top)
            continue
        event = decode_event_data(top, data, stats)
        if event is not None:
            events.append(event)
    return events


PIDS = [PROGRAM_IDS[Program.PUMP], PROGRAM_IDS[Program.PUMP_AMM], PROGRAM_IDS[RAYDIUM]]
PIDS += ["11111111111111111111111111111111", "ComputeBudget111111111111111111111111111111"]
TRADE = crocchi_lines()[2]
RAY_LOG = "Program log: ray_log: " + base64.b64encode(bytes([3]) + bytes(56)).decode()

line = st.one_of(
    st.builds(lambda p, d: f"Program {p} invoke [{d}]", st.sampled_from(PIDS), st.integers(1, 4)),
    st.builds(lambda p: f"Program {p} success", st.sampled_from(PIDS)),
    st.builds(lambda p: f"Program {p} consumed 2003 of 3728 compute units", st.sampled_from(PIDS)),
    st.sampled_from(
        [
            TRADE,
            RAY_LOG,
            "Program data: !!notbase64",
            "Program data: " + TRADE[14:30] + " " + TRADE[30:],
            "Program log: Instruction: Buy",
            "Program log: Instruction: Transfer",
            "Program log: ray_log: " + TRADE[14:],
            "Log truncated",
            "Program data: x]",
            "Program data: AAAA success",
            "",
            "]",
            " success",
        ]
    ),
)


def _same_walk(lines: list[str]) -> None:
    got_stats, want_stats = DecodeStats(), DecodeStats()
    got = decode_logs(lines, stats=got_stats)
    want = reference_walk(lines, want_stats)
    assert [(e.program, e.event, e.fields) for e in got] == [
        (e.program, e.event, e.fields) for e in want
    ]
    assert got_stats.decoded == want_stats.decoded
    assert got_stats.failures == want_stats.failures


@settings(max_examples=400, deadline=None)
@given(st.lists(line, max_size=40))
def test_cached_walk_equals_the_plain_stack_walk(lines: list[str]) -> None:
    _same_walk(lines)
    _same_walk(lines)  # again, now through the transitions the first walk cached


@settings(max_examples=100, deadline=None)
@given(st.lists(line, max_size=40))
def test_cached_walk_is_unchanged_when_its_cache_starts_afresh_mid_walk(lines: list[str]) -> None:
    _same_walk(lines)
    logs_module._transitions = logs_module._TRANSITIONS_MAX - 1  # full after one more line
    _same_walk(lines)
    _same_walk(lines)


def test_success_out_of_step_pops_down_to_the_topmost_frame_of_that_program() -> None:
    pump, amm, token = PIDS[0], PIDS[1], "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
    lines = [
        f"Program {pump} invoke [1]",
        f"Program {amm} invoke [2]",
        f"Program {pump} invoke [3]",
        f"Program {token} invoke [4]",
        f"Program {pump} success",  # closes pump [3] and token [4]: PumpSwap is on top again
        TRADE,
    ]
    for _ in range(2):  # walked, then through the cached transitions
        stats = DecodeStats()
        assert decode_logs(lines, stats=stats) == []
        assert stats.failures_by_program == {"pump_amm": 1}  # a Pump.fun event under PumpSwap
        _same_walk(lines)


def test_stacks_deeper_than_the_cache_walk_like_the_plain_walk() -> None:
    pump, amm = PIDS[0], PIDS[1]
    deep = [f"Program {pump if d % 2 else amm} invoke [{d}]" for d in range(1, 41)]
    lines = [*deep, TRADE, f"Program {amm} success", TRADE, f"Program {pump} success", TRADE]
    for _ in range(2):
        _same_walk(lines)
