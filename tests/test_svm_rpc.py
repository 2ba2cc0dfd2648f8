"""The LiteSVM-backed JSON-RPC test node, driven through the production RpcClient."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

from core.chain.rpc_client import RpcClient, build_request
from core.decode.accounts import decode_mint, mint_info_from_parsed
from core.errors import RpcError
from core.programs import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID
from tests.svm_rpc import SvmRpcServer, ui_amount_string


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def rpc(node: SvmRpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(node.url, max_retries=0) as client:
        yield client


def _transfer_tx(node: SvmRpcServer, sender: Keypair, to: Pubkey, lamports: int, bh: str) -> str:
    ix = transfer(TransferParams(from_pubkey=sender.pubkey(), to_pubkey=to, lamports=lamports))
    tx = Transaction([sender], Message([ix], sender.pubkey()), Hash.from_string(bh))
    return base64.b64encode(bytes(tx)).decode()


async def test_mint_reads_back_in_base64_and_json_parsed(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    freezer = Keypair().pubkey()
    mint = node.create_mint(6, freeze_authority=freezer)
    holder = node.create_token_account(Keypair().pubkey(), mint)
    node.mint_to(mint, holder, 1_234_500_000)

    raw = await rpc.get_account_info(str(mint))
    parsed = await rpc.get_account_info(str(mint), encoding="jsonParsed")

    assert raw is not None and parsed is not None
    assert isinstance(raw.data, bytes) and isinstance(parsed.data, dict)
    assert raw.owner == parsed.owner == TOKEN_PROGRAM_ID
    from_bytes = decode_mint(raw.data, raw.owner)
    assert from_bytes == mint_info_from_parsed({"data": parsed.data, "owner": parsed.owner})
    assert from_bytes.mint_authority == str(node.mint_authorities[mint].pubkey())
    assert from_bytes.freeze_authority == str(freezer)
    assert (from_bytes.supply_raw, from_bytes.decimals) == (1_234_500_000, 6)
    assert parsed.data["program"] == "spl-token" and parsed.data["space"] == 82


async def test_json_parsed_token_account_has_the_fixture_shape(
    node: SvmRpcServer, rpc: RpcClient, shared_fixtures: Path
) -> None:
    fixture = json.loads(
        (shared_fixtures / "rpc_shapes/solnet_GetTokenAccountInfoResponse.json").read_text()
    )["result"]["value"]
    owner = Keypair().pubkey()
    mint = node.create_mint(0)
    account = node.create_token_account(owner, mint)
    node.mint_to(mint, account, 1)

    got = await rpc.get_account_info(str(account), encoding="jsonParsed")

    assert got is not None and isinstance(got.data, dict)
    assert got.data["parsed"]["type"] == "account"
    info = got.data["parsed"]["info"]
    assert set(info) == set(fixture["data"]["parsed"]["info"])
    assert info["tokenAmount"] == fixture["data"]["parsed"]["info"]["tokenAmount"]
    assert (info["owner"], info["mint"], info["state"]) == (str(owner), str(mint), "initialized")
    assert got.lamports == fixture["lamports"]  # rent-exempt 165 bytes, as on mainnet


async def test_token_2022_transfer_fee_mint_parses_with_its_fee(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    mint = node.create_mint(9, token_2022=True, transfer_fee_bps=1_000, max_fee=5_000)
    node.mint_to(mint, node.create_token_account(Keypair().pubkey(), mint), 10**9)
    node.mint_to(mint, node.create_token_account(Keypair().pubkey(), mint, associated=False), 7)

    raw, missing = await rpc.get_multiple_accounts([str(mint), str(Keypair().pubkey())])
    json_parsed = await rpc.get_account_info(str(mint), encoding="jsonParsed")

    assert missing is None
    assert raw is not None and isinstance(raw.data, bytes) and raw.owner == TOKEN_2022_PROGRAM_ID
    assert json_parsed is not None and isinstance(json_parsed.data, dict)
    info = decode_mint(raw.data, raw.owner)
    assert (info.transfer_fee_bps, info.transfer_fee_max_raw, info.supply_raw) == (
        1_000,
        5_000,
        10**9 + 7,
    )
    assert mint_info_from_parsed({"data": json_parsed.data, "owner": json_parsed.owner}) == info


async def test_largest_accounts_are_sorted_and_capped_at_twenty(
    node: SvmRpcServer, rpc: RpcClient, shared_fixtures: Path
) -> None:
    fixture = json.loads(
        (shared_fixtures / "rpc_shapes/solnet_GetTokenLargestAccountsResponse.json").read_text()
    )["result"]["value"][0]
    mint = node.create_mint(2)
    amounts = [(i + 1) * 100 for i in range(25)]
    for amount in amounts:
        node.mint_to(mint, node.create_token_account(Keypair().pubkey(), mint), amount)
    other = node.create_mint(2)  # accounts of another mint are not counted
    node.mint_to(other, node.create_token_account(Keypair().pubkey(), other), 10**9)

    rows = await rpc.get_token_largest_accounts(str(mint))
    raw = node.calls_of("getTokenLargestAccounts")
    answer = (await rpc.call(build_request("getTokenLargestAccounts", str(mint))))["value"]

    assert len(raw) == 1
    assert [r.amount_raw for r in rows] == sorted(amounts, reverse=True)[:20]
    assert {r.decimals for r in rows} == {2}
    assert rows[0].ui_amount_string == "25"
    assert set(answer[0]) == set(fixture)
    assert answer[-1]["uiAmount"] == 6.0 and answer[-1]["uiAmountString"] == "6"


async def test_send_lands_and_confirms_and_moves_lamports(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    sender, to = Keypair(), Keypair().pubkey()
    node.airdrop(sender.pubkey(), 10**9)
    blockhash, last_valid = await rpc.get_latest_blockhash()
    tx = _transfer_tx(node, sender, to, 250_000_000, blockhash)

    simulated = await rpc.simulate_transaction(tx)
    sig = await rpc.send_transaction(tx)
    statuses = await rpc.get_signature_statuses([sig, str(Keypair().sign_message(b"never sent"))])

    assert simulated.err is None and simulated.units_consumed == 150
    assert any("success" in line for line in simulated.logs)
    assert last_valid == await rpc.get_slot() + 150
    assert statuses[0] is not None and statuses[0].err is None
    assert statuses[0].confirmation_status == "confirmed"
    assert statuses[1] is None
    assert await rpc.get_balance(str(to)) == 250_000_000
    assert await rpc.get_balance(str(sender.pubkey())) == 10**9 - 250_000_000 - 5_000


async def test_failing_transaction_is_a_preflight_error_with_logs(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    sender = Keypair()
    node.airdrop(sender.pubkey(), 10**6)
    blockhash, _ = await rpc.get_latest_blockhash()
    tx = _transfer_tx(node, sender, Keypair().pubkey(), 10**9, blockhash)

    simulated = await rpc.simulate_transaction(tx)
    with pytest.raises(RpcError) as caught:
        await rpc.send_transaction(tx)

    assert simulated.err == {"InstructionError": [0, {"Custom": 1}]}
    assert caught.value.code == -32002 and not caught.value.retryable
    assert isinstance(caught.value.data, dict)
    assert caught.value.data["err"] == {"InstructionError": [0, {"Custom": 1}]}
    assert any("insufficient lamports" in line for line in caught.value.data["logs"])
    assert await rpc.get_balance(str(sender.pubkey())) == 10**6  # nothing landed


async def test_signatures_are_verified_by_the_runtime(node: SvmRpcServer, rpc: RpcClient) -> None:
    sender, impostor = Keypair(), Keypair()
    node.airdrop(sender.pubkey(), 10**9)
    blockhash, _ = await rpc.get_latest_blockhash()
    ix = transfer(
        TransferParams(from_pubkey=sender.pubkey(), to_pubkey=impostor.pubkey(), lamports=10**6)
    )
    tx = Transaction.new_unsigned(Message([ix], sender.pubkey()))
    tx.partial_sign([sender], Hash.from_string(blockhash))
    forged = bytearray(bytes(tx))
    forged[1:65] = bytes(impostor.sign_message(b"not this message"))

    with pytest.raises(RpcError) as caught:
        await rpc.send_transaction(base64.b64encode(bytes(forged)).decode())
    unsigned = await rpc.simulate_transaction(base64.b64encode(bytes(forged)).decode())

    assert caught.value.code == -32003
    assert unsigned.err is None  # simulation skips sigVerify by default, as a node does


async def test_injected_failures_and_unknown_methods_are_json_rpc_errors(
    node: SvmRpcServer, rpc: RpcClient
) -> None:
    node.fail("getAccountInfo", -32005, "Node is behind by 42 slots")
    with pytest.raises(RpcError) as behind:
        await rpc.get_account_info(str(Keypair().pubkey()))
    node.clear_failures()
    missing = await rpc.get_account_info(str(Keypair().pubkey()))
    with pytest.raises(RpcError) as unknown:
        await rpc.call(build_request("getNothing"))
    with pytest.raises(RpcError) as not_a_mint:
        await rpc.get_token_largest_accounts(str(Keypair().pubkey()))

    assert behind.value.code == -32005 and behind.value.retryable
    assert missing is None
    assert unknown.value.code == -32601
    assert not_a_mint.value.code == -32602
    assert await rpc.call(build_request("getHealth")) == "ok"


@pytest.mark.parametrize(
    ("amount", "decimals", "expected"),
    [(1000, 2, "10"), (1, 0, "1"), (5, 1, "0.5"), (1_230_000, 6, "1.23"), (0, 6, "0")],
)
def test_ui_amount_string_trims_like_a_node(amount: int, decimals: int, expected: str) -> None:
    assert ui_amount_string(amount, decimals) == expected
