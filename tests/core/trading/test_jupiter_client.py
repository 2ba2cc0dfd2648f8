"""JupiterClient against the local Jupiter server: request shapes, answers, error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from solders.keypair import Keypair
from solders.transaction import VersionedTransaction

from core.programs import WSOL_MINT
from core.trading import (
    JupiterAuthError,
    JupiterClient,
    JupiterError,
    JupiterRateLimitedError,
    NoRouteError,
    TokenNotTradableError,
    build_quote_request,
)
from tests.jupiter_server import JupiterServer
from tests.svm_rpc import SvmRpcServer

SOL = 10**9


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay_s: float) -> None:
        self.delays.append(delay_s)


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def jup(node: SvmRpcServer) -> AsyncIterator[JupiterServer]:
    async with JupiterServer(node) as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(jup: JupiterServer, sleeps: Sleeps) -> AsyncIterator[JupiterClient]:
    async with JupiterClient(jup.url, api_key="k-123", max_retries=2, sleep=sleeps) as jupiter:
        yield jupiter


@pytest.fixture
def mint(node: SvmRpcServer, jup: JupiterServer) -> str:
    token = node.create_mint(6)
    jup.add_pool(token, 1_000_000 * 10**6, 100 * SOL, fee_bps=25)
    return str(token)


async def test_quote_sends_metis_query_and_api_key_and_parses_amounts(
    jup: JupiterServer, client: JupiterClient, mint: str
) -> None:
    quote = await client.quote(WSOL_MINT, mint, SOL, slippage_bps=75)

    [request] = jup.requests
    assert request["method"] == "GET" and request["path"] == "/swap/v1/quote"
    assert request["query"] == {
        "inputMint": WSOL_MINT,
        "outputMint": mint,
        "amount": str(SOL),
        "slippageBps": "75",
        "swapMode": "ExactIn",
    }
    assert request["headers"]["x-api-key"] == "k-123"
    assert quote.in_amount_raw == SOL and quote.out_amount_raw > 0
    assert quote.other_amount_threshold_raw == quote.out_amount_raw * 9_925 // 10_000
    assert quote.slippage_bps == 75 and quote.swap_mode == "ExactIn"
    assert 0.9 < quote.price_impact_pct < 1.1  # 1 SOL into 100 SOL: ~1 % (percent points)
    assert quote.raw["outAmount"] == str(quote.out_amount_raw)


async def test_swap_posts_the_quote_unchanged_and_returns_a_v0_transaction(
    jup: JupiterServer, client: JupiterClient, mint: str
) -> None:
    quote = await client.quote(WSOL_MINT, mint, SOL, slippage_bps=50)
    user = Keypair().pubkey()

    swap = await client.swap_transaction(
        quote, str(user), priority_fee_micro_lamports_per_cu=5_000, wrap_and_unwrap_sol=False
    )

    [request] = jup.calls_to("swap")
    assert request["method"] == "POST" and request["path"] == "/swap/v1/swap"
    assert request["json"] == {
        "userPublicKey": str(user),
        "quoteResponse": dict(quote.raw),
        "wrapAndUnwrapSol": False,
        "dynamicComputeUnitLimit": True,
        "computeUnitPriceMicroLamports": 5_000,
    }
    tx = swap.transaction()
    assert isinstance(tx, VersionedTransaction)
    assert tx.message.account_keys[0] == user  # the user pays
    assert swap.last_valid_block_height > 0 and swap.compute_unit_limit == 200_000


async def test_no_priority_fee_leaves_it_to_jupiter(
    jup: JupiterServer, client: JupiterClient, mint: str
) -> None:
    quote = await client.quote(WSOL_MINT, mint, SOL, slippage_bps=50)
    await client.swap_transaction(
        quote, str(Keypair().pubkey()), priority_fee_micro_lamports_per_cu=None
    )
    body = jup.calls_to("swap")[0]["json"]
    assert "computeUnitPriceMicroLamports" not in body
    assert "prioritizationFeeLamports" not in body


async def test_path_prefix_is_configurable(node: SvmRpcServer) -> None:
    async with JupiterServer(node, prefix="/swap/v2") as jup:
        token = node.create_mint(6)
        jup.add_pool(token, 10**12, 10 * SOL, fee_bps=25)
        async with JupiterClient(jup.url, path_prefix="swap/v2/") as client:
            quote = await client.quote(WSOL_MINT, str(token), SOL // 10, slippage_bps=50)
    assert quote.out_amount_raw > 0
    assert jup.requests[0]["path"] == "/swap/v2/quote"
    assert "x-api-key" not in jup.requests[0]["headers"]  # keyless


async def test_mint_without_pool_is_no_route(
    node: SvmRpcServer, client: JupiterClient, sleeps: Sleeps
) -> None:
    lonely = node.create_mint(6)
    with pytest.raises(NoRouteError) as caught:
        await client.quote(WSOL_MINT, str(lonely), SOL, slippage_bps=50)
    assert caught.value.code == "COULD_NOT_FIND_ANY_ROUTE" and caught.value.status == 400
    assert not caught.value.retryable and caught.value.provider == "jupiter"
    assert sleeps.delays == []  # a 4xx is final


async def test_amount_too_small_to_receive_anything_is_no_route(
    client: JupiterClient, mint: str
) -> None:
    with pytest.raises(NoRouteError):
        await client.quote(mint, WSOL_MINT, 1, slippage_bps=50)


async def test_unknown_mint_is_not_tradable(client: JupiterClient) -> None:
    with pytest.raises(TokenNotTradableError, match="not tradable") as caught:
        await client.quote(WSOL_MINT, str(Keypair().pubkey()), SOL, slippage_bps=50)
    assert caught.value.code == "TOKEN_NOT_TRADABLE"


async def test_rate_limit_waits_retry_after_then_succeeds(
    jup: JupiterServer, client: JupiterClient, sleeps: Sleeps, mint: str
) -> None:
    jup.fail(429, {"message": "[API Gateway] Too many requests"}, {"Retry-After": "3"})
    quote = await client.quote(WSOL_MINT, mint, SOL, slippage_bps=50)
    assert quote.out_amount_raw > 0
    assert sleeps.delays == [3.0]
    assert len(jup.calls_to("quote")) == 2


async def test_server_errors_are_retried_then_raised(
    jup: JupiterServer, client: JupiterClient, sleeps: Sleeps, mint: str
) -> None:
    jup.fail(503, {"error": "unavailable"}, times=3)
    with pytest.raises(JupiterError) as caught:
        await client.quote(WSOL_MINT, mint, SOL, slippage_bps=50)
    assert caught.value.status == 503 and caught.value.retryable
    assert len(sleeps.delays) == 2  # max_retries=2


async def test_rate_limit_exhausted_is_a_retryable_rate_limit_error(
    jup: JupiterServer, client: JupiterClient, sleeps: Sleeps, mint: str
) -> None:
    jup.fail(429, None, {"Retry-After": "1"}, times=3)
    with pytest.raises(JupiterRateLimitedError) as caught:
        await client.quote(WSOL_MINT, mint, SOL, slippage_bps=50)
    assert caught.value.retry_after_s == 1.0 and sleeps.delays == [1.0, 1.0]


async def test_bad_api_key_is_an_auth_error_without_retry(
    jup: JupiterServer, client: JupiterClient, sleeps: Sleeps, mint: str
) -> None:
    jup.fail(401, {"message": "Invalid API key"})
    with pytest.raises(JupiterAuthError, match="Invalid API key"):
        await client.quote(WSOL_MINT, mint, SOL, slippage_bps=50)
    assert sleeps.delays == []


async def test_error_code_found_in_message_when_no_error_code_field(
    jup: JupiterServer, client: JupiterClient, mint: str
) -> None:
    jup.fail(400, {"error": "Could not find any route"})
    with pytest.raises(NoRouteError) as caught:
        await client.quote(WSOL_MINT, mint, SOL, slippage_bps=50)
    assert caught.value.code == "COULD_NOT_FIND_ANY_ROUTE"


async def test_transport_errors_are_retried_and_typed(sleeps: Sleeps) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse)
    async with JupiterClient(
        "http://jupiter.invalid", transport=transport, max_retries=1, sleep=sleeps
    ) as client:
        with pytest.raises(JupiterError) as caught:
            await client.quote(WSOL_MINT, WSOL_MINT, 1, slippage_bps=50)
    assert caught.value.retryable and caught.value.status == 0
    assert len(sleeps.delays) == 1


def test_quote_request_is_built_without_sending() -> None:
    request = build_quote_request("A", "B", 5, slippage_bps=10, path_prefix="/swap/v2")
    assert (request.method, request.path) == ("GET", "/swap/v2/quote")
    assert request.params == {
        "inputMint": "A",
        "outputMint": "B",
        "amount": "5",
        "slippageBps": "10",
        "swapMode": "ExactIn",
    }
    with pytest.raises(ValueError):
        build_quote_request("A", "B", 0, slippage_bps=10)
