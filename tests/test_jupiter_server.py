"""The local Jupiter server: real swaps on the LiteSVM chain, driven by the production clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address

from core.chain.rpc_client import RpcClient
from core.errors import RpcError
from core.market.amm import buy_quote, sell_quote
from core.programs import WSOL_MINT
from core.trading import JupiterClient
from tests.jupiter_server import POOL_LABEL, JupiterServer, sign_as_user
from tests.svm_rpc import TOKEN_PROGRAM, SvmRpcServer, read_token_account

SOL = 10**9


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def jup(node: SvmRpcServer) -> AsyncIterator[JupiterServer]:
    async with JupiterServer(node) as server:
        yield server


@pytest.fixture
async def client(jup: JupiterServer) -> AsyncIterator[JupiterClient]:
    async with JupiterClient(jup.url, max_retries=0) as jupiter:
        yield jupiter


@pytest.fixture
async def rpc(node: SvmRpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(node.url, max_retries=0) as client:
        yield client


def token_balance(node: SvmRpcServer, owner: Pubkey, mint: Pubkey) -> tuple[int, int]:
    """(raw amount, state) of the owner's ATA; (0, -1) when it does not exist."""
    account = node.svm.get_account(get_associated_token_address(owner, mint, TOKEN_PROGRAM))
    if account is None:
        return 0, -1
    view = read_token_account(bytes(account.data))
    assert view is not None
    return view.amount_raw, view.state


async def test_buy_then_sell_moves_real_balances_on_the_local_chain(
    node: SvmRpcServer, jup: JupiterServer, client: JupiterClient, rpc: RpcClient
) -> None:
    mint = node.create_mint(6)
    pool = jup.add_pool(mint, 1_000_000 * 10**6, 100 * SOL, fee_bps=25)
    user = Keypair()
    node.airdrop(user.pubkey(), 2 * SOL)

    buy = await client.quote(WSOL_MINT, str(mint), SOL // 10, slippage_bps=50)
    assert buy.out_amount_raw == buy_quote(SOL // 10, 1_000_000 * 10**6, 100 * SOL, 25)
    assert buy.route_labels == (POOL_LABEL,)
    swap = await client.swap_transaction(
        buy, str(user.pubkey()), priority_fee_micro_lamports_per_cu=1_000
    )
    assert swap.compute_unit_limit == 200_000
    await rpc.send_transaction(sign_as_user(swap.transaction_base64, user))

    tokens, _ = token_balance(node, user.pubkey(), mint)
    assert tokens == buy.out_amount_raw
    sol_after_buy = await rpc.get_balance(str(user.pubkey()))
    assert sol_after_buy < 2 * SOL - SOL // 10  # the buy, the ATA rent and the fee
    assert jup.reserves(pool) == (1_000_000 * 10**6 - tokens, 100 * SOL + SOL // 10)

    sell = await client.quote(str(mint), WSOL_MINT, tokens, slippage_bps=50)
    base, sol = jup.reserves(pool)
    assert sell.out_amount_raw == sell_quote(tokens, base, sol, 25)
    swap = await client.swap_transaction(
        sell, str(user.pubkey()), priority_fee_micro_lamports_per_cu=None
    )
    await rpc.send_transaction(sign_as_user(swap.transaction_base64, user))

    assert token_balance(node, user.pubkey(), mint)[0] == 0
    sol_after_sell = await rpc.get_balance(str(user.pubkey()))
    # the fee: 5000 lamports per signature, the user's and the pool's SOL vault's
    assert sol_after_sell - sol_after_buy == sell.out_amount_raw - 10_000
    assert sell.out_amount_raw < SOL // 10  # fees both ways and price impact


async def test_freezing_pool_lets_the_buy_land_and_the_sell_fail(
    node: SvmRpcServer, jup: JupiterServer, client: JupiterClient, rpc: RpcClient
) -> None:
    mint = node.create_mint(6, freeze_authority=jup.authority.pubkey())
    jup.add_pool(mint, 1_000_000 * 10**6, 100 * SOL, fee_bps=25, freeze_user_accounts=True)
    user = Keypair()
    node.airdrop(user.pubkey(), SOL)

    buy = await client.quote(WSOL_MINT, str(mint), SOL // 100, slippage_bps=50)
    swap = await client.swap_transaction(
        buy, str(user.pubkey()), priority_fee_micro_lamports_per_cu=None
    )
    await rpc.send_transaction(sign_as_user(swap.transaction_base64, user))
    tokens, state = token_balance(node, user.pubkey(), mint)
    assert tokens == buy.out_amount_raw and state == 2  # frozen

    sell = await client.quote(str(mint), WSOL_MINT, tokens, slippage_bps=50)
    swap = await client.swap_transaction(
        sell, str(user.pubkey()), priority_fee_micro_lamports_per_cu=None
    )
    with pytest.raises(RpcError) as caught:
        await rpc.send_transaction(sign_as_user(swap.transaction_base64, user))
    assert caught.value.code == -32002
    assert "Custom(17)" in str(caught.value) or "17" in str(caught.value.data)
    assert token_balance(node, user.pubkey(), mint)[0] == tokens


def test_freezing_pool_needs_the_server_as_freeze_authority(
    node: SvmRpcServer, jup: JupiterServer
) -> None:
    mint = node.create_mint(6)
    with pytest.raises(ValueError, match="freeze_authority"):
        jup.add_pool(mint, 10**12, SOL, fee_bps=25, freeze_user_accounts=True)
