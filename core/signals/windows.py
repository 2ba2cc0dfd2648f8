"""Per-mint sliding windows over trades, updated in O(1) amortised per event.

A ``MintWindows`` keeps, for the last ``MAX_WINDOW_S`` seconds of one mint:

- one *bucket* per second that had trades, in parallel ``array`` columns (8 bytes a value, no
  object per bucket): its second, its last price, and the running totals of buys, sells, SOL in
  and SOL out *through* that bucket (prefix sums since the aggregate started);
- a *buyer log*: one entry each time a wallet's last-buy second changes, and ``last_buy``
  (wallet -> last second it bought);
- a *smart log*: every buy by a tracked wallet (second, wallet, lamports, and whether the entry
  moved that wallet's last-smart-buy second).

Each tracked window length ``w`` has a start index into each log. A window's sum is the running
total minus what left it: the prefix sums of the bucket just before its start (or of the last
bucket compacted away). Advancing the clock moves the start indexes past entries with
``second <= now - w`` (the smart log also subtracts what leaves, and both logs count unique
buyers out), so every entry is passed once per window: O(windows) amortised per event. Every log
entry has a bucket at its second, so a window none of whose buckets left needs no other test.
A window covers the seconds ``(now - w, now]``.

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

import math
from array import array
from collections.abc import Iterable

MAX_WINDOW_S = 900
_MAX_QUIET_MINUTES = 30
_COMPACT_MIN = 64


class MintWindows:
    """Sliding-window aggregates of one mint. Times are unix seconds; money is lamports."""

    __slots__ = (
        "_b_close", "_b_sec", "_b_start", "_base_buys", "_base_close", "_base_in", "_base_out",
        "_base_sells", "_buys", "_c_buys", "_c_in", "_c_out", "_c_sells", "_cur_minute",
        "_first_price", "_gone_smart_sol", "_idx", "_last_buy", "_last_smart", "_lengths",
        "_minute_close", "_prev_minute_close", "_s_first", "_s_lamports", "_s_sec", "_s_start",
        "_s_wallet", "_sells", "_smart_sol", "_smart_uniq", "_sol_in", "_sol_out", "_u_sec",
        "_u_start", "_u_wallet", "_uniq", "_uniq_all", "alpha", "last_price", "now", "return_mean",
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
        self._b_close = array("d")
        # Prefix sums through each bucket (the running totals right after its last trade).
        self._c_buys = array("q")
        self._c_sells = array("q")
        self._c_in = array("q")
        self._c_out = array("q")
        self._first_price: float | None = None  # the reference of a window nothing has left yet
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
        # Running totals since the aggregate started; a window's sum is the total minus what left
        # it: for buckets, the prefix sums of the newest bucket that left it (the one before its
        # start), or the base (those of the last bucket compacted away) when that is gone too.
        self._buys = self._sells = self._sol_in = self._sol_out = self._smart_sol = 0
        self._base_buys = self._base_sells = self._base_in = self._base_out = 0
        self._base_close: float | None = None  # None: no bucket compacted away
        self._gone_smart_sol = [0] * n
        # Unique buyers of window i: _uniq_all (buyers that entered every window) + _uniq[i].
        self._uniq_all = 0
        self._uniq = [0] * n
        self._smart_uniq = [0] * n

    @property
    def lengths_s(self) -> tuple[int, ...]:
        return self._lengths

    # -- clock ---------------------------------------------------------------------------------

    def advance(self, now: int) -> bool:
        """Move the clock to ``now`` (never backwards) and drop what left each window.

        True when something left a window (so window values may have changed).
        """
        if now <= self.now:
            return False
        self.now = now
        changed = False
        b_sec = self._b_sec
        u_sec = self._u_sec
        s_sec = self._s_sec
        nb = len(b_sec)
        nu = len(u_sec)
        ns = len(s_sec)
        b_start = self._b_start
        u_start = self._u_start
        s_start = self._s_start
        last = len(b_start) - 1
        for i, length in enumerate(self._lengths):
            cutoff = now - length
            j = b_start[i]
            # Every buyer / smart entry has a bucket at its second, so nothing left the window
            # unless its oldest bucket did: one test per window on most calls.
            if j >= nb or b_sec[j] > cutoff:
                continue
            changed = True
            j += 1
            while j < nb and b_sec[j] <= cutoff:
                j += 1
            b_start[i] = j
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
            if i == last:  # entries only die when they leave the longest window
                kb, ku, ks = b_start[last], u_start[last], s_start[last]
                if (
                    (kb >= _COMPACT_MIN and 2 * kb >= nb)
                    or (ku >= _COMPACT_MIN and 2 * ku >= nu)
                    or (ks >= _COMPACT_MIN and 2 * ks >= ns)
                ):
                    self._compact()
        return changed

    def next_change_s(self) -> float:
        """The first clock time at which something leaves a window (``math.inf``: never, no
        trade is kept): advancing to an earlier time changes nothing."""
        b_sec = self._b_sec
        nb = len(b_sec)
        first = math.inf
        for start, length in zip(self._b_start, self._lengths, strict=True):
            if start < nb:
                at = b_sec[start] + length
                if at < first:
                    first = at
        return first

    def _compact(self) -> None:
        """Forget entries that left the longest window once they are half of a log."""
        last = len(self._lengths) - 1
        k = self._b_start[last]
        if k >= _COMPACT_MIN and 2 * k >= len(self._b_sec):
            # Prefix sums stay absolute: the last bucket dropped is the base of what remains.
            k1 = k - 1
            self._base_buys, self._base_sells = self._c_buys[k1], self._c_sells[k1]
            self._base_in, self._base_out = self._c_in[k1], self._c_out[k1]
            self._base_close = self._b_close[k1]
            for col in (
                self._b_sec,
                self._b_close,
                self._c_buys,
                self._c_sells,
                self._c_in,
                self._c_out,
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
        self.last_price = price_sol
        if is_buy:
            self._buys += 1
            self._sol_in += sol_lamports
        else:
            self._sells += 1
            self._sol_out += sol_lamports
        b_sec = self._b_sec
        if b_sec and b_sec[-1] == second:  # the second's bucket: its prefix sums move up
            self._b_close[-1] = price_sol
            if is_buy:
                self._c_buys[-1] = self._buys
                self._c_in[-1] = self._sol_in
            else:
                self._c_sells[-1] = self._sells
                self._c_out[-1] = self._sol_out
        else:
            if self._first_price is None:
                self._first_price = price_sol
            b_sec.append(second)
            self._b_close.append(price_sol)
            self._c_buys.append(self._buys)
            self._c_sells.append(self._sells)
            self._c_in.append(self._sol_in)
            self._c_out.append(self._sol_out)
        if is_buy:
            last_buy = self._last_buy
            prev = last_buy.get(wallet)
            if prev != second:
                last_buy[wallet] = second
                self._u_wallet.append(wallet)
                self._u_sec.append(second)
                lengths = self._lengths
                if prev is None or second - prev >= lengths[-1]:
                    self._uniq_all += 1  # a new buyer, or one back after every window
                else:
                    gap = second - prev
                    uniq = self._uniq
                    # lengths ascend: the buyer re-enters each window no longer than the gap
                    for i, length in enumerate(lengths):
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
        # Buckets: only those still in the longest window are kept; the last one dropped is the
        # base of what remains (prefix sums are absolute, so the totals stay as they are).
        kb = self._b_start[-1]
        if kb > 0:
            k1 = kb - 1
            self._base_buys, self._base_sells = self._c_buys[k1], self._c_sells[k1]
            self._base_in, self._base_out = self._c_in[k1], self._c_out[k1]
            self._base_close = self._b_close[k1]
        base = (self._base_buys, self._base_sells, self._base_in, self._base_out, self._base_close)
        totals = (self._buys, self._sells, self._sol_in, self._sol_out)
        b_sec, b_close = self._b_sec[kb:], self._b_close[kb:]
        c_buys, c_sells, c_in, c_out = (
            self._c_buys[kb:],
            self._c_sells[kb:],
            self._c_in[kb:],
            self._c_out[kb:],
        )
        buyers = list(zip(self._u_sec, self._u_wallet, strict=True))[self._u_start[-1] :]
        smart = list(
            zip(self._s_sec, self._s_wallet, self._s_lamports, self._s_first, strict=True)
        )[self._s_start[-1] :]
        self._lengths = lengths
        self._idx = {w: i for i, w in enumerate(lengths)}
        self._reset_sums()
        self._buys, self._sells, self._sol_in, self._sol_out = totals
        self._base_buys, self._base_sells, self._base_in, self._base_out, self._base_close = base
        self._smart_sol = sum(e[2] for e in smart)
        now = self.now
        # Logs keep only MAX_WINDOW_S seconds, so a longer window than before starts partial.
        for i, w in enumerate(lengths):
            cutoff = now - w
            start = next((j for j, sec in enumerate(b_sec) if sec > cutoff), len(b_sec))
            self._b_start[i] = start
            u_start = next((j for j, e in enumerate(buyers) if e[0] > cutoff), len(buyers))
            self._u_start[i] = u_start
            self._uniq[i] = sum(1 for s, wal in buyers[u_start:] if self._last_buy[wal] == s)
            s_start = next((j for j, e in enumerate(smart) if e[0] > cutoff), len(smart))
            self._s_start[i] = s_start
            self._gone_smart_sol[i] = sum(e[2] for e in smart[:s_start])
            for s, wal, _, first in smart[s_start:]:
                if first and self._last_smart[wal] == s:
                    self._smart_uniq[i] += 1
        self._b_sec, self._b_close = b_sec, b_close
        self._c_buys, self._c_sells, self._c_in, self._c_out = c_buys, c_sells, c_in, c_out
        self._u_sec = array("q", (e[0] for e in buyers))
        self._u_wallet = [e[1] for e in buyers]
        self._s_sec = array("q", (e[0] for e in smart))
        self._s_wallet = [e[1] for e in smart]
        self._s_lamports = array("q", (e[2] for e in smart))
        self._s_first = array("b", (e[3] for e in smart))

    # -- reads (window_s must be one of the tracked lengths) -----------------------------------

    def _gone(self, i: int) -> tuple[int, int, int, int]:
        """(buys, sells, SOL in, SOL out) that left window ``i``."""
        k = self._b_start[i] - 1
        if k < 0:
            return self._base_buys, self._base_sells, self._base_in, self._base_out
        return self._c_buys[k], self._c_sells[k], self._c_in[k], self._c_out[k]

    def buys(self, window_s: int) -> int:
        return self._buys - self._gone(self._idx[window_s])[0]

    def sells(self, window_s: int) -> int:
        return self._sells - self._gone(self._idx[window_s])[1]

    def sol_in_lamports(self, window_s: int) -> int:
        return self._sol_in - self._gone(self._idx[window_s])[2]

    def sol_out_lamports(self, window_s: int) -> int:
        return self._sol_out - self._gone(self._idx[window_s])[3]

    def net_flow_lamports(self, window_s: int) -> int:
        _, _, gone_in, gone_out = self._gone(self._idx[window_s])
        return (self._sol_in - gone_in) - (self._sol_out - gone_out)

    def volume_lamports(self, window_s: int) -> int:
        _, _, gone_in, gone_out = self._gone(self._idx[window_s])
        return (self._sol_in - gone_in) + (self._sol_out - gone_out)

    def unique_buyers(self, window_s: int) -> int:
        return self._uniq_all + self._uniq[self._idx[window_s]]

    def unique_smart_buyers(self, window_s: int) -> int:
        return self._smart_uniq[self._idx[window_s]]

    def smart_sol_lamports(self, window_s: int) -> int:
        return self._smart_sol - self._gone_smart_sol[self._idx[window_s]]

    def return_pct(self, window_s: int) -> float:
        """Relative price change over the window (0.18 = +18 %); 0.0 before any trade."""
        return self._return_at(self._idx[window_s])

    def _return_at(self, i: int) -> float:
        # The reference: the last price of the newest bucket that left the window.
        k = self._b_start[i] - 1
        ref = self._b_close[k] if k >= 0 else self._base_close
        if ref is None:  # nothing left the window yet: the first price seen (None: no trade)
            ref = self._first_price
            if ref is None:
                return 0.0
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
        volume = self._sol_in + self._sol_out
        _, _, gone_in, gone_out = self._gone(i)
        volume_short = volume - gone_in - gone_out
        _, _, gone_in, gone_out = self._gone(j)
        volume_long = volume - gone_in - gone_out
        return self._return_at(i), self._return_at(j), volume_short, volume_long

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
