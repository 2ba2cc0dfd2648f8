"""``Signal``: what the engine emits for a mint, with everything needed to explain its Strength."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from core.signals.risk import Penalty, RiskBadge
from core.signals.rules import RuleResult

# Keys of Signal.components and Signal.weights.
SMART_BURST = "smart_burst"
MOMENTUM = "momentum"
LIQUIDITY = "liquidity"
RISK = "risk"
COMPONENTS = (SMART_BURST, MOMENTUM, LIQUIDITY, RISK)


class SignalReason(StrEnum):
    FIRST = "first"  # Strength reached min_strength for the first time
    RISE = "rise"  # Strength rose realert_step above the last emitted value
    NEW_BURST = "new_burst"  # smart buyers went back to >= burst_min_wallets after dropping


@dataclass(frozen=True, slots=True)
class Signal:
    """One alert for one mint. ``sequence`` counts this mint's signals from 1.

    ``inputs`` (all numbers): smart_sol, smart_buyers, smart_window_s, smart_k, return_1m,
    return_5m, z_1m, z_5m, ewma_mean, ewma_std, volume_1m_sol, volume_5m_sol, volume_accel,
    buys_1m, sells_1m, buys_5m, sells_5m, net_flow_5m_sol, unique_buyers_5m, price_sol,
    liquidity_usd, sol_usd, impact_pct, impact_size_sol, depth_1pct_sol, on_curve (1/0).
    """

    mint: str
    at: int  # unix s
    sequence: int
    reason: SignalReason
    strength: float
    components: Mapping[str, float]
    weights: Mapping[str, float]
    inputs: Mapping[str, float]
    rules_fired: tuple[str, ...]
    rule_results: tuple[RuleResult, ...]
    risk_badges: tuple[RiskBadge, ...]
    risk_penalties: tuple[Penalty, ...]
    smart_buyers: tuple[tuple[str, float], ...]  # (address, SOL bought), most SOL first
    # Smart buyers that are one entity (co-buying, common funder): (cluster id, members, why).
    clusters: tuple[tuple[str, tuple[str, ...], str], ...] = ()
