"""What the engine keeps per live mint, and its liquidity figures (reusing core.market maths)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.market import amm, curve
from core.risk.report import RiskReport
from core.signals.risk import RiskAssessment
from core.signals.windows import MintWindows


class MintState:
    """Everything the engine knows about one live mint."""

    __slots__ = (
        "born_tick",
        "burst_active",
        "creator",
        "dev_sold",
        "last_active",
        "last_emitted",
        "mint",
        "on_curve",
        "pending_change_s",
        "pool",
        "real_sol",
        "risk",
        "risk_cache",
        "sb_cache",
        "sequence",
        "sol_res",
        "sol_usd_used",
        "token_res",
        "vsol",
        "vtok",
        "windows",
    )

    def __init__(self, mint: str, windows: MintWindows, now: int, born_tick: int = 0) -> None:
        self.mint = mint
        self.windows = windows
        self.creator: str | None = None
        self.dev_sold = False
        self.risk: RiskReport | None = None
        self.risk_cache: RiskAssessment | None = None
        self.on_curve = True
        self.pool: str | None = None
        self.vsol = 0  # curve virtual reserves (lamports / raw)
        self.vtok = 0
        self.real_sol = 0  # curve real SOL reserves
        self.sol_res = 0  # pool reserves once migrated
        self.token_res = 0
        self.last_active = now
        self.last_emitted: float | None = None
        self.sequence = 0
        self.burst_active = False
        # (smart buyers, smart lamports, SmartBurst): SmartBurst of the last scored smart totals
        self.sb_cache: tuple[int, int, float] = (-1, -1, 0.0)
        # For the engine's tick (see SignalEngine.tick): how many ticks preceded this state; the
        # time of its earliest entry in the engine's window-change queue (never after its
        # windows' next change); the SOL price its last score used (None: did not use one).
        self.born_tick = born_tick
        self.pending_change_s = math.inf
        self.sol_usd_used: float | None = None


@dataclass(frozen=True, slots=True)
class Liquidity:
    usd: float
    impact_pct: float
    depth_lamports: int
    sol_usd: float


def liquidity(st: MintState, impact_size_lamports: int, sol_usd: float) -> Liquidity:
    """Liquidity (both sides, USD), impact of a buy of ``impact_size_lamports`` and depth at 1 %.

    On the curve: the real SOL reserves count as liquidity; impact and depth come from the
    virtual reserves (a constant-product curve: a pool's depth maths applies unchanged).
    After migration: the pool's SOL and token reserves. Nothing known: 0 USD, infinite impact.
    """
    if not (math.isfinite(sol_usd) and sol_usd > 0):
        sol_usd = 0.0
    if st.on_curve and st.vsol > 0 and st.vtok > 0:
        return Liquidity(
            amm.liquidity_usd(st.real_sol, sol_usd),
            curve.price_impact_pct(impact_size_lamports, st.vsol, st.vtok),
            amm.depth_1pct_lamports(st.vsol),
            sol_usd,
        )
    if not st.on_curve and st.sol_res > 0 and st.token_res > 0:
        return Liquidity(
            amm.liquidity_usd(st.sol_res, sol_usd),
            amm.price_impact_pct(impact_size_lamports, st.token_res, st.sol_res),
            amm.depth_1pct_lamports(st.sol_res),
            sol_usd,
        )
    return Liquidity(0.0, math.inf, 0, sol_usd)


def price_impact_pct(st: MintState, size_lamports: int) -> float:
    """Impact of a buy of ``size_lamports`` on the mint's current reserves; inf when unknown."""
    if st.on_curve and st.vsol > 0 and st.vtok > 0:
        return curve.price_impact_pct(size_lamports, st.vsol, st.vtok)
    if not st.on_curve and st.sol_res > 0 and st.token_res > 0:
        return amm.price_impact_pct(size_lamports, st.token_res, st.sol_res)
    return math.inf


# Above sqrt(1.01) - 1 = 0.00498756211..., with room for float rounding.
_DEPTH_1PCT_RATIO_UPPER = 0.0049876


def liquidity_bounds(st: MintState, impact_size_lamports: int) -> tuple[int, float, float]:
    """``liquidity(st, impact_size_lamports, ...)`` cheaply, and whatever the SOL price: the SOL
    reserve its ``usd`` is twice the value of (see ``liquidity_usd``), a lower bound of its
    ``impact_pct`` and an upper bound of its ``depth_lamports`` (no quote maths, no square root).
    LiquidityQuality is monotone in each, so these give an upper bound of it.

    Both curve and pool are constant-product over the same SOL reserve ``Q`` as ``liquidity``
    uses (curve virtual SOL, or pool SOL), without fee:

    - a buy of ``x`` fills at least ``(Q + x) / Q`` times spot (the tokens out are floored), so
      its impact is at least ``100·x / Q`` %; ``1e-9`` % is taken off for float rounding;
    - ``amm.depth_1pct_lamports(Q)`` is the smallest ``x`` with ``(Q + x)² >= 1.01·Q²`` up to
      integer rounding, so ``x <= Q·(√1.01 - 1) + 2``.
    """
    if st.on_curve:
        if st.vsol > 0 and st.vtok > 0:
            return (
                st.real_sol,
                _impact_lower(100.0 * impact_size_lamports / st.vsol),
                st.vsol * _DEPTH_1PCT_RATIO_UPPER + 3.0,
            )
    elif st.sol_res > 0 and st.token_res > 0:
        return (
            st.sol_res,
            _impact_lower(100.0 * impact_size_lamports / st.sol_res),
            st.sol_res * _DEPTH_1PCT_RATIO_UPPER + 3.0,
        )
    return 0, math.inf, 0.0


def liquidity_usd(reserve_lamports: int, sol_usd: float) -> float:
    """``liquidity(...).usd`` from the reserve ``liquidity_bounds`` gives (``inf`` for a negative
    one, which ``liquidity`` refuses: malformed input)."""
    if not (math.isfinite(sol_usd) and sol_usd > 0):
        sol_usd = 0.0
    if reserve_lamports < 0:
        return math.inf
    return amm.liquidity_usd(reserve_lamports, sol_usd)


_IMPACT_ROUNDING_PCT = 1e-9
_IMPACT_ROUNDING_REL = 1e-12


def _impact_lower(impact_pct: float) -> float:
    """``impact_pct`` lowered by more than float rounding, absolute and relative (a huge impact
    on a near-empty pool is off by more than 1e-9 in absolute terms)."""
    return impact_pct * (1.0 - _IMPACT_ROUNDING_REL) - _IMPACT_ROUNDING_PCT
