"""Transaction log lines -> ``DecodedEvent`` (the hot path of ingestion).

``decode_logs`` walks the lines keeping the invoke stack:

- ``Program <id> invoke [n]`` pushes ``<id>``; ``Program <id> success`` pops it (popping down
  to the matching frame if the stack is out of step; a success of a program not on the stack is
  ignored). ``failed`` lines need no handling: a failure aborts the whole transaction;
- ``Program data: <base64>`` belongs to the program on top of the stack and is decoded when that
  program is one of ours (``core.programs.PROGRAM_BY_ID``); other programs' data lines are
  ignored, not failures. A data line with several space-separated base64 chunks (a multi-slice
  ``sol_log_data``) is decoded as their concatenation;
- ``Program log: ray_log: <base64>`` is decoded when Raydium AMM v4 is on top of the stack;
- anything else (``consumed``, ``return:``, plain logs, ``Log truncated``) is skipped.

Failures are counted in ``stats`` by ``FailureKind`` and the line is skipped; nothing raises.
A transaction with ``err`` not None counts one FAILED_TX and yields no events.
"""

from __future__ import annotations

import sys
from binascii import a2b_base64
from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

from core.decode.borsh import EventBodyDecoder, compile_layouts
from core.decode.events import DecodedEvent, DecodeStats, FailureKind
from core.decode.idl import event_layouts
from core.decode.raydium import RAY_LOG_PREFIX, decode_ray_log
from core.errors import DecodeError
from core.programs import PROGRAM_BY_ID, Program

_RAY_LOG_LINE = "Program log: " + RAY_LOG_PREFIX


@cache
def decoders_for(program: Program) -> dict[bytes, EventBodyDecoder]:
    """Discriminator -> compiled event decoder for a program (empty without an Anchor IDL)."""
    return compile_layouts(event_layouts(program))


def decode_event_data(
    program: Program,
    data: bytes,
    stats: DecodeStats | None = None,
    *,
    signature: str | None = None,
    slot: int | None = None,
    block_time: int | None = None,
    source: str = "log",
) -> DecodedEvent | None:
    """Decode one event's bytes (8-byte discriminator + Borsh body) emitted by ``program``.

    For Raydium AMM v4 ``data`` is a ray_log payload instead. Returns None (and counts the
    failure in ``stats``) for unknown discriminators / log types and truncated data.
    """
    decoders = None if program is Program.RAYDIUM_AMM_V4 else decoders_for(program)
    return _decode_event(program, decoders, data, stats, signature, slot, block_time, source)


def _decode_event(
    program: Program,
    decoders: dict[bytes, EventBodyDecoder] | None,
    data: bytes,
    stats: DecodeStats | None,
    signature: str | None,
    slot: int | None,
    block_time: int | None,
    source: str,
) -> DecodedEvent | None:
    """``decode_event_data`` with the program's decoders (None: a ray_log payload) passed in."""
    try:
        if decoders is None:
            name, fields = decode_ray_log(data)
        else:
            decoder = decoders.get(data[:8])
            if decoder is None:
                if stats is not None:
                    stats.fail(
                        FailureKind.UNKNOWN_DISCRIMINATOR, f"{data[:8].hex()} not in IDL", program
                    )
                return None
            name = decoder.name
            fields = decoder.decode(data, 8)
    except DecodeError as exc:
        if stats is not None:
            stats.fail(FailureKind(exc.kind), str(exc), program)
        return None
    if stats is not None:
        stats.decoded += 1
    return DecodedEvent(program, name, fields, signature, slot, block_time, source)


def _b64(payload: str) -> bytes:
    if " " in payload:
        return b"".join(a2b_base64(chunk, strict_mode=True) for chunk in payload.split())
    return a2b_base64(payload, strict_mode=True)


def decode_logs(
    logs: Sequence[str],
    *,
    signature: str | None = None,
    slot: int | None = None,
    block_time: int | None = None,
    err: object = None,
    stats: DecodeStats | None = None,
) -> list[DecodedEvent]:
    """Every event of our programs in a transaction's log lines, in log order."""
    if err is not None:
        if stats is not None:
            stats.fail(FailureKind.FAILED_TX, f"transaction failed: {err!r}")
        return []
    return walk_logs(logs, signature, slot, block_time, stats, None)


# --- the invoke stack ----------------------------------------------------------------------------


class _Frame(NamedTuple):
    """One invoke-stack entry."""

    pid: str
    program: Program | None  # None: a program we do not follow
    decoders: dict[bytes, EventBodyDecoder] | None  # None: not ours, or Raydium AMM v4 (ray_log)


_NO_FRAME = _Frame("", None, None)  # the "top" of an empty stack


def _frame_line(line: str) -> _Frame | str | None:
    """Parse an invoke line -> the _Frame to push, a success line -> its program id, else None."""
    if line[-1:] == "]":
        if not (line.startswith("Program ") and " invoke [" in line):
            return None
        pid = line[8 : line.index(" ", 8)]
        program = PROGRAM_BY_ID.get(pid)
        decoders = None
        if program is not None and program is not Program.RAYDIUM_AMM_V4:
            decoders = decoders_for(program)
        return _Frame(sys.intern(pid), program, decoders)
    if line.endswith(" success"):
        return sys.intern(line[8:-8])
    return None


class _Stack:
    """One invoke stack (by program ids; interned: one object per distinct stack) and the
    stacks its invoke / success lines lead to.

    The walk's hot loop is one lookup per line in ``after``: invoke and success lines repeat
    across transactions (a few programs at a few depths), and so does the stack they are met
    in, so almost every such line is a cached transition. ``after`` also maps the Anchor
    ``Program log: Instruction: <name>`` lines to the stack itself (a skipped line). Lines that
    vary (consumed, data, other logs) are never cached.
    """

    __slots__ = ("after", "frames", "top")

    def __init__(self, frames: tuple[_Frame, ...]) -> None:
        self.frames = frames
        self.top = frames[-1] if frames else _NO_FRAME
        self.after: dict[str, _Stack] = {}


_STACKS: dict[tuple[str, ...], _Stack] = {}  # program ids, bottom first -> the interned stack
_TRANSITIONS_MAX = 8_192  # cached lines over all stacks; beyond it every cache starts afresh
_CACHED_DEPTH = 16  # deeper stacks (Solana allows 5 levels: hostile input) are not cached
_transitions = 0
_INSTRUCTION_LOG = "Program log: Instruction: "


def _stack(frames: tuple[_Frame, ...]) -> _Stack:
    if len(frames) > _CACHED_DEPTH:
        return _Stack(frames)
    key = tuple(f.pid for f in frames)
    st = _STACKS.get(key)
    if st is None:
        st = _STACKS[key] = _Stack(frames)
    return st


def _root() -> _Stack:
    return _stack(())


def _remember(st: _Stack, line: str, nxt: _Stack) -> None:
    global _transitions
    if len(st.frames) > _CACHED_DEPTH or len(nxt.frames) > _CACHED_DEPTH:
        return
    if _transitions >= _TRANSITIONS_MAX:
        _STACKS.clear()  # the stacks (and their transitions) are rebuilt as lines come
        _transitions = 0
    st.after[line] = nxt
    _transitions += 1


def _apply(st: _Stack, op: _Frame | str) -> _Stack:
    """The stack after an invoke (``op`` a frame) or a success (``op`` a program id) line.

    A success pops the top frame when it is that program's; otherwise it pops down to and
    including the topmost frame of that program (a stack out of step); a success of a program
    not on the stack is ignored.
    """
    frames = st.frames
    if type(op) is _Frame:
        return _stack((*frames, op))
    for i in range(len(frames) - 1, -1, -1):
        if frames[i].pid == op:
            return _stack(frames[:i])
    return st


def _payload_bytes(
    payload: str, program: Program | None, stats: DecodeStats | None, *, ray_log: bool
) -> bytes | None:
    """Bytes of a ``Program data:`` / ray_log payload; None (BAD_BASE64 counted) if not base64."""
    try:
        if ray_log:
            return a2b_base64(payload.strip(), strict_mode=True)
        return _b64(payload)
    except ValueError as exc:
        if stats is not None:
            stats.fail(FailureKind.BAD_BASE64, str(exc), program)
        return None


# --- the log walk --------------------------------------------------------------------------------


def walk_logs(
    logs: Sequence[str],
    signature: str | None,
    slot: int | None,
    block_time: int | None,
    stats: DecodeStats | None,
    raw_out: list[tuple[Program, bytes]] | None,
) -> list[DecodedEvent]:
    """The log walk of ``decode_logs``; also appends (program, event bytes) to ``raw_out``."""
    events: list[DecodedEvent] = []
    st = _STACKS.get(()) or _root()
    raydium = Program.RAYDIUM_AMM_V4
    for line in logs:
        nxt = st.after.get(line)
        if nxt is not None:  # a known invoke / success / instruction log line in this stack
            st = nxt
            continue
        # Invoke lines end with "]", success lines with " success"; everything else is a data
        # line, a ray_log line or skipped.
        if line[-1:] == "]" or line.endswith(" success"):
            op = _frame_line(line)
            if op is not None:
                nxt = _apply(st, op)
                _remember(st, line, nxt)
                st = nxt
            continue
        top = st.top
        if line.startswith("Program data: "):
            if top.decoders is None:
                continue  # not ours (or Raydium AMM v4, which logs ray_log instead)
            data = _payload_bytes(line[14:], top.program, stats, ray_log=False)
        elif top.program is raydium and line.startswith(_RAY_LOG_LINE):
            data = _payload_bytes(line[22:], top.program, stats, ray_log=True)
        else:
            # "consumed", "return:", plain logs, "Log truncated". A "failed" line needs no
            # handling: a failure aborts the whole transaction, so no event follows.
            if line.startswith(_INSTRUCTION_LOG):
                _remember(st, line, st)
            continue
        program = top.program
        if data is None or program is None:  # bad base64 (counted); program: always ours
            continue
        event = _decode_event(
            program, top.decoders, data, stats, signature, slot, block_time, "log"
        )
        if event is not None:
            events.append(event)
            if raw_out is not None:
                raw_out.append((program, data))
    return events
