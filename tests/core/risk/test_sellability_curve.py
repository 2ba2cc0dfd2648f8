"""Check.HONEYPOT for a mint only tradeable on its Pump.fun curve (``TRADING_PUMP_CURVE_ROUTE``).

The chain is LiteSVM over JSON-RPC with a real mainnet BondingCurve account written at the mint's
curve address; Jupiter is the local server of the same protocol, which has no route for a mint
without a pool (HTTP 400 ``COULD_NOT_FIND_ANY_ROUTE``, as Jupiter answers).

The Pump.fun program binary is not available offline, so simulating the curve probe on LiteSVM
fails with ``InvalidProgramForExecution``. That answer is UNKNOWN, never PASS (no sale was
simulated) and never FAIL: a mainnet node always holds the Pump.fun program, so a missing or
non-executable program says the node cannot run the check, not that the token cannot be sold.
The probe's transaction (buy then sell of the same tokens, probe wallet paying), its amounts
and the verdict of each simulation answer are checked without executing the program.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from core.chain.rpc_client import RpcClient
from core.decode.accounts import decode_bonding_curve
from core.decode.idl import load_idl
from core.programs import Program
from core.risk.curve_sellability import (
    check_curve_sellability,
    curve_probe_instructions,
    curve_round_trip,
    curve_verdict,
    probe_transaction,
)
from core.risk.report import Check, Verdict
from core.risk.sellability import check_sellability
from core.storage.db import create_engine
from core.trading import JupiterClient
from core.trading.pump_curve_route import (
    ASSOCIATED_TOKEN_PROGRAM,
    PUMP_PROGRAM,
    CurveQuote,
    PumpGlobal,
    bonding_curve_address,
    global_address,
)
from core.trading.service import TradingService
from tests.core.trading.service_fixtures import trading_settings
from tests.core.trading.test_route_choice import (
    CREATOR_FEE_BPS,
    FEE_RECIPIENT,
    PROTOCOL_FEE_BPS,
    V_SOL,
    V_TOKENS,
    _curve_bytes,
    _global_bytes,
)
from tests.jupiter_server import JupiterServer
from tests.svm_rpc import TOKEN_PROGRAM, SvmRpcServer

SOL = 10**9
PROBE_LAMPORTS = 10_000_000  # check_sellability's default
CREATOR = Pubkey.from_string("CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv")  # the fixture's
MISSING_PROGRAM = "curve probe not checked: the node cannot run its programs"
# The probe's amounts on the fixture's curve (fees 95 + 30 bps), worked by hand:
#   tokens for 0.01 SOL: net = 10^7 * 10000 // 10125 = 9_876_543;
#     V_TOKENS * 9_876_543 // (V_SOL + 9_876_543) = 353_076_267_118; less 1 %: 349_545_504_446
#   buy of exactly those: 349_545_504_446 * V_SOL // (V_TOKENS - 349_545_504_446) + 1
#     = 9_777_746 into the curve, + ceil(0.95 %) 92_889 + ceil(0.30 %) 29_334 = 9_899_969
#   sell on the curve the buy left: gross 9_777_745 (the buy's +1 rounding back), fees 122_223:
#     9_655_522 returned; min_sol_output 9_655_522 * 9900 // 10000 = 9_558_966
#   loss 1 - 9_655_522 / 9_899_969 = 2.47 % (two fees of 1.25 %)
TOKENS_RAW = 349_545_504_446
BUY_COST, SELL_OUT, MIN_SOL_OUT = 9_899_969, 9_655_522, 9_558_966


@pytest.fixture
def curve(shared_fixtures: Path) -> CurveQuote:
    state = decode_bonding_curve(_curve_bytes(shared_fixtures))
    global_ = PumpGlobal(FEE_RECIPIENT, PROTOCOL_FEE_BPS, CREATOR_FEE_BPS)
    return CurveQuote(state, global_, TOKEN_PROGRAM)


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def jup(node: SvmRpcServer) -> AsyncIterator[JupiterServer]:
    async with JupiterServer(node) as server:
        yield server


@pytest.fixture
async def jupiter(jup: JupiterServer) -> AsyncIterator[JupiterClient]:
    async with JupiterClient(jup.url, max_retries=0) as client:
        yield client


@pytest.fixture
async def rpc(node: SvmRpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(node.url, max_retries=0) as client:
        yield client


@pytest.fixture
def probe(node: SvmRpcServer) -> Pubkey:
    wallet = Keypair().pubkey()
    node.airdrop(wallet, SOL)
    return wallet


def _curve_mint(node: SvmRpcServer, shared_fixtures: Path, *, complete: bool = False) -> Pubkey:
    """A mint without a Jupiter pool whose Pump.fun curve (and Global) is on the chain."""
    mint = node.create_mint(6)
    node.set_account(
        bonding_curve_address(mint), PUMP_PROGRAM, _curve_bytes(shared_fixtures, complete=complete)
    )
    node.set_account(global_address(), PUMP_PROGRAM, _global_bytes())
    return mint


def _curve_reads(node: SvmRpcServer, mint: Pubkey) -> list[list[object]]:
    address = str(bonding_curve_address(mint))
    return [p for p in node.calls_of("getMultipleAccounts") if address in p[0]]


def _idl_data(name: str, *u64: int, option_bool: int | None = None) -> bytes:
    ix = next(i for i in load_idl(Program.PUMP)["instructions"] if i["name"] == name)
    tail = b"" if option_bool is None else bytes([option_bool])
    return bytes(ix["discriminator"]) + b"".join(struct.pack("<Q", a) for a in u64) + tail


# ---- on the local chain ------------------------------------------------------------------------


async def test_fallback_probes_a_curve_only_mint_on_its_curve_and_a_missing_program_is_unknown(
    node: SvmRpcServer,
    jup: JupiterServer,
    jupiter: JupiterClient,
    rpc: RpcClient,
    probe: Pubkey,
    shared_fixtures: Path,
) -> None:
    mint = _curve_mint(node, shared_fixtures)
    balance_before = node.svm.get_balance(probe)

    result = await check_sellability(
        jupiter, rpc, str(mint), probe_wallet=str(probe), on_no_route=check_curve_sellability
    )

    assert result.check is Check.HONEYPOT and result.verdict is Verdict.UNKNOWN
    assert result.value is None
    assert result.detail == f"{MISSING_PROGRAM} (InvalidProgramForExecution)"
    [asked] = jup.calls_to("quote")  # Jupiter first: no route for the mint
    assert asked["query"]["outputMint"] == str(mint)
    assert len(_curve_reads(node, mint)) == 1
    # one transaction, simulated as the Jupiter probe is, and nothing landed
    [(tx_b64, config)] = node.calls_of("simulateTransaction")
    assert config["sigVerify"] is False and config["replaceRecentBlockhash"] is True
    tx = VersionedTransaction.from_bytes(base64.b64decode(tx_b64))
    keys = tx.message.account_keys
    assert keys[0] == probe and tx.message.header.num_required_signatures == 1
    pump = [ix for ix in tx.message.instructions if keys[ix.program_id_index] == PUMP_PROGRAM]
    assert [bytes(ix.data) for ix in pump] == [
        _idl_data("buy", TOKENS_RAW, PROBE_LAMPORTS, option_bool=0),
        _idl_data("sell", TOKENS_RAW, MIN_SOL_OUT),
    ]
    assert node.svm.get_balance(probe) == balance_before
    assert node.calls_of("sendTransaction") == []


async def test_off_leaves_a_curve_only_mint_unknown_without_reading_its_curve(
    node: SvmRpcServer,
    jupiter: JupiterClient,
    rpc: RpcClient,
    probe: Pubkey,
    shared_fixtures: Path,
) -> None:
    mint = _curve_mint(node, shared_fixtures)

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(probe))

    assert result.verdict is Verdict.UNKNOWN
    assert result.detail.startswith("no route to trade the token: ")
    assert "COULD_NOT_FIND_ANY_ROUTE" in result.detail and "Pump.fun" not in result.detail
    assert _curve_reads(node, mint) == [] and node.calls_of("simulateTransaction") == []


async def test_fallback_without_a_live_curve_keeps_jupiters_no_route_with_the_curves_reason(
    node: SvmRpcServer,
    jupiter: JupiterClient,
    rpc: RpcClient,
    probe: Pubkey,
    shared_fixtures: Path,
) -> None:
    complete = _curve_mint(node, shared_fixtures, complete=True)
    bare = node.create_mint(6)

    done = await check_sellability(
        jupiter, rpc, str(complete), probe_wallet=str(probe), on_no_route=check_curve_sellability
    )
    missing = await check_sellability(
        jupiter, rpc, str(bare), probe_wallet=str(probe), on_no_route=check_curve_sellability
    )

    assert done.verdict is Verdict.UNKNOWN and missing.verdict is Verdict.UNKNOWN
    assert done.detail.startswith("no route to trade the token: ")
    assert "COULD_NOT_FIND_ANY_ROUTE" in done.detail
    assert done.detail.endswith(
        f"Pump.fun curve: the curve of {complete} is complete: trade it on its AMM pool"
    )
    assert missing.detail.endswith(f"Pump.fun curve: {bare} has no Pump.fun bonding curve")
    assert node.calls_of("simulateTransaction") == []


@pytest.mark.parametrize("method", ["getMultipleAccounts", "simulateTransaction"])
async def test_fallback_rpc_failure_is_unknown_not_pass(
    node: SvmRpcServer,
    jupiter: JupiterClient,
    rpc: RpcClient,
    probe: Pubkey,
    shared_fixtures: Path,
    method: str,
) -> None:
    mint = _curve_mint(node, shared_fixtures)
    node.fail(method, -32005, "Node is unhealthy")

    result = await check_sellability(
        jupiter, rpc, str(mint), probe_wallet=str(probe), on_no_route=check_curve_sellability
    )

    assert result.verdict is Verdict.UNKNOWN
    assert result.detail.startswith("sellability not checked: ")
    assert "Node is unhealthy" in result.detail


async def test_fallback_underfunded_probe_wallet_is_unknown_before_any_probe(
    node: SvmRpcServer,
    jup: JupiterServer,
    jupiter: JupiterClient,
    rpc: RpcClient,
    shared_fixtures: Path,
) -> None:
    mint = _curve_mint(node, shared_fixtures)

    result = await check_sellability(
        jupiter,
        rpc,
        str(mint),
        probe_wallet=str(Keypair().pubkey()),
        on_no_route=check_curve_sellability,
    )

    assert result.verdict is Verdict.UNKNOWN and "probe wallet" in result.detail
    assert jup.requests == [] and _curve_reads(node, mint) == []


@pytest.mark.parametrize("mode", ["off", "fallback"])
async def test_the_service_probes_the_curve_only_in_fallback_and_caches_the_result(
    node: SvmRpcServer,
    jup: JupiterServer,
    probe: Pubkey,
    shared_fixtures: Path,
    tmp_path: Path,
    mode: str,
) -> None:
    mint = _curve_mint(node, shared_fixtures)
    engine = create_engine("sqlite:///" + str(tmp_path / "unused.db"))
    settings = trading_settings(
        rpc_url=node.url,
        jupiter_url=jup.url,
        probe=probe,
        keystore=tmp_path / "keys.json",
        trading_pump_curve_route=mode,
    )
    service = TradingService.from_settings(settings, engine=engine)
    try:
        report = await service.risk.report(str(mint), dev_sold=None)
        again = await service.risk.report(str(mint), dev_sold=None)
    finally:
        await service.aclose()
        await engine.dispose()

    honeypot = report.get(Check.HONEYPOT)
    assert honeypot.verdict is Verdict.UNKNOWN and again.get(Check.HONEYPOT) == honeypot
    if mode == "fallback":
        assert honeypot.detail == f"{MISSING_PROGRAM} (InvalidProgramForExecution)"
        assert len(node.calls_of("simulateTransaction")) == 1  # the second report: cached
    else:
        assert honeypot.detail.startswith("no route to trade the token: ")
        assert _curve_reads(node, mint) == [] and node.calls_of("simulateTransaction") == []


# ---- pure: the amounts, the transaction, the verdicts ------------------------------------------


def test_round_trip_amounts_follow_the_curve_maths(curve: CurveQuote) -> None:
    assert (curve.curve.virtual_token_reserves, curve.curve.virtual_sol_reserves) == (
        V_TOKENS,
        V_SOL,
    )
    assert V_TOKENS * 9_876_543 // (V_SOL + 9_876_543) * 99 // 100 == TOKENS_RAW

    trip = curve_round_trip(curve.curve, curve.global_, TOKENS_RAW, PROBE_LAMPORTS)

    assert trip.tokens_raw == TOKENS_RAW and trip.max_sol_cost_lamports == PROBE_LAMPORTS
    assert TOKENS_RAW * V_SOL // (V_TOKENS - TOKENS_RAW) + 1 == 9_777_746
    assert trip.buy_cost_lamports == 9_777_746 + 92_889 + 29_334 == BUY_COST
    assert BUY_COST <= PROBE_LAMPORTS  # the buy fits its bound
    assert TOKENS_RAW * (V_SOL + 9_777_746) // V_TOKENS == 9_777_745
    assert trip.sell_out_lamports == 9_777_745 - 92_889 - 29_334 == SELL_OUT
    assert trip.min_sol_output_lamports == MIN_SOL_OUT

    with pytest.raises(ValueError, match="tokens_raw"):
        curve_round_trip(curve.curve, curve.global_, 0, PROBE_LAMPORTS)


def test_round_trip_loss_is_the_two_fees_and_a_costly_curve_fails(curve: CurveQuote) -> None:
    trip = curve_round_trip(curve.curve, curve.global_, TOKENS_RAW, PROBE_LAMPORTS)

    passed = curve_verdict(None, [], trip, 25.0)

    assert passed.verdict is Verdict.PASS and passed.value == 2.47
    assert passed.detail == "round trip loses 2.47% <= 25% (buy and sell simulated)"

    costly = PumpGlobal(FEE_RECIPIENT, 1_000, 500)  # 15 % each way
    trip = curve_round_trip(curve.curve, costly, TOKENS_RAW, PROBE_LAMPORTS)
    failed = curve_verdict(None, [], trip, 25.0)
    # 1 - 0.85 * (into - 1) / (1.15 * into): 26.09 %
    assert failed.verdict is Verdict.FAIL and failed.value == 26.09
    assert failed.detail == "round trip loses 26.09% > 25%"


def test_probe_transaction_is_the_probe_wallets_buy_then_sell_of_the_same_tokens(
    curve: CurveQuote,
) -> None:
    wallet, mint = Keypair().pubkey(), Keypair().pubkey()
    trip = curve_round_trip(curve.curve, curve.global_, TOKENS_RAW, PROBE_LAMPORTS)

    instructions = curve_probe_instructions(wallet, mint, curve, trip)
    tx = probe_transaction(wallet, instructions)

    message = tx.message
    keys = list(message.account_keys)
    assert keys[0] == wallet and message.header.num_required_signatures == 1
    programs = [keys[ix.program_id_index] for ix in message.instructions]
    assert programs[1:] == [ASSOCIATED_TOKEN_PROGRAM, PUMP_PROGRAM, PUMP_PROGRAM]
    buy, sell = message.instructions[2], message.instructions[3]
    assert bytes(buy.data) == _idl_data("buy", TOKENS_RAW, PROBE_LAMPORTS, option_bool=0)
    assert bytes(sell.data) == _idl_data("sell", TOKENS_RAW, MIN_SOL_OUT)
    wallet_ata = Pubkey.find_program_address(
        [bytes(wallet), bytes(TOKEN_PROGRAM), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM
    )[0]
    creator_vault = Pubkey.find_program_address([b"creator-vault", bytes(CREATOR)], PUMP_PROGRAM)
    for ix, name in ((buy, "buy"), (sell, "sell")):
        idl = next(i for i in load_idl(Program.PUMP)["instructions"] if i["name"] == name)
        names = [a["name"] for a in idl["accounts"]]
        by_name = dict(zip(names, [keys[i] for i in ix.accounts], strict=True))
        assert by_name["user"] == wallet == keys[0]  # the payer, the only signer
        assert by_name["mint"] == mint and by_name["associated_user"] == wallet_ata
        assert by_name["fee_recipient"] == FEE_RECIPIENT
        assert by_name["creator_vault"] == creator_vault[0]
        assert by_name["bonding_curve"] == bonding_curve_address(mint)


@pytest.mark.parametrize(
    ("err", "verdict", "detail"),
    [
        (
            "InvalidProgramForExecution",
            Verdict.UNKNOWN,
            f"{MISSING_PROGRAM} (InvalidProgramForExecution)",
        ),
        ("ProgramAccountNotFound", Verdict.UNKNOWN, f"{MISSING_PROGRAM} (ProgramAccountNotFound)"),
        (
            {"InstructionError": [2, "UnsupportedProgramId"]},
            Verdict.UNKNOWN,
            f"{MISSING_PROGRAM} (UnsupportedProgramId)",
        ),
        (
            {"InstructionError": [3, {"Custom": 6003}]},
            Verdict.FAIL,
            "sell would fail: TooLittleSolReceived",
        ),
        (
            {"InstructionError": [2, {"Custom": 6002}]},
            Verdict.FAIL,
            "buy would fail: TooMuchSolRequired",
        ),
        (
            {"InstructionError": [3, "InvalidAccountData"]},
            Verdict.FAIL,
            "sell would fail: InvalidAccountData",
        ),
        (
            "InsufficientFundsForFee",
            Verdict.UNKNOWN,
            "curve probe simulation failed outside the swaps: InsufficientFundsForFee",
        ),
    ],
)
def test_simulation_errors_map_to_fail_only_when_a_swap_itself_fails(
    curve: CurveQuote, err: object, verdict: Verdict, detail: str
) -> None:
    trip = curve_round_trip(curve.curve, curve.global_, TOKENS_RAW, PROBE_LAMPORTS)
    instructions = curve_probe_instructions(Keypair().pubkey(), Keypair().pubkey(), curve, trip)

    result = curve_verdict(err, instructions, trip, 25.0)

    assert (result.verdict, result.detail) == (verdict, detail)
