"""The trade request store on both backends: one row per key, leases, checked transitions,
the daily limit reserved atomically, audit rows with every change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import UserInputError
from core.storage.migrate import upgrade
from core.trading.audit import AuditTrail
from core.trading.policy import TradePolicy, check_request
from core.trading.trade_requests import TradeConflictError, TradeRecord, TradeRequestStore
from core.trading.trade_types import RefusalReason, Side, TradeRequest, TradeState
from tests.core.trading.conftest import make_user

SOL = 10**9
MINT = "3usR9LzZ8cHAvXzvDzMS8Ej1nyMkqzxKUqYVZkpSpump"
WALLET = "7NzycZkH1E4xQhVLgSFxnDmu7HjY1i6nb7X5sANBLSLK"
POLICY = TradePolicy(trading_enabled=True, max_trade_lamports=SOL, daily_limit_lamports=SOL)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def buy(key: str, user_id: int, amount: int = SOL // 2) -> TradeRequest:
    return TradeRequest(key, user_id, WALLET, Side.BUY, MINT, amount)


async def open_(
    store: TradeRequestStore, request: TradeRequest, owner: str = "a"
) -> tuple[TradeRecord, bool]:
    return await store.open(
        request,
        route="jupiter",
        slippage_bps=100,
        admit=lambda spent: check_request(POLICY, request, spent_today_lamports=spent),
        owner=owner,
    )


async def test_a_key_is_one_row_and_a_second_open_finds_it(db_url: str) -> None:
    user = await make_user(db_url)
    async with TradeRequestStore(db_url) as store:
        first, created = await open_(store, buy("k1", user))
        again, created_again = await open_(store, buy("k1", user), owner="b")
        assert created and not created_again
        assert first == again and first.state is TradeState.REQUESTED
        assert again.claimed_by == "a"  # the creator holds the lease
        with pytest.raises(UserInputError, match="already used for another trade"):
            await open_(store, buy("k1", user, amount=SOL // 4))
    async with AuditTrail(db_url) as trail:
        assert [e.action for e in await trail.for_key("k1")] == ["trade.requested"]


async def test_transitions_follow_the_state_machine_and_need_the_lease(db_url: str) -> None:
    user = await make_user(db_url)
    async with TradeRequestStore(db_url) as store:
        record, _ = await open_(store, buy("k2", user), owner="a")
        assert await store.claim("k2", "a") is not None  # its own lease: renewed
        assert await store.claim("k2", "b") is None  # a live lease
        with pytest.raises(TradeConflictError, match="leased to b"):
            async with store.step(record, "b", actor="user:1") as step:
                step.move(TradeState.QUOTED, action="trade.quoted")
        with pytest.raises(TradeConflictError, match="requested -> sent is not allowed"):
            async with store.step(record, "a", actor="user:1") as step:
                step.move(TradeState.SENT, action="trade.sent")
        async with store.step(record, "a", actor="user:1") as step:
            step.move(TradeState.QUOTED, action="trade.quoted", attempts=1)
        with pytest.raises(TradeConflictError, match="no longer requested"):  # a stale view
            async with store.step(record, "a", actor="user:1") as step:
                step.move(TradeState.FAILED, action="trade.failed", reason="no_route")
        record = await store.get("k2")
        assert record is not None
        async with store.step(record, "a", actor="user:1") as step:
            step.move(TradeState.FAILED, action="trade.failed", reason="no_route")
        record = await store.get("k2")
        assert record is not None and record.state is TradeState.FAILED
        assert record.claimed_by is None and record.reason == "no_route"
        assert await store.claim("k2", "a") is None  # finished: nobody claims it again


async def test_a_failed_step_changes_nothing_and_writes_no_audit_row(db_url: str) -> None:
    user = await make_user(db_url)
    async with TradeRequestStore(db_url) as store, AuditTrail(db_url) as trail:
        record, _ = await open_(store, buy("k3", user))
        with pytest.raises(RuntimeError):
            async with store.step(record, "a", actor="user:1") as step:
                step.move(TradeState.QUOTED, action="trade.quoted")
                raise RuntimeError("crash before the commit")
        record = await store.get("k3")
        assert record is not None and record.state is TradeState.REQUESTED
        assert [e.action for e in await trail.for_key("k3")] == ["trade.requested"]


async def test_an_expired_lease_can_be_taken_over(db_url: str) -> None:
    user = await make_user(db_url)
    clock = Clock()
    async with TradeRequestStore(db_url, clock=clock, lease_s=60) as store:
        await open_(store, buy("k4", user), owner="crashed")
        assert await store.claim("k4", "rescuer") is None
        clock.now += timedelta(seconds=61)
        taken = await store.claim("k4", "rescuer")
        assert taken is not None and taken.claimed_by == "rescuer"


async def test_the_daily_limit_counts_todays_buys_and_resets_at_utc_midnight(db_url: str) -> None:
    user = await make_user(db_url)
    clock = Clock()
    async with TradeRequestStore(db_url, clock=clock) as store:
        first, _ = await open_(store, buy("d1", user, amount=6 * SOL // 10))
        second, _ = await open_(store, buy("d2", user, amount=6 * SOL // 10))
        assert first.state is TradeState.REQUESTED
        assert second.state is TradeState.REFUSED and second.reason == RefusalReason.DAILY_LIMIT
        assert second.detail["spent_lamports"] == 6 * SOL // 10
        assert await store.spent_today(user) == 6 * SOL // 10  # refused buys do not count
        clock.now = clock.now.replace(hour=0) + timedelta(days=1)
        third, _ = await open_(store, buy("d3", user, amount=6 * SOL // 10))
        assert third.state is TradeState.REQUESTED


async def test_concurrent_buys_cannot_both_pass_the_daily_limit(pg_url: str) -> None:
    await upgrade(pg_url)
    user = await make_user(pg_url)
    async with TradeRequestStore(pg_url) as store:
        records = await asyncio.gather(
            *(open_(store, buy(f"c{i}", user, amount=4 * SOL // 10)) for i in range(6))
        )
    states = sorted(record.state.value for record, _ in records)
    assert states.count("requested") == 2 and states.count("refused") == 4
