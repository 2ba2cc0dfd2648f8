"""Trade policy: the limits a trade must pass before anything is signed, and the pure checks.

``TradePolicy`` comes from the operator's settings (``TRADING_*``, the ceilings) and the user's
own trading limits, which can only be lower. Every check returns ``Refusal``s naming the reason
and the figures (never a bare "no"); the executor stops at the first stage that refuses and
records every refusal of that stage.

What is checked, in order (the executor's stages):
1. the request: trading enabled (operator AND user), slippage within the maximum; buys also the
   per-trade and the daily SOL limit (other buys of the day that are quoted, in flight or
   confirmed count) and the no-go list. Sells are not limited by size or the no-go list: a
   user can always get out.
2. the mint (buys): mint authority and freeze authority renounced, the honeypot check passed
   (an unknown result refuses unless ``require_honeypot_check`` is off), liquidity at least
   ``min_liquidity_lamports`` (unknown liquidity refuses when a minimum is set).
3. the wallet: enough SOL (buys: amount + a fee and rent reserve) or tokens (sells).
4. the quote: price impact within the maximum (both sides).
5. the built transaction: its priority fee within ``max_priority_fee_lamports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.programs import LAMPORTS_PER_SOL
from core.risk.report import Check, RiskReport, Verdict
from core.trading.trade_types import Refusal, RefusalReason, Side, TradeRequest

if TYPE_CHECKING:
    from core.config import Settings
    from core.users.settings import UserSettings

# A buy needs its amount plus this much: network and priority fees, a token account's rent
# (~0.00204 SOL) and a wrapped-SOL account's rent, which Jupiter returns in the same transaction.
BUY_RESERVE_LAMPORTS = 10_000_000


def sol_to_lamports(sol: Decimal | float | str) -> int:
    return int(Decimal(str(sol)) * LAMPORTS_PER_SOL)


def _sol(lamports: int) -> str:
    return f"{Decimal(lamports) / LAMPORTS_PER_SOL:f}".rstrip("0").rstrip(".") + " SOL"


@dataclass(frozen=True, slots=True)
class MintFacts:
    """What the policy needs to know about a mint before buying it.

    ``risk``: the mint's risk report (authorities, honeypot), None when it could not be looked
    up; ``liquidity_lamports``: SOL on the deepest pool or curve, None when unknown."""

    risk: RiskReport | None
    liquidity_lamports: int | None


@dataclass(frozen=True, slots=True)
class TradePolicy:
    trading_enabled: bool = False
    max_trade_lamports: int = 500_000_000
    daily_limit_lamports: int = 2_000_000_000
    default_slippage_bps: int = 100
    max_slippage_bps: int = 1_000
    max_price_impact_pct: float = 5.0
    min_liquidity_lamports: int = 10_000_000_000
    no_go_mints: frozenset[str] = frozenset()
    require_honeypot_check: bool = True
    allow_mint_authority: bool = False
    allow_freeze_authority: bool = False
    max_priority_fee_lamports: int = 5_000_000

    @classmethod
    def from_settings(cls, settings: Settings, user: UserSettings | None = None) -> TradePolicy:
        """The operator's limits, lowered by the user's own (``user.extra["trading"]``: keys
        ``max_trade_sol``, ``daily_limit_sol``, ``max_price_impact_pct``, ``slippage_bps``,
        written by the trading set-up). Trading is on only if both the operator and the user
        enabled it."""
        own: dict[str, Any] = dict((user.extra.get("trading") or {}) if user else {})
        max_trade = sol_to_lamports(settings.trading_max_trade_sol)
        daily = sol_to_lamports(settings.trading_daily_limit_sol)
        impact = settings.trading_max_price_impact_pct
        slippage = settings.trading_default_slippage_bps
        if own.get("max_trade_sol") is not None:
            max_trade = min(max_trade, sol_to_lamports(own["max_trade_sol"]))
        if own.get("daily_limit_sol") is not None:
            daily = min(daily, sol_to_lamports(own["daily_limit_sol"]))
        if own.get("max_price_impact_pct") is not None:
            impact = min(impact, float(own["max_price_impact_pct"]))
        if own.get("slippage_bps") is not None:
            slippage = min(int(own["slippage_bps"]), settings.trading_max_slippage_bps)
        return cls(
            trading_enabled=settings.trading_enabled and bool(user and user.trading_enabled),
            max_trade_lamports=max_trade,
            daily_limit_lamports=daily,
            default_slippage_bps=slippage,
            max_slippage_bps=settings.trading_max_slippage_bps,
            max_price_impact_pct=impact,
            min_liquidity_lamports=sol_to_lamports(settings.trading_min_liquidity_sol),
            no_go_mints=frozenset(settings.trading_no_go_mints),
            require_honeypot_check=settings.trading_require_honeypot_check,
            max_priority_fee_lamports=sol_to_lamports(settings.trading_max_priority_fee_sol),
        )

    def slippage_for(self, request: TradeRequest) -> int:
        return request.slippage_bps or self.default_slippage_bps


def check_request(
    policy: TradePolicy, request: TradeRequest, *, spent_today_lamports: int
) -> list[Refusal]:
    """Stage 1: the request itself (no chain data needed)."""
    if not policy.trading_enabled:
        return [
            Refusal(
                RefusalReason.TRADING_DISABLED,
                "trading is off for this account (it is off by default)",
            )
        ]
    refusals = []
    slippage = policy.slippage_for(request)
    if slippage > policy.max_slippage_bps:
        refusals.append(
            Refusal(
                RefusalReason.SLIPPAGE_TOO_HIGH,
                f"slippage {slippage} bps > the limit {policy.max_slippage_bps} bps",
                {"slippage_bps": slippage, "limit_bps": policy.max_slippage_bps},
            )
        )
    if request.side is not Side.BUY:
        return refusals
    amount = request.amount_raw
    if amount > policy.max_trade_lamports:
        refusals.append(
            Refusal(
                RefusalReason.TRADE_LIMIT,
                f"{_sol(amount)} > the per-trade limit {_sol(policy.max_trade_lamports)}",
                {"amount_lamports": amount, "limit_lamports": policy.max_trade_lamports},
            )
        )
    if spent_today_lamports + amount > policy.daily_limit_lamports:
        left = max(0, policy.daily_limit_lamports - spent_today_lamports)
        refusals.append(
            Refusal(
                RefusalReason.DAILY_LIMIT,
                f"{_sol(amount)} would pass the daily limit {_sol(policy.daily_limit_lamports)}"
                f" ({_sol(left)} left today)",
                {
                    "amount_lamports": amount,
                    "spent_lamports": spent_today_lamports,
                    "limit_lamports": policy.daily_limit_lamports,
                },
            )
        )
    if request.mint in policy.no_go_mints:
        refusals.append(
            Refusal(
                RefusalReason.NO_GO_MINT,
                "this token is on the no-go list",
                {"mint": request.mint},
            )
        )
    return refusals


def _risk_refusal(report: RiskReport, check: Check, reason: RefusalReason, what: str) -> Refusal:
    result = report.get(check)
    return Refusal(reason, result.detail or what, {"check": check.value, "value": result.value})


def check_mint(policy: TradePolicy, facts: MintFacts) -> list[Refusal]:
    """Stage 2 (buys): the token's risk facts and liquidity."""
    refusals = []
    report = facts.risk
    if report is None:
        refusals.append(
            Refusal(RefusalReason.RISK_UNKNOWN, "the token's risk checks could not be run")
        )
    else:
        rules = (
            (
                Check.MINT_AUTHORITY,
                policy.allow_mint_authority,
                RefusalReason.MINT_AUTHORITY_ACTIVE,
                "mint authority is active: more tokens can be minted",
            ),
            (
                Check.FREEZE_AUTHORITY,
                policy.allow_freeze_authority,
                RefusalReason.FREEZE_AUTHORITY_ACTIVE,
                "freeze authority is active: holders' tokens can be frozen",
            ),
        )
        for check, allowed, reason, what in rules:
            verdict = report.get(check).verdict
            if allowed:
                continue
            if verdict is Verdict.FAIL:
                refusals.append(_risk_refusal(report, check, reason, what))
            elif verdict is Verdict.UNKNOWN:
                refusals.append(
                    Refusal(
                        RefusalReason.RISK_UNKNOWN,
                        f"{check.value.replace('_', ' ')} could not be checked",
                        {"check": check.value, "detail": report.get(check).detail},
                    )
                )
        honeypot = report.get(Check.HONEYPOT)
        if honeypot.verdict is Verdict.FAIL:
            refusals.append(
                _risk_refusal(
                    report, Check.HONEYPOT, RefusalReason.HONEYPOT_FAILED, "sell would fail"
                )
            )
        elif honeypot.verdict is Verdict.UNKNOWN and policy.require_honeypot_check:
            refusals.append(
                Refusal(
                    RefusalReason.HONEYPOT_UNKNOWN,
                    f"the sellability check did not run: {honeypot.detail}",
                    {"check": Check.HONEYPOT.value, "detail": honeypot.detail},
                )
            )
    if policy.min_liquidity_lamports > 0:
        liquidity = facts.liquidity_lamports
        if liquidity is None:
            refusals.append(
                Refusal(RefusalReason.LIQUIDITY_UNKNOWN, "the token's liquidity is unknown")
            )
        elif liquidity < policy.min_liquidity_lamports:
            refusals.append(
                Refusal(
                    RefusalReason.LIQUIDITY_TOO_LOW,
                    f"liquidity {_sol(liquidity)} < the minimum "
                    f"{_sol(policy.min_liquidity_lamports)}",
                    {
                        "liquidity_lamports": liquidity,
                        "limit_lamports": policy.min_liquidity_lamports,
                    },
                )
            )
    return refusals


def check_balance(request: TradeRequest, balance_raw: int) -> list[Refusal]:
    """Stage 3: the wallet holds enough (buys: lamports; sells: raw tokens of the mint)."""
    if request.side is Side.BUY:
        needed = request.amount_raw + BUY_RESERVE_LAMPORTS
        if balance_raw < needed:
            return [
                Refusal(
                    RefusalReason.INSUFFICIENT_BALANCE,
                    f"the wallet holds {_sol(balance_raw)}, the buy needs {_sol(needed)} "
                    "with fees and rent",
                    {"balance_raw": balance_raw, "needed_raw": needed},
                )
            ]
    elif balance_raw < request.amount_raw:
        return [
            Refusal(
                RefusalReason.INSUFFICIENT_BALANCE,
                f"the wallet holds {balance_raw} raw units of the token, the sell needs "
                f"{request.amount_raw}",
                {"balance_raw": balance_raw, "needed_raw": request.amount_raw},
            )
        ]
    return []


def check_quote(policy: TradePolicy, price_impact_pct: float) -> list[Refusal]:
    """Stage 4: the quote's price impact."""
    if price_impact_pct > policy.max_price_impact_pct:
        return [
            Refusal(
                RefusalReason.PRICE_IMPACT_TOO_HIGH,
                f"price impact {price_impact_pct:.1f}% > your limit "
                f"{policy.max_price_impact_pct:g}%",
                {"impact_pct": price_impact_pct, "limit_pct": policy.max_price_impact_pct},
            )
        ]
    return []


def check_priority_fee(policy: TradePolicy, priority_fee_lamports: int) -> list[Refusal]:
    """Stage 5: the built transaction's priority fee (compute unit limit x price)."""
    if priority_fee_lamports > policy.max_priority_fee_lamports:
        return [
            Refusal(
                RefusalReason.PRIORITY_FEE_TOO_HIGH,
                f"priority fee {_sol(priority_fee_lamports)} > the cap "
                f"{_sol(policy.max_priority_fee_lamports)}",
                {
                    "fee_lamports": priority_fee_lamports,
                    "limit_lamports": policy.max_priority_fee_lamports,
                },
            )
        ]
    return []
