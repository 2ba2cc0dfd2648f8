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
while an upper bound of Strength still reaches the emission threshold (missing components at 3,
then LiquidityQuality bounded from the reserves without quote maths or square root: first
whatever the SOL price, then at the current one); rules and the explanation are built only for a
signal that is emitted.

``tick(now)`` forgets mints idle for ``idle_ttl_s`` and is a re-score of every live mint at
``now`` (windows advanced, then scored), computed incrementally: only the mints whose score
could differ from their last one are scored (non-trade inputs changed, something left one of
their windows, or a higher SOL price than their last score used), the result being identical
(``tick(now, full=True)`` is the plain re-score, for reference). Memory is bounded by
``max_live_mints`` (least recently active forgotten first) and each mint's windows keep at most
``MAX_WINDOW_S`` seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from heapq import heappop, heappush

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
    liquidity,
    liquidity_bounds,
    liquidity_usd,
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
    tick_scored: int = 0  # mints re-scored by ticks (the others could not have changed)
    evicted_idle: int = 0
    evicted_cap: int = 0


def _price(sol_usd: float) -> float:
    """The SOL price as liquidity figures use it (not finite or not positive: 0)."""
    return sol_usd if 0.0 < sol_usd < math.inf else 0.0


def _hot_params(p: SignalParams) -> tuple[int, int, float, float, float, float, float, float]:
    """The parameters every trade reads, unpacked once per trade from one tuple."""
    return (
        p.smart_window_s,
        p.burst_min_wallets,
        p.min_strength,
        p.realert_step,
        p.weight_smart_burst,
        p.weight_momentum,
        p.weight_liquidity,
        p.weight_risk,
    )


class SignalEngine:
    def __init__(
        self,
        params: SignalParams,
        smart_wallets: Mapping[str, frozenset[str]],
        sol_usd: Callable[[], float],
    ) -> None:
        self._params = params
        self._hot = _hot_params(params)
        self._smart = smart_wallets
        self._sol_usd = sol_usd
        self._mints: dict[str, MintState] = {}  # order: least recently active first
        self._dirty: set[str] = set()  # non-trade inputs changed since the mint's last score
        self._now = 0
        # tick bookkeeping (see tick): how many ticks ran, the last one's time, a queue of
        # (time a mint's windows may change, mint) and the mints whose last score used the SOL
        # price (mint -> that price)
        self._ticks = 0
        self._tick_now = -1
        self._changes: list[tuple[float, str]] = []
        self._sol_dependent: dict[str, float] = {}
        self._first_window_s = min(params.window_lengths_s)
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
        self._hot = _hot_params(params)
        self._first_window_s = min(params.window_lengths_s)
        self._risk_without_report.clear()
        lengths = params.window_lengths_s
        for st in self._mints.values():
            self._sync_windows(st)  # rebuilt at the clock the last tick gave every mint
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
        if st is None:
            return None
        self._sync_windows(st)
        return st.windows

    # -- state -----------------------------------------------------------------------------------

    def _clock(self, t: int | None) -> int:
        if t is not None and t > self._now:
            self._now = t
        return self._now

    def _sync_windows(self, st: MintState) -> None:
        """Advance a mint's windows to the last tick's time if it was live then: a tick moves
        every live mint's window clock, lazily (see ``tick``)."""
        if st.born_tick < self._ticks:
            st.windows.advance(self._tick_now)

    def _touch(self, mint: str) -> MintState:
        """The mint's state, created if new, moved to the most-recently-active end."""
        st = self._mints.pop(mint, None)
        if st is None:
            p = self._params
            windows = MintWindows(p.window_lengths_s, p.momentum_ewma_alpha)
            st = MintState(mint, windows, self._now, self._ticks)
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
        self._sol_dependent.pop(mint, None)  # its queued window changes are dropped when due

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
        self._dirty.add(record.mint)  # creator known (risk), reserves: scored at the next tick

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
        elif t < self._tick_now and st.born_tick < self._ticks:
            t = self._tick_now  # the last tick moved this mint's window clock (lazily) to here
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
        # A new bucket leaves the shortest window first; only a mint whose windows held nothing
        # older (idle for a while, or new) moves its next window change earlier.
        change_s = second + self._first_window_s
        if change_s < st.pending_change_s:
            st.pending_change_s = change_s
            heappush(self._changes, (change_s, mint))
        return self._score(st, second)

    def tick(self, now: int, *, full: bool = False) -> list[Signal]:
        """Forget idle mints, then re-score every live mint at ``now``: the signals to emit.

        Only the mints whose score could differ from their last one are actually re-scored (the
        others would emit nothing and change nothing): those whose non-trade inputs changed
        (mint launch, risk report, pool, curve completion, parameters, tracked wallets), those
        with something leaving one of their windows by ``now`` (a queue ordered by that time),
        and those whose last score used a lower SOL price than now (Strength only grows with
        it). The others' window clocks move to ``now`` lazily (a late trade counts at ``now``).
        ``full=True`` re-scores every live mint, the reference the incremental tick equals.
        """
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
        mints = self._mints
        self._ticks += 1
        self._tick_now = now
        due = set(mints) if full else self._dirty
        queue = self._changes
        while queue and queue[0][0] <= now:
            at, mint = heappop(queue)
            queued = mints.get(mint)
            if queued is not None and queued.pending_change_s == at:  # else superseded, forgotten
                queued.pending_change_s = math.inf
                due.add(mint)
        if self._sol_dependent and not full:
            sol_usd = _price(self._sol_usd())
            due.update(m for m, used in self._sol_dependent.items() if _price(used) < sol_usd)
        signals = []
        p = self._params
        self.stats.tick_scored += len(due)
        for mint in sorted(due):
            st = mints[mint]
            w = st.windows
            w.advance(now)
            if st.burst_active and w.unique_smart_buyers(p.smart_window_s) < p.burst_min_wallets:
                st.burst_active = False
            # Re-scored even when nothing left its windows (a due queue entry can be early):
            # an unchanged score emits nothing and changes nothing.
            signal = self._score(st, max(now, w.now))
            if signal is not None:
                signals.append(signal)
            change_s = w.next_change_s()
            if change_s < st.pending_change_s:
                st.pending_change_s = change_s
                heappush(queue, (change_s, mint))
        self._dirty = set()
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

    def _unpriced(self, st: MintState) -> None:
        """The mint's last score did not depend on the SOL price (no signal whatever it is)."""
        if st.sol_usd_used is not None:
            st.sol_usd_used = None
            del self._sol_dependent[st.mint]

    def _score(self, st: MintState, now: int) -> Signal | None:
        p = self._params
        w = st.windows
        sw, burst_min_wallets, min_strength, realert_step, w_sb, w_mom, w_liq, w_risk = self._hot
        smart_buyers, smart_lamports = w.smart_totals(sw)
        burst_now = smart_buyers >= burst_min_wallets
        started = burst_now and not st.burst_active
        st.burst_active = burst_now
        last = st.last_emitted
        new_burst = started and last is not None
        threshold = min_strength if last is None or new_burst else last + realert_step
        risk = st.risk_cache or self._risk(st)
        cached_buyers, cached_lamports, sb = st.sb_cache
        if cached_buyers != smart_buyers or cached_lamports != smart_lamports:
            sb = smart_burst(smart_lamports, smart_buyers, p.smart_k)
            st.sb_cache = (smart_buyers, smart_lamports, sb)
        base = w_sb * sb + w_risk * risk.score
        # Upper bounds of Strength with the components not yet computed at their maximum (3):
        # below the threshold (with a margin for float rounding) nothing can be emitted.
        floor = threshold - _EPS
        if base + 3.0 * (w_mom + w_liq) < floor:
            if st.sol_usd_used is not None:
                self._unpriced(st)
            return None
        # LiquidityQuality is monotone in liquidity, impact and depth: bounded from a lower bound
        # of the impact and an upper bound of the depth (cheap), first with its liquidity term at
        # its most (whatever the SOL price), then from the exact liquidity, it rules most trades
        # out before Momentum, the dearer component, is computed.
        reserve, impact_lower, depth_upper = liquidity_bounds(st, p.impact_size_lamports)
        # impact and depth terms (liquidity 0 scores 0) plus the liquidity term at most (1); summed
        # in another order than liquidity_quality's: equal up to rounding, far below _EPS
        lq_bound = liquidity_quality(0.0, impact_lower, depth_upper, p) + (1.0 if reserve else 0.0)
        if base + 3.0 * w_mom + w_liq * lq_bound < floor:
            if st.sol_usd_used is not None:
                self._unpriced(st)
            return None
        sol_usd = self._sol_usd()
        if st.sol_usd_used != sol_usd:  # this score depends on the SOL price (see tick)
            st.sol_usd_used = sol_usd
            self._sol_dependent[st.mint] = sol_usd
        usd = liquidity_usd(reserve, sol_usd)
        lq_bound = liquidity_quality(usd, impact_lower, depth_upper, p)
        if base + 3.0 * w_mom + w_liq * lq_bound < floor:
            return None
        stats = self.stats
        stats.momentum_scored += 1
        r1, r5, volume_1m, volume_5m = w.momentum_inputs(60, 300)
        mom = momentum_of(r1, r5, volume_1m, volume_5m, w.return_mean, w.return_var, p)
        if base + w_mom * mom + w_liq * lq_bound < floor:
            return None
        stats.liquidity_scored += 1
        liq = liquidity(st, p.impact_size_lamports, sol_usd)
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
