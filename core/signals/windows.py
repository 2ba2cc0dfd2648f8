"""Per-mint sliding windows over trades, updated in O(1) amortised per event.

A ``MintWindows`` keeps, for the last ``MAX_WINDOW_S`` seconds of one mint:

- one *bucket* per second that had trades (buys, sells, SOL in, SOL out, first and last price),
  in parallel ``array`` columns (8 bytes a value, no object per bucket);
- a *buyer log*: one entry each time a wallet's last-buy second changes, and ``last_buy``
  (wallet -> last second it bought);
- a *smart log*: every buy by a tracked wallet (second, wallet, lamports, and whether the entry
  moved that wallet's last-smart-buy second).

Each tracked window length ``w`` has a start index into each log and running sums. Advancing the
clock moves the start indexes past entries with ``second <= now - w`` and subtracts them, so every
entry is added once and removed once per window: O(windows) amortised per event. A window covers
the seconds ``(now - w, now]``.

Unique counts are exact: a wallet counts in window ``w`` while its *last* buy second is inside it.
Adding a buy increments the count only when the wallet's previous last buy had left the window; an
entry leaving the window decrements the count only when it still is that wallet's last buy. When
an entry leaves the longest window it also leaves ``last_buy``, so memory is bounded by the
activity of the last ``MAX_WINDOW_S`` seconds (logs are compacted when half of them is dead).

Returns: ``return_pct(w)`` compares the last price with the price at the start of the window (the
last price of the newest bucket that left it; or, for a mint younger than the window, the first
price seen). Prices are post-trade prices as trades report them.

Per-minute returns feed an EWMA mean and variance (``alpha``): when a trade opens a new minute,
the closed minute's return (its last price over the previous minute's last price) is folded in,
then one zero return per skipped quiet minute (at most ``_MAX_QUIET_MINUTES``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

MAX_WINDOW_S = 900
_MAX_QUIET_MINUTES = 30
_COMPACT_MIN = 64


class MintWindows:
    """Sliding-window aggregates of one mint. Times are unix seconds; money is lamports."""

    __slots__ = (
        "_b_buys", "_b_close", "_b_in", "_b_open", "_b_out", "_b_sec", "_b_sells", "_b_start",
        "_buys", "_cur_minute", "_gone_buys", "_gone_in", "_gone_out", "_gone_sells",
        "_gone_smart_sol", "_idx", "_last_buy", "_last_smart", "_lengths", "_minute_close",
        "_prev_minute_close", "_ref_price", "_s_first", "_s_lamports", "_s_sec", "_s_start",
        "_s_wallet", "_sells", "_smart_sol", "_smart_uniq", "_sol_in", "_sol_out", "_u_sec",
        "_u_start", "_u_wallet", "_uniq", "alpha", "last_price", "now", "return_mean",
        "return_samples", "return_var",
    )  # fmt: skip

    def __init__(self, window_lengths_s: Iterable[int], alpha: float = 0.2) -> None:
        lengths = tuple(sorted(set(window_lengths_s)))
        if not lengths or lengths[0] < 1 or lengths[-1] > MAX_WINDOW_S:
            raise ValueError(f"window lengths must be in [1, {MAX_WINDOW_S}] s, got {lengths}")
        self._lengths = lengths
        self._idx = {w: i for i, w in enumerate(lengths)}
        self.alpha = alpha
        self.now = -1
        self.last_price = 0.0
        self._b_sec = array("q")
        self._b_buys = array("q")
        self._b_sells = array("q")
        self._b_in = array("q")
        self._b_out = array("q")
        self._b_open = array("d")
        self._b_close = array("d")
        self._last_buy: dict[str, int] = {}
        self._u_wallet: list[str] = []
        self._u_sec = array("q")
        self._last_smart: dict[str, int] = {}
        self._s_wallet: list[str] = []
        self._s_sec = array("q")
        self._s_lamports = array("q")
        self._s_first = array("b")
        self._reset_sums()
        self._cur_minute = -1
        self._minute_close = 0.0
        self._prev_minute_close = 0.0
        self.return_mean = 0.0
        self.return_var = 0.0
        self.return_samples = 0

    def _reset_sums(self) -> None:
        n = len(self._lengths)
        self._b_start = [0] * n
        self._u_start = [0] * n
        self._s_start = [0] * n
        # Running totals of everything kept; a window's sum is the total minus what left it.
        self._buys = self._sells = self._sol_in = self._sol_out = self._smart_sol = 0
        self._gone_buys = [0] * n
        self._gone_sells = [0] * n
        self._gone_in = [0] * n
        self._gone_out = [0] * n
        self._gone_smart_sol = [0] * n
        self._uniq = [0] * n
        self._smart_uniq = [0] * n
        self._ref_price: list[float | None] = [None] * n

    @property
    def lengths_s(self) -> tuple[int, ...]:
        return self._lengths

    # -- clock ---------------------------------------------------------------------------------

    def advance(self, now: int) -> None:
        """Move the clock to ``now`` (never backwards) and drop what left each window."""
        if now <= self.now:
            return
        self.now = now
        lengths = self._lengths
        last = len(lengths) - 1
        b_sec = self._b_sec
        u_sec = self._u_sec
        s_sec = self._s_sec
        nb = len(b_sec)
        nu = len(u_sec)
        ns = len(s_sec)
        b_start = self._b_start
        u_start = self._u_start
        s_start = self._s_start
        for i in range(last + 1):
            cutoff = now - lengths[i]
            j = b_start[i]
            if j < nb and b_sec[j] <= cutoff:
                b_buys, b_sells, b_in, b_out = self._b_buys, self._b_sells, self._b_in, self._b_out
                buys = sells = sol_in = sol_out = 0
                while j < nb and b_sec[j] <= cutoff:
                    buys += b_buys[j]
                    sells += b_sells[j]
                    sol_in += b_in[j]
                    sol_out += b_out[j]
                    j += 1
                self._ref_price[i] = self._b_close[j - 1]
                b_start[i] = j
                self._gone_buys[i] += buys
                self._gone_sells[i] += sells
                self._gone_in[i] += sol_in
                self._gone_out[i] += sol_out
            j = u_start[i]
            if j < nu and u_sec[j] <= cutoff:
                last_buy = self._last_buy
                u_wallet = self._u_wallet
                gone = 0
                while j < nu and u_sec[j] <= cutoff:
                    wallet = u_wallet[j]
                    if last_buy[wallet] == u_sec[j]:
                        gone += 1
                        if i == last:
                            del last_buy[wallet]
                    j += 1
                self._uniq[i] -= gone
                u_start[i] = j
            j = s_start[i]
            if j < ns and s_sec[j] <= cutoff:
                last_smart = self._last_smart
                s_lamports = self._s_lamports
                s_first = self._s_first
                s_wallet = self._s_wallet
                gone = 0
                lamports = 0
                while j < ns and s_sec[j] <= cutoff:
                    lamports += s_lamports[j]
                    if s_first[j]:
                        wallet = s_wallet[j]
                        if last_smart[wallet] == s_sec[j]:
                            gone += 1
                            if i == last:
                                del last_smart[wallet]
                    j += 1
                self._smart_uniq[i] -= gone
                self._gone_smart_sol[i] += lamports
                s_start[i] = j
        kb, ku, ks = b_start[last], u_start[last], s_start[last]
        if (
            (kb >= _COMPACT_MIN and 2 * kb >= nb)
            or (ku >= _COMPACT_MIN and 2 * ku >= nu)
            or (ks >= _COMPACT_MIN and 2 * ks >= ns)
        ):
            self._compact()

    def _compact(self) -> None:
        """Forget entries that left the longest window once they are half of a log."""
        last = len(self._lengths) - 1
        k = self._b_start[last]
        if k >= _COMPACT_MIN and 2 * k >= len(self._b_sec):
            for col in (
                self._b_sec,
                self._b_buys,
                self._b_sells,
                self._b_in,
                self._b_out,
                self._b_open,
                self._b_close,
            ):
                del col[:k]
            self._b_start = [j - k for j in self._b_start]
        k = self._u_start[last]
        if k >= _COMPACT_MIN and 2 * k >= len(self._u_sec):
            del self._u_wallet[:k]
            del self._u_sec[:k]
            self._u_start = [j - k for j in self._u_start]
        k = self._s_start[last]
        if k >= _COMPACT_MIN and 2 * k >= len(self._s_sec):
            del self._s_wallet[:k]
            del self._s_sec[:k]
            del self._s_lamports[:k]
            del self._s_first[:k]
            self._s_start = [j - k for j in self._s_start]

    # -- events --------------------------------------------------------------------------------

    def add_trade(
        self,
        second: int,
        wallet: str,
        is_buy: bool,
        sol_lamports: int,
        price_sol: float,
        smart: bool = False,
    ) -> int:
        """Add one trade; returns the second it was counted at.

        A trade older than the window clock (late arrival) is counted at the current second.
        Hot path: O(1) but for the unique-buyer counts (windows the buyer re-enters).
        """
        now = self.now
        if second < now:
            second = now
        elif second > now:
            self.advance(second)
        if second // 60 != self._cur_minute:
            self._fold_minute(second, price_sol)
        else:
            self._minute_close = price_sol
        b_sec = self._b_sec
        new_bucket = not b_sec or b_sec[-1] != second
        if new_bucket:
            b_sec.append(second)
            self._b_open.append(price_sol)
            self._b_close.append(price_sol)
        else:
            self._b_close[-1] = price_sol
        self.last_price = price_sol
        if is_buy:
            if new_bucket:
                self._b_buys.append(1)
                self._b_sells.append(0)
                self._b_in.append(sol_lamports)
                self._b_out.append(0)
            else:
                self._b_buys[-1] += 1
                self._b_in[-1] += sol_lamports
            self._buys += 1
            self._sol_in += sol_lamports
            last_buy = self._last_buy
            prev = last_buy.get(wallet)
            if prev != second:
                last_buy[wallet] = second
                self._u_wallet.append(wallet)
                self._u_sec.append(second)
                uniq = self._uniq
                if prev is None:
                    for i in range(len(uniq)):
                        uniq[i] += 1
                else:
                    gap = second - prev
                    # lengths ascend: the buyer re-enters each window no longer than the gap
                    for i, length in enumerate(self._lengths):
                        if length > gap:
                            break
                        uniq[i] += 1
            if smart:
                last_smart = self._last_smart
                prev = last_smart.get(wallet)
                first = prev != second
                if first:
                    last_smart[wallet] = second
                    smart_uniq = self._smart_uniq
                    if prev is None:
                        for i in range(len(smart_uniq)):
                            smart_uniq[i] += 1
                    else:
                        gap = second - prev
                        for i, length in enumerate(self._lengths):
                            if length > gap:
                                break
                            smart_uniq[i] += 1
                self._s_wallet.append(wallet)
                self._s_sec.append(second)
                self._s_lamports.append(sol_lamports)
                self._s_first.append(1 if first else 0)
                self._smart_sol += sol_lamports
        else:
            if new_bucket:
                self._b_buys.append(0)
                self._b_sells.append(1)
                self._b_in.append(0)
                self._b_out.append(sol_lamports)
            else:
                self._b_sells[-1] += 1
                self._b_out[-1] += sol_lamports
            self._sells += 1
            self._sol_out += sol_lamports
        return second

    def _fold_minute(self, second: int, price_sol: float) -> None:
        minute = second // 60
        if minute != self._cur_minute:
            if self._cur_minute < 0:
                self._prev_minute_close = price_sol
            else:
                prev = self._prev_minute_close
                self._fold_return(self._minute_close / prev - 1.0 if prev > 0 else 0.0)
                for _ in range(min(minute - self._cur_minute - 1, _MAX_QUIET_MINUTES)):
                    self._fold_return(0.0)
                self._prev_minute_close = self._minute_close
            self._cur_minute = minute
        self._minute_close = price_sol

    def _fold_return(self, r: float) -> None:
        a = self.alpha
        delta = r - self.return_mean
        self.return_mean += a * delta
        self.return_var = (1.0 - a) * (self.return_var + a * delta * delta)
        self.return_samples += 1

    def set_lengths(self, window_lengths_s: Iterable[int]) -> None:
        """Track other window lengths: rebuild every window's sums from the kept logs."""
        lengths = tuple(sorted(set(window_lengths_s)))
        if not lengths or lengths[0] < 1 or lengths[-1] > MAX_WINDOW_S:
            raise ValueError(f"window lengths must be in [1, {MAX_WINDOW_S}] s, got {lengths}")
        if lengths == self._lengths:
            return
        buckets = list(
            zip(
                self._b_sec,
                self._b_buys,
                self._b_sells,
                self._b_in,
                self._b_out,
                self._b_open,
                self._b_close,
                strict=True,
            )
        )
        live_b = buckets[self._b_start[-1] :]
        ref_oldest = self._ref_price[-1]
        buyers = list(zip(self._u_sec, self._u_wallet, strict=True))[self._u_start[-1] :]
        smart = list(
            zip(self._s_sec, self._s_wallet, self._s_lamports, self._s_first, strict=True)
        )[self._s_start[-1] :]
        self._lengths = lengths
        self._idx = {w: i for i, w in enumerate(lengths)}
        self._reset_sums()
        self._buys = sum(b[1] for b in live_b)
        self._sells = sum(b[2] for b in live_b)
        self._sol_in = sum(b[3] for b in live_b)
        self._sol_out = sum(b[4] for b in live_b)
        self._smart_sol = sum(e[2] for e in smart)
        now = self.now
        # Logs keep only MAX_WINDOW_S seconds, so a longer window than before starts partial.
        for i, w in enumerate(lengths):
            cutoff = now - w
            start = next((j for j, b in enumerate(live_b) if b[0] > cutoff), len(live_b))
            self._b_start[i] = start
            self._ref_price[i] = live_b[start - 1][6] if start > 0 else ref_oldest
            for b in live_b[:start]:
                self._gone_buys[i] += b[1]
                self._gone_sells[i] += b[2]
                self._gone_in[i] += b[3]
                self._gone_out[i] += b[4]
            u_start = next((j for j, e in enumerate(buyers) if e[0] > cutoff), len(buyers))
            self._u_start[i] = u_start
            self._uniq[i] = sum(1 for s, wal in buyers[u_start:] if self._last_buy[wal] == s)
            s_start = next((j for j, e in enumerate(smart) if e[0] > cutoff), len(smart))
            self._s_start[i] = s_start
            self._gone_smart_sol[i] = sum(e[2] for e in smart[:s_start])
            for s, wal, _, first in smart[s_start:]:
                if first and self._last_smart[wal] == s:
                    self._smart_uniq[i] += 1
        self._b_sec = array("q", (b[0] for b in live_b))
        self._b_buys = array("q", (b[1] for b in live_b))
        self._b_sells = array("q", (b[2] for b in live_b))
        self._b_in = array("q", (b[3] for b in live_b))
        self._b_out = array("q", (b[4] for b in live_b))
        self._b_open = array("d", (b[5] for b in live_b))
        self._b_close = array("d", (b[6] for b in live_b))
        self._u_sec = array("q", (e[0] for e in buyers))
        self._u_wallet = [e[1] for e in buyers]
        self._s_sec = array("q", (e[0] for e in smart))
        self._s_wallet = [e[1] for e in smart]
        self._s_lamports = array("q", (e[2] for e in smart))
        self._s_first = array("b", (e[3] for e in smart))

    # -- reads (window_s must be one of the tracked lengths) -----------------------------------

    def buys(self, window_s: int) -> int:
        return self._buys - self._gone_buys[self._idx[window_s]]

    def sells(self, window_s: int) -> int:
        return self._sells - self._gone_sells[self._idx[window_s]]

    def sol_in_lamports(self, window_s: int) -> int:
        return self._sol_in - self._gone_in[self._idx[window_s]]

    def sol_out_lamports(self, window_s: int) -> int:
        return self._sol_out - self._gone_out[self._idx[window_s]]

    def net_flow_lamports(self, window_s: int) -> int:
        i = self._idx[window_s]
        return (self._sol_in - self._gone_in[i]) - (self._sol_out - self._gone_out[i])

    def volume_lamports(self, window_s: int) -> int:
        i = self._idx[window_s]
        return (self._sol_in - self._gone_in[i]) + (self._sol_out - self._gone_out[i])

    def unique_buyers(self, window_s: int) -> int:
        return self._uniq[self._idx[window_s]]

    def unique_smart_buyers(self, window_s: int) -> int:
        return self._smart_uniq[self._idx[window_s]]

    def smart_sol_lamports(self, window_s: int) -> int:
        return self._smart_sol - self._gone_smart_sol[self._idx[window_s]]

    def return_pct(self, window_s: int) -> float:
        """Relative price change over the window (0.18 = +18 %); 0.0 before any trade."""
        return self._return_at(self._idx[window_s])

    def _return_at(self, i: int) -> float:
        ref = self._ref_price[i]
        if ref is None:
            start = self._b_start[i]
            if start >= len(self._b_open):
                return 0.0
            ref = self._b_open[start]
        if ref <= 0.0:
            return 0.0
        return self.last_price / ref - 1.0

    def smart_totals(self, window_s: int) -> tuple[int, int]:
        """(unique smart buyers, smart SOL lamports) in one call (hot path)."""
        i = self._idx[window_s]
        return self._smart_uniq[i], self._smart_sol - self._gone_smart_sol[i]

    def momentum_inputs(self, short_s: int, long_s: int) -> tuple[float, float, int, int]:
        """(return short, return long, volume short, volume long) in one call (hot path)."""
        idx = self._idx
        i, j = idx[short_s], idx[long_s]
        ref_price = self._ref_price
        ref_i, ref_j = ref_price[i], ref_price[j]
        price = self.last_price
        return (
            # as _return_at, inlined when the reference price is known and positive
            price / ref_i - 1.0 if ref_i is not None and ref_i > 0.0 else self._return_at(i),
            price / ref_j - 1.0 if ref_j is not None and ref_j > 0.0 else self._return_at(j),
            (self._sol_in - self._gone_in[i]) + (self._sol_out - self._gone_out[i]),
            (self._sol_in - self._gone_in[j]) + (self._sol_out - self._gone_out[j]),
        )

    def smart_buys(self, window_s: int) -> list[tuple[str, int]]:
        """Every tracked-wallet buy with ``second > now - window_s`` (window_s <= MAX_WINDOW_S):
        (wallet, lamports), oldest first. O(smart buys kept); meant for emission, not per trade.
        """
        cutoff = self.now - window_s
        start = self._s_start[-1]
        s_sec = self._s_sec
        n = len(s_sec)
        while start < n and s_sec[start] <= cutoff:
            start += 1
        return list(zip(self._s_wallet[start:], self._s_lamports[start:], strict=True))

    def tracked_wallet_count(self) -> int:
        """Wallets currently remembered (bounded by the activity of the last MAX_WINDOW_S s)."""
        return len(self._last_buy) + len(self._last_smart)
