"""Time intervals noted in order (the sender's pauses, its waits for a free slot), and how much
of any span they cover, in O(log n) per question.

The sender asks for every delivery how much of its time since it was ready was a pause or a
slot wait; scanning the intervals for each delivery made a 480-chat burst quadratic (0.3 ms of
CPU per delivery, profiled). Here each interval keeps the total covered before it, so the covered
part of [start, end] is ``C(end) - C(start)``.
"""

from __future__ import annotations

from bisect import bisect_right


class Intervals:
    def __init__(self, kept: int = 256) -> None:
        self._kept = kept
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._before: list[float] = []  # covered time before each interval (since the first)

    def __len__(self) -> int:
        return len(self._starts)

    def add(self, start: float, end: float) -> None:
        """Note [start, end]; starts come in order (one overlapping the last extends it)."""
        if end <= start:
            return
        starts, ends = self._starts, self._ends
        if starts:
            start = max(start, starts[-1])
            if start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
                return
            before = self._before[-1] + ends[-1] - starts[-1]
        else:
            before = 0.0
        starts.append(start)
        ends.append(end)
        self._before.append(before)
        if len(starts) > 2 * self._kept:  # the oldest are forgotten (spans reaching back are
            del starts[: self._kept]  # counted from the oldest kept)
            del ends[: self._kept]
            del self._before[: self._kept]

    def covered(self, start: float, end: float) -> float:
        """The part of [start, end] the noted intervals cover."""
        if end <= start or not self._starts:
            return 0.0
        return max(0.0, self._upto(end) - self._upto(start))

    def _upto(self, t: float) -> float:
        """Covered time before ``t`` (since the oldest kept interval)."""
        i = bisect_right(self._starts, t) - 1
        if i < 0:
            return self._before[0]
        return self._before[i] + min(t, self._ends[i]) - self._starts[i]
