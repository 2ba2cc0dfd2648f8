"""Scoring as a process runs it, with clusters from common funders found on chain: tracked
wallets' first funders are read over JSON-RPC from a LiteSVM chain, and a signal whose smart
buyers include two wallets funded by the same source says they are one entity."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from core.chain.rpc_client import RpcClient
from core.ingest.scoring import Scoring
from core.signals import explain_text
from core.signals.signal import Signal
from core.signals.store import SignalStore
from core.storage.migrate import upgrade
from core.storage.models import ListKind
from core.wallets.clusters import ClusterParams
from core.wallets.csv_json import WalletRow
from core.wallets.registry import WalletRegistry
from tests.core.signals.factories import MINT, clean_report, launch, trade
from tests.svm_rpc import SvmRpcServer

SOL = 1_000_000_000
VSOL, VTOK, REAL = 90_000_000_000, 700_000_000_000_000, 60_000_000_000


def _fund(node: SvmRpcServer, source: Keypair, dest: Keypair, lamports: int) -> None:
    ix = transfer(
        TransferParams(from_pubkey=source.pubkey(), to_pubkey=dest.pubkey(), lamports=lamports)
    )
    node.send([ix], source)


async def _three_buyers_signal(
    db_url: str,
    node: SvmRpcServer,
    buyers: Sequence[str],
    cluster_params: ClusterParams | None = None,
) -> tuple[list[Signal], Scoring]:
    async with WalletRegistry(db_url) as registry:
        await registry.store(
            [WalletRow(w, alias=None, tags=("smart",)) for w in buyers], kind=ListKind.FEATURED
        )
    emitted: list[Signal] = []

    async def capture(signals: Sequence[Signal]) -> None:
        emitted.extend(signals)

    async with RpcClient(node.url, max_retries=0) as rpc:
        scoring = await Scoring.create(
            db_url,
            sol_usd=lambda: 150.0,
            risk=None,
            emit=capture,
            rpc=rpc,
            cluster_params=cluster_params,
        )
        try:
            assert scoring.funders is not None and scoring.funders.pending == len(buyers)
            await scoring.funders.resolve_due()
            scoring.apply_funders()
            await scoring.stage.add_many([launch()])
            scoring.stage.engine.set_risk(MINT, clean_report())
            await scoring.stage.add_many(
                [
                    trade(t=2_000 + i, trader=w, mint=MINT, vsol=VSOL, vtok=VTOK, real_sol=REAL)
                    for i, w in enumerate(buyers)
                ]
            )
        finally:
            await scoring.aclose()
    return [s for s in emitted if s.mint == MINT], scoring


async def test_signal_names_two_buyers_funded_by_the_same_wallet_as_one_cluster(
    db_url: str,
) -> None:
    async with SvmRpcServer() as node:
        source, other_source = Keypair(), Keypair()
        node.airdrop(source.pubkey(), 100 * SOL)
        node.airdrop(other_source.pubkey(), 100 * SOL)
        twin1, twin2, loner = Keypair(), Keypair(), Keypair()
        _fund(node, source, twin1, 2 * SOL)
        _fund(node, source, twin2, 3 * SOL)
        _fund(node, other_source, loner, 4 * SOL)
        buyers = [str(k.pubkey()) for k in (twin1, twin2, loner)]
        signals, scoring = await _three_buyers_signal(db_url, node, buyers)

    assert signals, "three smart buyers should signal"
    twins = tuple(sorted(buyers[:2]))
    why = f"funded by the same wallet {source.pubkey()}, strength 1.00"
    assert signals[0].clusters == ((twins[0], twins, why),)
    assert explain_text(signals[0]).splitlines()[-1] == (
        f"Cluster: 2 of 3 smart buyers are one entity ({why})"
    )
    summary = scoring.summary()
    assert summary["funders_known"] == 3 and summary["clusters"] == 1
    assert summary["clustered_signals"] >= 1
    # The bots read signals from the table: the cluster is there too.
    async with SignalStore(db_url) as store:
        stored = await store.history(MINT)
    assert stored and all(s.clusters == signals[0].clusters for s in stored)


async def test_an_exchange_funding_every_buyer_does_not_make_them_one_entity(
    sqlite_url: str,
) -> None:
    await upgrade(sqlite_url)
    async with SvmRpcServer() as node:
        exchange = Keypair()
        node.airdrop(exchange.pubkey(), 100 * SOL)
        wallets = [Keypair() for _ in range(3)]
        for i, w in enumerate(wallets):
            _fund(node, exchange, w, (2 + i) * SOL)
        buyers = [str(k.pubkey()) for k in wallets]
        signals, scoring = await _three_buyers_signal(
            sqlite_url, node, buyers, cluster_params=ClusterParams(max_funder_wallets=2)
        )
    assert signals and all(s.clusters == () for s in signals)
    assert scoring.stage.clusters.hub_funders == {str(exchange.pubkey())}


async def test_the_running_scoring_loop_finds_funders_in_the_background(sqlite_url: str) -> None:
    await upgrade(sqlite_url)
    async with SvmRpcServer() as node:
        source = Keypair()
        node.airdrop(source.pubkey(), 100 * SOL)
        twins = [Keypair(), Keypair()]
        for i, w in enumerate(twins):
            _fund(node, source, w, (2 + i) * SOL)
        addresses = sorted(str(k.pubkey()) for k in twins)
        async with WalletRegistry(sqlite_url) as registry:
            await registry.store(
                [WalletRow(a, alias=None, tags=("smart",)) for a in addresses],
                kind=ListKind.FEATURED,
            )
        async with RpcClient(node.url, max_retries=0) as rpc:
            scoring = await Scoring.create(
                sqlite_url, sol_usd=lambda: 150.0, risk=None, emit=None, rpc=rpc, refresh_s=3600
            )
            loop = asyncio.create_task(scoring.refresh_loop())
            try:
                for _ in range(250):
                    if scoring.stage.clusters.clusters():
                        break
                    await asyncio.sleep(0.02)
            finally:
                loop.cancel()
                await asyncio.gather(loop, return_exceptions=True)
                await scoring.aclose()
    [cluster] = scoring.stage.clusters.clusters()
    assert sorted(cluster.members) == addresses
    assert cluster.reasons == (f"funder {source.pubkey()}",)
