"""Prepare / submit for users who sign in their own wallet: the signing happens outside (a
solders Keypair plays Phantom), the local Solana node checks what lands."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import (
    CreateAccountParams,
    TransferParams,
    create_account,
    transfer,
)
from solders.transaction import VersionedTransaction

from core.chain.rpc_client import RpcClient
from core.errors import UserInputError
from core.trading.external_wallet import (
    PreparedTransaction,
    prepare,
    prepare_from_base64,
    submit,
)
from tests.svm_rpc import SvmRpcServer

SOL = 10**9
FEE = 5_000


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def rpc(node: SvmRpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(node.url, max_retries=0) as client:
        yield client


def wallet_signs(tx_base64: str, keypair: Keypair) -> str:
    """What a browser wallet's signTransaction does: fill its own slot, keep the others."""
    tx = VersionedTransaction.from_bytes(base64.b64decode(tx_base64))
    slot = list(tx.message.account_keys).index(keypair.pubkey())
    signatures = list(tx.signatures)
    signatures[slot] = keypair.sign_message(to_bytes_versioned(tx.message))
    return base64.b64encode(bytes(VersionedTransaction.populate(tx.message, signatures))).decode()


async def prepared_transfer(
    rpc: RpcClient, user: Pubkey, to: Pubkey, lamports: int
) -> PreparedTransaction:
    blockhash, _ = await rpc.get_latest_blockhash()
    ix = transfer(TransferParams(from_pubkey=user, to_pubkey=to, lamports=lamports))
    return prepare([ix], user, Hash.from_string(blockhash))


def sends(node: SvmRpcServer) -> int:
    return len(node.calls_of("sendTransaction"))


async def test_prepared_transaction_signed_in_the_wallet_lands(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    user = Keypair()
    node.airdrop(user.pubkey(), SOL)
    recipient = Keypair().pubkey()

    prepared = await prepared_transfer(rpc, user.pubkey(), recipient, SOL // 3)
    unsigned = VersionedTransaction.from_bytes(base64.b64decode(prepared.transaction_base64))
    signature = await submit(prepared, wallet_signs(prepared.transaction_base64, user), rpc)

    assert prepared.fee_payer == user.pubkey() and prepared.signers == (user.pubkey(),)
    assert list(unsigned.signatures) == [Signature.default()]
    assert signature != str(Signature.default())
    assert await rpc.get_balance(str(recipient)) == SOL // 3
    assert await rpc.get_balance(str(user.pubkey())) == SOL - SOL // 3 - FEE


async def test_prepared_message_kept_as_base64_between_requests_still_submits(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    user = Keypair()
    node.airdrop(user.pubkey(), SOL)
    prepared = await prepared_transfer(rpc, user.pubkey(), Keypair().pubkey(), SOL // 10)

    stored = prepared.message_base64  # e.g. in Redis until the user comes back
    restored = PreparedTransaction.from_message_base64(stored)
    await submit(restored, wallet_signs(prepared.transaction_base64, user), rpc)

    assert restored == prepared
    assert await rpc.get_balance(str(user.pubkey())) == SOL - SOL // 10 - FEE


async def test_a_different_transaction_is_refused_and_nothing_is_sent(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    user = Keypair()
    node.airdrop(user.pubkey(), SOL)
    recipient = Keypair().pubkey()
    prepared = await prepared_transfer(rpc, user.pubkey(), recipient, SOL // 10)
    other = await prepared_transfer(rpc, user.pubkey(), Keypair().pubkey(), SOL // 2)

    with pytest.raises(UserInputError, match="not the transaction that was prepared"):
        await submit(prepared, wallet_signs(other.transaction_base64, user), rpc)

    assert sends(node) == 0
    assert await rpc.get_balance(str(user.pubkey())) == SOL


@pytest.mark.parametrize("how", ["unsigned", "wrong-key", "garbage", "not-a-transaction"])
async def test_an_unsigned_or_badly_signed_transaction_is_refused(
    node: SvmRpcServer, rpc: RpcClient, how: str
) -> None:
    user = Keypair()
    node.airdrop(user.pubkey(), SOL)
    prepared = await prepared_transfer(rpc, user.pubkey(), Keypair().pubkey(), SOL // 10)
    tx = VersionedTransaction.from_bytes(base64.b64decode(prepared.transaction_base64))
    forged = VersionedTransaction.populate(
        tx.message, [Keypair().sign_message(to_bytes_versioned(tx.message))]
    )
    sent, says = {
        "unsigned": (prepared.transaction_base64, f"not signed by {user.pubkey()}"),
        "wrong-key": (base64.b64encode(bytes(forged)).decode(), "does not verify"),
        "garbage": ("%%% not base64 %%%", "not valid base64"),
        "not-a-transaction": (base64.b64encode(b"hello").decode(), "not a Solana transaction"),
    }[how]

    with pytest.raises(UserInputError, match=says):
        await submit(prepared, sent, rpc)

    assert sends(node) == 0
    assert await rpc.get_balance(str(user.pubkey())) == SOL


async def test_a_co_signed_transaction_keeps_the_other_signature_and_needs_the_users(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    user, new_account = Keypair(), Keypair()
    node.airdrop(user.pubkey(), SOL)
    blockhash, _ = await rpc.get_latest_blockhash()
    rent = node.svm.minimum_balance_for_rent_exemption(0)
    ix = create_account(
        CreateAccountParams(
            from_pubkey=user.pubkey(),
            to_pubkey=new_account.pubkey(),
            lamports=rent,
            space=0,
            owner=Pubkey.default(),
        )
    )
    built = prepare([ix], user.pubkey(), Hash.from_string(blockhash))
    co_signed = wallet_signs(built.transaction_base64, new_account)  # the other party first

    prepared = prepare_from_base64(co_signed)
    with pytest.raises(UserInputError, match=f"not signed by {user.pubkey()}"):
        await submit(prepared, prepared.transaction_base64, rpc)
    await submit(prepared, wallet_signs(prepared.transaction_base64, user), rpc)

    assert prepared.signers == (user.pubkey(), new_account.pubkey())
    assert await rpc.get_balance(str(new_account.pubkey())) == rent
    assert await rpc.get_balance(str(user.pubkey())) == SOL - rent - 2 * FEE
