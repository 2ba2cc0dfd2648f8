"""The RPC methods trading needs, against the LiteSVM-backed node: token balances, a landed
transaction's balance changes, prioritization fees, one-attempt sends, blockhash expiry."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

from core.chain.rpc_client import RpcClient
from core.errors import RpcError, UpstreamError
from tests.svm_rpc import LAST_VALID_BLOCKS, SvmRpcServer

SOL = 10**9


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def rpc(node: SvmRpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(node.url, max_retries=2, timeout_s=0.3, sleep=_no_wait) as client:
        yield client


async def _no_wait(_: float) -> None:
    return None


def _transfer(sender: Keypair, lamports: int, blockhash: str) -> str:
    ix = transfer(
        TransferParams(
            from_pubkey=sender.pubkey(), to_pubkey=Keypair().pubkey(), lamports=lamports
        )
    )
    tx = Transaction([sender], Message([ix], sender.pubkey()), Hash.from_string(blockhash))
    return base64.b64encode(bytes(tx)).decode()


async def test_token_account_balance_is_raw_amount_and_decimals(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    mint = node.create_mint(9)
    owner = Keypair().pubkey()
    account = node.create_token_account(owner, mint)
    node.mint_to(mint, account, 1_234_567_890_123)

    balance = await rpc.get_token_account_balance(str(account))

    assert (balance.amount_raw, balance.decimals) == (1_234_567_890_123, 9)
    with pytest.raises(RpcError) as caught:
        await rpc.get_token_account_balance(str(owner))  # a system account, not a token account
    assert caught.value.code == -32602


async def test_transaction_balances_give_fee_lamports_and_token_changes(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    mint = node.create_mint(6)
    owner = Keypair().pubkey()
    account = node.create_token_account(owner, mint)
    node.mint_to(mint, account, 500)
    signature = node._signatures_of[str(account)][-1]  # the MintTo, landed by the helper

    balances = await rpc.get_transaction_balances(signature)

    assert balances is not None and balances.err is None and balances.fee_lamports == 10_000
    [pre] = balances.pre_token
    [post] = balances.post_token
    assert balances.account_keys[post.account_index] == str(account)
    assert (pre.amount_raw, post.amount_raw, post.mint, post.owner) == (
        0,
        500,
        str(mint),
        str(owner),
    )
    payer = balances.account_keys.index(str(node.payer.pubkey()))
    assert balances.pre_lamports[payer] - balances.post_lamports[payer] == 10_000
    assert await rpc.get_transaction_balances(str(Keypair().sign_message(b"x"))) is None


async def test_prioritization_fees_are_per_recent_slot(node: SvmRpcServer, rpc: RpcClient) -> None:
    node.prioritization_fees = [0, 0, 1_500, 20_000]
    fees = await rpc.get_recent_prioritization_fees()
    assert [f.fee_micro_lamports_per_cu for f in fees] == [0, 0, 1_500, 20_000]
    assert fees[-1].slot == node.slot and fees[0].slot == node.slot - 3


async def test_a_send_without_retry_is_one_attempt_even_when_the_answer_times_out(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    sender = Keypair()
    node.airdrop(sender.pubkey(), SOL)
    blockhash, _ = await rpc.get_latest_blockhash()
    tx = _transfer(sender, 10_000_000, blockhash)
    node.stall("sendTransaction", 0.6)

    with pytest.raises(UpstreamError, match="timed out") as caught:
        await rpc.send_transaction(tx, retry=False)

    assert caught.value.retryable
    assert len(node.calls_of("sendTransaction")) == 1
    signature = str(Transaction.from_bytes(base64.b64decode(tx)).signatures[0])
    [status] = await rpc.get_signature_statuses([signature])
    assert status is not None  # it landed although the answer never came


async def test_dropped_sends_never_land_and_the_blockhash_expires_at_its_height(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    sender = Keypair()
    node.airdrop(sender.pubkey(), SOL)
    blockhash, last_valid = await rpc.get_latest_blockhash()
    tx = _transfer(sender, 10_000_000, blockhash)
    node.drop_sends(1)

    signature = await rpc.send_transaction(tx)
    assert (await rpc.get_signature_statuses([signature])) == [None]

    node.advance_blocks(LAST_VALID_BLOCKS)  # at lastValidBlockHeight: still valid
    assert await rpc.get_block_height() == last_valid
    assert (await rpc.get_latest_blockhash())[0] == blockhash
    node.advance_blocks(1)  # past it: expired, a new blockhash is issued
    new_hash, new_last_valid = await rpc.get_latest_blockhash()
    assert new_hash != blockhash and new_last_valid == last_valid + 1 + LAST_VALID_BLOCKS
    with pytest.raises(RpcError, match="BlockhashNotFound"):
        await rpc.send_transaction(tx)
