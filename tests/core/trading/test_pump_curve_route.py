"""The Pump.fun curve route: instructions from the official IDL, checked against a real mainnet
buy instruction; quotes from a real curve account. The Pump.fun program itself is not available
to the local LiteSVM chain, so these transactions are built and inspected, never executed."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from core.chain.rpc_client import RpcClient
from core.decode.accounts import decode_bonding_curve
from core.decode.idl import load_idl
from core.market import curve
from core.programs import PROGRAM_IDS, Program
from core.trading.pump_curve_route import (
    PUMP_PROGRAM,
    PumpCurveError,
    PumpCurveRoute,
    bonding_curve_address,
    buy_instruction,
    global_address,
    sell_instruction,
)
from core.trading.trade_types import Side
from tests.svm_rpc import TOKEN_PROGRAM, SvmRpcServer

BUY_FIXTURE = "mainnet/carbon_pumpfun_buy_ix.json"
CURVE_FIXTURE = "mainnet/carbon_pumpfun_bonding_curve_account.json"
IDL_ACCOUNTS_NEWER_THAN_FIXTURE = {
    9: "creator_vault: a PDA of the curve's creator, which the fixture does not carry",
    12: "global_volume_accumulator: writable in the fixture, read-only in the newer IDL",
}


def _idl_accounts(name: str) -> list[str]:
    ix = next(i for i in load_idl(Program.PUMP)["instructions"] if i["name"] == name)
    return [a["name"] for a in ix["accounts"]]


def test_buy_instruction_matches_a_real_mainnet_buy_account_by_account(
    shared_fixtures: Path,
) -> None:
    fixture = json.loads((shared_fixtures / BUY_FIXTURE).read_text())
    accounts = fixture["accounts"]
    key = [Pubkey.from_string(a["pubkey"]) for a in accounts]
    amount, max_cost = struct.unpack_from("<QQ", bytes.fromhex(fixture["data"]), 8)

    ix = buy_instruction(
        user=key[6],
        mint=key[2],
        token_program=key[8],
        fee_recipient=key[1],
        creator=Keypair().pubkey(),
        amount_raw=amount,
        max_sol_cost_lamports=max_cost,
    )

    assert ix.program_id == PUMP_PROGRAM and len(ix.accounts) == len(accounts) == 16
    for index, (meta, real) in enumerate(zip(ix.accounts, accounts, strict=True)):
        if index in IDL_ACCOUNTS_NEWER_THAN_FIXTURE:
            continue
        assert str(meta.pubkey) == real["pubkey"], _idl_accounts("buy")[index]
        assert (meta.is_signer, meta.is_writable) == (real["is_signer"], real["is_writable"])
    # the fixture predates the third argument (track_volume: OptionBool, one byte)
    assert bytes(ix.data) == bytes.fromhex(fixture["data"]) + b"\x00"


def test_sell_instruction_follows_the_idl_order_and_encodes_its_arguments() -> None:
    user, mint, recipient, creator = (Keypair().pubkey() for _ in range(4))
    ix = sell_instruction(
        user=user,
        mint=mint,
        token_program=TOKEN_PROGRAM,
        fee_recipient=recipient,
        creator=creator,
        amount_raw=123,
        min_sol_output_lamports=456,
    )
    names = _idl_accounts("sell")
    assert len(ix.accounts) == len(names) == 14
    by_name = dict(zip(names, ix.accounts, strict=True))
    assert by_name["user"].pubkey == user and by_name["user"].is_signer
    assert by_name["bonding_curve"].pubkey == bonding_curve_address(mint)
    assert by_name["global"].pubkey == global_address()
    creator_vault = Pubkey.find_program_address([b"creator-vault", bytes(creator)], PUMP_PROGRAM)
    assert by_name["creator_vault"].pubkey == creator_vault[0]
    assert bytes(ix.data) == bytes([51, 230, 133, 164, 1, 127, 131, 173]) + struct.pack(
        "<QQ", 123, 456
    )


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


def _global_account(recipient: Pubkey, fee_bps: int, creator_bps: int) -> bytes:
    data = bytearray(bytes([167, 232, 232, 177, 200, 108, 114, 127]) + bytes(800))
    data[41:73] = bytes(recipient)
    struct.pack_into("<Q", data, 105, fee_bps)
    struct.pack_into("<Q", data, 154, creator_bps)
    return bytes(data)


async def test_quote_and_build_from_a_real_curve_account_on_the_local_chain(
    node: SvmRpcServer, shared_fixtures: Path
) -> None:
    raw = base64.b64decode(json.loads((shared_fixtures / CURVE_FIXTURE).read_text())["data"])
    state = decode_bonding_curve(raw)
    mint = node.create_mint(6)
    pump = Pubkey.from_string(PROGRAM_IDS[Program.PUMP])
    node.set_account(bonding_curve_address(mint), pump, raw)
    recipient = Keypair().pubkey()
    node.set_account(global_address(), pump, _global_account(recipient, 95, 30))
    wallet = Keypair().pubkey()
    async with RpcClient(node.url, max_retries=0) as rpc:
        route = PumpCurveRoute(rpc)
        quote = await route.quote(Side.BUY, str(mint), 10**8, slippage_bps=100)
        built = await route.build(quote, str(wallet), priority_fee_micro_lamports_per_cu=5_000)
        sell = await route.quote(Side.SELL, str(mint), 10**9, slippage_bps=100)

    expected = curve.buy_quote(
        10**8,
        state.virtual_sol_reserves,
        state.virtual_token_reserves,
        125,
        real_token_reserves=state.real_token_reserves,
    )
    assert quote.out_amount_raw == expected and quote.min_out_raw == expected * 99 // 100
    assert sell.out_amount_raw == curve.sell_quote(
        10**9, state.virtual_sol_reserves, state.virtual_token_reserves, 125
    )
    message = built.transaction.message
    assert message.account_keys[0] == wallet
    pump_ix = message.instructions[-1]
    assert message.account_keys[pump_ix.program_id_index] == pump
    amount, max_cost, track = struct.unpack_from("<QQB", bytes(pump_ix.data), 8)
    assert (amount, max_cost, track) == (quote.min_out_raw, 10**8, 0)
    assert recipient in message.account_keys


async def test_a_complete_or_missing_curve_is_not_quoted(
    node: SvmRpcServer, shared_fixtures: Path
) -> None:
    raw = bytearray(
        base64.b64decode(json.loads((shared_fixtures / CURVE_FIXTURE).read_text())["data"])
    )
    raw[48] = 1  # complete: the curve migrated
    migrated = node.create_mint(6)
    pump = Pubkey.from_string(PROGRAM_IDS[Program.PUMP])
    node.set_account(bonding_curve_address(migrated), pump, bytes(raw))
    node.set_account(global_address(), pump, _global_account(Keypair().pubkey(), 95, 30))
    async with RpcClient(node.url, max_retries=0) as rpc:
        route = PumpCurveRoute(rpc)
        with pytest.raises(PumpCurveError, match=r"no Pump\.fun bonding curve"):
            await route.quote(Side.BUY, str(node.create_mint(6)), 10**8, slippage_bps=100)
        with pytest.raises(PumpCurveError, match="complete: trade it on its AMM pool"):
            await route.quote(Side.BUY, str(migrated), 10**8, slippage_bps=100)
