"""Policy refusals: each names its reason, and nothing is signed or sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from solders.keypair import Keypair

from core.trading.policy import TradePolicy
from core.trading.trade_types import RefusalReason, Side, TradeState, UpdateKind
from tests.core.trading.conftest import SOL, Desk


def assert_nothing_sent(desk: Desk) -> None:
    assert desk.node.calls_of("sendTransaction") == []
    assert desk.landed_swaps() == 0
    assert desk.tokens() == 0


async def test_trading_is_off_by_default_and_nothing_is_quoted(desk: Desk) -> None:
    desk.policy = TradePolicy()  # the defaults
    request = desk.request(Side.BUY, SOL // 10)

    outcome = await desk.execute(request)

    assert outcome.state is TradeState.REFUSED and not outcome.executed
    assert outcome.reason == RefusalReason.TRADING_DISABLED
    assert "off" in (outcome.message or "")
    assert desk.jup.requests == []
    assert_nothing_sent(desk)
    [update] = desk.updates
    assert update.kind is UpdateKind.REFUSED and update.reason == "trading_disabled"
    actions = [e.action for e in await desk.audit.for_key(request.idempotency_key)]
    assert actions == ["trade.requested", "trade.refused"]


async def test_a_buy_above_the_per_trade_limit_is_refused_with_the_limit(desk: Desk) -> None:
    outcome = await desk.execute(desk.request(Side.BUY, 3 * SOL))

    assert outcome.reason == RefusalReason.TRADE_LIMIT
    assert outcome.detail["limit_lamports"] == 2 * SOL
    assert outcome.message == "3 SOL > the per-trade limit 2 SOL"
    assert_nothing_sent(desk)


async def test_the_daily_limit_counts_the_days_earlier_buys(desk: Desk) -> None:
    desk.with_policy(daily_limit_lamports=SOL)
    first = await desk.execute(desk.request(Side.BUY, 6 * SOL // 10))
    assert first.state is TradeState.CONFIRMED
    sends = len(desk.node.calls_of("sendTransaction"))

    second = await desk.execute(desk.request(Side.BUY, 6 * SOL // 10))

    assert second.reason == RefusalReason.DAILY_LIMIT
    assert second.detail["spent_lamports"] == 6 * SOL // 10
    assert "0.4 SOL left today" in (second.message or "")
    assert len(desk.node.calls_of("sendTransaction")) == sends
    assert desk.landed_swaps() == 1


async def test_a_no_go_mint_is_refused(desk: Desk) -> None:
    desk.with_policy(no_go_mints=frozenset({str(desk.mint)}))
    outcome = await desk.execute(desk.request(Side.BUY, SOL // 10))
    assert outcome.reason == RefusalReason.NO_GO_MINT
    assert_nothing_sent(desk)


async def test_a_price_impact_above_the_limit_is_refused_after_the_quote(desk: Desk) -> None:
    desk.with_policy(max_price_impact_pct=1.0)

    outcome = await desk.execute(desk.request(Side.BUY, 2 * SOL))  # ~2 % of a 100 SOL pool

    assert outcome.reason == RefusalReason.PRICE_IMPACT_TOO_HIGH
    assert outcome.detail["impact_pct"] > 1.0 and outcome.detail["limit_pct"] == 1.0
    assert outcome.message is not None and outcome.message.endswith("> your limit 1%")
    assert desk.wallet_swaps() == []
    assert_nothing_sent(desk)


def _mint_authority(desk: Desk) -> Any:
    return desk.new_mint(revoke=False)


def _freeze_authority(desk: Desk) -> Any:
    return desk.new_mint(freeze_authority=Keypair().pubkey())


def _honeypot(desk: Desk) -> Any:
    desk.with_policy(allow_freeze_authority=True)  # so that the honeypot check is what refuses
    return desk.new_mint(freeze_authority=desk.jup.authority.pubkey())


@pytest.mark.parametrize(
    ("make_mint", "reason", "says"),
    [
        (_mint_authority, RefusalReason.MINT_AUTHORITY_ACTIVE, "mint authority"),
        (_freeze_authority, RefusalReason.FREEZE_AUTHORITY_ACTIVE, "freeze authority"),
        (_honeypot, RefusalReason.HONEYPOT_FAILED, "AccountFrozen"),
    ],
    ids=["mint_authority", "freeze_authority", "honeypot"],
)
async def test_risky_mints_are_refused_from_the_real_risk_checks(
    desk: Desk, make_mint: Callable[[Desk], Any], reason: RefusalReason, says: str
) -> None:
    mint = make_mint(desk)

    outcome = await desk.execute(desk.request(Side.BUY, SOL // 10, mint=mint))

    assert outcome.state is TradeState.REFUSED
    assert outcome.reason == reason, outcome.detail
    assert says in (outcome.message or ""), outcome.message
    assert desk.wallet_swaps() == []
    assert desk.node.calls_of("sendTransaction") == [] and desk.landed_swaps() == 0


async def test_liquidity_below_the_minimum_is_refused(desk: Desk) -> None:
    desk.with_policy(min_liquidity_lamports=500 * SOL)
    outcome = await desk.execute(desk.request(Side.BUY, SOL // 10))
    assert outcome.reason == RefusalReason.LIQUIDITY_TOO_LOW
    assert outcome.detail["liquidity_lamports"] == 100 * SOL
    assert_nothing_sent(desk)


async def test_a_buy_the_wallet_cannot_pay_is_refused(desk: Desk) -> None:
    desk.with_policy(max_trade_lamports=50 * SOL, daily_limit_lamports=50 * SOL)
    outcome = await desk.execute(desk.request(Side.BUY, 20 * SOL))
    assert outcome.reason == RefusalReason.INSUFFICIENT_BALANCE
    assert_nothing_sent(desk)


async def test_a_sell_of_tokens_the_wallet_does_not_hold_is_refused(desk: Desk) -> None:
    outcome = await desk.execute(desk.request(Side.SELL, 1_000))
    assert outcome.reason == RefusalReason.INSUFFICIENT_BALANCE
    assert outcome.detail["balance_raw"] == 0
    assert_nothing_sent(desk)


async def test_a_priority_fee_above_the_cap_is_refused_before_signing(desk: Desk) -> None:
    desk.node.prioritization_fees = [90_000] * 150  # micro-lamports per CU; the bid cap is 100k
    desk.with_policy(max_priority_fee_lamports=10_000)

    outcome = await desk.execute(desk.request(Side.BUY, SOL // 10))

    assert outcome.reason == RefusalReason.PRIORITY_FEE_TOO_HIGH
    [swap] = desk.wallet_swaps()
    assert swap["json"]["computeUnitPriceMicroLamports"] == 90_000
    assert outcome.detail["fee_lamports"] == 18_000  # 200k CU x 90k micro-lamports
    assert_nothing_sent(desk)
