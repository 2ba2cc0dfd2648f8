"""``SignalParams``: every weight, threshold, window and penalty of the signal engine.

Stored as JSON (``to_dict`` / ``from_dict``); ``from_dict`` validates each key and raises
``RuleError`` naming the key and its allowed range. Unknown keys are refused (typos would
otherwise be silently ignored); missing keys take the defaults below.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import Text
from core.programs import LAMPORTS_PER_SOL
from core.signals.rules import Rule, RuleError
from core.signals.windows import MAX_WINDOW_S

DEFAULT_RULES: tuple[Rule, ...] = tuple(
    Rule.from_dict(d)
    for d in (
        {"kind": "smart_buy_burst", "min_wallets": 3, "min_sol": 5, "window_min": 5},
        {"kind": "push_time", "window_min": 5, "min_net_sol_per_min": 2},
        {"kind": "no_mint"},
        {"kind": "no_freeze"},
        {"kind": "top10", "max_pct": 30},
        {"kind": "lp_burnt"},
    )
)

# The windows every mint keeps (seconds): 1 m and 5 m returns / volumes, 15 m context.
BASE_WINDOWS_S = (60, 300, 900)


@dataclass(frozen=True, slots=True)
class SignalParams:
    # Strength = Σ weight × component; the four weights sum to 1 so Strength stays in [0, 3].
    weight_smart_burst: float = 0.40
    weight_momentum: float = 0.25
    weight_liquidity: float = 0.20
    weight_risk: float = 0.15
    # SmartBurst = min(3, log10(smart SOL in window + 1) + k × unique smart buyers)
    smart_k: float = 0.5
    smart_window_s: int = 300
    # Momentum (see core.signals.strength.momentum)
    momentum_ewma_alpha: float = 0.2  # weight of the newest per-minute return
    momentum_sigma_floor: float = 0.02  # smallest per-minute return std-dev used in z-scores
    momentum_z1_weight: float = 0.6  # blend: w × z(1 m) + (1 - w) × z(5 m)
    momentum_z_scale: float = 0.5
    momentum_accel_scale: float = 0.5
    volume_accel_cap: float = 10.0  # volume acceleration is clamped to [1/cap, cap]
    # LiquidityQuality (see core.signals.strength.liquidity_quality)
    liquidity_floor_usd: float = 1_000.0  # scores 0 at or below
    liquidity_full_usd: float = 100_000.0  # scores 1 at or above (log scale in between)
    impact_size_lamports: int = LAMPORTS_PER_SOL  # the buy whose price impact is scored
    impact_max_pct: float = 10.0  # impact at or above scores 0
    depth_full_lamports: int = LAMPORTS_PER_SOL  # depth at 1 % at or above scores 1
    # RiskScore = 3 - Σ penalties; UNKNOWN costs min(penalty_unknown, that check's penalty)
    penalty_mint_authority: float = 1.0
    penalty_freeze_authority: float = 1.0
    penalty_top_holder: float = 0.6
    penalty_transfer_tax: float = 1.0
    penalty_dev_selling: float = 1.0
    penalty_unknown: float = 0.3
    top_holder_max_pct: float = 30.0
    transfer_tax_max_pct: float = 5.0
    # Emission
    min_strength: float = 1.5  # first alert when Strength reaches this
    realert_step: float = 0.3  # re-alert when Strength rises this much above the last alert
    burst_min_wallets: int = 3  # a smart burst: this many smart buyers in the smart window
    # Memory
    idle_ttl_s: int = 1_800  # a mint without trades for this long is forgotten
    max_live_mints: int = 50_000  # beyond this the least recently active mint is forgotten
    # Smart Activity alerts (core.signals.activity_alerts): smart buys in a rolling window
    # reaching V_min, per mint and over every mint; 0 turns that alert off.
    activity_window_s: int = 600
    activity_v_min_lamports: int = 50 * LAMPORTS_PER_SOL
    activity_global_v_min_lamports: int = 500 * LAMPORTS_PER_SOL
    activity_cooldown_s: int = 600  # no second alert for the same window within this
    rules: tuple[Rule, ...] = DEFAULT_RULES

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name == "rules":
                continue
            lo, hi, is_int = _RANGES[f.name]
            _check(f.name, getattr(self, f.name), lo, hi, is_int)
        total = (
            self.weight_smart_burst + self.weight_momentum + self.weight_liquidity
            + self.weight_risk
        )  # fmt: skip
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise RuleError(
                "weight_*",
                Text("the four weights sum to {total}", total=f"{total:g}"),
                Text("a sum of 1.0"),
            )
        if self.liquidity_full_usd <= self.liquidity_floor_usd:
            raise RuleError(
                "liquidity_full_usd",
                Text(
                    "{value} is not above liquidity_floor_usd",
                    value=f"{self.liquidity_full_usd:g}",
                ),
                f"> {self.liquidity_floor_usd:g}",
            )
        if not all(isinstance(r, Rule) for r in self.rules):
            raise RuleError("rules", Text("must be a list of rules"), "[{...}, ...]")

    @property
    def window_lengths_s(self) -> tuple[int, ...]:
        """Every window a mint must keep sums for (base, smart and rule windows)."""
        extra = {r.window_s for r in self.rules if r.window_s is not None}
        return tuple(sorted({*BASE_WINDOWS_S, self.smart_window_s, *extra}))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "rules"
        }
        out["rules"] = [r.to_dict() for r in self.rules]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignalParams:
        if not isinstance(data, Mapping):
            raise RuleError(
                "params", Text("must be a JSON object, got {type}", type=type(data).__name__), "{}"
            )
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise RuleError(unknown[0], Text("unknown parameter"), ", ".join(sorted(names)))
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "rules":
                if not isinstance(value, list | tuple):
                    raise RuleError(
                        "rules",
                        Text("must be a list, got {value}", value=repr(value)),
                        "[{...}, ...]",
                    )
                kwargs[key] = tuple(Rule.from_dict(r, f"rules[{i}]") for i, r in enumerate(value))
            else:
                lo, hi, is_int = _RANGES[key]
                kwargs[key] = _check(key, value, lo, hi, is_int)
        return cls(**kwargs)


_MAX_LAMPORTS = 1_000 * LAMPORTS_PER_SOL
_MAX_ACTIVITY_LAMPORTS = 1_000_000 * LAMPORTS_PER_SOL
# name -> (low, high, integer?)
_RANGES: dict[str, tuple[float, float, bool]] = {
    "weight_smart_burst": (0.0, 1.0, False),
    "weight_momentum": (0.0, 1.0, False),
    "weight_liquidity": (0.0, 1.0, False),
    "weight_risk": (0.0, 1.0, False),
    "smart_k": (0.0, 3.0, False),
    "smart_window_s": (60, MAX_WINDOW_S, True),
    "momentum_ewma_alpha": (0.001, 1.0, False),
    "momentum_sigma_floor": (1e-6, 1.0, False),
    "momentum_z1_weight": (0.0, 1.0, False),
    "momentum_z_scale": (0.0, 3.0, False),
    "momentum_accel_scale": (0.0, 3.0, False),
    "volume_accel_cap": (1.0, 1000.0, False),
    "liquidity_floor_usd": (0.0, 1e9, False),
    "liquidity_full_usd": (1.0, 1e10, False),
    "impact_size_lamports": (1, _MAX_LAMPORTS, True),
    "impact_max_pct": (0.01, 100.0, False),
    "depth_full_lamports": (1, _MAX_LAMPORTS, True),
    "penalty_mint_authority": (0.0, 3.0, False),
    "penalty_freeze_authority": (0.0, 3.0, False),
    "penalty_top_holder": (0.0, 3.0, False),
    "penalty_transfer_tax": (0.0, 3.0, False),
    "penalty_dev_selling": (0.0, 3.0, False),
    "penalty_unknown": (0.01, 3.0, False),  # > 0: unknown is never counted as safe
    "top_holder_max_pct": (0.0, 100.0, False),
    "transfer_tax_max_pct": (0.0, 100.0, False),
    "min_strength": (0.0, 3.0, False),
    "realert_step": (0.01, 3.0, False),
    "burst_min_wallets": (1, 100, True),
    "idle_ttl_s": (60, 7 * 86_400, True),
    "max_live_mints": (1, 10_000_000, True),
    "activity_window_s": (60, 86_400, True),
    "activity_v_min_lamports": (0, _MAX_ACTIVITY_LAMPORTS, True),
    "activity_global_v_min_lamports": (0, _MAX_ACTIVITY_LAMPORTS, True),
    "activity_cooldown_s": (0, 86_400, True),
}


def _check(name: str, value: Any, lo: float, hi: float, is_int: bool) -> float | int:
    shown = {"lo": f"{lo:g}", "hi": f"{hi:g}"}
    allowed = Text("integer {lo}-{hi}", **shown) if is_int else Text("number {lo}-{hi}", **shown)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(name, Text("must be a number, got {value}", value=repr(value)), allowed)
    if not lo <= value <= hi:  # also rejects NaN
        raise RuleError(name, Text("{value} is out of range", value=repr(value)), allowed)
    if is_int and value != int(value):
        raise RuleError(
            name, Text("must be a whole number, got {value}", value=repr(value)), allowed
        )
    return int(value) if is_int else float(value)
