"""First funders of tracked wallets, looked up over JSON-RPC on a LiteSVM chain, once, and kept
in the database; an RPC failure is "unknown" and asked again later."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from core.chain.rpc_client import RpcClient
from core.storage.migrate import upgrade
from core.wallets.funder_store import FunderStore
from core.wallets.funders import FunderTracker
from core.wallets.funding import FunderOutcome, FunderResult, find_funder
from tests.svm_rpc import SvmRpcServer

SOL = 1_000_000_000


def send_sol(node: SvmRpcServer, source: Keypair, dest: Keypair, lamports: int) -> None:
    """A System transfer signed by ``source`` (the node's payer pays the fee)."""
    ix = transfer(
        TransferParams(from_pubkey=source.pubkey(), to_pubkey=dest.pubkey(), lamports=lamports)
    )
    node.send([ix], source)


@dataclass
class Chain:
    node: SvmRpcServer
    funder1: Keypair
    funder2: Keypair
    w1: Keypair  # funded by funder1, then active
    w2: Keypair  # funded by funder1
    w3: Keypair  # funded by funder2
    w4: Keypair  # never funded: no history

    def address(self, kp: Keypair) -> str:
        return str(kp.pubkey())


@pytest.fixture
async def chain() -> AsyncIterator[Chain]:
    async with SvmRpcServer() as node:
        funder1, funder2 = Keypair(), Keypair()
        for funder in (funder1, funder2):
            node.airdrop(funder.pubkey(), 100 * SOL)
        c = Chain(node, funder1, funder2, Keypair(), Keypair(), Keypair(), Keypair())
        send_sol(node, funder1, c.w1, 2 * SOL)
        send_sol(node, funder1, c.w2, 3 * SOL)
        send_sol(node, funder2, c.w3, 4 * SOL)
        for i in range(3):  # later activity: the funding stays the oldest transaction
            send_sol(node, c.w1, Keypair(), SOL // 10 + i)
        yield c


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_the_node_lists_a_wallets_signatures_newest_first_in_pages(chain: Chain) -> None:
    async with RpcClient(chain.node.url, max_retries=0) as rpc:
        everything = await rpc.get_signatures_for_address(chain.address(chain.w1))
        first = await rpc.get_signatures_for_address(chain.address(chain.w1), limit=2)
        rest = await rpc.get_signatures_for_address(
            chain.address(chain.w1), before=first[-1].signature
        )
        oldest = await rpc.get_transaction(everything[-1].signature)
    assert len(everything) == 4  # funded once, sent three times
    assert [s.signature for s in first + rest] == [s.signature for s in everything]
    assert oldest is not None
    assert str(chain.funder1.pubkey()) in oldest["transaction"]["message"]["accountKeys"]


async def test_find_funder_names_the_sender_or_says_why_there_is_none(chain: Chain) -> None:
    async with RpcClient(chain.node.url, max_retries=0) as rpc:
        w1 = await find_funder(rpc, chain.address(chain.w1))
        w4 = await find_funder(rpc, chain.address(chain.w4))
        funder = await find_funder(rpc, chain.address(chain.funder1))  # its oldest tx sends out
    assert w1 == FunderResult(
        chain.address(chain.w1), FunderOutcome.FOUND, str(chain.funder1.pubkey())
    )
    assert w4.outcome is FunderOutcome.NO_HISTORY and w4.funder is None
    assert funder.outcome is FunderOutcome.NO_TRANSFER


async def test_funders_are_looked_up_once_and_kept_across_restarts(
    chain: Chain, db_url: str
) -> None:
    wallets = [chain.address(w) for w in (chain.w1, chain.w2, chain.w3, chain.w4)]
    async with RpcClient(chain.node.url, max_retries=0) as rpc:
        tracker = FunderTracker(rpc, FunderStore(db_url), concurrency=2)
        try:
            assert await tracker.track(wallets) == 4
            found = await tracker.resolve_due()
        finally:
            await tracker.aclose()
        f1, f2 = str(chain.funder1.pubkey()), str(chain.funder2.pubkey())
        assert {r.wallet for r in found} == set(wallets[:3])
        assert tracker.funders(wallets) == {wallets[0]: f1, wallets[1]: f1, wallets[2]: f2}
        assert tracker.answer(wallets[3]) is None  # no history yet: unknown, still queued
        assert tracker.pending == 1

        asked = len(chain.node.requests)
        restarted = FunderTracker(rpc, FunderStore(db_url))
        try:
            assert await restarted.track(wallets) == 1  # only the one without an answer
        finally:
            await restarted.aclose()
        assert len(chain.node.requests) == asked  # stored answers: no RPC call
        assert restarted.funders(wallets) == tracker.funders(wallets)


async def test_an_rpc_failure_leaves_the_funder_unknown_and_is_retried_later(
    chain: Chain, sqlite_url: str
) -> None:
    await upgrade(sqlite_url)
    wallet = chain.address(chain.w2)
    clock = Clock()
    async with RpcClient(chain.node.url, max_retries=0) as rpc:
        tracker = FunderTracker(rpc, FunderStore(sqlite_url), retry_s=60, clock=clock)
        try:
            await tracker.track([wallet])
            chain.node.fail("getTransaction")
            assert await tracker.resolve_due() == []
            assert tracker.answer(wallet) is None and tracker.funders([wallet]) == {}
            assert tracker.next_due_in_s() == 60
            assert await tracker.resolve_due() == []  # not due yet: not asked
            clock.now += 60
            await tracker.resolve_due()  # fails again: the wait doubles
            assert tracker.next_due_in_s() == 120
            async with FunderStore(sqlite_url) as store:
                assert await store.load([wallet]) == {}  # "unknown" is never stored

            chain.node.clear_failures()
            clock.now += 120
            found = await tracker.resolve_due()
        finally:
            await tracker.aclose()
    assert found == [FunderResult(wallet, FunderOutcome.FOUND, str(chain.funder1.pubkey()))]
    assert tracker.pending == 0 and tracker.next_due_in_s() is None
    async with FunderStore(sqlite_url) as store:
        assert await store.load([wallet]) == {wallet: found[0]}


async def test_a_wallet_without_history_is_asked_again_once_it_may_have_been_funded(
    chain: Chain,
) -> None:
    wallet = chain.address(chain.w4)
    clock = Clock()
    async with RpcClient(chain.node.url, max_retries=0) as rpc:
        tracker = FunderTracker(rpc, None, no_history_retry_s=3_600, clock=clock)
        await tracker.track([wallet])
        assert await tracker.resolve_due() == []
        assert tracker.next_due_in_s() == 3_600
        send_sol(chain.node, chain.funder2, chain.w4, SOL)
        clock.now += 3_600
        found = await tracker.resolve_due()
    assert [r.funder for r in found] == [str(chain.funder2.pubkey())]


async def test_wallets_no_longer_tracked_leave_the_queue(chain: Chain) -> None:
    async with RpcClient(chain.node.url, max_retries=0) as rpc:
        tracker = FunderTracker(rpc, None)
        await tracker.track([chain.address(chain.w1), chain.address(chain.w2)])
        await tracker.track([chain.address(chain.w2)])
        found = await tracker.resolve_due()
    assert [r.wallet for r in found] == [chain.address(chain.w2)]
    assert tracker.pending == 0
