"""Smart Activity alerts: the live side of the /activity table (``core.signals.activity``).

``ActivityDetector`` (pure: trades in, alerts out, event time) is fed the fills of tracked
wallets and keeps rolling windows of ``activity_window_s`` seconds: one over every mint
(*global*) and one per mint. A window covers ``[now - window_s, now]`` (both ends included, as
the /activity query does), ``now`` being the newest block time seen; fills older than that are
ignored.

**Trigger.** As the spec says ("sum of the smart *buys* in the window >= V_min"), a window
alerts when a buy brings its buy total from below V_min to V_min or more: per mint
``activity_v_min_lamports``, global ``activity_global_v_min_lamports`` (0 turns that scope
off). The alert carries the window's buy, sell and total (buy + sell) lamports, its wallets (most
lamports first) and the union of their tags.

**Once per crossing.** A window that alerted alerts again only after its buy total has fallen
below V_min (fills leaving the window) and crossed it again, and never within
``activity_cooldown_s`` of its previous alert: a crossing inside the cool-down is dropped
(counted in ``solsignals_activity_crossings_suppressed_total``) and the window must fall below
and cross again. A change of V_min applies from the next fill (a window already above the new
V_min does not alert until it falls below and crosses again).

Alerts go to the Redis stream ``activity.out`` as flat string fields
(``activity_alert_to_stream_fields``), for the chat fan-out.
"""

from __future__ import annotations

import bisect
import json
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge

from core.errors import DecodeError
from core.signals.params import SignalParams
from core.storage.records import TradeRecord

STREAM = "activity.out"
FORMAT_VERSION = 1
DECODE_KIND = "activity_alert"
GLOBAL = "global"
MINT = "mint"

ACTIVITY_ALERTS = Counter(
    "solsignals_activity_alerts_total",
    "Smart Activity alerts emitted (a window's smart buys crossed V_min), by scope",
    ["scope"],  # mint | global
)
ACTIVITY_SUPPRESSED = Counter(
    "solsignals_activity_crossings_suppressed_total",
    "V_min crossings dropped because the window alerted less than the cool-down ago, by scope",
    ["scope"],
)
ACTIVITY_WINDOWS = Gauge(
    "solsignals_activity_windows", "Per-mint Smart Activity windows held in memory"
)
ACTIVITY_PUBLISH_FAILURES = Counter(
    "solsignals_activity_publish_failures_total",
    "Smart Activity alerts that could not be published on the activity.out stream",
)


@dataclass(frozen=True, slots=True)
class ActivityAlert:
    at: int  # unix s: the end of the window (newest block time seen)
    mint: str | None  # None: every mint (global)
    window_s: int
    total_lamports: int  # buys + sells
    buy_lamports: int
    sell_lamports: int
    wallets: tuple[str, ...]  # in the window, most lamports traded first
    tags: tuple[str, ...]  # union of the wallets' tags, sorted


@dataclass(slots=True)
class _Window:
    fills: deque[tuple[int, str, bool, int]] = field(default_factory=deque)  # time order
    buy_lamports: int = 0
    sell_lamports: int = 0
    by_wallet: dict[str, list[int]] = field(default_factory=dict)  # wallet -> [fills, lamports]

    def add(self, at: int, wallet: str, is_buy: bool, lamports: int) -> None:
        fill = (at, wallet, is_buy, lamports)
        if self.fills and self.fills[-1][0] > at:  # late fill: keep time order
            self.fills.insert(bisect.bisect_right(self.fills, at, key=lambda f: f[0]), fill)
        else:
            self.fills.append(fill)
        if is_buy:
            self.buy_lamports += lamports
        else:
            self.sell_lamports += lamports
        counted = self.by_wallet.setdefault(wallet, [0, 0])
        counted[0] += 1
        counted[1] += lamports

    def expire(self, horizon: int) -> None:
        """Drop fills before ``horizon``."""
        fills = self.fills
        while fills and fills[0][0] < horizon:
            _at, wallet, is_buy, lamports = fills.popleft()
            if is_buy:
                self.buy_lamports -= lamports
            else:
                self.sell_lamports -= lamports
            counted = self.by_wallet[wallet]
            counted[0] -= 1
            counted[1] -= lamports
            if counted[0] == 0:
                del self.by_wallet[wallet]


@dataclass(slots=True)
class DetectorStats:
    fills: int = 0
    alerts: int = 0
    suppressed: int = 0


class ActivityDetector:
    """Rolling Smart Activity windows; ``on_trade`` returns the alerts a fill causes."""

    def __init__(self, params: SignalParams, wallets: Mapping[str, frozenset[str]]) -> None:
        self._params = params
        self.wallets = wallets  # tracked address -> tags
        self._global = _Window()
        self._mints: OrderedDict[str, _Window] = OrderedDict()  # least recently traded first
        self._last_alert: dict[str | None, int] = {}  # mint (None: global) -> last alert time
        self._now = 0
        self.stats = DetectorStats()

    def set_wallets(self, wallets: Mapping[str, frozenset[str]]) -> None:
        """The tracked wallets (address -> tags); fills already in the windows stay."""
        self.wallets = wallets

    def update_params(self, params: SignalParams) -> None:
        self._params = params

    @property
    def live_windows(self) -> int:
        return len(self._mints)

    def on_trade(self, trade: TradeRecord) -> list[ActivityAlert]:
        """Count a fill of a tracked wallet (others, and fills without a block time, are
        ignored)."""
        at = trade.block_time
        if not at or trade.trader not in self.wallets:
            return []
        p = self._params
        now = self._now = max(self._now, at)
        horizon = now - p.activity_window_s
        if at < horizon:
            return []
        self.stats.fills += 1
        window = self._mints.get(trade.mint)
        if window is None:
            window = self._mints[trade.mint] = _Window()
        else:
            self._mints.move_to_end(trade.mint)
        alerts: list[ActivityAlert] = []
        for mint, scope, v_min in (
            (trade.mint, window, p.activity_v_min_lamports),
            (None, self._global, p.activity_global_v_min_lamports),
        ):
            scope.expire(horizon)
            before = scope.buy_lamports
            scope.add(at, trade.trader, trade.is_buy, trade.sol_lamports)
            if v_min and before < v_min <= scope.buy_lamports:
                alert = self._crossed(mint, scope, now)
                if alert is not None:
                    alerts.append(alert)
        return alerts

    def expire(self, now: int) -> None:
        """Forget per-mint windows with no fill left at ``now`` (memory; call at each tick)."""
        self._now = max(self._now, now)
        p = self._params
        horizon = self._now - p.activity_window_s
        while self._mints:
            mint, window = next(iter(self._mints.items()))
            if window.fills and window.fills[-1][0] >= horizon:
                break
            del self._mints[mint]
        cooled = [k for k, t in self._last_alert.items() if self._now - t >= p.activity_cooldown_s]
        for key in cooled:
            del self._last_alert[key]
        ACTIVITY_WINDOWS.set(len(self._mints))

    def _crossed(self, mint: str | None, window: _Window, now: int) -> ActivityAlert | None:
        scope = MINT if mint is not None else GLOBAL
        last = self._last_alert.get(mint)
        if last is not None and now - last < self._params.activity_cooldown_s:
            self.stats.suppressed += 1
            ACTIVITY_SUPPRESSED.labels(scope).inc()
            return None
        self._last_alert[mint] = now
        self.stats.alerts += 1
        ACTIVITY_ALERTS.labels(scope).inc()
        ranked = sorted(window.by_wallet.items(), key=lambda kv: (-kv[1][1], kv[0]))
        tags: set[str] = set()
        for wallet, _counted in ranked:
            tags |= self.wallets.get(wallet, frozenset())
        return ActivityAlert(
            at=now,
            mint=mint,
            window_s=self._params.activity_window_s,
            total_lamports=window.buy_lamports + window.sell_lamports,
            buy_lamports=window.buy_lamports,
            sell_lamports=window.sell_lamports,
            wallets=tuple(wallet for wallet, _counted in ranked),
            tags=tuple(sorted(tags)),
        )


# ---- activity.out stream fields ----------------------------------------------------------------


def activity_alert_to_stream_fields(alert: ActivityAlert) -> dict[str, str]:
    """Flat string fields of one ``activity.out`` entry (``mint`` is "" for a global alert;
    ``wallets`` and ``tags`` are JSON arrays)."""
    return {
        "v": str(FORMAT_VERSION),
        "scope": MINT if alert.mint is not None else GLOBAL,
        "mint": alert.mint or "",
        "at": str(alert.at),
        "window_s": str(alert.window_s),
        "total_lamports": str(alert.total_lamports),
        "buy_lamports": str(alert.buy_lamports),
        "sell_lamports": str(alert.sell_lamports),
        "wallets": json.dumps(list(alert.wallets), separators=(",", ":")),
        "tags": json.dumps(list(alert.tags), separators=(",", ":")),
    }


def activity_alert_from_stream_fields(fields: Mapping[str | bytes, str | bytes]) -> ActivityAlert:
    """The alert of an ``activity.out`` entry; raises ``DecodeError`` when malformed."""
    text = {_text(k): _text(v) for k, v in fields.items()}
    version = text.get("v", str(FORMAT_VERSION))
    if version != str(FORMAT_VERSION):
        raise DecodeError(DECODE_KIND, f"unsupported activity alert format v={version!r}")
    try:
        scope = text["scope"]
        if scope not in (MINT, GLOBAL):
            raise DecodeError(DECODE_KIND, f"scope: expected mint or global, got {scope!r}")
        mint = text["mint"]
        if (scope == MINT) != bool(mint):
            raise DecodeError(DECODE_KIND, f"mint {mint!r} does not match scope {scope!r}")
        return ActivityAlert(
            at=_int(text["at"], "at"),
            mint=mint or None,
            window_s=_int(text["window_s"], "window_s"),
            total_lamports=_int(text["total_lamports"], "total_lamports"),
            buy_lamports=_int(text["buy_lamports"], "buy_lamports"),
            sell_lamports=_int(text["sell_lamports"], "sell_lamports"),
            wallets=_strings(text["wallets"], "wallets"),
            tags=_strings(text["tags"], "tags"),
        )
    except KeyError as exc:
        raise DecodeError(DECODE_KIND, f"missing field {exc.args[0]!r}") from exc


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _int(value: str, where: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise DecodeError(DECODE_KIND, f"{where}: expected an integer, got {value!r}") from exc
    if number < 0:
        raise DecodeError(DECODE_KIND, f"{where}: expected a non-negative integer, got {number}")
    return number


def _strings(value: str, where: str) -> tuple[str, ...]:
    try:
        data: Any = json.loads(value)
    except ValueError as exc:
        raise DecodeError(DECODE_KIND, f"{where}: invalid JSON: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise DecodeError(DECODE_KIND, f"{where}: expected a list of strings, got {value!r}")
    return tuple(data)
