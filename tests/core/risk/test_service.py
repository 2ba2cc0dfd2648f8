"""RiskService over the production RpcClient against real mints on a LiteSVM JSON-RPC node."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from core.chain.rpc_client import RpcClient
from core.decode.accounts import PumpSwapPool
from core.programs import PROGRAM_IDS, WSOL_MINT, Program
from core.replay.accounts import encode_pump_swap_pool_account
from core.risk.blocklist import Blocklist
from core.risk.checks import RiskParams
from core.risk.report import Check, RiskReport, Verdict
from core.risk.service import RiskService
from core.risk.vaults import bonding_curve_address
from tests.svm_rpc import SvmRpcServer

SUPPLY = 1_000_000_000_000  # 1M tokens at 6 decimals
CHAIN_CHECKS = (
    Check.MINT_AUTHORITY,
    Check.FREEZE_AUTHORITY,
    Check.TRANSFER_TAX,
    Check.TOP_HOLDER,
    Check.TOP10,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def rpc(node: SvmRpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(node.url, max_retries=0, timeout_s=2) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(rpc: RpcClient, clock: Clock) -> RiskService:
    return RiskService(rpc, RiskParams(), ttl_s=60, clock=clock)


def _holders(node: SvmRpcServer, mint: Pubkey, amounts: list[int]) -> list[Pubkey]:
    accounts = []
    for amount in amounts:
        account = node.create_token_account(Keypair().pubkey(), mint)
        node.mint_to(mint, account, amount)
        accounts.append(account)
    return accounts


def _fair_launch(node: SvmRpcServer, *, token_2022: bool = False) -> Pubkey:
    """Renounced authorities; the bonding curve vault holds 80 %, 25 wallets 0.8 % each."""
    mint = node.create_mint(6, token_2022=token_2022)
    curve_vault = node.create_token_account(
        Pubkey.from_string(bonding_curve_address(str(mint))), mint
    )
    node.mint_to(mint, curve_vault, SUPPLY * 80 // 100)
    _holders(node, mint, [SUPPLY * 8 // 1000] * 25)
    node.revoke_mint_authority(mint)
    return mint


def _verdicts(report: RiskReport) -> dict[Check, Verdict]:
    return {r.check: r.verdict for r in report.results}


async def test_fair_launch_passes_with_the_bonding_curve_vault_excluded(
    node: SvmRpcServer, service: RiskService, clock: Clock
) -> None:
    mint = _fair_launch(node)
    creator = str(Keypair().pubkey())

    report = await service.report(str(mint), creator=creator)

    assert report.mint == str(mint) and report.checked_at == int(clock.now)
    assert set(_verdicts(report).values()) == {Verdict.PASS}
    assert report.get(Check.TOP_HOLDER).value == 0.8
    assert report.get(Check.TOP_HOLDER).detail == "top holder 0.8% <= 30%"
    assert report.get(Check.TOP10).value == 8.0
    assert report.get(Check.HONEYPOT).detail == "not checked"
    assert report.get(Check.LP_BURNT).verdict is Verdict.UNKNOWN  # not migrated: no pool
    assert report.failed() == ()


async def test_concentrated_mint_with_live_authorities_fails(
    node: SvmRpcServer, service: RiskService
) -> None:
    freezer = Keypair().pubkey()
    mint = node.create_mint(6, freeze_authority=freezer)
    _holders(node, mint, [SUPPLY * 40 // 100] + [SUPPLY * 2 // 100] * 30)

    report = await service.report(str(mint), creator=str(Keypair().pubkey()), dev_sold=True)

    authority = str(node.mint_authorities[mint].pubkey())
    assert report.get(Check.MINT_AUTHORITY).value == authority
    assert report.get(Check.FREEZE_AUTHORITY).value == str(freezer)
    assert report.get(Check.TOP_HOLDER).detail == "top holder 40.0% > 30%"
    assert report.get(Check.TOP10).value == 58.0  # 40 + 9 x 2
    assert {r.check for r in report.failed()} == {
        Check.MINT_AUTHORITY,
        Check.FREEZE_AUTHORITY,
        Check.TOP_HOLDER,
        Check.TOP10,
        Check.DEV_SELLING,
    }
    assert report.get(Check.TRANSFER_TAX).verdict is Verdict.PASS


async def test_token_2022_mint_with_a_ten_percent_fee_fails_transfer_tax(
    node: SvmRpcServer, service: RiskService
) -> None:
    mint = node.create_mint(6, token_2022=True, transfer_fee_bps=1_000, max_fee=10**15)
    vault = node.create_token_account(Pubkey.from_string(bonding_curve_address(str(mint))), mint)
    node.mint_to(mint, vault, SUPPLY * 90 // 100)
    _holders(node, mint, [SUPPLY // 100] * 10)
    node.revoke_mint_authority(mint)

    report = await service.report(str(mint), creator=str(Keypair().pubkey()))

    tax = report.get(Check.TRANSFER_TAX)
    assert (tax.verdict, tax.value, tax.detail) == (Verdict.FAIL, 1_000, "transfer fee 10.0% > 5%")
    # the Token-2022 curve vault is derived under Token-2022 and excluded too
    assert report.get(Check.TOP_HOLDER).value == 1.0
    assert report.get(Check.TOP10).verdict is Verdict.PASS
    assert [r.check for r in report.failed()] == [Check.TRANSFER_TAX]


@dataclass
class Migrated:
    mint: Pubkey
    pool: Pubkey


def _migrated(node: SvmRpcServer, *, lp_burnt_raw: int) -> Migrated:
    """A PumpSwap pool (placed: this SVM does not run pump_amm) whose base vault holds 70 % of a
    real mint, and a real LP mint: 1_000_000 LP minted, ``lp_burnt_raw`` burnt by the holder."""
    mint = node.create_mint(6)
    pool = Keypair().pubkey()
    base_vault = node.create_token_account(pool, mint)
    node.mint_to(mint, base_vault, SUPPLY * 70 // 100)
    _holders(node, mint, [SUPPLY // 100] * 30)
    node.revoke_mint_authority(mint)
    lp_mint = node.create_mint(9)
    lp_holder = Keypair()
    lp_account = node.create_token_account(lp_holder.pubkey(), lp_mint)
    node.mint_to(lp_mint, lp_account, 1_000_000)
    if lp_burnt_raw:
        node.burn(lp_account, lp_mint, lp_burnt_raw, owner=lp_holder)
    account = PumpSwapPool(
        pool_bump=255,
        index=0,
        creator=str(Keypair().pubkey()),
        base_mint=str(mint),
        quote_mint=WSOL_MINT,
        lp_mint=str(lp_mint),
        pool_base_token_account=str(base_vault),
        pool_quote_token_account=str(Keypair().pubkey()),
        lp_supply=1_000_000,
    )
    node.set_account(
        pool,
        Pubkey.from_string(PROGRAM_IDS[Program.PUMP_AMM]),
        encode_pump_swap_pool_account(account),
    )
    return Migrated(mint, pool)


async def test_migrated_pool_vault_is_excluded_and_burnt_lp_passes(
    node: SvmRpcServer, service: RiskService
) -> None:
    launch = _migrated(node, lp_burnt_raw=990_000)

    report = await service.report(str(launch.mint), pool=str(launch.pool), creator=None)

    assert report.get(Check.TOP_HOLDER).value == 1.0
    lp = report.get(Check.LP_BURNT)
    assert (lp.verdict, lp.value, lp.detail) == (Verdict.PASS, 99.0, "LP burnt 99.0% >= 95%")
    assert report.get(Check.BLOCKLIST).verdict is Verdict.UNKNOWN  # creator not given


async def test_unburnt_lp_fails(node: SvmRpcServer, service: RiskService) -> None:
    launch = _migrated(node, lp_burnt_raw=0)

    report = await service.report(str(launch.mint), pool=str(launch.pool))

    assert report.get(Check.LP_BURNT).detail == "LP burnt 0.0% < 95%"
    assert report.get(Check.LP_BURNT).verdict is Verdict.FAIL


async def test_unreadable_pool_makes_a_vault_driven_fail_unknown(
    node: SvmRpcServer, service: RiskService
) -> None:
    launch = _migrated(node, lp_burnt_raw=990_000)
    not_a_pool = Keypair().pubkey()

    report = await service.report(str(launch.mint), pool=str(not_a_pool))

    top = report.get(Check.TOP_HOLDER)
    assert top.verdict is Verdict.UNKNOWN and "pool account unavailable" in top.detail
    assert report.get(Check.LP_BURNT).verdict is Verdict.UNKNOWN
    assert report.get(Check.MINT_AUTHORITY).verdict is Verdict.PASS


async def test_stopped_node_gives_unknown_never_pass(
    node: SvmRpcServer, service: RiskService
) -> None:
    mint = _fair_launch(node)
    await node.stop()

    report = await service.report(str(mint), creator=str(Keypair().pubkey()))

    for check in CHAIN_CHECKS:
        result = report.get(check)
        assert result.verdict is Verdict.UNKNOWN, result
        assert "unavailable" in result.detail
    assert Verdict.PASS not in {report.get(c).verdict for c in CHAIN_CHECKS}


async def test_rpc_errors_make_only_the_affected_checks_unknown(
    node: SvmRpcServer, service: RiskService
) -> None:
    mint = _fair_launch(node)
    node.fail("getTokenLargestAccounts", -32005, "Node is behind by 80 slots")

    report = await service.report(str(mint), creator=str(Keypair().pubkey()))

    assert report.get(Check.MINT_AUTHORITY).verdict is Verdict.PASS
    holders = report.get(Check.TOP_HOLDER)
    assert holders.verdict is Verdict.UNKNOWN
    assert "Node is behind by 80 slots" in holders.detail
    assert report.get(Check.TOP10).verdict is Verdict.UNKNOWN


async def test_missing_mint_is_unknown(service: RiskService) -> None:
    report = await service.report(str(Keypair().pubkey()))

    assert {report.get(c).verdict for c in CHAIN_CHECKS} == {Verdict.UNKNOWN}
    assert "no account at" in report.get(Check.MINT_AUTHORITY).detail


async def test_second_call_within_ttl_makes_no_rpc_request_and_refreshes_after(
    node: SvmRpcServer, service: RiskService, clock: Clock
) -> None:
    mint = _fair_launch(node)
    first = await service.report(str(mint))
    requests = len(node.requests)

    clock.now += 59
    cached = await service.report(str(mint), dev_sold=True)
    assert len(node.requests) == requests
    assert cached.get(Check.DEV_SELLING).verdict is Verdict.FAIL  # caller facts still applied
    assert cached.checked_at == first.checked_at

    clock.now += 2
    refreshed = await service.report(str(mint))
    assert len(node.requests) == requests + 2
    assert refreshed.checked_at == first.checked_at + 61


async def test_concurrent_callers_share_one_lookup(
    node: SvmRpcServer, service: RiskService
) -> None:
    mint = _fair_launch(node)

    reports = await asyncio.gather(*(service.report(str(mint)) for _ in range(10)))

    assert len(node.calls_of("getAccountInfo")) == 1
    assert len(node.calls_of("getTokenLargestAccounts")) == 1
    assert len({r.results for r in reports}) == 1


async def test_failed_lookup_is_retried_after_the_short_error_ttl(
    node: SvmRpcServer, service: RiskService, clock: Clock
) -> None:
    mint = _fair_launch(node)
    node.fail("*")
    failed = await service.report(str(mint))
    node.clear_failures()

    again = await service.report(str(mint))  # within error_ttl_s (5 s): still the failure
    clock.now += 5
    recovered = await service.report(str(mint))

    assert failed.get(Check.MINT_AUTHORITY).verdict is Verdict.UNKNOWN
    assert again.get(Check.MINT_AUTHORITY).verdict is Verdict.UNKNOWN
    assert recovered.get(Check.MINT_AUTHORITY).verdict is Verdict.PASS


async def test_cache_is_bounded(node: SvmRpcServer, rpc: RpcClient, clock: Clock) -> None:
    service = RiskService(rpc, RiskParams(), clock=clock, max_entries=2)
    mints = [_fair_launch(node) for _ in range(3)]
    for mint in mints:
        await service.report(str(mint))
    requests = len(node.requests)

    await service.report(str(mints[2]))  # kept
    await service.report(str(mints[0]))  # evicted: looked up again

    assert len(node.requests) == requests + 2


async def test_blocklisted_creator_fails(node: SvmRpcServer, rpc: RpcClient) -> None:
    creator = str(Keypair().pubkey())
    service = RiskService(rpc, RiskParams(), blocklist=Blocklist.of([creator], "serial rugger"))
    mint = _fair_launch(node)

    report = await service.report(str(mint), creator=creator)

    assert report.get(Check.BLOCKLIST).detail == f"creator {creator} is blocklisted: serial rugger"
    assert [r.check for r in report.failed()] == [Check.BLOCKLIST]
