"""A user's alert settings: validated, with defaults, stored as JSON on the user row.

Trading is off by default and is not a setting a user flips here: it is enabled explicitly by
the trading flow with its own limits and confirmation (``core.trading.user_wallets``, the only
writer of ``trading_enabled``).

``watched_mints`` are the tokens the user follows (the signal card's Watch button), in the order
they were added, at most ``MAX_WATCHED_MINTS``. What it means for alerts (for the fan-out): the
signals and re-scores of a watched mint reach the user even when ``min_strength`` and the risk,
liquidity and tag filters would hold them back; ``alerts`` off and quiet hours still apply.
Settings stored before the field existed read as ().
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from solders.pubkey import Pubkey

from core.errors import Text, UserInputError

TAG = re.compile(r"^[a-z0-9_-]{1,24}$")
MAX_WATCHED_MINTS = 100


def _is_address(text: str) -> bool:
    try:
        return str(Pubkey.from_string(text)) == text
    except ValueError:
        return False


class SettingError(UserInputError):
    def __init__(self, name: str, problem: str | Text, allowed: str | Text) -> None:
        self.name = name
        self.allowed = str(allowed)
        super().__init__(
            "{name}: {problem} (allowed: {allowed})", name=name, problem=problem, allowed=allowed
        )


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Alerts are held (not sent) from ``start_hour`` to ``end_hour`` UTC; may wrap midnight."""

    start_hour: int
    end_hour: int

    def covers(self, hour_utc: int) -> bool:
        if self.start_hour == self.end_hour:
            return False
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour_utc < self.end_hour
        return hour_utc >= self.start_hour or hour_utc < self.end_hour


@dataclass(frozen=True, slots=True)
class UserSettings:
    alerts: bool = True
    min_strength: float = 1.5  # alerts below this Strength are not sent to this user
    no_mint: bool = False  # only tokens whose mint authority is renounced
    no_freeze: bool = False  # only tokens without a freeze authority
    top10_max_pct: float | None = None  # only tokens whose top 10 hold less than this
    min_liquidity_usd: float = 0.0
    tags: tuple[str, ...] = ()  # only signals with smart buyers carrying one of these tags
    quiet_hours: QuietHours | None = None
    trading_enabled: bool = False  # changed only by the trading flow, never by /settings
    watched_mints: tuple[str, ...] = ()  # tokens followed from a card's Watch button
    extra: dict[str, Any] = field(default_factory=dict)  # keys a newer version wrote

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_strength <= 3.0:
            raise SettingError("min_strength", f"{self.min_strength}", Text("0 to 3"))
        if self.top10_max_pct is not None and not 0.0 < self.top10_max_pct <= 100.0:
            raise SettingError(
                "top10_max_pct", f"{self.top10_max_pct}", Text("above 0, up to 100 (%)")
            )
        if self.min_liquidity_usd < 0:
            raise SettingError(
                "min_liquidity_usd", f"{self.min_liquidity_usd}", Text("0 or more (USD)")
            )
        for tag in self.tags:
            if not TAG.match(tag):
                raise SettingError(
                    "tags", repr(tag), Text("lowercase letters, digits, _ or -, 1-24")
                )
        if len(self.watched_mints) > MAX_WATCHED_MINTS:
            raise SettingError(
                "watched_mints",
                Text("{n} tokens", n=len(self.watched_mints)),
                Text("at most {max}; un-watch one first", max=MAX_WATCHED_MINTS),
            )
        if len(set(self.watched_mints)) != len(self.watched_mints):
            raise SettingError(
                "watched_mints", Text("a token is listed twice"), Text("each token once")
            )
        for mint in self.watched_mints:
            if not _is_address(mint):
                shown = mint if len(mint) <= 48 else mint[:45] + "..."
                raise SettingError(
                    "watched_mints",
                    Text("{mint} is not a token address", mint=repr(shown)),
                    Text("base58 mint addresses"),
                )
        if self.quiet_hours is not None:
            for hour in (self.quiet_hours.start_hour, self.quiet_hours.end_hour):
                if not 0 <= hour <= 23:
                    raise SettingError("quiet_hours", f"{hour}", Text("hours 0 to 23 (UTC)"))

    def to_dict(self) -> dict[str, Any]:
        out = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"
        }
        out["tags"] = list(self.tags)
        out["watched_mints"] = list(self.watched_mints)
        qh = self.quiet_hours
        out["quiet_hours"] = [qh.start_hour, qh.end_hour] if qh else None
        return {**self.extra, **out}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UserSettings:
        """Settings from stored JSON; unknown keys are kept (a newer version may have written
        them), missing ones take defaults."""
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        if "tags" in kwargs:
            kwargs["tags"] = tuple(kwargs["tags"])
        if "watched_mints" in kwargs:
            kwargs["watched_mints"] = tuple(kwargs["watched_mints"] or ())
        if kwargs.get("quiet_hours") is not None:
            start, end = kwargs["quiet_hours"]
            kwargs["quiet_hours"] = QuietHours(int(start), int(end))
        return cls(**kwargs, extra={k: v for k, v in data.items() if k not in known})

    def with_changes(self, **changes: Any) -> UserSettings:
        """A copy with user-editable fields changed and validated; trading stays as it is."""
        if "trading_enabled" in changes:
            raise SettingError(
                "trading_enabled",
                Text("cannot be changed in settings"),
                Text("use the trading set-up"),
            )
        unknown = set(changes) - ({f.name for f in dataclasses.fields(self)} - {"extra"})
        if unknown:
            raise SettingError(", ".join(sorted(unknown)), Text("unknown setting"), _EDITABLE)
        return dataclasses.replace(self, **changes)


_EDITABLE = (
    "alerts, min_strength, no_mint, no_freeze, top10_max_pct, min_liquidity_usd, tags,"
    " quiet_hours, watched_mints"
)
