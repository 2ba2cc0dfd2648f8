"""SolUsdOracle against a local JSON-RPC server speaking getAccountInfo, via the real RpcClient."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from core.chain.rpc_client import RpcClient
from core.market.pyth import PYTH_PUSH_ORACLE_PROGRAM_ID, SOL_USD_PRICE_ACCOUNT
from core.market.sol_usd import PriceSource, SolUsdOracle
from tests.core.market.factories import price_update_v2_bytes

NOW = 1_750_000_030.0
FALLBACK_USD = 150.0


@dataclass
class FakeChain:
    """What the fake node answers for getAccountInfo."""

    accounts: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    rpc_error: dict[str, Any] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def chain() -> AsyncIterator[tuple[FakeChain, str]]:
    state = FakeChain()

    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        state.requests.append(body)
        if state.rpc_error is not None:
            return web.json_response(
                {"jsonrpc": "2.0", "id": body["id"], "error": state.rpc_error}
            )
        assert body["method"] == "getAccountInfo"
        pubkey, config = body["params"]
        assert config["encoding"] == "base64"
        value = None
        if pubkey in state.accounts:
            data, owner = state.accounts[pubkey]
            value = {
                "data": [base64.b64encode(data).decode(), "base64"],
                "owner": owner,
                "lamports": 2_039_280,
                "executable": False,
                "rentEpoch": 18_446_744_073_709_551_615,
                "space": len(data),
            }
        result = {"context": {"slot": 345_678_950}, "value": value}
        return web.json_response({"jsonrpc": "2.0", "id": body["id"], "result": result})

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield state, f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


@pytest.fixture
async def rpc(chain: tuple[FakeChain, str]) -> AsyncIterator[RpcClient]:
    async def no_sleep(_: float) -> None:
        return None

    async with RpcClient(chain[1], name="fake", max_retries=0, sleep=no_sleep) as client:
        yield client


def fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("solsignals_sol_usd_fallback_total", {"reason": reason}) or 0


def put_price(state: FakeChain, **kwargs: Any) -> None:
    owner = kwargs.pop("owner", PYTH_PUSH_ORACLE_PROGRAM_ID)
    state.accounts[SOL_USD_PRICE_ACCOUNT] = (price_update_v2_bytes(**kwargs), owner)


async def test_fresh_pyth_price_is_served(chain: tuple[FakeChain, str], rpc: RpcClient) -> None:
    state, _ = chain
    put_price(state, price=14_523_000_000, exponent=-8, publish_time=int(NOW) - 5)
    oracle = SolUsdOracle(rpc, fallback_usd=FALLBACK_USD, clock=Clock())

    await oracle.refresh()

    assert oracle.price_usd == pytest.approx(145.23)
    assert oracle.source is PriceSource.PYTH
    assert state.requests[0]["params"][0] == SOL_USD_PRICE_ACCOUNT


async def test_before_any_refresh_the_fallback_is_used(rpc: RpcClient) -> None:
    oracle = SolUsdOracle(rpc, fallback_usd=FALLBACK_USD, clock=Clock())
    assert oracle.price_usd == FALLBACK_USD
    assert oracle.source is PriceSource.FALLBACK


async def test_price_that_ages_past_max_age_falls_back_loudly(
    chain: tuple[FakeChain, str], rpc: RpcClient
) -> None:
    state, _ = chain
    clock = Clock()
    put_price(state, publish_time=int(NOW) - 10)
    oracle = SolUsdOracle(rpc, fallback_usd=FALLBACK_USD, max_age_s=60, clock=clock)
    await oracle.refresh()
    assert oracle.source is PriceSource.PYTH
    before = fallbacks("stale")

    clock.now = NOW + 51  # 61 s after publish_time, no refresh since
    with capture_logs() as logs:
        assert oracle.price_usd == FALLBACK_USD
        assert oracle.source is PriceSource.FALLBACK

    assert fallbacks("stale") == before + 1  # counted once per switch, not per read
    assert [e["reason"] for e in logs if e["event"] == "sol_usd_using_fallback"] == ["stale"]


async def test_stale_account_is_not_accepted(chain: tuple[FakeChain, str], rpc: RpcClient) -> None:
    state, _ = chain
    put_price(state, publish_time=int(NOW) - 300)
    oracle = SolUsdOracle(rpc, fallback_usd=FALLBACK_USD, clock=Clock())
    with capture_logs() as logs:
        await oracle.refresh()
    assert oracle.price_usd == FALLBACK_USD
    assert oracle.last_pyth is None
    assert any(e.get("outcome") == "stale" for e in logs)


async def test_account_owned_by_another_program_is_refused(
    chain: tuple[FakeChain, str], rpc: RpcClient
) -> None:
    state, _ = chain
    put_price(state, publish_time=int(NOW), owner="11111111111111111111111111111111")
    oracle = SolUsdOracle(rpc, fallback_usd=FALLBACK_USD, clock=Clock())
    before = fallbacks("wrong_owner")
    await oracle.refresh()
    assert oracle.source is PriceSource.FALLBACK
    assert fallbacks("wrong_owner") == before + 1


async def test_rpc_error_keeps_a_still_fresh_price_and_is_logged(
    chain: tuple[FakeChain, str], rpc: RpcClient
) -> None:
    state, _ = chain
    clock = Clock()
    put_price(state, price=14_000_000_000, publish_time=int(NOW))
    oracle = SolUsdOracle(rpc, fallback_usd=FALLBACK_USD, clock=clock)
    await oracle.refresh()

    state.rpc_error = {"code": -32005, "message": "Node is unhealthy"}
    clock.now = NOW + 20
    with capture_logs() as logs:
        await oracle.refresh()

    assert oracle.price_usd == pytest.approx(140.0)
    assert oracle.source is PriceSource.PYTH
    assert [e["outcome"] for e in logs if e["event"] == "sol_usd_refresh_failed"] == ["rpc_error"]

    clock.now = NOW + 61
    assert oracle.price_usd == FALLBACK_USD


async def test_missing_or_undecodable_account_falls_back(
    chain: tuple[FakeChain, str], rpc: RpcClient
) -> None:
    state, _ = chain
    oracle = SolUsdOracle(rpc, fallback_usd=FALLBACK_USD, clock=Clock())
    await oracle.refresh()  # account does not exist
    assert oracle.source is PriceSource.FALLBACK

    state.accounts[SOL_USD_PRICE_ACCOUNT] = (b"\x00" * 134, PYTH_PUSH_ORACLE_PROGRAM_ID)
    with capture_logs() as logs:
        await oracle.refresh()
    assert oracle.price_usd == FALLBACK_USD
    assert [e["outcome"] for e in logs if e["event"] == "sol_usd_refresh_failed"] == [
        "decode_error"
    ]


async def test_other_feed_or_partially_verified_update_is_refused(
    chain: tuple[FakeChain, str], rpc: RpcClient
) -> None:
    state, _ = chain
    oracle = SolUsdOracle(rpc, fallback_usd=FALLBACK_USD, clock=Clock())
    put_price(state, publish_time=int(NOW), feed_id_hex="ab" * 32)
    await oracle.refresh()
    assert oracle.source is PriceSource.FALLBACK

    put_price(state, publish_time=int(NOW), partial_signatures=5)
    await oracle.refresh()
    assert oracle.source is PriceSource.FALLBACK

    put_price(state, publish_time=int(NOW))
    await oracle.refresh()
    assert oracle.source is PriceSource.PYTH
