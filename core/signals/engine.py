"""``SignalEngine``: records in, scored and explained ``Signal`` objects out. Pure: no I/O.

Time is the data's time: a trade counts at its ``block_time`` (or, without one, the latest time
the engine has seen); ``tick(now)`` moves the clock for eviction. A trade older than its mint's
window clock is counted at that clock (late arrivals never rewrite the past).

Emission, at most one signal per mint per call:

- ``first``: Strength reaches ``min_strength`` for the first time;
- ``rise``: Strength is at least ``realert_step`` above the last emitted value;
- ``new_burst``: the mint already alerted, its unique smart buyers in the smart window went from
  below ``burst_min_wallets`` to at least that (so it had dropped below since the previous burst,
  or never had one), and Strength is at least ``min_strength``. Takes precedence over ``rise``.

Rules marked ``required`` gate emission: while one does not fire, nothing is emitted (a burst
start seen meanwhile is not replayed later).

Hot path: each trade updates its mint's windows (O(1) amortised) and scores only that mint,
lazily: the risk score is cached per mint (shared between mints without a report); SmartBurst is
recomputed only when the smart totals change; Momentum and LiquidityQuality are computed only
while an upper bound of Strength (missing components at 3, LiquidityQuality's depth term bounded
from the reserves without a square root) still reaches the emission threshold; rules and the
explanation are built only for a signal that is emitted.

``tick(now)`` forgets mints idle for ``idle_ttl_s`` and re-scores the mints whose inputs changed
outside trades (risk report, pool, curve completion, parameters, tracked wallets). Memory is
bounded by ``max_live_mints`` (least recently active forgotten first) and each mint's windows
keep at most ``MAX_WINDOW_S`` seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from core.market import curve
from core.programs import LAMPORTS_PER_SOL, WSOL_MINT
from core.risk.report import RiskReport
from core.signals import metrics
from core.signals.params import SignalParams
from core.signals.risk import RiskAssessment, assess
from core.signals.rules import RuleContext
from core.signals.signal import LIQUIDITY, MOMENTUM, RISK, SMART_BURST, Signal, SignalReason
from core.signals.state import (
    MintState,
    depth_1pct_upper_lamports,
    liquidity,
    price_impact_pct,
)
from core.signals.strength import (
    combine,
    liquidity_quality,
    momentum_of,
    smart_burst,
    volume_accel,
    z_scores,
)
from core.signals.windows import MintWindows
from core.storage.records import CurveCompleteRecord, MintRecord, PoolRecord, TradeRecord

_EPS = 1e-9


@dataclass(slots=True)
class EngineStats:
    trades: int = 0
    momentum_scored: int = 0  # trades for which Momentum had to be computed
    liquidity_scored: int = 0  # ... and LiquidityQuality
    signals: int = 0
    evicted_idle: int = 0
    evicted_cap: int = 0


class SignalEngine:
    def __init__(
        self,
        params: SignalParams,
        smart_wallets: Mapping[str, frozenset[str]],
        sol_usd: Callable[[], float],
    ) -> None:
        self._params = params
        self._smart = smart_wallets
        self._sol_usd = sol_usd
        self._mints: dict[str, MintState] = {}  # order: least recently active first
        self._dirty: set[str] = set()
        self._now = 0
        # RiskAssessment (immutable) without a report, by (dev sold, creator known); per params.
        self._risk_without_report: dict[tuple[bool, bool], RiskAssessment] = {}
        self.stats = EngineStats()
        # Called once per mint when its creator is first seen selling (a rug warning sign).
        self.on_dev_sell: Callable[[TradeRecord], None] | None = None

    # -- configuration -------------------------------------------------------------------------

    @property
    def params(self) -> SignalParams:
        return self._params

    def update_params(self, params: SignalParams) -> None:
        """Use new parameters from now on; every live mint is re-scored at the next tick.

        O(live mints); window sums are rebuilt from the kept logs when the window set changes.
        """
        self._params = params
        self._risk_without_report.clear()
        lengths = params.window_lengths_s
        for st in self._mints.values():
            st.windows.set_lengths(lengths)
            st.windows.alpha = params.momentum_ewma_alpha
            st.risk_cache = None
            st.sb_cache = (-1, -1, 0.0)  # smart_k may have changed
        self._dirty.update(self._mints)
        self._enforce_cap()

    def set_smart_wallets(self, smart_wallets: Mapping[str, frozenset[str]]) -> None:
        """Replace the tracked wallets (address -> tags). Trades already aggregated keep the
        smart flag they had; burst rules read the new tags. Every mint is re-scored at tick."""
        self._smart = smart_wallets
        self._dirty.update(self._mints)

    @property
    def live_mints(self) -> int:
        return len(self._mints)

    def windows(self, mint: str) -> MintWindows | None:
        st = self._mints.get(mint)
        return st.windows if st is not None else None

    # -- state -----------------------------------------------------------------------------------

    def _clock(self, t: int | None) -> int:
        if t is not None and t > self._now:
            self._now = t
        return self._now

    def _touch(self, mint: str) -> MintState:
        """The mint's state, created if new, moved to the most-recently-active end."""
        st = self._mints.pop(mint, None)
        if st is None:
            p = self._params
            st = MintState(mint, MintWindows(p.window_lengths_s, p.momentum_ewma_alpha), self._now)
            self._mints[mint] = st
            self._enforce_cap()
        else:
            st.last_active = self._now
            self._mints[mint] = st
        return st

    def _enforce_cap(self) -> None:
        cap = self._params.max_live_mints
        while len(self._mints) > cap:
            oldest = next(iter(self._mints))
            self._forget(oldest)
            self.stats.evicted_cap += 1
            metrics.MINTS_EVICTED.labels("cap").inc()

    def _forget(self, mint: str) -> None:
        del self._mints[mint]
        self._dirty.discard(mint)

    # -- inputs ----------------------------------------------------------------------------------

    def on_mint(self, record: MintRecord) -> None:
        self._clock(record.created_at)
        st = self._touch(record.mint)
        st.creator = record.creator
        st.on_curve = True
        if st.vsol == 0:
            st.vsol = curve.INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS
            st.vtok = curve.INITIAL_VIRTUAL_TOKEN_RESERVES_RAW
        st.risk_cache = None

    def on_complete(self, record: CurveCompleteRecord) -> None:
        """The curve is complete: no liquidity until the pool is known."""
        self._clock(record.completed_at)
        st = self._touch(record.mint)
        st.on_curve = False
        st.vsol = st.vtok = st.real_sol = 0
        self._dirty.add(record.mint)

    def on_pool(self, record: PoolRecord) -> None:
        self._clock(record.created_at)
        if record.base_mint == WSOL_MINT:  # orient: the token is base, SOL is quote
            mint, sol_res, token_res = (
                record.quote_mint,
                record.base_reserve_raw,
                record.quote_reserve_raw,
            )
        else:
            mint, sol_res, token_res = (
                record.base_mint,
                record.quote_reserve_raw,
                record.base_reserve_raw,
            )
        st = self._touch(mint)
        st.on_curve = False
        st.pool = record.pool
        if sol_res and token_res:
            st.sol_res, st.token_res = sol_res, token_res
        self._dirty.add(mint)

    def set_risk(self, mint: str, report: RiskReport) -> None:
        st = self._mints.get(mint)
        if st is None:
            st = self._touch(mint)
        st.risk = report
        st.risk_cache = None
        self._dirty.add(mint)

    def on_trade(self, trade: TradeRecord) -> Signal | None:
        """Aggregate one trade and score its mint; the signal to emit, if any."""
        self.stats.trades += 1
        t = trade.block_time
        if t is not None and t > self._now:
            self._now = t
        mint = trade.mint
        mints = self._mints
        st = mints.pop(mint, None)  # as _touch: move the mint to the most-recently-active end
        if st is None:
            st = self._touch(mint)
        else:
            st.last_active = self._now
            mints[mint] = st
        if trade.pool is not None:
            st.on_curve = False
            st.pool = trade.pool
            if trade.real_sol_reserves and trade.real_token_reserves:
                st.sol_res = trade.real_sol_reserves
                st.token_res = trade.real_token_reserves
        elif trade.virtual_sol_reserves and trade.virtual_token_reserves:
            st.vsol = trade.virtual_sol_reserves
            st.vtok = trade.virtual_token_reserves
            st.real_sol = trade.real_sol_reserves or 0
        is_buy = trade.is_buy
        trader = trade.trader
        if not is_buy and trader == st.creator and not st.dev_sold:
            st.dev_sold = True
            st.risk_cache = None
            if self.on_dev_sell is not None:
                self.on_dev_sell(trade)
        w = st.windows
        if t is None:
            t = self._now
        if st.burst_active:
            p = self._params
            w.advance(t)
            if w.unique_smart_buyers(p.smart_window_s) < p.burst_min_wallets:
                st.burst_active = False  # the burst dropped below N before this trade
        second = w.add_trade(
            t,
            trader,
            is_buy,
            trade.sol_lamports,
            trade.price_sol,
            is_buy and trader in self._smart,
        )
        return self._score(st, second)

    def tick(self, now: int) -> list[Signal]:
        """Forget idle mints, then re-score the mints whose non-trade inputs changed."""
        now = self._clock(now)
        cutoff = now - self._params.idle_ttl_s
        idle = []
        for mint, st in self._mints.items():
            if st.last_active > cutoff:
                break
            idle.append(mint)
        for mint in idle:
            self._forget(mint)
        if idle:
            self.stats.evicted_idle += len(idle)
            metrics.MINTS_EVICTED.labels("idle").inc(len(idle))
        signals = []
        p = self._params
        for mint in sorted(self._dirty):
            st = self._mints[mint]
            st.windows.advance(now)
            if (
                st.burst_active
                and st.windows.unique_smart_buyers(p.smart_window_s) < p.burst_min_wallets
            ):
                st.burst_active = False
            signal = self._score(st, max(now, st.windows.now))
            if signal is not None:
                signals.append(signal)
        self._dirty.clear()
        metrics.LIVE_MINTS.set(len(self._mints))
        return signals

    # -- scoring ---------------------------------------------------------------------------------

    def _risk(self, st: MintState) -> RiskAssessment:
        if st.risk_cache is None:
            if st.risk is None:  # most mints: shared, one assessment per (dev sold, creator known)
                key = (st.dev_sold, st.creator is not None)
                cached = self._risk_without_report.get(key)
                if cached is None:
                    cached = assess(None, key[0], key[1], self._params)
                    self._risk_without_report[key] = cached
                st.risk_cache = cached
            else:
                st.risk_cache = assess(st.risk, st.dev_sold, st.creator is not None, self._params)
        return st.risk_cache

    def _score(self, st: MintState, now: int) -> Signal | None:
        p = self._params
        w = st.windows
        sw = p.smart_window_s
        smart_buyers, smart_lamports = w.smart_totals(sw)
        burst_now = smart_buyers >= p.burst_min_wallets
        started = burst_now and not st.burst_active
        st.burst_active = burst_now
        last = st.last_emitted
        new_burst = started and last is not None
        threshold = p.min_strength if last is None or new_burst else last + p.realert_step
        risk = st.risk_cache or self._risk(st)
        cached_buyers, cached_lamports, sb = st.sb_cache
        if cached_buyers != smart_buyers or cached_lamports != smart_lamports:
            sb = smart_burst(smart_lamports, smart_buyers, p.smart_k)
            st.sb_cache = (smart_buyers, smart_lamports, sb)
        base = p.weight_smart_burst * sb + p.weight_risk * risk.score
        # Upper bounds of Strength with the components not yet computed at their maximum (3):
        # below the threshold (with a margin for float rounding) nothing can be emitted.
        floor = threshold - _EPS
        w_liq = p.weight_liquidity
        if base + 3.0 * (p.weight_momentum + w_liq) < floor:
            return None
        stats = self.stats
        stats.momentum_scored += 1
        r1, r5, volume_1m, volume_5m = w.momentum_inputs(60, 300)
        mom = momentum_of(r1, r5, volume_1m, volume_5m, w.return_mean, w.return_var, p)
        # LiquidityQuality = liq + impact + depth terms, each <= 1; the depth term is bounded
        # cheaply (no square root, no SOL price), the other two at 1.
        depth_term = depth_1pct_upper_lamports(st) / p.depth_full_lamports
        lq_bound = 2.0 + (depth_term if depth_term < 1.0 else 1.0)
        if base + p.weight_momentum * mom + w_liq * lq_bound < floor:
            return None
        stats.liquidity_scored += 1
        liq = liquidity(st, p.impact_size_lamports, self._sol_usd())
        lq = liquidity_quality(liq.usd, liq.impact_pct, liq.depth_lamports, p)
        strength = combine(sb, mom, lq, risk.score, p)
        if strength < threshold:
            return None
        z1, z5 = z_scores(r1, r5, w.return_mean, w.return_var, p.momentum_sigma_floor)
        accel = volume_accel(volume_1m, volume_5m)
        ctx = RuleContext(
            now, w, self._smart, st.risk, st.on_curve, liq.usd, partial(price_impact_pct, st)
        )
        results = tuple(rule.evaluate(ctx) for rule in p.rules)
        if any(
            rule.required and not res.fired for rule, res in zip(p.rules, results, strict=True)
        ):
            return None
        reason = (
            SignalReason.FIRST
            if last is None
            else SignalReason.NEW_BURST
            if new_burst
            else SignalReason.RISE
        )
        st.last_emitted = strength
        st.sequence += 1
        self.stats.signals += 1
        metrics.SIGNALS_EMITTED.labels(reason.value).inc()
        per_wallet: dict[str, int] = {}
        for wallet, lamports in w.smart_buys(sw):
            per_wallet[wallet] = per_wallet.get(wallet, 0) + lamports
        smart_list = tuple(
            (wallet, lamports / LAMPORTS_PER_SOL)
            for wallet, lamports in sorted(per_wallet.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        sigma = math.sqrt(max(w.return_var, p.momentum_sigma_floor**2))
        inputs = {
            "smart_sol": smart_lamports / LAMPORTS_PER_SOL,
            "smart_buyers": float(smart_buyers),
            "smart_window_s": float(sw),
            "smart_k": p.smart_k,
            "return_1m": r1,
            "return_5m": r5,
            "z_1m": z1,
            "z_5m": z5,
            "ewma_mean": w.return_mean,
            "ewma_std": sigma,
            "volume_1m_sol": w.volume_lamports(60) / LAMPORTS_PER_SOL,
            "volume_5m_sol": w.volume_lamports(300) / LAMPORTS_PER_SOL,
            "volume_accel": accel,
            "buys_1m": float(w.buys(60)),
            "sells_1m": float(w.sells(60)),
            "buys_5m": float(w.buys(300)),
            "sells_5m": float(w.sells(300)),
            "net_flow_5m_sol": w.net_flow_lamports(300) / LAMPORTS_PER_SOL,
            "unique_buyers_5m": float(w.unique_buyers(300)),
            "price_sol": w.last_price,
            "liquidity_usd": liq.usd,
            "sol_usd": liq.sol_usd,
            "impact_pct": liq.impact_pct,
            "impact_size_sol": p.impact_size_lamports / LAMPORTS_PER_SOL,
            "depth_1pct_sol": liq.depth_lamports / LAMPORTS_PER_SOL,
            "on_curve": 1.0 if st.on_curve else 0.0,
        }
        return Signal(
            mint=st.mint,
            at=now,
            sequence=st.sequence,
            reason=reason,
            strength=strength,
            components={SMART_BURST: sb, MOMENTUM: mom, LIQUIDITY: lq, RISK: risk.score},
            weights={
                SMART_BURST: p.weight_smart_burst,
                MOMENTUM: p.weight_momentum,
                LIQUIDITY: p.weight_liquidity,
                RISK: p.weight_risk,
            },
            inputs=inputs,
            rules_fired=tuple(r.name for r in results if r.fired),
            rule_results=results,
            risk_badges=risk.badges,
            risk_penalties=risk.penalties,
            smart_buyers=smart_list,
        )
