"""Input auto-detection: any JSON value a user may hand to ``solsignals decode`` -> events.

Recognised values:

- a ``logsNotification`` websocket message (``{"method": "logsNotification", "params": ...}``);
- a ``blockNotification`` message (each transaction of the block);
- a JSON-RPC response ``{"jsonrpc", "result": {...getTransaction...}}``;
- a bare getTransaction result, a blockSubscribe tx object (``transaction: [b64, "base64"]``) or
  a geyser-style JSON update (``{"transaction": {"signature", "transaction", "meta"}}``);
- a list of log-line strings;
- a logs object ``{"logs": [...], "signature"?, "err"?, "slot"?}`` (a notification's ``value``).

Anything else is counted as BAD_FRAME with a reason (``stats.last_failure``); nothing raises.
Input text is either one JSON value (a JSON array of objects is a list of frames) or JSON lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from core.decode.events import DecodedEvent, DecodeStats, FailureKind
from core.decode.logs import decode_logs
from core.decode.transaction import decode_transaction


@dataclass(frozen=True, slots=True)
class InputItem:
    """One frame of the input: its 1-based line (JSON lines) or position (JSON array)."""

    where: str  # "line 3", "item 2" or "input"
    value: Any = None
    error: str | None = None  # set when the text is not JSON


def split_input(text: str) -> Iterator[InputItem]:
    """The frames of an input text: one JSON value, a JSON array of frames, or JSON lines."""
    try:
        whole = orjson.loads(text)
    except orjson.JSONDecodeError:
        whole = _NOT_JSON
    if whole is not _NOT_JSON:
        if isinstance(whole, list) and whole and not all(isinstance(x, str) for x in whole):
            for i, item in enumerate(whole, start=1):
                yield InputItem(f"item {i}", item)
        else:
            yield InputItem("input", whole)
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield InputItem(f"line {lineno}", orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield InputItem(f"line {lineno}", error=f"not JSON: {exc}")


_NOT_JSON = object()


def _bad(stats: DecodeStats, reason: str) -> list[DecodedEvent]:
    stats.fail(FailureKind.BAD_FRAME, reason)
    return []


def _logs_value(value: dict[str, Any], slot: Any, stats: DecodeStats) -> list[DecodedEvent]:
    logs = value.get("logs")
    if not isinstance(logs, list) or not all(isinstance(x, str) for x in logs):
        return _bad(stats, "logs is not a list of strings")
    signature = value.get("signature")
    block_time = value.get("blockTime")
    return decode_logs(
        logs,
        signature=signature if isinstance(signature, str) else None,
        slot=slot if isinstance(slot, int) else None,
        block_time=block_time if isinstance(block_time, int) else None,
        err=value.get("err"),
        stats=stats,
    )


def _notification(frame: dict[str, Any], stats: DecodeStats) -> list[DecodedEvent]:
    method = frame.get("method")
    params = frame.get("params")
    result = params.get("result") if isinstance(params, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
        return _bad(stats, f"{method} without params.result.value")
    context = result.get("context")
    slot = context.get("slot") if isinstance(context, dict) else None
    value = result["value"]
    if method == "logsNotification":
        return _logs_value(value, slot, stats)
    if method == "blockNotification":
        block = value.get("block")
        if not isinstance(block, dict) or not isinstance(block.get("transactions"), list):
            return _bad(stats, "blockNotification without block.transactions")
        slot = value.get("slot", slot)
        events: list[DecodedEvent] = []
        for tx in block["transactions"]:
            for event in decode_transaction(tx, stats=stats):
                event.slot = event.slot if event.slot is not None else slot
                event.block_time = (
                    event.block_time if event.block_time is not None else block.get("blockTime")
                )
                events.append(event)
        return events
    return _bad(stats, f"notification method {method!r} carries no transactions")


def decode_frame(frame: Any, stats: DecodeStats) -> list[DecodedEvent]:
    """Events of one recognised input value; BAD_FRAME (counted, with a reason) otherwise."""
    if isinstance(frame, list):
        if all(isinstance(x, str) for x in frame):
            return decode_logs(frame, stats=stats)
        return _bad(stats, "a list that is not a list of log lines")
    if not isinstance(frame, dict):
        return _bad(stats, f"a JSON {type(frame).__name__} is not a frame")
    if "method" in frame:
        return _notification(frame, stats)
    if "jsonrpc" in frame:
        if "error" in frame:
            return _bad(stats, f"JSON-RPC error response: {frame['error']}")
        result = frame.get("result")
        if result is None:
            return _bad(stats, "JSON-RPC result is null (transaction not found)")
        if not isinstance(result, dict):
            return _bad(stats, f"JSON-RPC result {result!r} is not a transaction")
        return decode_frame(result, stats)
    if "transaction" in frame:
        return decode_transaction(frame, stats=stats)
    if "logs" in frame:
        return _logs_value(frame, frame.get("slot"), stats)
    if isinstance(frame.get("value"), dict) and "logs" in frame["value"]:
        context = frame.get("context")
        slot = context.get("slot") if isinstance(context, dict) else None
        return _logs_value(frame["value"], slot, stats)
    keys = ", ".join(sorted(str(k) for k in frame)[:6])
    return _bad(stats, f"unrecognised object with keys {keys}")
