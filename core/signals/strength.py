"""The Strength score and its four components, as pure functions of numbers (each in [0, 3]).

``Strength = w_s·SmartBurst + w_m·Momentum + w_l·LiquidityQuality + w_r·RiskScore`` with the
weights of ``SignalParams`` (0.40 / 0.25 / 0.20 / 0.15 by default, summing to 1).

SmartBurst
    ``min(3, log10(smart_sol + 1) + k·smart_buyers)``; smart SOL (whole SOL) bought by tracked
    wallets in the smart window (5 m), and how many distinct tracked wallets bought.

Momentum
    Per mint, an EWMA of per-minute returns gives a mean ``μ`` and variance ``v`` (weight
    ``alpha`` for the newest minute). With ``σ = sqrt(max(v, σ_floor²))``::

        z1 = (r_1m - μ) / σ
        z5 = (r_5m - 5μ) / (σ·√5)            # 5 one-minute returns: mean 5μ, std σ√5
        z  = w1·z1 + (1 - w1)·z5
        a  = log2(clamp(volume_accel, 1/cap, cap))
        Momentum = clamp(z_scale·z + accel_scale·a, 0, 3)

    ``volume_accel`` = last-minute volume / average per-minute volume of the 4 minutes before it
    (``(vol_5m - vol_1m) / 4``); 1.0 (neutral) when those 4 minutes had no volume.

LiquidityQuality
    The sum of three terms, each in [0, 1]::

        liq   = clamp(log10(liquidity_usd / floor) / log10(full / floor), 0, 1)
        imp   = clamp(1 - impact_pct / impact_max_pct, 0, 1)   # impact of a 1 SOL buy
        depth = clamp(depth_1pct / depth_full, 0, 1)           # lamports to move price +1 %

RiskScore
    ``clamp(3 - Σ penalties, 0, 3)``; see ``core.signals.risk``.
"""

from __future__ import annotations

import math

from core.programs import LAMPORTS_PER_SOL
from core.signals.params import SignalParams

MAX_COMPONENT = 3.0
_SQRT5 = math.sqrt(5.0)


def _clamp(x: float, lo: float = 0.0, hi: float = MAX_COMPONENT) -> float:
    if x != x:  # NaN scores nothing
        return lo
    return lo if x < lo else hi if x > hi else x


def smart_burst(smart_lamports: int, smart_buyers: int, k: float) -> float:
    """``min(3, log10(smart SOL + 1) + k·smart_buyers)``."""
    raw = math.log10(max(smart_lamports, 0) / LAMPORTS_PER_SOL + 1.0) + k * max(smart_buyers, 0)
    return raw if raw < MAX_COMPONENT else MAX_COMPONENT


def volume_accel(volume_1m_lamports: int, volume_5m_lamports: int) -> float:
    """Last minute's volume over the average minute of the 4 before it; 1.0 without a baseline."""
    prior_per_min = (volume_5m_lamports - volume_1m_lamports) / 4.0
    if prior_per_min <= 0.0:
        return 1.0
    return volume_1m_lamports / prior_per_min


def z_scores(
    return_1m: float, return_5m: float, mean: float, var: float, sigma_floor: float
) -> tuple[float, float]:
    sigma = math.sqrt(max(var, sigma_floor * sigma_floor))
    return (return_1m - mean) / sigma, (return_5m - 5.0 * mean) / (sigma * _SQRT5)


def momentum(z1: float, z5: float, accel: float, p: SignalParams) -> float:
    z = p.momentum_z1_weight * z1 + (1.0 - p.momentum_z1_weight) * z5
    cap = p.volume_accel_cap
    a = math.log2(_clamp(accel, 1.0 / cap, cap))
    return _clamp(p.momentum_z_scale * z + p.momentum_accel_scale * a)


def liquidity_quality(
    liquidity_usd: float, impact_pct: float, depth_1pct_lamports: float, p: SignalParams
) -> float:
    # Each term is ``_clamp(x, 0.0, 1.0)``, inlined (the same operations: the same value); the
    # engine calls this on most trades, as a bound (see ``core.signals.state.liquidity_bounds``).
    if liquidity_usd <= p.liquidity_floor_usd:
        liq = 0.0
    else:
        floor = max(p.liquidity_floor_usd, 1e-9)
        x = math.log10(liquidity_usd / floor) / math.log10(p.liquidity_full_usd / floor)
        liq = 0.0 if x != x or x < 0.0 else 1.0 if x > 1.0 else x
    x = 1.0 - impact_pct / p.impact_max_pct
    imp = 0.0 if x != x or x < 0.0 else 1.0 if x > 1.0 else x
    x = depth_1pct_lamports / p.depth_full_lamports
    depth = 0.0 if x != x or x < 0.0 else 1.0 if x > 1.0 else x
    return liq + imp + depth


def combine(
    smart_burst_value: float,
    momentum_value: float,
    liquidity_value: float,
    risk_value: float,
    p: SignalParams,
) -> float:
    """The weighted sum, clamped to [0, 3] (guards float rounding; weights sum to 1)."""
    return _clamp(
        p.weight_smart_burst * smart_burst_value
        + p.weight_momentum * momentum_value
        + p.weight_liquidity * liquidity_value
        + p.weight_risk * risk_value
    )


def momentum_of(
    return_1m: float,
    return_5m: float,
    volume_1m_lamports: int,
    volume_5m_lamports: int,
    mean: float,
    var: float,
    p: SignalParams,
) -> float:
    """``momentum(*z_scores(...), volume_accel(...), p)`` in one call, the same float operations
    in the same order (so the same value to the last bit); the engine's hot path."""
    floor = p.momentum_sigma_floor
    sigma = math.sqrt(max(var, floor * floor))
    z1 = (return_1m - mean) / sigma
    z5 = (return_5m - 5.0 * mean) / (sigma * _SQRT5)
    prior_per_min = (volume_5m_lamports - volume_1m_lamports) / 4.0
    accel = 1.0 if prior_per_min <= 0.0 else volume_1m_lamports / prior_per_min
    w1 = p.momentum_z1_weight
    z = w1 * z1 + (1.0 - w1) * z5
    cap = p.volume_accel_cap
    lo = 1.0 / cap
    a = math.log2(lo if accel != accel or accel < lo else cap if accel > cap else accel)
    x = p.momentum_z_scale * z + p.momentum_accel_scale * a
    if x != x:
        return 0.0
    return 0.0 if x < 0.0 else MAX_COMPONENT if x > MAX_COMPONENT else x
