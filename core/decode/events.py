"""Typed results of decoding: one ``DecodedEvent`` per on-chain event, failures counted by kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.programs import Program


class FailureKind(StrEnum):
    """Why an input was skipped. Counted, never raised out of the stream."""

    UNKNOWN_DISCRIMINATOR = "unknown_discriminator"  # 8-byte Anchor prefix not in the IDL
    TRUNCATED = "truncated"  # data ends inside a field (not on a field boundary)
    BAD_BASE64 = "bad_base64"  # `Program data:` / ray_log payload is not base64
    BAD_BASE58 = "bad_base58"  # inner-instruction data is not base58
    FAILED_TX = "failed_tx"  # transaction err is not null: its events never happened
    UNKNOWN_LOG_TYPE = "unknown_log_type"  # ray_log with a log type we do not know
    BAD_FRAME = "bad_frame"  # input that is not a notification / transaction / log list


@dataclass(slots=True)
class DecodedEvent:
    """An event as its program emitted it.

    ``event`` is the IDL name (``TradeEvent``); ``fields`` holds every decoded field under its IDL
    name in snake_case: pubkeys as base58 ``str``, integers as ``int`` (raw units), bools, strings,
    lists / dicts for vec / struct fields. Trailing fields absent from an older on-chain layout are
    absent from ``fields`` (not ``None``).
    """

    program: Program
    event: str
    fields: dict[str, Any]
    signature: str | None = None
    slot: int | None = None
    block_time: int | None = None
    source: str = "log"  # "log" (Program data / ray_log line) or "cpi" (self-CPI instruction)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"program": self.program.value, "event": self.event}
        out.update(self.fields)
        if self.signature is not None:
            out["signature"] = self.signature
        if self.slot is not None:
            out["slot"] = self.slot
        return out


@dataclass(slots=True)
class DecodeStats:
    """Counters a decoder call updates: events decoded, failures by kind and by program."""

    decoded: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    failures_by_program: Counter[str] = field(default_factory=Counter)
    last_failure: str | None = None

    def fail(self, kind: FailureKind, reason: str, program: Program | None = None) -> None:
        self.failures[kind.value] += 1
        if program is not None:
            self.failures_by_program[program.value] += 1
        self.last_failure = f"{kind.value}: {reason}"

    @property
    def failed(self) -> int:
        return sum(self.failures.values())
