"""The trade policy: operator ceilings, user limits that can only be lower, named refusals."""

from __future__ import annotations

from decimal import Decimal

from core.config import load_settings
from core.risk.report import Check, CheckResult, RiskReport, Verdict
from core.trading.policy import (
    BUY_RESERVE_LAMPORTS,
    MintFacts,
    TradePolicy,
    check_balance,
    check_mint,
    check_priority_fee,
    check_quote,
    check_request,
    sol_to_lamports,
)
from core.trading.trade_types import RefusalReason, Side, TradeRequest
from core.users.settings import UserSettings

SOL = 10**9
MINT = "3usR9LzZ8cHAvXzvDzMS8Ej1nyMkqzxKUqYVZkpSpump"
WALLET = "7NzycZkH1E4xQhVLgSFxnDmu7HjY1i6nb7X5sANBLSLK"
ON = TradePolicy(trading_enabled=True)


def buy(amount: int, **extra: object) -> TradeRequest:
    return TradeRequest("k", 1, WALLET, Side.BUY, MINT, amount, **extra)  # type: ignore[arg-type]


def report(**verdicts: Verdict) -> RiskReport:
    return RiskReport(
        MINT,
        0,
        tuple(
            CheckResult(Check(name), v, None, f"{name} {v.value}") for name, v in verdicts.items()
        ),
    )


SAFE = report(mint_authority=Verdict.PASS, freeze_authority=Verdict.PASS, honeypot=Verdict.PASS)


def reasons(refusals: list) -> list[RefusalReason]:  # type: ignore[type-arg]
    return [r.reason for r in refusals]


def test_trading_is_on_only_when_the_operator_and_the_user_enabled_it() -> None:
    settings = load_settings(None)
    assert not TradePolicy.from_settings(
        settings, UserSettings(trading_enabled=True)
    ).trading_enabled
    operator_on = load_settings(None, trading_enabled=True)
    assert not TradePolicy.from_settings(operator_on, UserSettings()).trading_enabled
    assert not TradePolicy.from_settings(operator_on, None).trading_enabled
    assert TradePolicy.from_settings(
        operator_on, UserSettings(trading_enabled=True)
    ).trading_enabled


def test_user_limits_lower_the_operator_ceilings_but_never_raise_them() -> None:
    settings = load_settings(
        None, trading_enabled=True, trading_max_trade_sol="1", trading_daily_limit_sol="3"
    )
    user = UserSettings(
        trading_enabled=True,
        extra={"trading": {"max_trade_sol": "0.25", "daily_limit_sol": 10, "slippage_bps": 5000}},
    )
    policy = TradePolicy.from_settings(settings, user)
    assert policy.max_trade_lamports == SOL // 4
    assert policy.daily_limit_lamports == 3 * SOL  # the user's 10 SOL is above the ceiling
    assert policy.default_slippage_bps == settings.trading_max_slippage_bps
    assert sol_to_lamports(Decimal("0.000000001")) == 1


def test_defaults_refuse_everything_with_trading_disabled_only() -> None:
    assert reasons(check_request(TradePolicy(), buy(100 * SOL), spent_today_lamports=0)) == [
        RefusalReason.TRADING_DISABLED
    ]


def test_request_checks_name_each_broken_limit() -> None:
    policy = TradePolicy(
        trading_enabled=True,
        max_trade_lamports=SOL,
        daily_limit_lamports=2 * SOL,
        no_go_mints=frozenset({MINT}),
    )
    refusals = check_request(
        policy, buy(3 * SOL // 2, slippage_bps=2_000), spent_today_lamports=SOL
    )
    assert reasons(refusals) == [
        RefusalReason.SLIPPAGE_TOO_HIGH,
        RefusalReason.TRADE_LIMIT,
        RefusalReason.DAILY_LIMIT,
        RefusalReason.NO_GO_MINT,
    ]
    assert refusals[2].detail == {
        "amount_lamports": 3 * SOL // 2,
        "spent_lamports": SOL,
        "limit_lamports": 2 * SOL,
    }


def test_sells_are_not_limited_by_size_or_the_no_go_list() -> None:
    policy = TradePolicy(trading_enabled=True, max_trade_lamports=1, no_go_mints=frozenset({MINT}))
    sell = TradeRequest("k", 1, WALLET, Side.SELL, MINT, 10**15)
    assert check_request(policy, sell, spent_today_lamports=10**12) == []


def test_mint_checks_refuse_active_authorities_failed_or_unknown_honeypots_and_thin_pools() -> (
    None
):
    risky = report(
        mint_authority=Verdict.FAIL, freeze_authority=Verdict.FAIL, honeypot=Verdict.UNKNOWN
    )
    assert reasons(check_mint(ON, MintFacts(risky, 5 * SOL))) == [
        RefusalReason.MINT_AUTHORITY_ACTIVE,
        RefusalReason.FREEZE_AUTHORITY_ACTIVE,
        RefusalReason.HONEYPOT_UNKNOWN,
        RefusalReason.LIQUIDITY_TOO_LOW,
    ]
    assert check_mint(ON, MintFacts(SAFE, 10 * SOL)) == []
    assert reasons(check_mint(ON, MintFacts(None, None))) == [
        RefusalReason.RISK_UNKNOWN,
        RefusalReason.LIQUIDITY_UNKNOWN,
    ]
    lenient = TradePolicy(
        trading_enabled=True,
        allow_mint_authority=True,
        require_honeypot_check=False,
        min_liquidity_lamports=0,
    )
    unchecked = report(mint_authority=Verdict.FAIL, freeze_authority=Verdict.PASS)
    assert check_mint(lenient, MintFacts(unchecked, None)) == []


def test_balance_quote_and_fee_checks() -> None:
    assert check_balance(buy(SOL), SOL + BUY_RESERVE_LAMPORTS) == []
    assert reasons(check_balance(buy(SOL), SOL)) == [RefusalReason.INSUFFICIENT_BALANCE]
    [impact] = check_quote(ON, 7.2)
    assert impact.message == "price impact 7.2% > your limit 5%"
    assert check_quote(ON, 5.0) == []
    assert reasons(check_priority_fee(ON, ON.max_priority_fee_lamports + 1)) == [
        RefusalReason.PRIORITY_FEE_TOO_HIGH
    ]
