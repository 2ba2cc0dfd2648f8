"""Swap API V2 ``/build`` and quote-only ``/order``: the requests JupiterClient sends to the
local Jupiter server, the answers parsed (both accepted shapes), the errors typed, the message
composed, and ``JUPITER_API`` choosing the route."""

from __future__ import annotations

import base64
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from solders.compute_budget import set_compute_unit_price
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from core.config import load_settings
from core.errors import ConfigError
from core.programs import WSOL_MINT
from core.storage.db import create_engine
from core.trading.jupiter_build import (
    SwapBuild,
    compose_message,
    compute_unit_limit_for,
    parse_build,
)
from core.trading.jupiter_build_route import JupiterBuildRoute
from core.trading.jupiter_client import JupiterClient, build_build_request
from core.trading.jupiter_types import (
    JupiterAuthError,
    JupiterError,
    NoRouteError,
    TokenNotTradableError,
)
from core.trading.routes import JupiterRoute
from core.trading.service import TradingService
from tests.core.trading.service_fixtures import trading_settings
from tests.jupiter_server import JUPITER_CU_PRICE, JupiterServer
from tests.svm_rpc import TOKEN_PROGRAM, SvmRpcServer

SOL = 10**9
TAKER = Keypair().pubkey()
BLOCKHASH = Hash.new_unique()
PROGRAM = Pubkey.new_unique()


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
    async with JupiterClient(jup.url, api_key="k-9", max_retries=2, sleep=sleeps) as jupiter:
        yield jupiter


@pytest.fixture
def mint(node: SvmRpcServer, jup: JupiterServer) -> str:
    token = node.create_mint(6)
    jup.add_pool(token, 1_000_000 * 10**6, 100 * SOL, fee_bps=25)
    return str(token)


# ---- over HTTP ---------------------------------------------------------------------------------


async def test_build_sends_the_v2_query_and_parses_instructions_tables_and_blockhash(
    node: SvmRpcServer, jup: JupiterServer, client: JupiterClient, mint: str
) -> None:
    build = await client.build(
        WSOL_MINT, mint, SOL, taker=str(TAKER), slippage_bps=75, max_accounts=32
    )

    [request] = jup.calls_to("build")
    assert request["path"] == "/swap/v2/build" and request["headers"]["x-api-key"] == "k-9"
    assert request["query"] == {
        "inputMint": WSOL_MINT,
        "outputMint": mint,
        "amount": str(SOL),
        "taker": str(TAKER),
        "slippageBps": "75",
        "wrapAndUnwrapSol": "true",
        "maxAccounts": "32",
    }
    quote = jup._quote_body({"inputMint": WSOL_MINT, "outputMint": mint, "amount": str(SOL)})
    assert build.in_amount_raw == SOL and build.out_amount_raw == int(quote["outAmount"])
    assert build.other_amount_threshold_raw == build.out_amount_raw * (10_000 - 75) // 10_000
    assert build.route_labels == ("LocalCPMM",) and build.price_impact_pct > 0
    assert build.compute_budget_instructions == (set_compute_unit_price(JUPITER_CU_PRICE),)
    assert build.swap_instruction.program_id == TOKEN_PROGRAM
    assert build.cleanup_instruction is not None and len(build.setup_instructions) == 5
    pool = jup.pools[Pubkey.from_string(mint)]
    [table] = build.lookup_tables
    assert table.key == pool.lookup_table and pool.token_vault in table.addresses
    assert build.blockhash == node.svm.latest_blockhash()
    assert build.last_valid_block_height == node.last_valid_block_height()


async def test_v2_quote_is_a_quote_only_order_from_metis(
    jup: JupiterServer, client: JupiterClient, mint: str
) -> None:
    quote = await client.quote_v2(WSOL_MINT, mint, SOL, slippage_bps=100)

    [request] = jup.calls_to("order")
    assert "taker" not in request["query"]
    assert request["query"]["excludeRouters"] == "jupiterz,dflow,okx"
    assert quote.in_amount_raw == SOL and quote.out_amount_raw > quote.other_amount_threshold_raw


async def test_build_errors_are_typed_with_jupiters_text(
    jup: JupiterServer, client: JupiterClient, sleeps: Sleeps, mint: str
) -> None:
    with pytest.raises(NoRouteError, match="No routes found"):  # the spec's /build 400 body
        jup.fail(400, {"error": "No routes found"})
        await client.build(WSOL_MINT, mint, SOL, taker=str(TAKER), slippage_bps=50)
    with pytest.raises(TokenNotTradableError):
        await client.build(
            WSOL_MINT, str(Keypair().pubkey()), SOL, taker=str(TAKER), slippage_bps=5
        )
    with pytest.raises(JupiterAuthError):
        jup.fail(401, {"message": "Invalid API key"})
        await client.build(WSOL_MINT, mint, SOL, taker=str(TAKER), slippage_bps=50)
    assert sleeps.delays == []  # 4xx are final


async def test_build_waits_retry_after_on_429_and_retries_5xx(
    jup: JupiterServer, client: JupiterClient, sleeps: Sleeps, mint: str
) -> None:
    jup.fail(429, {"message": "[API Gateway] Too many requests"}, {"Retry-After": "2"})
    jup.fail(503, {"error": "unavailable"})

    build = await client.build(WSOL_MINT, mint, SOL, taker=str(TAKER), slippage_bps=50)

    assert build.in_amount_raw == SOL
    assert sleeps.delays[0] == 2.0 and len(sleeps.delays) == 2
    assert len(jup.calls_to("build")) == 3


def test_build_request_is_built_without_sending() -> None:
    request = build_build_request("A", "B", 7, taker="T", slippage_bps=10)
    assert (request.method, request.path) == ("GET", "/swap/v2/build")
    assert request.params == {
        "inputMint": "A",
        "outputMint": "B",
        "amount": "7",
        "taker": "T",
        "slippageBps": "10",
        "wrapAndUnwrapSol": "true",
    }
    with pytest.raises(ValueError, match="max_accounts"):
        build_build_request("A", "B", 7, taker="T", slippage_bps=10, max_accounts=65)
    with pytest.raises(ValueError, match="amount_raw"):
        build_build_request("A", "B", 0, taker="T", slippage_bps=10)


# ---- parsing -----------------------------------------------------------------------------------


def _ix(data: Any = "AQID", **account: Any) -> dict[str, Any]:
    meta = {"pubkey": str(TAKER), "isSigner": True, "isWritable": True, **account}
    return {"programId": str(PROGRAM), "accounts": [meta], "data": data}


def _answer() -> dict[str, Any]:
    """A /build answer as the OpenAPI spec (jup-ag/docs openapi-spec/swap/v2/swap.yaml) has it."""
    return {
        "inputMint": WSOL_MINT,
        "outputMint": str(PROGRAM),
        "inAmount": "1000",
        "outAmount": "2000",
        "otherAmountThreshold": "1990",
        "swapMode": "ExactIn",
        "slippageBps": 50,
        "priceImpactPct": "0.0123",
        "routePlan": [{"swapInfo": {"label": "Raydium"}, "percent": 100, "bps": 10_000}],
        "computeBudgetInstructions": [
            {
                "programId": "ComputeBudget111111111111111111111111111111",
                "accounts": [],
                "data": base64.b64encode(bytes(set_compute_unit_price(5).data)).decode(),
            }
        ],
        "setupInstructions": [_ix()],
        "swapInstruction": _ix("BAU="),
        "cleanupInstruction": None,
        "otherInstructions": [],
        "tipInstruction": None,
        "addressesByLookupTableAddress": {str(PROGRAM): [str(Pubkey.new_unique())]},
        "blockhashWithMetadata": {
            "blockhash": list(bytes(BLOCKHASH)),
            "lastValidBlockHeight": 123,
            "fetchedAt": {"secs_since_epoch": 1, "nanos_since_epoch": 2},
        },
    }


def test_the_documented_shape_parses_to_raw_units_and_solders_types() -> None:
    build = parse_build(_answer())
    assert (build.in_amount_raw, build.out_amount_raw, build.other_amount_threshold_raw) == (
        1000,
        2000,
        1990,
    )
    assert build.price_impact_pct == pytest.approx(1.23) and build.route_labels == ("Raydium",)
    assert build.blockhash == BLOCKHASH and build.last_valid_block_height == 123
    assert build.swap_instructions() == [
        Instruction(PROGRAM, bytes([1, 2, 3]), [AccountMeta(TAKER, True, True)]),
        Instruction(PROGRAM, bytes([4, 5]), [AccountMeta(TAKER, True, True)]),
    ]
    assert len(build.compute_budget_instructions) == 1  # kept apart, never in swap_instructions
    assert [t.key for t in build.lookup_tables] == [PROGRAM]


def test_the_other_plausible_shapes_parse_the_same() -> None:
    other = _answer()
    other["blockhashWithMetadata"] = {"blockhash": str(BLOCKHASH), "lastValidBlockHeight": "123"}
    other["setupInstructions"] = [  # data as a byte array, accounts in snake case
        {
            "programId": str(PROGRAM),
            "accounts": [{"pubkey": str(TAKER), "is_signer": True, "is_writable": True}],
            "data": [1, 2, 3],
        }
    ]
    del other["priceImpactPct"]
    other["priceImpact"] = 1.23  # percent points, as /order sends it
    other["addressesByLookupTableAddress"] = None
    other["otherInstructions"] = None

    build = parse_build(other)
    reference = parse_build(_answer())
    assert build.blockhash == reference.blockhash and build.last_valid_block_height == 123
    assert build.swap_instructions() == reference.swap_instructions()
    assert build.price_impact_pct == pytest.approx(reference.price_impact_pct)
    assert build.lookup_tables == ()


def _without(key: str) -> dict[str, Any]:
    answer = _answer()
    del answer[key]
    return answer


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    answer = copy.deepcopy(_answer())
    target: Any = answer
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return answer


@pytest.mark.parametrize(
    ("answer", "names"),
    [
        ([], "not an object"),
        (_without("swapInstruction"), "swapInstruction is not an object"),
        (_without("blockhashWithMetadata"), "blockhashWithMetadata missing"),
        (_with(("blockhashWithMetadata", "blockhash"), [1] * 31), "not 32 bytes"),
        (_with(("blockhashWithMetadata", "blockhash"), "not-base58!"), "blockhash"),
        (_with(("blockhashWithMetadata", "lastValidBlockHeight"), None), "lastValidBlockHeight"),
        (_with(("swapInstruction", "data"), "***"), "swapInstruction.data is not base64"),
        (_with(("swapInstruction", "data"), [256]), "neither base64 nor a byte array"),
        (_with(("swapInstruction", "programId"), "nope"), "swapInstruction.programId"),
        (_with(("swapInstruction", "accounts", 0, "isSigner"), "yes"), "isSigner"),
        (_with(("setupInstructions",), {}), "setupInstructions is not a list"),
        (_with(("inAmount",), "1e3"), "inAmount"),
        (_with(("addressesByLookupTableAddress",), []), "addressesByLookupTableAddress"),
        (_with(("tipInstruction",), _ix()), "tipInstruction"),
        (_without("priceImpactPct"), "no priceImpactPct nor priceImpact"),
        (
            _with(("setupInstructions",), _answer()["computeBudgetInstructions"]),
            "compute budget instruction outside",
        ),
    ],
)
def test_anything_else_is_a_jupiter_error_naming_the_field(answer: Any, names: str) -> None:
    with pytest.raises(JupiterError, match=names) as caught:
        parse_build(answer)
    assert caught.value.status == 200 and not caught.value.retryable


# ---- our message -------------------------------------------------------------------------------


def _build(**changes: Any) -> SwapBuild:
    return parse_build(_answer() | changes)


def test_the_message_has_our_budget_first_and_only_the_taker_signs() -> None:
    message = compose_message(
        _build(), TAKER, compute_unit_limit=50_000, compute_unit_price_micro_lamports=9
    )
    assert message.account_keys[0] == TAKER and message.header.num_required_signatures == 1
    assert message.recent_blockhash == BLOCKHASH
    data = [bytes(ix.data) for ix in message.instructions]
    assert data[0] == bytes([2]) + (50_000).to_bytes(4, "little")
    assert data[1] == bytes([3]) + (9).to_bytes(8, "little")
    assert data[2:] == [bytes([1, 2, 3]), bytes([4, 5])]  # Jupiter's price (5) is not there


def test_instructions_needing_another_signer_are_refused() -> None:
    stranger = str(Pubkey.new_unique())
    build = _build(swapInstruction=_ix(pubkey=stranger))
    with pytest.raises(JupiterError, match="signers other than the taker"):
        compose_message(build, TAKER, compute_unit_limit=1, compute_unit_price_micro_lamports=1)


def test_the_limit_is_the_simulated_units_with_headroom_capped_at_the_maximum() -> None:
    assert compute_unit_limit_for(100_000) == 120_000
    assert compute_unit_limit_for(1_300_000) == 1_400_000
    assert compute_unit_limit_for(None) == 1_400_000


# ---- JUPITER_API -------------------------------------------------------------------------------


async def test_jupiter_api_defaults_to_v2_and_names_itself_when_wrong(tmp_path: Path) -> None:
    assert load_settings(None).jupiter_api == "v2"
    assert load_settings(None, jupiter_api="V1").jupiter_api == "v1"
    with pytest.raises(ConfigError) as caught:
        load_settings(None, jupiter_api="v6")
    assert caught.value.setting == "JUPITER_API" and "v2" in str(caught.value)

    engine = create_engine("sqlite:///" + str(tmp_path / "unused.db"))
    base: dict[str, Any] = {
        "rpc_url": "http://127.0.0.1:1",
        "jupiter_url": "http://127.0.0.1:2",
        "probe": Keypair().pubkey(),
    }
    v2 = TradingService.from_settings(
        trading_settings(**base, keystore=tmp_path / "a.json"), engine=engine
    )
    v1 = TradingService.from_settings(
        trading_settings(**base, keystore=tmp_path / "b.json", jupiter_api="v1"), engine=engine
    )
    try:
        assert isinstance(v2.route, JupiterBuildRoute) and v2.route.name == "jupiter_v2"
        assert isinstance(v1.route, JupiterRoute) and v1.route.name == "jupiter"
    finally:
        await v2.aclose()
        await v1.aclose()
        await engine.dispose()
