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

from binascii import a2b_base64
from collections.abc import Sequence
from functools import cache

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
    try:
        if program is Program.RAYDIUM_AMM_V4:
            name, fields = decode_ray_log(data)
        else:
            decoder = decoders_for(program).get(data[:8])
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
    stack: list[str] = []
    top: Program | None = None
    program_by_id = PROGRAM_BY_ID
    raydium = Program.RAYDIUM_AMM_V4
    # Hot loop: cheapest discriminating test first. Invoke lines end with "]", success lines
    # with " success"; everything else is a data line, a ray_log line or skipped.
    for line in logs:
        if line[-1:] == "]":
            if line.startswith("Program ") and " invoke [" in line:
                pid = line[8 : line.index(" ", 8)]
                stack.append(pid)
                top = program_by_id.get(pid)
            continue
        if line.endswith(" success"):
            pid = line[8:-8]
            if stack and stack[-1] == pid:
                stack.pop()
            elif pid in stack:
                while stack.pop() != pid:
                    pass
            else:
                continue
            top = program_by_id.get(stack[-1]) if stack else None
            continue
        if line.startswith("Program data: "):
            if top is None or top is raydium:
                continue
            try:
                data = _b64(line[14:])
            except ValueError as exc:
                if stats is not None:
                    stats.fail(FailureKind.BAD_BASE64, str(exc), top)
                continue
        elif top is raydium and line.startswith(_RAY_LOG_LINE):
            try:
                data = a2b_base64(line[22:].strip(), strict_mode=True)
            except ValueError as exc:
                if stats is not None:
                    stats.fail(FailureKind.BAD_BASE64, str(exc), top)
                continue
        else:
            # "consumed", "return:", plain logs, "Log truncated". A "failed" line needs no
            # handling: a failure aborts the whole transaction, so no event line follows it.
            continue
        assert top is not None
        event = decode_event_data(
            top, data, stats, signature=signature, slot=slot, block_time=block_time
        )
        if event is not None:
            events.append(event)
            if raw_out is not None:
                raw_out.append((top, data))
    return events
