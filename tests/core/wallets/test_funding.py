"""A wallet's first funder, read over the Solana JSON-RPC protocol from the replay server."""

from __future__ import annotations

from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from core.chain.rpc_client import RpcClient
from core.replay.ledger import ReplayTx
from core.replay.server import ReplayServer
from core.wallets.clusters import ClusterIndex
from core.wallets.funding import first_funder, transfer_source
from tests.factories import b58encode

FUNDER = Keypair().pubkey()


def _funding_tx(wallet: str, slot: int, signature: str) -> ReplayTx:
    """A real System transfer FUNDER → wallet, compiled by solders, in getTransaction's json."""
    ix = transfer(
        TransferParams(
            from_pubkey=FUNDER, to_pubkey=Pubkey.from_string(wallet), lamports=2_000_000_000
        )
    )
    msg = Message([ix], FUNDER)
    compiled = msg.instructions[0]
    keys = [str(k) for k in msg.account_keys]
    result = {
        "slot": slot,
        "blockTime": 1_754_000_000 + slot,
        "version": 0,
        "meta": {
            "err": None,
            "logMessages": [],
            "innerInstructions": [],
            "loadedAddresses": {"writable": [], "readonly": []},
        },
        "transaction": {
            "signatures": [signature],
            "message": {
                "accountKeys": keys,
                "instructions": [
                    {
                        "programIdIndex": compiled.program_id_index,
                        "accounts": list(compiled.accounts),
                        "data": b58encode(bytes(compiled.data)),
                    }
                ],
            },
        },
    }
    return ReplayTx(signature, slot, 1_754_000_000 + slot, (), frozenset({wallet}), None, result)


def _later_tx(wallet: str, slot: int, signature: str) -> ReplayTx:
    return ReplayTx(signature, slot, 1_754_000_000 + slot, (), frozenset({wallet}))


def _sig(i: int) -> str:
    return b58encode(bytes([i + 1]) * 64)


async def test_first_funder_is_the_sender_of_the_oldest_transfer_in() -> None:
    w1, w2 = str(Keypair().pubkey()), str(Keypair().pubkey())
    txs = [
        _funding_tx(w1, 10, _sig(0)),
        _funding_tx(w2, 11, _sig(1)),
        *[_later_tx(w1, 20 + i, _sig(10 + i)) for i in range(5)],
    ]
    server = ReplayServer(txs)
    await server.start()
    await server.wait_published(len(txs))
    try:
        async with RpcClient(server.http_url) as rpc:
            f1 = await first_funder(rpc, w1)
            f2 = await first_funder(rpc, w2)
            nobody = await first_funder(rpc, str(Keypair().pubkey()))
    finally:
        await server.stop()
    assert f1 == f2 == str(FUNDER)
    assert nobody is None
    index = ClusterIndex()
    index.add_funder(w1, f1)
    index.add_funder(w2, f2)
    cluster = index.cluster_of(w1)
    assert cluster is not None and cluster.members == {w1, w2}


def test_transfer_out_of_the_wallet_is_not_a_funding() -> None:
    wallet = str(Keypair().pubkey())
    tx = _funding_tx(wallet, 1, _sig(0)).transaction
    assert tx is not None
    assert transfer_source(tx, wallet) == str(FUNDER)
    assert transfer_source(tx, str(FUNDER)) is None  # FUNDER sent, it was not funded here
