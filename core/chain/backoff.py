"""Exponential backoff with full jitter (AWS architecture blog's "full jitter" variant)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delays for consecutive failures: ``uniform(0, min(cap_s, base_s * 2**attempt))``.

    ``next_delay_s()`` advances the attempt counter; ``reset()`` after a success.
    """

    base_s: float = 0.5
    cap_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def ceiling_s(self, attempt: int) -> float:
        # Cap the exponent so huge attempt counts never overflow a float.
        return min(self.cap_s, self.base_s * (2 ** min(attempt, 62)))

    def next_delay_s(self) -> float:
        delay_s = self.rng.uniform(0.0, self.ceiling_s(self.attempt))
        self.attempt += 1
        return delay_s

    def reset(self) -> None:
        self.attempt = 0


def retry_after_s(header: str | None, cap_s: float) -> float | None:
    """Seconds asked by an HTTP ``Retry-After`` header (clamped to [0, cap_s]); None when absent
    or in the HTTP-date form, which we do not parse (the caller then uses its own backoff)."""
    if header is None:
        return None
    try:
        return max(0.0, min(float(header), cap_s))
    except ValueError:
        return None
