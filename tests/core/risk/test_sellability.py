"""Check.HONEYPOT against the local Jupiter server and the LiteSVM-backed RPC node."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey

from core.chain.rpc_client import RpcClient
from core.risk.checks import RiskParams
from core.risk.report import Check, CheckResult, Verdict
from core.risk.sellability import (
    check_sellability,
    decompile,
    describe_error,
    round_trip_verdict,
)
from core.risk.service import RiskService
from core.trading import JupiterClient
from tests.jupiter_server import JupiterServer
from tests.svm_rpc import SvmRpcServer

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


async def test_normal_pool_passes_with_the_measured_round_trip_loss(
    node: SvmRpcServer, jup: JupiterServer, jupiter: JupiterClient, rpc: RpcClient, probe: Pubkey
) -> None:
    mint = node.create_mint(6)
    jup.add_pool(mint, 1_000_000 * 10**6, 100 * SOL, fee_bps=25)
    balance_before = node.svm.get_balance(probe)

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(probe))

    assert result.check is Check.HONEYPOT and result.verdict is Verdict.PASS, result.detail
    assert isinstance(result.value, float)
    # fees 2 × 0.25 %, the 1 % slippage haircut of the sold amount, ~0.02 % impact
    assert 1.4 < result.value < 1.6
    assert "buy and sell simulated" in result.detail
    assert node.svm.get_balance(probe) == balance_before  # nothing landed
    [simulated] = node.calls_of("simulateTransaction")
    assert simulated[1]["sigVerify"] is False and simulated[1]["replaceRecentBlockhash"] is True


async def test_pool_that_freezes_buyers_fails_because_the_sell_would_fail(
    node: SvmRpcServer, jup: JupiterServer, jupiter: JupiterClient, rpc: RpcClient, probe: Pubkey
) -> None:
    mint = node.create_mint(6, freeze_authority=jup.authority.pubkey())
    jup.add_pool(mint, 1_000_000 * 10**6, 100 * SOL, fee_bps=25, freeze_user_accounts=True)

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(probe))

    assert result.verdict is Verdict.FAIL
    assert result.detail == "sell would fail: AccountFrozen"


async def test_round_trip_loss_above_the_limit_fails(
    node: SvmRpcServer, jup: JupiterServer, jupiter: JupiterClient, rpc: RpcClient, probe: Pubkey
) -> None:
    mint = node.create_mint(6)
    jup.add_pool(mint, 1_000_000 * 10**6, 100 * SOL, fee_bps=3_000)  # 30 % each way

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(probe))

    assert result.verdict is Verdict.FAIL
    assert result.detail.startswith("round trip loses 51.") and result.detail.endswith("> 25%")


async def test_jupiter_down_is_unknown(
    node: SvmRpcServer, jup: JupiterServer, jupiter: JupiterClient, rpc: RpcClient, probe: Pubkey
) -> None:
    mint = node.create_mint(6)
    jup.add_pool(mint, 10**12, 100 * SOL, fee_bps=25)
    await jup.stop()

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(probe))

    assert result.verdict is Verdict.UNKNOWN
    assert "transport error" in result.detail


async def test_jupiter_server_error_is_unknown(
    node: SvmRpcServer, jup: JupiterServer, jupiter: JupiterClient, rpc: RpcClient, probe: Pubkey
) -> None:
    mint = node.create_mint(6)
    jup.add_pool(mint, 10**12, 100 * SOL, fee_bps=25)
    jup.fail(502, {"error": "bad gateway"})

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(probe))

    assert result.verdict is Verdict.UNKNOWN and "HTTP 502" in result.detail


async def test_no_route_is_unknown_not_pass(
    node: SvmRpcServer, jupiter: JupiterClient, rpc: RpcClient, probe: Pubkey
) -> None:
    mint = node.create_mint(6)  # no pool

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(probe))

    assert result.verdict is Verdict.UNKNOWN
    assert result.detail.startswith("no route to trade the token")


async def test_rpc_down_is_unknown(
    node: SvmRpcServer, jup: JupiterServer, jupiter: JupiterClient, rpc: RpcClient, probe: Pubkey
) -> None:
    mint = node.create_mint(6)
    jup.add_pool(mint, 10**12, 100 * SOL, fee_bps=25)
    node.fail("simulateTransaction", -32005, "Node is unhealthy")

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(probe))

    assert result.verdict is Verdict.UNKNOWN and "Node is unhealthy" in result.detail


async def test_underfunded_probe_wallet_is_unknown_not_fail(
    node: SvmRpcServer, jup: JupiterServer, jupiter: JupiterClient, rpc: RpcClient
) -> None:
    mint = node.create_mint(6)
    jup.add_pool(mint, 10**12, 100 * SOL, fee_bps=25)

    result = await check_sellability(jupiter, rpc, str(mint), probe_wallet=str(Keypair().pubkey()))

    assert result.verdict is Verdict.UNKNOWN and "probe wallet" in result.detail
    assert jup.requests == []  # nothing asked of Jupiter


def test_round_trip_verdict_limits() -> None:
    assert round_trip_verdict(100, 75, 25.0).verdict is Verdict.PASS
    failed = round_trip_verdict(100, 38, 25.0)
    assert failed.verdict is Verdict.FAIL and failed.detail == "round trip loses 62% > 25%"


def test_error_outside_an_instruction_is_not_attributed() -> None:
    assert describe_error("InsufficientFundsForFee", [], 1) is None
    assert describe_error({"InstructionError": [9, "Whatever"]}, [], 1) is None


def test_decompile_restores_instructions_of_a_message_with_lookup_tables() -> None:

    payer, program, a, b, c = (Keypair().pubkey() for _ in range(5))
    ix = Instruction(
        program,
        b"\x01\x02",
        [
            AccountMeta(payer, True, True),
            AccountMeta(a, False, True),
            AccountMeta(b, False, False),
        ],
    )
    ix2 = Instruction(program, b"", [AccountMeta(c, False, True), AccountMeta(a, False, True)])
    table = AddressLookupTableAccount(Keypair().pubkey(), [b, a, c])
    message = MessageV0.try_compile(payer, [ix, ix2], [table], Hash.default())
    assert message.address_table_lookups  # a, b and c come from the table

    assert decompile(message, {table.key: table}) == [ix, ix2]


async def test_risk_report_includes_the_honeypot_verdict_and_caches_it(
    node: SvmRpcServer, jup: JupiterServer, jupiter: JupiterClient, rpc: RpcClient, probe: Pubkey
) -> None:
    mint = node.create_mint(6, freeze_authority=jup.authority.pubkey())
    jup.add_pool(mint, 1_000_000 * 10**6, 100 * SOL, fee_bps=25, freeze_user_accounts=True)

    async def probe_sell(m: str) -> CheckResult:
        return await check_sellability(jupiter, rpc, m, probe_wallet=str(probe))

    service = RiskService(rpc, RiskParams(), sellability=probe_sell)
    report = await service.report(str(mint))
    again = await service.report(str(mint))

    assert report.get(Check.HONEYPOT).verdict is Verdict.FAIL
    assert report.get(Check.HONEYPOT).detail == "sell would fail: AccountFrozen"
    assert report.get(Check.FREEZE_AUTHORITY).verdict is Verdict.FAIL
    assert again.get(Check.HONEYPOT) == report.get(Check.HONEYPOT)
    assert len(node.calls_of("simulateTransaction")) == 1  # the second report used the cache
