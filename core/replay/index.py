"""The replay server's memory of published transactions, by signature and by mentioned address.

Bounded: beyond ``max_txs`` the oldest transactions are forgotten (as a node prunes history).
Sequence numbers grow with publish order, so every per-address list is sorted and
``getSignaturesForAddress`` pagination is a pair of bisections.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from core.replay.ledger import ReplayTx


@dataclass(slots=True)
class _SeqList:
    """Sorted sequence numbers with a moving head (cheap removal from the front)."""

    items: list[int] = field(default_factory=list)
    head: int = 0

    def pop_front(self) -> None:
        self.head += 1
        if self.head > 1024 and self.head * 2 > len(self.items):
            del self.items[: self.head]
            self.head = 0

    def __len__(self) -> int:
        return len(self.items) - self.head


class TxIndex:
    """Published transactions by sequence number, signature and address."""

    def __init__(self, max_txs: int = 1_000_000) -> None:
        if max_txs < 1:
            raise ValueError("max_txs must be >= 1")
        self.max_txs = max_txs
        self._txs: list[ReplayTx] = []
        self._head = 0  # index in _txs of the oldest kept transaction
        self._first_seq = 0  # sequence number of _txs[0]
        self._seq_by_sig: dict[str, int] = {}
        self._by_address: dict[str, _SeqList] = {}

    def __len__(self) -> int:
        return len(self._txs) - self._head

    def add(self, tx: ReplayTx) -> None:
        seq = self._first_seq + len(self._txs)
        self._txs.append(tx)
        self._seq_by_sig[tx.signature] = seq
        by_address = self._by_address
        for address in tx.mentions:
            entry = by_address.get(address)
            if entry is None:
                entry = by_address[address] = _SeqList()
            entry.items.append(seq)
        if len(self) > self.max_txs:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        old = self._txs[self._head]
        self._head += 1
        self._seq_by_sig.pop(old.signature, None)
        for address in old.mentions:
            entry = self._by_address[address]
            entry.pop_front()
            if not entry:
                del self._by_address[address]
        if self._head > 4096 and self._head * 2 > len(self._txs):
            del self._txs[: self._head]
            self._first_seq += self._head
            self._head = 0

    def get(self, signature: str) -> ReplayTx | None:
        seq = self._seq_by_sig.get(signature)
        if seq is None:
            return None
        return self._txs[seq - self._first_seq]

    def signatures_for_address(
        self, address: str, *, limit: int, before: str | None = None, until: str | None = None
    ) -> list[ReplayTx]:
        """Newest → oldest transactions mentioning ``address``: strictly older than ``before``,
        strictly newer than ``until`` (both exclusive), at most ``limit``.

        An unknown ``before`` gives nothing; an unknown ``until`` does not bound the search.
        """
        entry = self._by_address.get(address)
        if entry is None:
            return []
        items, lo, hi = entry.items, entry.head, len(entry.items)
        if before is not None:
            before_seq = self._seq_by_sig.get(before)
            if before_seq is None:
                return []
            hi = bisect_left(items, before_seq, lo, hi)
        if until is not None:
            until_seq = self._seq_by_sig.get(until)
            if until_seq is not None:
                lo = max(lo, bisect_right(items, until_seq, lo, hi))
        start = max(lo, hi - limit)
        txs, first = self._txs, self._first_seq
        return [txs[seq - first] for seq in reversed(items[start:hi])]
