"""Which route a trade takes (``TRADING_PUMP_CURVE_ROUTE``): Jupiter alone (``off``, the default),
or the Pump.fun curve when Jupiter has no route for a mint still on its curve (``fallback``).

The chain is the LiteSVM desk of ``conftest`` with a real mainnet BondingCurve account written at
the mint's curve address; Jupiter is the local server of the same protocol, which answers HTTP 400
``COULD_NOT_FIND_ANY_ROUTE`` for a mint without a pool, as Jupiter does. The Pump.fun program is
not on the local chain (its binary is not available offline), so a curve transaction is built and
inspected, and the executor's simulation of it fails: the truthful end here, nothing is sent.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from core.config import load_settings
from core.decode.idl import load_idl
from core.errors import ConfigError
from core.market.amm import buy_quote
from core.programs import Program
from core.storage.db import create_engine
from core.trading.jupiter_build_route import JupiterBuildRoute
from core.trading.jupiter_types import NoRouteError
from core.trading.pump_curve_route import (
    ASSOCIATED_TOKEN_PROGRAM,
    PUMP_PROGRAM,
    PumpCurveRoute,
    bonding_curve_address,
    global_address,
)
from core.trading.route_choice import RouteChoice, trade_route
from core.trading.routes import SwapRoute
from core.trading.service import TradingService
from core.trading.trade_types import FailureReason, Side, TradeState, TradeUpdate, UpdateKind
from tests.core.trading.conftest import FEE_BPS, POOL_SOL, POOL_TOKENS, SOL, Desk
from tests.core.trading.service_fixtures import trading_settings
from tests.svm_rpc import TOKEN_PROGRAM

CURVE_FIXTURE = "mainnet/carbon_pumpfun_bonding_curve_account.json"
# The fixture's reserves (a real mainnet curve, decoded in test_pump_curve_route):
V_TOKENS = 1_072_911_112_000_000
V_SOL = 30_002_485_430
BUY_LAMPORTS = SOL // 10
FEE_RECIPIENT = Pubkey.from_string("62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV")
PROTOCOL_FEE_BPS, CREATOR_FEE_BPS = 95, 30


def _curve_bytes(shared_fixtures: Path, *, complete: bool = False) -> bytes:
    raw = bytearray(
        base64.b64decode(json.loads((shared_fixtures / CURVE_FIXTURE).read_text())["data"])
    )
    assert raw[48] == 0  # the fixture's curve is live
    raw[48] = 1 if complete else 0
    return bytes(raw)


def _global_bytes() -> bytes:
    """A Pump.fun ``Global`` account: fee recipient at 41, fee bps at 105, creator fee at 154."""
    data = bytearray(bytes([167, 232, 232, 177, 200, 108, 114, 127]) + bytes(800))
    data[41:73] = bytes(FEE_RECIPIENT)
    struct.pack_into("<Q", data, 105, PROTOCOL_FEE_BPS)
    struct.pack_into("<Q", data, 154, CREATOR_FEE_BPS)
    return bytes(data)


def _put_curve(desk: Desk, mint: Pubkey, shared_fixtures: Path, *, complete: bool = False) -> None:
    desk.node.set_account(
        bonding_curve_address(mint), PUMP_PROGRAM, _curve_bytes(shared_fixtures, complete=complete)
    )
    desk.node.set_account(global_address(), PUMP_PROGRAM, _global_bytes())


def _curve_mint(desk: Desk, shared_fixtures: Path, *, complete: bool = False) -> Pubkey:
    """A mint with no Jupiter pool whose Pump.fun curve is on the chain."""
    mint = desk.node.create_mint(6)
    desk.node.revoke_mint_authority(mint)
    _put_curve(desk, mint, shared_fixtures, complete=complete)
    return mint


def _routes(desk: Desk, mode: str) -> SwapRoute:
    return trade_route(mode, JupiterBuildRoute(desk.jupiter, desk.rpc), PumpCurveRoute(desk.rpc))


@pytest.fixture
def curve_desk(desk: Desk) -> Desk:
    """The desk for a mint that only the curve trades. The buy checks are not what is tested:
    the curve's honeypot probe (core.risk.curve_sellability) needs the Pump.fun program, which
    the local chain does not have (UNKNOWN there), and the desk knows the liquidity of pools
    only."""
    desk.with_policy(require_honeypot_check=False, min_liquidity_lamports=0)
    return desk


def _use(desk: Desk, mode: str) -> SwapRoute:
    route = _routes(desk, mode)
    desk.executors[:] = [desk.executor(route=route)]
    return route


def _curve_reads(desk: Desk, mint: Pubkey) -> list[list[object]]:
    curve = str(bonding_curve_address(mint))
    return [p for p in desk.node.calls_of("getMultipleAccounts") if curve in p[0]]


# ---- the setting -------------------------------------------------------------------------------


async def test_the_setting_defaults_to_off_and_names_itself_when_wrong(tmp_path: Path) -> None:
    assert load_settings(None).trading_pump_curve_route == "off"
    assert load_settings(None, trading_pump_curve_route="Fallback").trading_pump_curve_route == (
        "fallback"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(None, trading_pump_curve_route="always")
    assert caught.value.setting == "TRADING_PUMP_CURVE_ROUTE"
    assert "off" in str(caught.value) and "fallback" in str(caught.value)

    engine = create_engine("sqlite:///" + str(tmp_path / "unused.db"))
    base = {"rpc_url": "http://127.0.0.1:1", "jupiter_url": "http://127.0.0.1:2"}
    off = TradingService.from_settings(
        trading_settings(**base, probe=Keypair().pubkey(), keystore=tmp_path / "a.json"),
        engine=engine,
    )
    fallback = TradingService.from_settings(
        trading_settings(
            **base,
            probe=Keypair().pubkey(),
            keystore=tmp_path / "b.json",
            trading_pump_curve_route="fallback",
        ),
        engine=engine,
    )
    try:
        assert isinstance(off.route, JupiterBuildRoute) and off.executor._deps.route is off.route
        assert isinstance(fallback.route, RouteChoice)
        assert fallback.route.name == "jupiter_v2+pump_curve"
        assert fallback.executor._deps.route is fallback.route
    finally:
        await off.aclose()
        await fallback.aclose()
        await engine.dispose()


# ---- off ---------------------------------------------------------------------------------------


async def test_off_a_curve_mint_fails_with_jupiters_no_route_reason_and_nothing_is_sent(
    curve_desk: Desk, shared_fixtures: Path
) -> None:
    desk = curve_desk
    route = _use(desk, "off")
    assert isinstance(route, JupiterBuildRoute)  # off is the Jupiter route itself
    mint = _curve_mint(desk, shared_fixtures)
    sol_before = desk.sol()

    outcome = await desk.execute(desk.request(Side.BUY, BUY_LAMPORTS, mint=mint))

    assert outcome.state is TradeState.FAILED and outcome.reason == FailureReason.NO_ROUTE
    assert "COULD_NOT_FIND_ANY_ROUTE" in (outcome.message or "")
    assert "nothing was sent" in (outcome.message or "")
    assert "Pump.fun" not in (outcome.message or "")
    assert _curve_reads(desk, mint) == []  # the curve was never looked at
    assert desk.node.calls_of("sendTransaction") == [] and desk.sol() == sol_before


# ---- fallback: the choice ----------------------------------------------------------------------


async def test_fallback_quotes_a_curve_mint_from_the_curve_and_builds_the_idl_buy(
    desk: Desk, shared_fixtures: Path
) -> None:
    route = _routes(desk, "fallback")
    mint = _curve_mint(desk, shared_fixtures)

    quote = await route.quote(Side.BUY, str(mint), BUY_LAMPORTS, slippage_bps=100)
    built = await route.build(quote, str(desk.wallet), priority_fee_micro_lamports_per_cu=6_000)

    # Jupiter was asked first and said no route
    [order] = desk.jup.calls_to("order")
    assert order["query"]["outputMint"] == str(mint)
    # the curve maths, by hand: the 1.25 % fee (95 + 30 bps) is on top of the SOL entering
    # the curve: 10^8 * 10000 // 10125 = 98_765_432; tokens = vtok * net // (vsol + net)
    assert V_TOKENS * 98_765_432 // (V_SOL + 98_765_432) == 3_520_336_412_599
    assert quote.route == "pump_curve" and quote.labels == ("Pump.fun",)
    assert (quote.in_amount_raw, quote.out_amount_raw) == (BUY_LAMPORTS, 3_520_336_412_599)
    assert quote.min_out_raw == 3_520_336_412_599 * 99 // 100 == 3_485_133_048_473

    # the transaction: the wallet pays; the last instruction is Pump.fun's buy as the IDL says
    message = built.transaction.message
    assert isinstance(message, MessageV0)
    keys = list(message.account_keys)
    assert keys[0] == desk.wallet and message.header.num_required_signatures == 1
    buy = message.instructions[-1]
    assert keys[buy.program_id_index] == PUMP_PROGRAM
    idl = next(i for i in load_idl(Program.PUMP)["instructions"] if i["name"] == "buy")
    assert bytes(buy.data) == bytes(idl["discriminator"]) + struct.pack(
        "<QQB", 3_485_133_048_473, BUY_LAMPORTS, 0
    )  # amount (tokens, the quoted floor), max_sol_cost (the SOL spent), track_volume: off
    metas = [keys[i] for i in buy.accounts]
    assert len(metas) == len(idl["accounts"]) == 16
    by_name = dict(zip([a["name"] for a in idl["accounts"]], metas, strict=True))
    for index, account in enumerate(idl["accounts"]):
        if "address" in account:
            assert str(metas[index]) == account["address"], account["name"]
        writable = message.is_maybe_writable(buy.accounts[index])
        assert writable == bool(account.get("writable", False)), account["name"]
        assert message.is_signer(buy.accounts[index]) == bool(account.get("signer", False))
    wallet_ata = Pubkey.find_program_address(
        [bytes(desk.wallet), bytes(TOKEN_PROGRAM), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM
    )[0]
    creator = Pubkey.from_string("CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv")  # the curve's
    assert by_name["user"] == desk.wallet and by_name["mint"] == mint
    assert by_name["global"] == global_address()
    assert by_name["bonding_curve"] == bonding_curve_address(mint)
    assert by_name["fee_recipient"] == FEE_RECIPIENT  # read from Global
    assert by_name["associated_user"] == wallet_ata
    assert (
        by_name["creator_vault"]
        == Pubkey.find_program_address([b"creator-vault", bytes(creator)], PUMP_PROGRAM)[0]
    )
    assert by_name["token_program"] == TOKEN_PROGRAM


async def test_fallback_keeps_jupiter_for_a_mint_it_can_route(desk: Desk) -> None:
    """The desk's mint has a pool: the trade goes through Jupiter and lands, curve untouched."""
    _use(desk, "fallback")
    expected = buy_quote(BUY_LAMPORTS, POOL_TOKENS, POOL_SOL, FEE_BPS)
    request = desk.request(Side.BUY, BUY_LAMPORTS)

    outcome = await desk.execute(request)

    assert outcome.state is TradeState.CONFIRMED, outcome.message
    assert desk.tokens() == expected == outcome.token_delta_raw
    assert desk.updates[0].kind is UpdateKind.QUOTED and desk.updates[0].route == "jupiter_v2"
    assert _curve_reads(desk, desk.mint) == []
    record = await desk.store.get(request.idempotency_key)
    assert record is not None and record.route == "jupiter_v2+pump_curve"


async def test_fallback_does_not_choose_a_complete_curve_and_says_why(
    curve_desk: Desk, shared_fixtures: Path
) -> None:
    desk = curve_desk
    _use(desk, "fallback")
    mint = _curve_mint(desk, shared_fixtures, complete=True)

    outcome = await desk.execute(desk.request(Side.BUY, BUY_LAMPORTS, mint=mint))

    assert outcome.state is TradeState.FAILED and outcome.reason == FailureReason.NO_ROUTE
    message = outcome.message or ""
    assert "COULD_NOT_FIND_ANY_ROUTE" in message
    assert f"the curve of {mint} is complete: trade it on its AMM pool" in message
    assert len(_curve_reads(desk, mint)) == 1
    assert desk.node.calls_of("sendTransaction") == [] and desk.tokens(mint) == 0

    # a mint with no curve at all: the same, naming the missing curve
    bare = desk.node.create_mint(6)
    with pytest.raises(NoRouteError, match=r"has no Pump\.fun bonding curve"):
        await _routes(desk, "fallback").quote(Side.BUY, str(bare), BUY_LAMPORTS, slippage_bps=100)


# ---- fallback: through the executor ------------------------------------------------------------


async def test_fallback_curve_buy_stops_at_simulation_and_nothing_is_sent(
    curve_desk: Desk, shared_fixtures: Path
) -> None:
    """The Pump.fun program is absent from the local chain, so simulating the signed curve
    transaction fails: the executor simulates before sending, and ends the trade there."""
    desk = curve_desk
    _use(desk, "fallback")
    mint = _curve_mint(desk, shared_fixtures)
    sol_before = desk.sol()
    request = desk.request(Side.BUY, BUY_LAMPORTS, mint=mint)

    outcome = await desk.execute(request)

    assert outcome.state is TradeState.FAILED
    assert outcome.reason == FailureReason.SIMULATION_FAILED
    # LiteSVM's answer for a program it does not hold (a transaction error: no instruction index)
    assert outcome.detail["err"] == "InvalidProgramForExecution"
    assert outcome.message == (
        "the simulation failed (InvalidProgramForExecution): nothing was sent"
    )
    assert [u.kind for u in desk.updates] == [UpdateKind.QUOTED, UpdateKind.FAILED]
    assert desk.updates[0].route == "pump_curve"
    assert desk.updates[0].out_amount_raw == 3_520_336_412_599
    # it was signed and simulated with the signature checked, and never sent
    *_, simulated = desk.node.calls_of("simulateTransaction")
    assert simulated[1]["sigVerify"] is True
    tx = VersionedTransaction.from_bytes(base64.b64decode(simulated[0]))
    assert tx.message.account_keys[tx.message.instructions[-1].program_id_index] == PUMP_PROGRAM
    assert desk.node.calls_of("sendTransaction") == []
    assert desk.sol() == sol_before and desk.tokens(mint) == 0 and desk.landed_swaps() == 0
    record = await desk.store.get(request.idempotency_key)
    assert record is not None and record.signature is None and record.signed_tx is None


async def test_the_requote_after_expiry_chooses_again(
    curve_desk: Desk, shared_fixtures: Path
) -> None:
    """First quote: Jupiter (the pool). The transaction is lost and expires; by then the pool is
    gone and the mint is on a curve: the re-quote goes through the choice again, to the curve."""
    desk = curve_desk
    _use(desk, "fallback")
    desk.node.drop_sends(10_000)
    updates: list[TradeUpdate] = []

    def on_update(update: TradeUpdate) -> None:
        updates.append(update)
        if update.kind is UpdateKind.REQUOTED:
            del desk.jup.pools[desk.mint]
            _put_curve(desk, desk.mint, shared_fixtures)

    request = desk.request(Side.BUY, BUY_LAMPORTS)
    outcome = await desk.executors[0].execute(request, on_update)

    quotes = [u for u in updates if u.kind is UpdateKind.QUOTED]
    assert [q.route for q in quotes] == ["jupiter_v2", "pump_curve"]
    assert outcome.state is TradeState.FAILED
    assert outcome.reason == FailureReason.SIMULATION_FAILED
    record = await desk.store.get(request.idempotency_key)
    assert record is not None and record.attempts == 2 and len(record.signatures) == 1
    sent = {json.dumps(p[0]) for p in desk.node.calls_of("sendTransaction")}
    assert len(sent) == 1  # only the first (Jupiter) transaction was ever sent
    assert desk.tokens() == 0 and desk.landed_swaps() == 0
