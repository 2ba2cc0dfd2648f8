"""Anchor instructions: carbon's recorded mainnet instructions, prefixes, failures, properties."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from core.decode import DecodeStats, FailureKind
from core.decode.idl import EVENT_CPI_TAG
from core.decode.instructions import (
    DecodedInstruction,
    decode_instruction,
    instruction_layouts,
    is_token_2022_create,
)
from core.programs import Program
from tests.core.decode._fixtures import load

BUY_DISC = bytes.fromhex("66063d1201daebea")  # sha256("global:buy")[:8], same in both programs
CREATE_DISC = bytes.fromhex("181ec828051c0777")
CREATE_V2_DISC = bytes.fromhex("d6904cec5f8b31b4")


def _decode_fixture(name: str, program: Program) -> tuple[DecodedInstruction, DecodeStats]:
    raw: dict[str, Any] = load(name)
    stats = DecodeStats()
    ix = decode_instruction(
        program, bytes.fromhex(raw["data"]), [a["pubkey"] for a in raw["accounts"]], stats
    )
    assert ix is not None, stats.last_failure
    return ix, stats


def _borsh_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<I", len(raw)) + raw


# --- golden values from the carbon fixtures ------------------------------------------------------


def test_pumpfun_buy_fixture_decodes_args_and_names_all_sixteen_accounts() -> None:
    ix, stats = _decode_fixture("carbon_pumpfun_buy_ix.json", Program.PUMP)
    assert (ix.program, ix.name) == (Program.PUMP, "buy")
    # 24 bytes of data: no track_volume byte, so the arg is absent (carbon's decoder fills its
    # default OptionBool(false) instead; we keep "absent" = "not sent", as for events).
    assert ix.args == {"amount": 1_690_358, "max_sol_cost": 195}
    assert ix.accounts == {
        "global": "4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf",
        "fee_recipient": "62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV",
        "mint": "7uUTzNs4UFgarqY6TyRnW3ZnMFpcsw1iookL8R5KCGwA",
        "bonding_curve": "CxHfPAgH6PNLnfq5n5mq4tZK1aQCsMdeygwqaUSjsceN",
        "associated_bonding_curve": "3AnftTe9GeUkp3HQJTm7tWLeVkojdFCyd33u4XEAMTpe",
        "associated_user": "A1C8VqECGc8CSjmiEpaaNTWeJVqVM3tQXnxcaSkfngxT",
        "user": "9zR4L1w4cCvLndDYYiCBUvNfBPeZBAQWL57wQgW97Pau",
        "system_program": "11111111111111111111111111111111",
        "token_program": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
        "creator_vault": "34D2HZjdrSfxhc4j6aduiwbN6uzXKaw73h2jjVBQfJ9p",
        "event_authority": "Ce6TQqeHC9p8KetsN6JsjHK7UTZk7nasjjnr7XxXp9F1",
        "program": "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P",
        "global_volume_accumulator": "Hq2wp8uJ9jCPsYgNHex8RtqdvMPfVGoYwjvF1ATiwn2Y",
        "user_volume_accumulator": "3cm5x9jFRrZQzZxnYkm7jYkUy5srwamyMZZTsRPZqfgD",
        "fee_config": "8Wf5TiAheLUqBrKXeYg2JtAFFMWtKdG2BSFgqUcPVwTt",
        "fee_program": "pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ",
    }
    assert ix.remaining_accounts == []
    assert (stats.decoded, stats.failed) == (1, 0)


def test_pumpfun_create_fixture_decodes_metadata_creator_and_accounts() -> None:
    ix, stats = _decode_fixture("carbon_pumpfun_create_ix.json", Program.PUMP)
    assert (ix.program, ix.name) == (Program.PUMP, "create")
    assert ix.args == {
        "name": "Mystical Cat",
        "symbol": "MC",
        "uri": "https://ipfs.io/ipfs/QmeXR4TB9NZVK279DAVDKevSLzrWSi9papnaknVPJ8AvHe",
        "creator": "CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv",
    }
    assert ix.accounts == {
        "mint": "AC69oJv1m7843mdRfoQDneZuyRxYrMq86i2mARMtpump",
        "mint_authority": "TSLvdd1pWpHVjahSpsvCXUbgwsL3JAcvokwaKt1eokM",
        "bonding_curve": "623TpUDcZjKdmd9wybMveLKSSbgRs2hvwFjygzi4g15B",
        "associated_bonding_curve": "5rQKu3z4SXShvQkNKSJu9mtsVmgM8AvLoeNbJGvTyQv6",
        "global": "4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf",
        "mpl_token_metadata": "metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s",
        "metadata": "311RNHU1xDgJfYvQLszzgnBjQ1fDg5Ddr2yR3ymmUCed",
        "user": "CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv",
        "system_program": "11111111111111111111111111111111",
        "token_program": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
        "associated_token_program": "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL",
        "rent": "SysvarRent111111111111111111111111111111111",
        "event_authority": "Ce6TQqeHC9p8KetsN6JsjHK7UTZk7nasjjnr7XxXp9F1",
        "program": "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P",
    }
    assert not is_token_2022_create(ix)
    assert stats.decoded == 1


def test_pump_swap_buy_fixture_decodes_track_volume_true_and_names_pool_accounts() -> None:
    ix, stats = _decode_fixture(
        "carbon_pump_swap_buy_with_track_volume_true.json", Program.PUMP_AMM
    )
    assert (ix.program, ix.name) == (Program.PUMP_AMM, "buy")
    assert ix.args == {
        "base_amount_out": 104_079_243_172,
        "max_quote_amount_in": 255_000_000,
        "track_volume": True,
    }
    assert ix.accounts["pool"] == "A4erfEr1Y2fUKE4wYnZNhGKSXNPUaqaiRYBGWReYMcx5"
    assert ix.accounts["user"] == "DZyt9ZDH37TARgRa7ikZckeBPnSzJ58TTpjiiefmZC3c"
    assert ix.accounts["global_config"] == "ADyA8hdefvWN2dbGGWFotbzWxrAvLW83WG6QCVXvJKqw"
    assert ix.accounts["base_mint"] == "8cQynx5ZaJKwdHsuXmSn3Y16RXta7ZTyTS1hW55Gpump"
    assert ix.accounts["quote_mint"] == "So11111111111111111111111111111111111111112"
    assert ix.accounts["pool_base_token_account"] == "G8zUuNUnhJE8fhQn1xJcVYEm4rBcfW8iWWgdiLFdyP42"
    assert (
        ix.accounts["pool_quote_token_account"] == "CWMn5gGjwqzNRC7DEoS24A8wDVpJ3iCBuRPsmt52hJba"
    )
    assert ix.accounts["coin_creator_vault_authority"] == (
        "52CD8bFNh3roWGdHwGPbCAuz25Dy8G5pT1ENRefjYeNB"
    )
    assert ix.accounts["fee_program"] == "pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ"
    assert len(ix.accounts) == 23
    assert stats.decoded == 1


def test_same_discriminator_decodes_by_the_program_it_was_sent_to() -> None:
    data = bytes.fromhex(load("carbon_pumpfun_buy_ix.json")["data"])
    amm = decode_instruction(Program.PUMP_AMM, data)
    assert amm is not None
    assert amm.args == {"base_amount_out": 1_690_358, "max_quote_amount_in": 195}


# --- prefixes and accounts -----------------------------------------------------------------------


def test_buy_with_trailing_track_volume_byte_decodes_it() -> None:
    data = BUY_DISC + struct.pack("<QQ?", 1_000, 2_000, False)
    ix = decode_instruction(Program.PUMP, data)
    assert ix is not None
    assert ix.args == {"amount": 1_000, "max_sol_cost": 2_000, "track_volume": False}


def test_older_buy_ending_on_an_arg_boundary_decodes_the_args_present() -> None:
    stats = DecodeStats()
    ix = decode_instruction(Program.PUMP, BUY_DISC + struct.pack("<Q", 7), stats=stats)
    assert ix is not None
    assert ix.args == {"amount": 7}
    assert (stats.decoded, stats.failed) == (1, 0)


def test_fewer_accounts_than_the_idl_names_only_those_present() -> None:
    ix = decode_instruction(Program.PUMP, BUY_DISC + bytes(16), ["G", "F", "M"])
    assert ix is not None
    assert ix.accounts == {"global": "G", "fee_recipient": "F", "mint": "M"}
    assert ix.account("mint") == "M"
    assert ix.account("user") is None


def test_accounts_beyond_the_idl_list_go_to_remaining() -> None:
    accounts = [f"A{i}" for i in range(18)]
    ix = decode_instruction(Program.PUMP, BUY_DISC + bytes(16), accounts)
    assert ix is not None
    assert ix.accounts["fee_program"] == "A15"
    assert ix.accounts["remaining"] == ["A16", "A17"]
    assert ix.remaining_accounts == ["A16", "A17"]


def test_create_v2_is_a_token_2022_create_with_mayhem_and_cashback_args() -> None:
    creator = "CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv"
    data = (
        CREATE_V2_DISC
        + _borsh_string("Cat")
        + _borsh_string("CAT")
        + _borsh_string("https://x/y")
        + bytes(Pubkey.from_string(creator))
        + b"\x01"  # is_mayhem_mode
        + b"\x00"  # is_cashback_enabled: OptionBool(false)
    )
    accounts = [f"K{i}" for i in range(16)]
    ix = decode_instruction(Program.PUMP, data, accounts)
    assert ix is not None
    assert ix.name == "create_v2"
    assert ix.args == {
        "name": "Cat",
        "symbol": "CAT",
        "uri": "https://x/y",
        "creator": creator,
        "is_mayhem_mode": True,
        "is_cashback_enabled": False,
    }
    assert (ix.accounts["mint"], ix.accounts["token_program"]) == ("K0", "K7")
    assert ix.accounts["program"] == "K15"
    assert is_token_2022_create(ix)


def test_pump_swap_buy_is_not_a_token_2022_create() -> None:
    ix, _ = _decode_fixture("carbon_pump_swap_buy_with_track_volume_true.json", Program.PUMP_AMM)
    assert not is_token_2022_create(ix)


def test_every_idl_instruction_has_a_distinct_discriminator() -> None:
    for program in (Program.PUMP, Program.PUMP_AMM):
        layouts = instruction_layouts(program)
        assert len({layout.discriminator for layout in layouts}) == len(layouts)
    names = {layout.name for layout in instruction_layouts(Program.PUMP)}
    assert {"buy", "sell", "create", "create_v2", "buy_exact_sol_in"} <= names
    assert instruction_layouts(Program.RAYDIUM_AMM_V4) == ()


# --- failures ------------------------------------------------------------------------------------


def test_unknown_discriminator_is_counted_and_returns_none() -> None:
    stats = DecodeStats()
    assert decode_instruction(Program.PUMP, bytes(8) + bytes(16), ["x"], stats) is None
    assert stats.failures == {FailureKind.UNKNOWN_DISCRIMINATOR.value: 1}
    assert stats.failures_by_program == {"pump": 1}
    assert stats.decoded == 0


def test_self_cpi_event_data_is_not_an_instruction() -> None:
    stats = DecodeStats()
    assert decode_instruction(Program.PUMP, EVENT_CPI_TAG + bytes(40), stats=stats) is None
    assert stats.failures[FailureKind.UNKNOWN_DISCRIMINATOR.value] == 1


def test_program_without_an_anchor_idl_decodes_nothing() -> None:
    stats = DecodeStats()
    assert decode_instruction(Program.RAYDIUM_AMM_V4, BUY_DISC + bytes(16), stats=stats) is None
    assert stats.failures[FailureKind.UNKNOWN_DISCRIMINATOR.value] == 1


def test_data_ending_inside_an_arg_is_truncated() -> None:
    stats = DecodeStats()
    assert decode_instruction(Program.PUMP, BUY_DISC + bytes(12), stats=stats) is None
    assert stats.failures == {FailureKind.TRUNCATED.value: 1}


def test_create_with_a_string_running_past_the_data_is_truncated() -> None:
    data = bytes.fromhex(load("carbon_pumpfun_create_ix.json")["data"])
    stats = DecodeStats()
    assert decode_instruction(Program.PUMP, data[:20], stats=stats) is None  # inside name
    assert decode_instruction(Program.PUMP, data[:-1], stats=stats) is None  # inside creator
    assert stats.failures == {FailureKind.TRUNCATED.value: 2}


# --- properties ----------------------------------------------------------------------------------

programs = st.sampled_from(list(Program))
known_discriminators = st.sampled_from(
    sorted(
        {layout.discriminator for p in Program for layout in instruction_layouts(p)} | {b"\0" * 8}
    )
)
account_lists = st.lists(st.text(min_size=1, max_size=44), max_size=40)


@given(programs, st.binary(max_size=400), account_lists)
def test_random_bytes_never_raise(program: Program, data: bytes, accounts: list[str]) -> None:
    stats = DecodeStats()
    ix = decode_instruction(program, data, accounts, stats)
    assert (ix is not None) == (stats.decoded == 1)
    assert stats.decoded + stats.failed == 1


@settings(max_examples=500)
@given(programs, known_discriminators, st.binary(max_size=400), account_lists)
def test_random_args_behind_real_discriminators_never_raise(
    program: Program, disc: bytes, body: bytes, accounts: list[str]
) -> None:
    stats = DecodeStats()
    ix = decode_instruction(program, disc + body, accounts, stats)
    assert stats.decoded + stats.failed == 1
    if ix is not None:
        named = [v for k, v in ix.accounts.items() if k != "remaining"]
        assert named + ix.remaining_accounts == accounts
