"""Faults: double taps, RPC timeouts, expired blockhashes, slippage, failed simulations, crashes.
Each ends with exactly one or zero executions, and says which."""

from __future__ import annotations

import asyncio
import struct

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair

from core.chain.rpc_client import RpcClient
from core.errors import UserInputError
from core.market.amm import buy_quote
from core.trading.confirm import TransactionLander
from core.trading.priority_fee import FeeBid, PriorityFeeEstimator
from core.trading.trade_types import FailureReason, Side, TradeState, TradeUpdate, UpdateKind
from tests.core.trading.conftest import FEE_BPS, POOL_SOL, POOL_TOKENS, SOL, Desk
from tests.svm_rpc import TOKEN_PROGRAM

BUY = SOL // 2


def expected_tokens() -> int:
    return buy_quote(BUY, POOL_TOKENS, POOL_SOL, FEE_BPS)


# ---- idempotency -------------------------------------------------------------------------------


async def test_the_same_key_twice_executes_once_and_replays_the_first_outcome(desk: Desk) -> None:
    request = desk.request(Side.BUY, BUY, key="tg:42:msg:7:buy")

    first = await desk.execute(request)
    again = await desk.execute(request)

    assert first.state is again.state is TradeState.CONFIRMED
    assert again.replayed and not first.replayed
    assert again.signature == first.signature and again.position_id == first.position_id
    assert len(desk.node.calls_of("sendTransaction")) == 1
    assert desk.landed_swaps() == 1 and desk.tokens() == expected_tokens()
    assert desk.updates[-1].kind is UpdateKind.CONFIRMED  # the replay re-renders the ending


async def test_concurrent_taps_with_one_key_execute_exactly_once(desk: Desk) -> None:
    request = desk.request(Side.BUY, BUY, key="tg:42:msg:8:buy")
    executors = [desk.executors[0], *(desk.executor() for _ in range(4))]

    outcomes = await asyncio.gather(*(ex.execute(request) for ex in executors))

    confirmed = [o for o in outcomes if o.state is TradeState.CONFIRMED and not o.replayed]
    assert len(confirmed) == 1
    others = [o for o in outcomes if o is not confirmed[0]]
    assert all(o.in_progress or o.replayed for o in others), others
    assert len(desk.node.calls_of("sendTransaction")) == 1
    assert desk.landed_swaps() == 1 and desk.tokens() == expected_tokens()
    assert len(await desk.book.of_user(desk.user_id)) == 1


async def test_a_key_reused_for_another_trade_is_refused_as_user_error(desk: Desk) -> None:
    await desk.execute(desk.request(Side.BUY, BUY, key="k-1"))
    with pytest.raises(UserInputError, match="already used for another trade"):
        await desk.execute(desk.request(Side.BUY, 2 * BUY, key="k-1"))
    assert desk.landed_swaps() == 1


# ---- before sending ----------------------------------------------------------------------------


async def test_a_failing_simulation_sends_nothing_and_says_why(desk: Desk) -> None:
    freezer = Keypair()
    desk.with_policy(allow_freeze_authority=True)
    mint = desk.new_mint(freeze_authority=freezer.pubkey())
    ata = desk.node.create_token_account(desk.wallet, mint)
    freeze = Instruction(
        TOKEN_PROGRAM,
        bytes([10]),
        [
            AccountMeta(ata, False, True),
            AccountMeta(mint, False, False),
            AccountMeta(freezer.pubkey(), True, False),
        ],
    )
    desk.node.send([freeze], freezer)  # the wallet's token account is frozen: a buy must fail

    outcome = await desk.execute(desk.request(Side.BUY, SOL // 10, mint=mint))

    assert outcome.state is TradeState.FAILED and not outcome.executed
    assert outcome.reason == FailureReason.SIMULATION_FAILED
    assert "AccountFrozen" in (outcome.message or "") and "nothing was sent" in outcome.message
    assert desk.node.calls_of("sendTransaction") == [] and desk.landed_swaps() == 0
    assert [u.kind for u in desk.updates] == [UpdateKind.QUOTED, UpdateKind.FAILED]


async def test_slippage_exceeded_fails_clearly_with_zero_executions(desk: Desk) -> None:
    def competing_buy() -> None:  # someone takes 5 % of the pool's tokens before our swap
        taker = Keypair().pubkey()
        dest = desk.node.create_token_account(taker, desk.mint)
        transfer = Instruction(
            TOKEN_PROGRAM,
            bytes([3]) + struct.pack("<Q", POOL_TOKENS // 20),
            [
                AccountMeta(desk.pool.token_vault, False, True),
                AccountMeta(dest, False, True),
                AccountMeta(desk.jup.authority.pubkey(), True, False),
            ],
        )
        desk.node.send([transfer], desk.jup.authority)

    desk.jup.before_next_swap(competing_buy, user=str(desk.wallet))

    outcome = await desk.execute(desk.request(Side.BUY, BUY, slippage_bps=50))

    assert outcome.state is TradeState.FAILED
    assert outcome.reason == FailureReason.SLIPPAGE_EXCEEDED
    assert "slippage" in (outcome.message or "") and "nothing was traded" in outcome.message
    assert desk.node.calls_of("sendTransaction") == [] and desk.tokens() == 0


# ---- sending and confirming --------------------------------------------------------------------


async def test_an_rpc_timeout_on_send_checks_the_signature_instead_of_sending_twice(
    desk: Desk,
) -> None:
    impatient = RpcClient(desk.node.url, max_retries=0, timeout_s=0.3)
    try:
        executor = desk.executor(
            rpc=impatient,
            lander=TransactionLander(impatient, poll_s=0.4, rebroadcast_s=2.0),
            fees=PriorityFeeEstimator(impatient, FeeBid()),
        )
        desk.node.stall("sendTransaction", 1.0)  # it lands; the answer comes after the timeout

        outcome = await desk.execute(desk.request(Side.BUY, BUY), executor)
    finally:
        await impatient.aclose()

    assert outcome.state is TradeState.CONFIRMED, outcome.message
    assert len(desk.node.calls_of("sendTransaction")) == 1
    assert desk.landed_swaps() == 1 and desk.tokens() == expected_tokens()
    methods = [r["method"] for r in desk.node.requests]
    after_send = methods[methods.index("sendTransaction") + 1]
    assert after_send == "getSignatureStatuses"


async def test_an_expired_blockhash_is_requoted_once_then_the_new_transaction_lands(
    desk: Desk,
) -> None:
    desk.node.drop_sends(10_000)  # every send of the first transaction is lost

    def on_update(update: TradeUpdate) -> None:
        desk.updates.append(update)
        if update.kind is UpdateKind.REQUOTED:
            desk.node.clear_failures()  # the network recovers

    request = desk.request(Side.BUY, BUY)
    outcome = await desk.executors[0].execute(request, on_update)

    assert outcome.state is TradeState.CONFIRMED, outcome.message
    record = await desk.store.get(request.idempotency_key)
    assert record is not None and record.attempts == 2 and len(record.signatures) == 2
    assert record.signature == record.signatures[1] == outcome.signature
    statuses = await desk.rpc.get_signature_statuses(list(record.signatures))
    assert statuses[0] is None and statuses[1] is not None  # the expired one never landed
    assert desk.landed_swaps() == 1 and desk.tokens() > 0
    kinds = [u.kind for u in desk.updates]
    assert kinds.count(UpdateKind.REQUOTED) == 1 and kinds[-1] is UpdateKind.CONFIRMED
    actions = [e.action for e in await desk.audit.for_key(request.idempotency_key)]
    assert "trade.rebroadcast" in actions and actions.count("trade.requoted") == 1


async def test_a_blockhash_that_expires_twice_fails_clearly_and_trades_nothing(
    desk: Desk,
) -> None:
    desk.node.drop_sends(10_000)

    outcome = await desk.execute(desk.request(Side.BUY, BUY))

    assert outcome.state is TradeState.FAILED
    assert outcome.reason == FailureReason.BLOCKHASH_EXPIRED
    assert "did not land" in (outcome.message or "") and "nothing was traded" in outcome.message
    assert len(outcome.detail["signatures"]) == 2
    assert len(desk.node.calls_of("sendTransaction")) > 2  # rebroadcast while valid
    assert desk.landed_swaps() == 0 and desk.tokens() == 0


async def test_a_request_left_sent_by_a_stopped_executor_resumes_without_a_second_trade(
    desk: Desk,
) -> None:
    # This executor writes the signed transaction, then stops before its first send.
    stopped = desk.executor(lander=TransactionLander(desk.rpc, max_wait_s=-1))
    request = desk.request(Side.BUY, BUY)

    first = await desk.execute(request, stopped)
    assert first.state is TradeState.SENT and first.in_progress
    assert desk.node.calls_of("sendTransaction") == []

    resumed = await desk.execute(request)  # the retried job

    assert resumed.state is TradeState.CONFIRMED and resumed.signature == first.signature
    assert len(desk.node.calls_of("sendTransaction")) == 1 and desk.landed_swaps() == 1
    methods = [r["method"] for r in desk.node.requests]
    assert methods.index("getSignatureStatuses") < methods.index("sendTransaction")
    assert len(desk.wallet_swaps()) == 1  # the stored transaction, not a new one
