"""A user's own trading limits: lower than the operator's ceilings, never above.

Stored in the user's settings as ``extra["trading"]`` (``max_trade_sol`` and
``daily_limit_sol`` as decimal strings, ``slippage_bps`` as an integer), which
``TradePolicy.from_settings`` reads. ``UserWallets.set_own_limit`` is the writer; this module
holds the pure part: the limits, the ceilings and the check that refuses a value above its
ceiling, naming the ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from core.errors import UserInputError
from core.programs import LAMPORTS_PER_SOL
from core.trading.policy import sol_to_lamports

if TYPE_CHECKING:
    from core.config import Settings
    from core.users.settings import UserSettings

EXTRA_KEY = "trading"


class OwnLimit(StrEnum):
    """The limits a user can set, named by their stored key."""

    MAX_TRADE = "max_trade_sol"
    DAILY = "daily_limit_sol"
    SLIPPAGE = "slippage_bps"


@dataclass(frozen=True, slots=True)
class Ceilings:
    """The operator's limits (``TRADING_*``): a user's own can only be lower."""

    max_trade_lamports: int
    daily_limit_lamports: int
    max_slippage_bps: int
    default_slippage_bps: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Ceilings:
        return cls(
            max_trade_lamports=sol_to_lamports(settings.trading_max_trade_sol),
            daily_limit_lamports=sol_to_lamports(settings.trading_daily_limit_sol),
            max_slippage_bps=settings.trading_max_slippage_bps,
            default_slippage_bps=settings.trading_default_slippage_bps,
        )

    def of(self, limit: OwnLimit) -> int:
        """The ceiling of ``limit`` in its unit (lamports, or bps for slippage)."""
        return {
            OwnLimit.MAX_TRADE: self.max_trade_lamports,
            OwnLimit.DAILY: self.daily_limit_lamports,
            OwnLimit.SLIPPAGE: self.max_slippage_bps,
        }[limit]


@dataclass(frozen=True, slots=True)
class OwnLimits:
    """The user's own values; None: the operator's applies."""

    max_trade_lamports: int | None = None
    daily_limit_lamports: int | None = None
    slippage_bps: int | None = None

    @classmethod
    def of(cls, user: UserSettings) -> OwnLimits:
        own: dict[str, Any] = dict(user.extra.get(EXTRA_KEY) or {})
        trade, daily = own.get(OwnLimit.MAX_TRADE.value), own.get(OwnLimit.DAILY.value)
        slippage = own.get(OwnLimit.SLIPPAGE.value)
        return cls(
            max_trade_lamports=sol_to_lamports(trade) if trade is not None else None,
            daily_limit_lamports=sol_to_lamports(daily) if daily is not None else None,
            slippage_bps=int(slippage) if slippage is not None else None,
        )

    def value(self, limit: OwnLimit) -> int | None:
        return {
            OwnLimit.MAX_TRADE: self.max_trade_lamports,
            OwnLimit.DAILY: self.daily_limit_lamports,
            OwnLimit.SLIPPAGE: self.slippage_bps,
        }[limit]


class AboveCeiling(UserInputError):
    """A value above the operator's ceiling (or not positive): names the limit and the ceiling."""

    def __init__(self, limit: OwnLimit, value: int, ceiling: int) -> None:
        self.limit, self.value, self.ceiling = limit, value, ceiling
        shown, top = _show(limit, value), _show(limit, ceiling)
        super().__init__(
            "{limit}: {value} is above the operator's limit {ceiling}",
            limit=limit.value,
            value=shown,
            ceiling=top,
        )


def _show(limit: OwnLimit, value: int) -> str:
    if limit is OwnLimit.SLIPPAGE:
        return f"{value} bps"
    return f"{Decimal(value) / LAMPORTS_PER_SOL:f}".rstrip("0").rstrip(".") + " SOL"


def stored_value(limit: OwnLimit, value: int, ceilings: Ceilings) -> str | int:
    """``value`` (lamports, or bps) as stored, after checking it against its ceiling."""
    if value <= 0:
        raise UserInputError("{limit}: {value} must be above 0", limit=limit.value, value=value)
    ceiling = ceilings.of(limit)
    if value > ceiling:
        raise AboveCeiling(limit, value, ceiling)
    if limit is OwnLimit.SLIPPAGE:
        return value
    return f"{Decimal(value) / LAMPORTS_PER_SOL:f}"
