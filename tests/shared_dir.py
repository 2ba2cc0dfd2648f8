"""Where ``shared/`` is (the real mainnet fixtures, IDLs, reference notes): beside the checkout.

Looked up in order: ``SOLSIGNALS_SHARED_DIR``; ``../shared`` beside this repository; and, for a
clone of a local checkout (``git clone /path/to/main copy``), ``../shared`` beside the checkout it
was cloned from (its ``origin``). None when none exists: the fixtures that need it then fail,
naming the places looked at.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def candidates() -> list[Path]:
    """The places ``shared/`` may be, in the order they are tried."""
    places: list[Path] = []
    configured = os.environ.get("SOLSIGNALS_SHARED_DIR")
    if configured:
        places.append(Path(configured))
    places.append(REPO.parent / "shared")
    try:
        origin = subprocess.run(
            ["git", "-C", str(REPO), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        origin = ""
    if origin and "://" not in origin and ":" not in origin.split("/", 1)[0]:  # a local path
        places.append(Path(origin).resolve().parent / "shared")
    return places


def find() -> Path | None:
    return next((p for p in candidates() if (p / "fixtures").is_dir()), None)


SHARED = find()
FIXTURES = (SHARED or REPO.parent / "shared") / "fixtures"
