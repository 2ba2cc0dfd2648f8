"""Which stream entries this process is delivering, and when each one may be acknowledged.

An entry is *open* from the moment it is read; each delivery it produces is *added*; once all
are planned it is *sealed*; each finished delivery *settles* one. An entry sealed with nothing
left to settle is complete: acknowledge it. An *abandoned* entry (a delivery's outcome could not
be recorded) is never acknowledged here: it stays pending and is claimed again later.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from bots.telegram.fanout import metrics


@dataclass(slots=True)
class _Entry:
    remaining: int = 0
    sealed: bool = False
    abandoned: bool = False


class EntryTracker:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._progress = asyncio.Event()

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self) -> list[str]:
        return list(self._entries)

    def open(self, entry_id: str) -> None:
        self._entries[entry_id] = _Entry()
        metrics.ENTRIES_OPEN.set(len(self._entries))

    def add(self, entry_id: str) -> None:
        self._entries[entry_id].remaining += 1

    def seal(self, entry_id: str) -> bool:
        """Every delivery of the entry is planned; True when it is complete already."""
        entry = self._entries[entry_id]
        entry.sealed = True
        return self._complete(entry_id, entry)

    def settle(self, entry_id: str) -> bool:
        """One delivery finished; True when that completes the entry (acknowledge it)."""
        entry = self._entries.get(entry_id)
        if entry is None:
            return False
        entry.remaining -= 1
        return self._complete(entry_id, entry)

    def abandon(self, entry_id: str) -> None:
        entry = self._entries.get(entry_id)
        if entry is not None:
            entry.abandoned = True

    def drop(self, entry_id: str) -> None:
        """Forget an entry (acknowledged, or left pending for a later claim)."""
        if self._entries.pop(entry_id, None) is not None:
            metrics.ENTRIES_OPEN.set(len(self._entries))
            self._progress.set()

    async def wait_progress(self, timeout_s: float) -> None:
        """Until some entry is dropped (or ``timeout_s``)."""
        self._progress.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._progress.wait(), timeout_s)

    def _complete(self, entry_id: str, entry: _Entry) -> bool:
        if not entry.sealed or entry.remaining > 0:
            return False
        if entry.abandoned:
            self.drop(entry_id)
            metrics.ENTRIES.labels("abandoned").inc()
            return False
        return True
