"""What the chain client hands downstream: one notice per transaction seen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LogsNotice:
    """A transaction's logs, from a ``logsNotification`` or from a gap-fill ``getTransaction``."""

    signature: str
    slot: int
    err: Any  # TransactionError object, or None on success
    logs: tuple[str, ...]
    provider: str  # name of the provider that delivered it
    source: str = "ws"  # "ws" (live subscription) or "gapfill" (getTransaction after reconnect)
    block_time: int | None = None
