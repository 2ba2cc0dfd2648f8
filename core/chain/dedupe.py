"""Bounded memory of recently seen transaction signatures (LRU)."""

from __future__ import annotations

from collections import OrderedDict

DEFAULT_CAPACITY = 200_000


class SignatureDedupe:
    """Remembers the last ``capacity`` signatures; ``first_sighting`` is True once per signature.

    A signature seen again is moved to the most recent end, so a signature that keeps arriving
    (live and gap fill, or from two providers) is not forgotten while it is still in flight.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.duplicates = 0

    def first_sighting(self, signature: str) -> bool:
        if signature in self._seen:
            self._seen.move_to_end(signature)
            self.duplicates += 1
            return False
        self._seen[signature] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    def __contains__(self, signature: object) -> bool:
        return signature in self._seen

    def __len__(self) -> int:
        return len(self._seen)
