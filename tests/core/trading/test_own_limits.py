"""A user's own limits: stored on the user row, applied by the trade policy, never above the
operator's ceilings (a refusal names the ceiling and writes nothing), reset, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.config import Settings
from core.trading.own_limits import AboveCeiling, Ceilings, OwnLimit, OwnLimits
from core.trading.policy import TradePolicy
from core.trading.user_wallets import UserWallets
from tests.core.trading.test_user_wallets import audit_actions, new_user

SOL = 1_000_000_000


def operator() -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        trading_enabled=True,
        trading_max_trade_sol=Decimal("0.5"),
        trading_daily_limit_sol=Decimal("2"),
        trading_default_slippage_bps=100,
        trading_max_slippage_bps=1000,
    )


async def test_own_limits_lower_the_policy_and_reset_restores_the_operators(db_url: str) -> None:
    settings = operator()
    ceilings = Ceilings.from_settings(settings)
    user = await new_user(db_url)
    async with UserWallets(db_url) as wallets:
        await wallets.set_own_limit(user, OwnLimit.MAX_TRADE, SOL // 5, ceilings=ceilings)
        await wallets.set_own_limit(user, OwnLimit.DAILY, SOL, ceilings=ceilings)
        own = await wallets.set_own_limit(user, OwnLimit.SLIPPAGE, 150, ceilings=ceilings)
        assert own == OwnLimits(SOL // 5, SOL, 150)
        stored = await wallets.settings_of(user)
        assert stored.extra["trading"] == {
            "max_trade_sol": "0.2",
            "daily_limit_sol": "1",
            "slippage_bps": 150,
        }
        assert stored.trading_enabled is False and stored.alerts is True  # the rest is kept
        policy = TradePolicy.from_settings(settings, stored)
        assert (policy.max_trade_lamports, policy.daily_limit_lamports) == (SOL // 5, SOL)
        assert policy.default_slippage_bps == 150 and policy.max_slippage_bps == 1000

        assert await wallets.reset_own_limits(user) == OwnLimits()
        policy = TradePolicy.from_settings(settings, await wallets.settings_of(user))
        assert (policy.max_trade_lamports, policy.daily_limit_lamports) == (SOL // 2, 2 * SOL)
        assert policy.default_slippage_bps == 100
    actions = [a for a, _ in await audit_actions(db_url)]
    assert actions == ["trading.limits_changed"] * 4


@pytest.mark.parametrize(
    ("limit", "value", "named"),
    [
        (OwnLimit.MAX_TRADE, SOL, "1 SOL is above the operator's limit 0.5 SOL"),
        (OwnLimit.DAILY, 3 * SOL, "3 SOL is above the operator's limit 2 SOL"),
        (OwnLimit.SLIPPAGE, 1001, "1001 bps is above the operator's limit 1000 bps"),
    ],
)
async def test_a_limit_above_the_operators_ceiling_is_refused_and_not_written(
    db_url: str, limit: OwnLimit, value: int, named: str
) -> None:
    ceilings = Ceilings.from_settings(operator())
    user = await new_user(db_url)
    async with UserWallets(db_url) as wallets:
        await wallets.set_own_limit(user, OwnLimit.MAX_TRADE, SOL // 10, ceilings=ceilings)
        with pytest.raises(AboveCeiling, match=named):
            await wallets.set_own_limit(user, limit, value, ceilings=ceilings)
        assert OwnLimits.of(await wallets.settings_of(user)) == OwnLimits(SOL // 10, None, None)
