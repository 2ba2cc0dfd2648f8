"""getAccountInfo / getMultipleAccounts: the production RpcClient resolves unknown pools."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from core.chain.rpc_client import RpcClient, build_request
from core.decode.accounts import decode_mint, decode_pump_swap_pool, mint_info_from_parsed
from core.errors import RpcError
from core.programs import PROGRAM_IDS, TOKEN_PROGRAM_ID, WSOL_MINT, Program
from core.replay.ledger import ReplayTx
from core.replay.market import SimulatedMarket
from core.replay.server import ReplayServer

from .conftest import START_SLOT, START_TIME

PUMP_AMM_ID = PROGRAM_IDS[Program.PUMP_AMM]
UNKNOWN = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"


@pytest.fixture(scope="module")
def market_and_txs() -> tuple[SimulatedMarket, list[ReplayTx]]:
    market = SimulatedMarket(seed=5, preexisting_pools=3)
    return market, list(market.transactions(START_SLOT, START_TIME, limit=2000))


@pytest.fixture
async def server(
    market_and_txs: tuple[SimulatedMarket, list[ReplayTx]],
) -> AsyncIterator[ReplayServer]:
    market, txs = market_and_txs
    server = ReplayServer(txs, accounts=market.account)
    await server.start()
    await server.done.wait()
    try:
        yield server
    finally:
        await server.stop()


async def _post(url: str, method: str, params: list[Any]) -> dict[str, Any]:
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, content=orjson.dumps(payload))
    return response.json()


async def test_rpc_client_resolves_preexisting_pools_and_their_mint_decimals(
    server: ReplayServer, market_and_txs: tuple[SimulatedMarket, list[ReplayTx]]
) -> None:
    market, _ = market_and_txs
    pools = list(market.preexisting_pool_mints)
    async with RpcClient(server.http_url, max_retries=0) as client:
        accounts = await client.get_multiple_accounts([*pools, UNKNOWN])
        assert accounts[-1] is None
        mints: list[str] = []
        for pool, account in zip(pools, accounts, strict=False):
            assert account is not None and isinstance(account.data, bytes)
            assert account.owner == PUMP_AMM_ID and not account.executable
            assert account.slot == server.slot and account.space == len(account.data)
            decoded = decode_pump_swap_pool(account.data)
            assert decoded.base_mint == market.preexisting_pool_mints[pool]
            assert decoded.quote_mint == WSOL_MINT
            mints += [decoded.base_mint, decoded.quote_mint]
        mint_accounts = await client.get_multiple_accounts(mints)
    decimals = []
    for account in mint_accounts:
        assert account is not None and isinstance(account.data, bytes)
        assert account.owner == TOKEN_PROGRAM_ID and account.lamports == 1_461_600
        decimals.append(decode_mint(account.data, account.owner).decimals)
    assert decimals == [6, 9] * len(pools)


async def test_get_account_info_answers_in_the_node_shape(
    server: ReplayServer, market_and_txs: tuple[SimulatedMarket, list[ReplayTx]]
) -> None:
    market, _ = market_and_txs
    pool = next(iter(market.preexisting_pool_mints))
    owner, data = market.account(pool) or ("", b"")
    answer = await _post(
        server.http_url,
        "getAccountInfo",
        [pool, {"encoding": "base64", "commitment": "confirmed"}],
    )
    assert answer["result"] == {
        "context": {"slot": server.slot, "apiVersion": "2.2.0"},
        "value": {
            "data": [base64.b64encode(data).decode(), "base64"],
            "executable": False,
            "lamports": (128 + len(data)) * 6960,
            "owner": owner,
            "rentEpoch": 18446744073709551615,
            "space": len(data),
        },
    }
    missing = await _post(server.http_url, "getAccountInfo", [UNKNOWN, {"encoding": "base64"}])
    assert missing["result"]["value"] is None
    async with RpcClient(server.http_url, max_retries=0) as client:
        assert await client.get_account_info(UNKNOWN) is None
        account = await client.get_account_info(pool)
    assert account is not None and account.data == data


async def test_json_parsed_parses_mints_and_falls_back_to_base64_for_pools(
    server: ReplayServer, market_and_txs: tuple[SimulatedMarket, list[ReplayTx]]
) -> None:
    market, _ = market_and_txs
    pool, mint = next(iter(market.preexisting_pool_mints.items()))
    async with RpcClient(server.http_url, max_retries=0) as client:
        mint_account, pool_account = await client.get_multiple_accounts(
            [mint, pool], encoding="jsonParsed"
        )
    assert mint_account is not None and isinstance(mint_account.data, dict)
    assert mint_account.data["program"] == "spl-token" and mint_account.data["space"] == 82
    parsed = mint_info_from_parsed({"data": mint_account.data, "owner": mint_account.owner})
    assert (parsed.decimals, parsed.mint_authority, parsed.freeze_authority) == (6, None, None)
    assert parsed.supply_raw == 1_000_000_000_000_000
    assert pool_account is not None and isinstance(pool_account.data, bytes)
    assert decode_pump_swap_pool(pool_account.data).base_mint == mint


async def test_data_slice_returns_part_of_the_data_and_the_full_space(
    server: ReplayServer, market_and_txs: tuple[SimulatedMarket, list[ReplayTx]]
) -> None:
    market, _ = market_and_txs
    pool = next(iter(market.preexisting_pool_mints))
    _, data = market.account(pool) or ("", b"")
    answer = await _post(
        server.http_url,
        "getAccountInfo",
        [pool, {"encoding": "base64", "dataSlice": {"offset": 43, "length": 32}}],
    )
    value = answer["result"]["value"]
    assert base64.b64decode(value["data"][0]) == data[43:75]
    assert value["space"] == len(data)


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("getMultipleAccounts", [[UNKNOWN] * 101, {"encoding": "base64"}]),
        ("getMultipleAccounts", [[UNKNOWN, "not-base58!"], {"encoding": "base64"}]),
        ("getMultipleAccounts", [UNKNOWN, {"encoding": "base64"}]),
        ("getAccountInfo", ["0OIl", {"encoding": "base64"}]),
        ("getAccountInfo", [UNKNOWN, {"encoding": "base64+zstd"}]),
        ("getAccountInfo", [UNKNOWN, {"encoding": "base58"}]),
        ("getAccountInfo", [UNKNOWN]),  # the node's default encoding is base58: not served
        ("getAccountInfo", [UNKNOWN, {"encoding": "base64", "commitment": "fast"}]),
        ("getAccountInfo", [UNKNOWN, {"encoding": "base64", "dataSlice": {"offset": -1}}]),
        ("getAccountInfo", []),
    ],
)
async def test_bad_account_requests_are_invalid_params(
    server: ReplayServer, method: str, params: list[Any]
) -> None:
    answer = await _post(server.http_url, method, params)
    assert answer["error"]["code"] == -32602, answer


async def test_rpc_client_sees_too_many_keys_as_a_non_retryable_rpc_error(
    server: ReplayServer,
) -> None:
    async with RpcClient(server.http_url, max_retries=3) as client:
        with pytest.raises(RpcError) as caught:
            await client.call(
                # the client chunks by 100 itself; send 101 keys in one raw request
                build_request("getMultipleAccounts", [UNKNOWN] * 101, {"encoding": "base64"})
            )
    assert caught.value.code == -32602
    assert "max 100" in str(caught.value)


async def test_min_context_slot_ahead_of_the_server_is_refused(server: ReplayServer) -> None:
    answer = await _post(
        server.http_url,
        "getAccountInfo",
        [UNKNOWN, {"encoding": "base64", "minContextSlot": server.slot + 1}],
    )
    assert answer["error"]["code"] == -32016


async def test_without_an_account_source_no_account_exists(
    market_and_txs: tuple[SimulatedMarket, list[ReplayTx]],
) -> None:
    market, txs = market_and_txs
    server = ReplayServer(txs[:10])
    await server.start()
    try:
        async with RpcClient(server.http_url, max_retries=0) as client:
            accounts = await client.get_multiple_accounts(
                [*market.preexisting_pool_mints, WSOL_MINT]
            )
    finally:
        await server.stop()
    assert accounts == [None] * 4
