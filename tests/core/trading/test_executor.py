"""TradeExecutor end to end on the local chain: a buy and a sell through Jupiter's protocol,
balances moved for real, positions from the confirmed balance changes, the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from core.market.amm import buy_quote, sell_quote
from core.storage.db import create_engine
from core.trading.trade_types import Side, TradeState, TradeUpdate, UpdateKind
from tests.core.trading.conftest import FEE_BPS, POOL_SOL, POOL_TOKENS, SOL, Desk

BUY_LAMPORTS = SOL // 2


async def test_a_buy_lands_moves_balances_and_opens_a_position_from_the_confirmed_delta(
    desk: Desk,
) -> None:
    sol_before = desk.sol()
    expected_tokens = buy_quote(BUY_LAMPORTS, POOL_TOKENS, POOL_SOL, FEE_BPS)

    outcome = await desk.execute(desk.request(Side.BUY, BUY_LAMPORTS))

    assert outcome.state is TradeState.CONFIRMED and outcome.executed, outcome.message
    assert desk.tokens() == expected_tokens
    assert outcome.token_delta_raw == expected_tokens
    # the wallet paid the swap, its network fee and the new token account's rent
    rent = desk.node.svm.minimum_balance_for_rent_exemption(165)
    assert desk.sol() == sol_before - BUY_LAMPORTS - outcome.fee_lamports - rent
    assert outcome.sol_delta_lamports == -(BUY_LAMPORTS + outcome.fee_lamports)
    assert desk.jup.reserves(desk.pool) == (POOL_TOKENS - expected_tokens, POOL_SOL + BUY_LAMPORTS)

    [position] = await desk.book.of_user(desk.user_id)
    assert position.id == outcome.position_id
    assert position.holding.token_amount_raw == expected_tokens
    assert position.holding.cost_lamports == BUY_LAMPORTS + outcome.fee_lamports
    assert position.wallet == str(desk.wallet) and position.mint == str(desk.mint)
    expected_price = (position.holding.cost_lamports / SOL) / (expected_tokens / 10**6)
    assert position.avg_price_sol == pytest.approx(expected_price)

    kinds = [u.kind for u in desk.updates]
    assert kinds == [
        UpdateKind.QUOTED,
        UpdateKind.SIMULATED,
        UpdateKind.SENT,
        UpdateKind.CONFIRMED,
    ]
    quoted, _, sent, confirmed = desk.updates
    assert quoted.out_amount_raw == expected_tokens and quoted.price_impact_pct is not None
    assert quoted.network_fee_lamports == outcome.fee_lamports
    assert sent.signature == confirmed.signature == outcome.signature
    assert confirmed.token_delta_raw == expected_tokens and confirmed.seconds is not None


async def test_a_partial_sell_reduces_the_position_and_realizes_pnl_at_average_cost(
    desk: Desk,
) -> None:
    bought = await desk.execute(desk.request(Side.BUY, BUY_LAMPORTS))
    held = desk.tokens()
    cost = BUY_LAMPORTS + bought.fee_lamports
    base, sol = desk.jup.reserves(desk.pool)
    sell_tokens = held * 40 // 100
    sol_before = desk.sol()

    sold = await desk.execute(desk.request(Side.SELL, sell_tokens))

    assert sold.state is TradeState.CONFIRMED, sold.message
    proceeds = sell_quote(sell_tokens, base, sol, FEE_BPS) - sold.fee_lamports
    assert desk.sol() - sol_before == proceeds == sold.sol_delta_lamports
    assert desk.tokens() == held - sell_tokens and sold.token_delta_raw == -sell_tokens
    position = await desk.book.get(bought.position_id)  # type: ignore[arg-type]
    assert position is not None and sold.position_id == position.id
    basis_sold = cost * sell_tokens // held
    assert position.holding.token_amount_raw == held - sell_tokens
    assert position.holding.cost_lamports == cost - basis_sold
    assert position.holding.realized_pnl_lamports == proceeds - basis_sold < 0  # fees, impact
    assert position.status.value == "open"

    closing = await desk.execute(desk.request(Side.SELL, held - sell_tokens))
    assert closing.state is TradeState.CONFIRMED
    closed = await desk.book.get(bought.position_id)  # type: ignore[arg-type]
    assert closed is not None and closed.status.value == "closed"
    assert closed.holding.token_amount_raw == 0 and closed.holding.cost_lamports == 0
    assert closed.holding.realized_pnl_lamports == (
        closed.holding.sold_lamports - closed.holding.bought_lamports
    )


async def test_every_step_is_in_the_audit_log_which_refuses_update_and_delete(
    desk: Desk,
) -> None:
    request = desk.request(Side.BUY, BUY_LAMPORTS)
    await desk.execute(request)

    actions = [entry.action for entry in await desk.audit.for_key(request.idempotency_key)]
    assert actions == [
        "trade.requested",
        "trade.quoted",
        "trade.simulated",
        "trade.sent",
        "position.opened",
        "trade.confirmed",
    ]
    engine = create_engine(desk.db_url)
    try:
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as conn:
                    await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()
    assert len(await desk.audit.for_key(request.idempotency_key)) == len(actions)


async def test_a_progress_callback_that_raises_never_stops_the_trade(desk: Desk) -> None:
    seen: list[UpdateKind] = []

    async def broken_chat(update: TradeUpdate) -> None:
        seen.append(update.kind)
        raise ConnectionError("Telegram is down")

    outcome = await desk.executors[0].execute(desk.request(Side.BUY, BUY_LAMPORTS), broken_chat)

    assert outcome.state is TradeState.CONFIRMED
    assert seen == [UpdateKind.QUOTED, UpdateKind.SIMULATED, UpdateKind.SENT, UpdateKind.CONFIRMED]
