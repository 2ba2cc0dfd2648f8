"""The replay's unit of content: one simulated (or recorded) transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ReplayTx:
    """A transaction the replay server can stream and answer RPC questions about.

    ``mentions`` are the addresses a ``logsSubscribe {"mentions": [...]}`` or a
    ``getSignaturesForAddress`` matches on (program ids at least). ``transaction`` is the
    ``getTransaction`` result object (encoding "json", maxSupportedTransactionVersion 0), or None
    when it is built on demand from the logs.
    """

    signature: str
    slot: int
    block_time: int
    logs: tuple[str, ...]
    mentions: frozenset[str]
    err: Any = None
    transaction: dict[str, Any] | None = field(default=None, compare=False)
