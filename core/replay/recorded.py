"""Replay a recording: a JSONL file of real ``logsNotification`` frames, one per line.

Mentions are the programs seen in ``Program <id> invoke [n]`` lines (a logs notification carries
no account list). Lines that are not logs notifications (subscription answers, blank lines) are
skipped and counted; a recording without ``blockTime`` gets ``block_time`` from ``start_time``
plus the slot distance (0.4 s per slot).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import structlog

from core.replay.ledger import ReplayTx

log = structlog.get_logger(__name__)

_INVOKE = re.compile(r"^Program (\w{32,44}) invoke \[\d+\]$")
SECONDS_PER_SLOT = 0.4


@dataclass(slots=True)
class RecordingStats:
    replayed: int = 0
    skipped: int = 0


def mentions_from_logs(logs: Iterable[str]) -> frozenset[str]:
    """Every program id invoked at any depth in these log lines."""
    out = set()
    for line in logs:
        match = _INVOKE.match(line)
        if match:
            out.add(match.group(1))
    return frozenset(out)


def tx_from_notification(frame: Any, *, start_time: int = 0, first_slot: int = 0) -> ReplayTx:
    """A ``ReplayTx`` from one parsed ``logsNotification`` frame; ValueError if it is not one."""
    try:
        result = frame["params"]["result"]
        slot = int(result["context"]["slot"])
        value = result["value"]
        signature = value["signature"]
        logs = tuple(value["logs"] or ())
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a logsNotification frame: missing {exc}") from None
    if frame.get("method") != "logsNotification" or not isinstance(signature, str):
        raise ValueError("not a logsNotification frame")
    block_time = value.get("blockTime")
    if not isinstance(block_time, int):
        block_time = start_time + int((slot - first_slot) * SECONDS_PER_SLOT)
    return ReplayTx(
        signature=signature,
        slot=slot,
        block_time=block_time,
        logs=logs,
        mentions=mentions_from_logs(logs),
        err=value.get("err"),
    )


def read_recording(
    path: Path, *, start_time: int = 0, stats: RecordingStats | None = None
) -> Iterator[ReplayTx]:
    """Transactions of a JSONL recording, in file order (lazily; the file is streamed)."""
    stats = stats if stats is not None else RecordingStats()
    first_slot: int | None = None
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                frame = orjson.loads(line)
                if first_slot is None:
                    first_slot = int(frame["params"]["result"]["context"]["slot"])
                tx = tx_from_notification(frame, start_time=start_time, first_slot=first_slot)
            except (orjson.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
                stats.skipped += 1
                log.warning(
                    "replay_recording_line_skipped", path=str(path), line=number, error=str(exc)
                )
                continue
            stats.replayed += 1
            yield tx
