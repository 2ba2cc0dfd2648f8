"""Strength components against hand-computed values, and their bounds (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.signals.params import SignalParams
from core.signals.strength import (
    combine,
    liquidity_quality,
    momentum,
    smart_burst,
    volume_accel,
    z_scores,
)
from tests.core.signals.factories import SOL

P = SignalParams()


def test_smart_burst_is_log_of_smart_sol_plus_k_per_wallet_capped_at_three() -> None:
    # log10(9 + 1) = 1.0, + 0.5 × 1 = 1.5
    assert smart_burst(9 * SOL, 1, 0.5) == pytest.approx(1.5)
    # log10(9.8 + 1) = 1.0334, + 0.5 × 4 = 3.0334 -> capped at 3
    assert smart_burst(9_800_000_000, 4, 0.5) == 3.0
    assert smart_burst(0, 0, 0.5) == 0.0


def test_volume_accel_is_last_minute_over_average_of_the_four_before() -> None:
    # 5 m volume 7 SOL of which 3 SOL in the last minute: prior = (7 - 3) / 4 = 1 SOL/min; 3 / 1
    assert volume_accel(3 * SOL, 7 * SOL) == pytest.approx(3.0)
    assert volume_accel(2 * SOL, 2 * SOL) == 1.0  # no baseline: neutral


def test_z_scores_use_the_ewma_and_the_sigma_floor() -> None:
    # σ = sqrt(0.01) = 0.1; z1 = (0.18 - 0.02) / 0.1 = 1.6; z5 = (0.41 - 5·0.02) / (0.1·√5)
    z1, z5 = z_scores(0.18, 0.41, 0.02, 0.01, 0.05)
    assert z1 == pytest.approx(1.6)
    assert z5 == pytest.approx(0.31 / (0.1 * math.sqrt(5)))
    # variance 0 (one quiet minute): σ = floor 0.05; z1 = 0.1 / 0.05 = 2
    assert z_scores(0.1, 0.0, 0.0, 0.0, 0.05)[0] == pytest.approx(2.0)


def test_momentum_blends_z_scores_and_log2_volume_accel() -> None:
    # z = 0.6·2 + 0.4·1 = 1.6; a = log2(4) = 2; 0.5·1.6 + 0.5·2 = 1.8
    assert momentum(2.0, 1.0, 4.0, P) == pytest.approx(1.8)
    assert momentum(-5.0, -5.0, 0.01, P) == 0.0  # clamped at 0
    assert momentum(50.0, 50.0, 1.0, P) == 3.0  # clamped at 3
    # volume acceleration is capped at 10: log2(10) = 3.32 -> 0.5·3.32 = 1.66
    assert momentum(0.0, 0.0, 1e6, P) == pytest.approx(0.5 * math.log2(10))


def test_liquidity_quality_sums_liquidity_impact_and_depth_terms() -> None:
    # liq = log10(10_000 / 1_000) / log10(100_000 / 1_000) = 1 / 2 = 0.5
    # imp = 1 - 2.0 / 10 = 0.8; depth = 0.5 SOL / 1 SOL = 0.5; total 1.8
    assert liquidity_quality(10_000.0, 2.0, SOL // 2, P) == pytest.approx(1.8)
    assert liquidity_quality(500.0, math.inf, 0, P) == 0.0  # below floor, no reserves
    assert liquidity_quality(1e7, 0.0, 10 * SOL, P) == 3.0


def test_strength_is_the_weighted_sum_of_the_ux_example() -> None:
    # 0.40×3.0 + 0.25×1.8 + 0.20×1.6 + 0.15×2.4 = 1.2 + 0.45 + 0.32 + 0.36 = 2.33
    assert combine(3.0, 1.8, 1.6, 2.4, P) == pytest.approx(2.33)


any_float = st.floats(allow_nan=True, allow_infinity=True)
lamports = st.integers(0, 10**15)
wallets = st.integers(0, 1_000)


@st.composite
def params(draw: st.DrawFn) -> SignalParams:
    raw = [draw(st.floats(0.0, 1.0)) for _ in range(4)]
    assume(sum(raw) > 0.01)
    w = [x / sum(raw) for x in raw]
    w[3] = 1.0 - w[0] - w[1] - w[2]
    assume(0.0 <= w[3] <= 1.0)
    return SignalParams(
        weight_smart_burst=w[0],
        weight_momentum=w[1],
        weight_liquidity=w[2],
        weight_risk=w[3],
        smart_k=draw(st.floats(0.0, 3.0)),
        volume_accel_cap=draw(st.floats(1.0, 1000.0)),
    )


@given(
    params(),
    lamports,
    wallets,
    any_float,
    any_float,
    any_float,
    any_float,
    any_float,
    any_float,
    st.integers(0, 10**13),
    st.floats(0.0, 3.0),
)
def test_strength_is_always_between_zero_and_three(
    p: SignalParams,
    smart_lamports: int,
    n: int,
    r1: float,
    r5: float,
    mean: float,
    var: float,
    liq_usd: float,
    impact: float,
    depth: int,
    risk: float,
) -> None:
    z1, z5 = z_scores(r1, r5, mean, abs(var) if var == var else 0.0, p.momentum_sigma_floor)
    parts = (
        smart_burst(smart_lamports, n, p.smart_k),
        momentum(z1, z5, volume_accel(abs(int(depth)), abs(int(depth)) * 3), p),
        liquidity_quality(liq_usd, impact, depth, p),
        risk,
    )
    for part in parts:
        assert 0.0 <= part <= 3.0
    assert 0.0 <= combine(*parts, p) <= 3.0


@given(params(), lamports, lamports, wallets, st.floats(0, 3), st.floats(0, 3), st.floats(0, 3))
def test_strength_never_decreases_when_only_smart_sol_increases(
    p: SignalParams, a: int, b: int, n: int, mom: float, liq: float, risk: float
) -> None:
    low, high = sorted((a, b))
    s_low = combine(smart_burst(low, n, p.smart_k), mom, liq, risk, p)
    s_high = combine(smart_burst(high, n, p.smart_k), mom, liq, risk, p)
    assert s_high >= s_low
