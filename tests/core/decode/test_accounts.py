"""Account decoders against real mainnet accounts and real mints created in LiteSVM."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import Transaction
from solders.transaction_metadata import FailedTransactionMetadata

from core.decode.accounts import (
    TOKEN_2022_PROGRAM,
    BondingCurveAccount,
    ExtensionType,
    PumpSwapPool,
    TransferFee,
    decode_bonding_curve,
    decode_mint,
    decode_pump_swap_pool,
    mint_info_from_parsed,
)
from core.decode.idl import load_idl
from core.errors import DecodeError
from core.programs import TOKEN_PROGRAM_ID, Program

WITHDRAW_AUTHORITY = "Ad35ryfDYGvwGETsvkbgFoGasxdGAEtLPv8CYG3eNaMu"
TOKEN = Pubkey.from_string(TOKEN_PROGRAM_ID)
TOKEN_2022 = Pubkey.from_string(TOKEN_2022_PROGRAM)


# ---- Pump.fun BondingCurve ----------------------------------------------------------------------


def test_pre_creator_49_byte_curve_from_2024_decodes(shared_fixtures: Path) -> None:
    raw = json.loads(
        (
            shared_fixtures / "mainnet/chainstack_raw_bondingCurve_from_getAccountInfo.json"
        ).read_text()
    )
    data = base64.b64decode(raw["result"]["value"]["data"][0])
    assert len(data) == 49

    assert decode_bonding_curve(data) == BondingCurveAccount(
        virtual_token_reserves=1_070_419_577_927_421,
        virtual_sol_reserves=30_072_319_932,
        real_token_reserves=790_519_577_927_421,
        real_sol_reserves=72_319_932,
        token_total_supply=1_000_000_000_000_000,
        complete=False,
        creator=None,
        is_mayhem_mode=None,
        is_cashback_coin=None,
        quote_mint=None,
    )


def test_150_byte_curve_with_creator_decodes(shared_fixtures: Path) -> None:
    raw = json.loads(
        (shared_fixtures / "mainnet/carbon_pumpfun_bonding_curve_account.json").read_text()
    )
    data = base64.b64decode(raw["data"])
    assert len(data) == 150

    assert decode_bonding_curve(data) == BondingCurveAccount(
        virtual_token_reserves=1_072_911_112_000_000,
        virtual_sol_reserves=30_002_485_430,
        real_token_reserves=793_011_112_000_000,
        real_sol_reserves=2_485_430,
        token_total_supply=1_000_000_000_000_000,
        complete=False,
        creator="CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv",
        # the account's unused tail is zero: flags false, quote mint unset (SOL)
        is_mayhem_mode=False,
        is_cashback_coin=False,
        quote_mint=None,
    )


def test_completed_curve_with_quote_mint_decodes() -> None:
    disc = bytes(load_idl(Program.PUMP)["accounts"][0]["discriminator"])
    creator, quote = Keypair().pubkey(), Keypair().pubkey()
    data = (
        disc
        + struct.pack("<5Q", 0, 115_005_359_056, 0, 85_005_359_056, 10**15)
        + b"\x01"
        + bytes(creator)
        + b"\x01\x00"
        + bytes(quote)
    )
    curve = decode_bonding_curve(data)
    assert curve.complete and curve.is_mayhem_mode and not curve.is_cashback_coin
    assert (curve.creator, curve.quote_mint) == (str(creator), str(quote))
    assert curve.real_sol_reserves == 85_005_359_056


def test_curve_decoder_refuses_other_accounts_and_short_data(shared_fixtures: Path) -> None:
    raw = json.loads(
        (shared_fixtures / "mainnet/carbon_pumpfun_bonding_curve_account.json").read_text()
    )
    data = base64.b64decode(raw["data"])
    with pytest.raises(DecodeError) as info:
        decode_bonding_curve(b"\x00" * 8 + data[8:])
    assert info.value.kind == "unknown_discriminator"
    with pytest.raises(DecodeError) as info:
        decode_bonding_curve(data[:48])
    assert info.value.kind == "truncated"


# ---- PumpSwap Pool ------------------------------------------------------------------------------


def _pool_bytes(*, with_coin_creator: bool) -> tuple[bytes, list[Pubkey]]:
    disc = next(
        bytes(a["discriminator"])
        for a in load_idl(Program.PUMP_AMM)["accounts"]
        if a["name"] == "Pool"
    )
    keys = [Keypair().pubkey() for _ in range(7)]
    data = disc + struct.pack("<BH", 254, 0) + b"".join(bytes(k) for k in keys[:6])
    data += struct.pack("<Q", 4_193_388_161_499)
    if with_coin_creator:
        data += bytes(keys[6]) + b"\x00\x01"
    return data, keys


def test_pump_swap_pool_decodes_with_and_without_coin_creator() -> None:
    data, k = _pool_bytes(with_coin_creator=True)
    assert len(data) == 8 + 1 + 2 + 6 * 32 + 8 + 32 + 2
    assert decode_pump_swap_pool(data) == PumpSwapPool(
        pool_bump=254,
        index=0,
        creator=str(k[0]),
        base_mint=str(k[1]),
        quote_mint=str(k[2]),
        lp_mint=str(k[3]),
        pool_base_token_account=str(k[4]),
        pool_quote_token_account=str(k[5]),
        lp_supply=4_193_388_161_499,
        coin_creator=str(k[6]),
        is_mayhem_mode=False,
        is_cashback_coin=True,
    )

    old, k = _pool_bytes(with_coin_creator=False)
    pool = decode_pump_swap_pool(old)
    assert (pool.base_mint, pool.lp_supply) == (str(k[1]), 4_193_388_161_499)
    assert (pool.coin_creator, pool.is_mayhem_mode, pool.is_cashback_coin) == (None, None, None)


def test_bonding_curve_bytes_are_not_a_pool(shared_fixtures: Path) -> None:
    raw = json.loads(
        (shared_fixtures / "mainnet/carbon_pumpfun_bonding_curve_account.json").read_text()
    )
    with pytest.raises(DecodeError):
        decode_pump_swap_pool(base64.b64decode(raw["data"]))


# ---- Mints created in LiteSVM -------------------------------------------------------------------


def _option_key(key: Pubkey | None) -> bytes:
    return b"\x01" + bytes(key) if key is not None else b"\x00"


class Chain:
    """A LiteSVM with a funded payer, creating mints the way a launchpad does."""

    def __init__(self) -> None:
        self.svm = LiteSVM()
        self.payer = Keypair()
        self.svm.airdrop(self.payer.pubkey(), 10 * 10**9)

    def send(self, instructions: list[Instruction], *signers: Keypair) -> None:
        message = Message(instructions, self.payer.pubkey())
        tx = Transaction([self.payer, *signers], message, self.svm.latest_blockhash())
        result = self.svm.send_transaction(tx)
        assert not isinstance(result, FailedTransactionMetadata), result

    def create_account(self, new: Keypair, space: int, owner: Pubkey) -> Instruction:
        return create_account(
            CreateAccountParams(
                from_pubkey=self.payer.pubkey(),
                to_pubkey=new.pubkey(),
                lamports=self.svm.minimum_balance_for_rent_exemption(space),
                space=space,
                owner=owner,
            )
        )

    def create_mint(
        self,
        program: Pubkey,
        *,
        decimals: int,
        mint_authority: Pubkey,
        freeze_authority: Pubkey | None,
        transfer_fee: tuple[Pubkey | None, Pubkey | None, int, int] | None = None,
    ) -> Pubkey:
        mint = Keypair()
        meta = [AccountMeta(mint.pubkey(), is_signer=False, is_writable=True)]
        ixs = [self.create_account(mint, 82 if transfer_fee is None else 278, program)]
        if transfer_fee is not None:
            config_auth, withdraw_auth, bps, max_fee = transfer_fee
            # TransferFeeExtension (26) / InitializeTransferFeeConfig (0), before InitializeMint
            data = bytes([26, 0]) + _option_key(config_auth) + _option_key(withdraw_auth)
            ixs.append(Instruction(program, data + struct.pack("<HQ", bps, max_fee), meta))
        # InitializeMint2 (20): decimals, mint authority, COption freeze authority
        data = bytes([20, decimals]) + bytes(mint_authority) + _option_key(freeze_authority)
        ixs.append(Instruction(program, data, meta))
        self.send(ixs, mint)
        return mint.pubkey()

    def mint_to(self, program: Pubkey, mint: Pubkey, authority: Keypair, amount: int) -> None:
        holder = Keypair()
        # a holder of a transfer-fee mint needs the TransferFeeAmount extension: 165 + 1 + 4 + 8
        space = 165 if len(self.account(mint)[0]) == 82 else 178
        ixs = [
            self.create_account(holder, space, program),
            # InitializeAccount3 (18): owner
            Instruction(
                program,
                bytes([18]) + bytes(self.payer.pubkey()),
                [AccountMeta(holder.pubkey(), False, True), AccountMeta(mint, False, False)],
            ),
            # MintTo (7): amount
            Instruction(
                program,
                bytes([7]) + struct.pack("<Q", amount),
                [
                    AccountMeta(mint, False, True),
                    AccountMeta(holder.pubkey(), False, True),
                    AccountMeta(authority.pubkey(), True, False),
                ],
            ),
        ]
        self.send(ixs, holder, authority)

    def set_authority_none(self, program: Pubkey, mint: Pubkey, authority: Keypair) -> None:
        # SetAuthority (6): authority type 0 = MintTokens, COption new authority = None
        ix = Instruction(
            program,
            bytes([6, 0, 0]),
            [AccountMeta(mint, False, True), AccountMeta(authority.pubkey(), True, False)],
        )
        self.send([ix], authority)

    def account(self, key: Pubkey) -> tuple[bytes, str]:
        acc = self.svm.get_account(key)
        assert acc is not None
        return bytes(acc.data), str(acc.owner)


def test_spl_mint_with_both_authorities_and_supply() -> None:
    chain = Chain()
    authority, freezer = Keypair(), Keypair().pubkey()
    mint = chain.create_mint(
        TOKEN, decimals=6, mint_authority=authority.pubkey(), freeze_authority=freezer
    )
    chain.mint_to(TOKEN, mint, authority, 1_000_000_000_000_000)
    data, owner = chain.account(mint)
    assert len(data) == 82

    info = decode_mint(data, owner)

    assert info.mint_authority == str(authority.pubkey())
    assert info.freeze_authority == str(freezer)
    assert info.supply_raw == 1_000_000_000_000_000
    assert info.decimals == 6
    assert info.is_initialized
    assert info.token_program == TOKEN_PROGRAM_ID
    assert (info.transfer_fee_bps, info.transfer_fee_max_raw) == (None, None)
    assert info.extension_types == ()


def test_spl_mint_with_renounced_authorities_reads_none() -> None:
    chain = Chain()
    authority = Keypair()
    mint = chain.create_mint(
        TOKEN, decimals=9, mint_authority=authority.pubkey(), freeze_authority=None
    )
    chain.mint_to(TOKEN, mint, authority, 42)
    chain.set_authority_none(TOKEN, mint, authority)

    info = decode_mint(*chain.account(mint))

    assert (info.mint_authority, info.freeze_authority) == (None, None)
    assert (info.supply_raw, info.decimals) == (42, 9)


def test_token_2022_mint_without_extensions_is_a_plain_mint() -> None:
    chain = Chain()
    authority = Keypair().pubkey()
    mint = chain.create_mint(
        TOKEN_2022, decimals=6, mint_authority=authority, freeze_authority=authority
    )
    data, owner = chain.account(mint)
    assert len(data) == 82 and owner == TOKEN_2022_PROGRAM

    info = decode_mint(data, owner)

    assert info.token_program == TOKEN_2022_PROGRAM
    assert info.mint_authority == info.freeze_authority == str(authority)
    assert info.transfer_fee_bps is None and info.extension_types == ()


def test_token_2022_transfer_fee_mint_reports_the_fee() -> None:
    chain = Chain()
    authority, fee_admin = Keypair(), Keypair().pubkey()
    mint = chain.create_mint(
        TOKEN_2022,
        decimals=6,
        mint_authority=authority.pubkey(),
        freeze_authority=None,
        transfer_fee=(fee_admin, None, 250, 5_000_000),
    )
    chain.mint_to(TOKEN_2022, mint, authority, 777_000_000)
    data, owner = chain.account(mint)
    assert len(data) == 278

    info = decode_mint(data, owner, epoch=0)

    assert (info.transfer_fee_bps, info.transfer_fee_max_raw) == (250, 5_000_000)
    assert info.extension_types == (ExtensionType.TRANSFER_FEE_CONFIG,)
    assert (info.mint_authority, info.freeze_authority) == (str(authority.pubkey()), None)
    assert (info.supply_raw, info.decimals, info.is_initialized) == (777_000_000, 6, True)
    config = info.transfer_fee_config
    assert config is not None
    assert config.config_authority == str(fee_admin)
    assert config.withdraw_withheld_authority is None
    assert config.withheld_amount_raw == 0
    assert config.older == config.newer == TransferFee(0, 5_000_000, 250)


def test_scheduled_fee_change_applies_from_its_epoch() -> None:
    chain = Chain()
    authority, fee_admin = Keypair(), Keypair()
    mint = chain.create_mint(
        TOKEN_2022,
        decimals=6,
        mint_authority=authority.pubkey(),
        freeze_authority=None,
        transfer_fee=(fee_admin.pubkey(), fee_admin.pubkey(), 100, 1_000),
    )
    # TransferFeeExtension (26) / SetTransferFee (5): bps u16, max u64; takes effect 2 epochs on
    ix = Instruction(
        TOKEN_2022,
        bytes([26, 5]) + struct.pack("<HQ", 1_000, 10**12),
        [AccountMeta(mint, False, True), AccountMeta(fee_admin.pubkey(), True, False)],
    )
    chain.send([ix], fee_admin)
    data, owner = chain.account(mint)

    now = decode_mint(data, owner, epoch=0)
    later = decode_mint(data, owner, epoch=2)
    unknown = decode_mint(data, owner)

    assert (now.transfer_fee_bps, now.transfer_fee_max_raw) == (100, 1_000)
    assert (later.transfer_fee_bps, later.transfer_fee_max_raw) == (1_000, 10**12)
    assert unknown.transfer_fee_bps == 1_000  # worst case when the epoch is not known
    assert now.transfer_fee_config is not None
    assert now.transfer_fee_config.newer == TransferFee(2, 10**12, 1_000)
    assert now.transfer_fee_config.withdraw_withheld_authority == str(fee_admin.pubkey())


def test_broken_mint_bytes_are_refused() -> None:
    with pytest.raises(DecodeError):
        decode_mint(b"\x00" * 81, TOKEN_PROGRAM_ID)
    bad_tag = b"\x02\x00\x00\x00" + bytes(78)
    with pytest.raises(DecodeError):
        decode_mint(bad_tag, TOKEN_PROGRAM_ID)
    not_a_mint = bytes(165) + b"\x02" + bytes(20)  # account type 2 = token account
    with pytest.raises(DecodeError):
        decode_mint(not_a_mint, TOKEN_2022_PROGRAM)


# ---- jsonParsed ---------------------------------------------------------------------------------


def test_parsed_spl_mint_matches_fixture(shared_fixtures: Path) -> None:
    raw = json.loads(
        (shared_fixtures / "rpc_shapes/solnet_GetAccountInfoParsedResponse.json").read_text()
    )
    value = raw["result"]["value"]
    expected = dict(
        mint_authority="Ad35ryfDYGvwGETsvkbgFoGasxdGAEtLPv8CYG3eNaMu",
        freeze_authority="Ad35ryfDYGvwGETsvkbgFoGasxdGAEtLPv8CYG3eNaMu",
        supply_raw=1,
        decimals=0,
        is_initialized=True,
        token_program=TOKEN_PROGRAM_ID,
    )

    for shape in (value, value["data"]):  # the account value, or just its data object
        info = mint_info_from_parsed(shape)
        assert {k: getattr(info, k) for k in expected} == expected
        assert info.transfer_fee_bps is None


def test_parsed_token_2022_mint_with_transfer_fee() -> None:
    data = {
        "program": "spl-token-2022",
        "parsed": {
            "type": "mint",
            "info": {
                "decimals": 6,
                "freezeAuthority": None,
                "isInitialized": True,
                "mintAuthority": None,
                "supply": "999999999000000",
                "extensions": [
                    {
                        "extension": "transferFeeConfig",
                        "state": {
                            "newerTransferFee": {
                                "epoch": 700,
                                "maximumFee": 10**12,
                                "transferFeeBasisPoints": 500,
                            },
                            "olderTransferFee": {
                                "epoch": 600,
                                "maximumFee": 10**12,
                                "transferFeeBasisPoints": 100,
                            },
                            "transferFeeConfigAuthority": None,
                            "withdrawWithheldAuthority": WITHDRAW_AUTHORITY,
                            "withheldAmount": 12_345,
                        },
                    },
                    {"extension": "permanentDelegate", "state": {"delegate": None}},
                ],
            },
        },
    }
    info = mint_info_from_parsed(data, epoch=650)
    assert info.token_program == TOKEN_2022_PROGRAM
    assert (info.transfer_fee_bps, info.supply_raw) == (100, 999_999_999_000_000)
    assert info.extension_types == (
        ExtensionType.TRANSFER_FEE_CONFIG,
        ExtensionType.PERMANENT_DELEGATE,
    )
    assert mint_info_from_parsed(data, epoch=700).transfer_fee_bps == 500
    assert info.mint_authority is None and info.freeze_authority is None


def test_parsed_token_account_is_not_a_mint() -> None:
    with pytest.raises(DecodeError):
        mint_info_from_parsed({"program": "spl-token", "parsed": {"type": "account", "info": {}}})
