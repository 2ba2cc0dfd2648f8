"""Loaders for the real mainnet samples in ../shared/fixtures/mainnet (read-only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

MAINNET = FIXTURES / "mainnet"
PUMP_ID = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"


def load(name: str) -> Any:
    return json.loads((MAINNET / name).read_text())


def crocchi_lines() -> list[str]:
    path: Path = MAINNET / "crocchi_pumpfun_program_data_lines_2025-08_a.txt"
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def under_pump(lines: list[str]) -> list[str]:
    """Wrap bare `Program data:` lines in a Pump.fun invoke frame, as the validator logs them."""
    return [f"Program {PUMP_ID} invoke [1]", *lines, f"Program {PUMP_ID} success"]
