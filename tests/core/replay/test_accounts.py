"""Account bytes the replay serves decode with the production account decoders."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from core.decode.accounts import PumpSwapPool, decode_mint, decode_pump_swap_pool
from core.decode.idl import load_idl
from core.programs import TOKEN_PROGRAM_ID, WSOL_MINT, Program
from core.replay.accounts import (
    PUMP_AMM_ID,
    AccountBook,
    account_layout,
    associated_token_address,
    encode_pump_swap_pool_account,
    encode_spl_mint_account,
    rent_exempt_lamports,
)

pubkeys = st.binary(min_size=32, max_size=32).map(lambda raw: str(Pubkey(raw)))
u64s = st.integers(min_value=0, max_value=2**64 - 1)


def _key(byte: int) -> str:
    return str(Pubkey(bytes([byte]) * 32))


def _pool(**overrides: object) -> PumpSwapPool:
    fields: dict[str, object] = {
        "pool_bump": 254,
        "index": 0,
        "creator": _key(1),
        "base_mint": _key(2),
        "quote_mint": WSOL_MINT,
        "lp_mint": _key(3),
        "pool_base_token_account": _key(4),
        "pool_quote_token_account": _key(5),
        "lp_supply": 4_193_388_515_211,
        "coin_creator": _key(6),
        "is_mayhem_mode": False,
        "is_cashback_coin": False,
    }
    fields.update(overrides)
    return PumpSwapPool(**fields)  # type: ignore[arg-type]


def test_pool_account_starts_with_the_idl_discriminator_and_has_the_newest_layout_size() -> None:
    data = encode_pump_swap_pool_account(_pool())
    idl_pool = next(a for a in load_idl(Program.PUMP_AMM)["accounts"] if a["name"] == "Pool")
    assert data[:8] == bytes(idl_pool["discriminator"])
    # 8 discriminator + u8 + u16 + 6 pubkeys + u64 + pubkey + 2 bools
    assert len(data) == 8 + 1 + 2 + 6 * 32 + 8 + 32 + 2
    assert account_layout(Program.PUMP_AMM, "Pool").discriminator == data[:8]


def test_pool_account_round_trips_through_the_production_decoder() -> None:
    pool = _pool(is_mayhem_mode=True, index=7)
    assert decode_pump_swap_pool(encode_pump_swap_pool_account(pool)) == pool


def test_pool_without_coin_creator_is_the_older_prefix_layout() -> None:
    old = _pool(coin_creator=None, is_mayhem_mode=None, is_cashback_coin=None)
    data = encode_pump_swap_pool_account(old)
    assert len(data) == 8 + 1 + 2 + 6 * 32 + 8
    assert decode_pump_swap_pool(data) == old
    with pytest.raises(ValueError, match="after the first None"):
        encode_pump_swap_pool_account(_pool(coin_creator=None))


@given(
    bump=st.integers(0, 255),
    index=st.integers(0, 2**16 - 1),
    keys=st.lists(pubkeys, min_size=7, max_size=7),
    lp_supply=u64s,
    flags=st.tuples(st.booleans(), st.booleans()),
)
def test_any_pool_round_trips(
    bump: int, index: int, keys: list[str], lp_supply: int, flags: tuple[bool, bool]
) -> None:
    creator, base, quote, lp_mint, base_ata, quote_ata, coin_creator = keys
    pool = PumpSwapPool(
        pool_bump=bump,
        index=index,
        creator=creator,
        base_mint=base,
        quote_mint=quote,
        lp_mint=lp_mint,
        pool_base_token_account=base_ata,
        pool_quote_token_account=quote_ata,
        lp_supply=lp_supply,
        coin_creator=coin_creator,
        is_mayhem_mode=flags[0],
        is_cashback_coin=flags[1],
    )
    assert decode_pump_swap_pool(encode_pump_swap_pool_account(pool)) == pool


@given(
    mint_authority=st.none() | pubkeys,
    supply=u64s,
    decimals=st.integers(0, 255),
    freeze_authority=st.none() | pubkeys,
    initialized=st.booleans(),
)
def test_any_spl_mint_round_trips(
    mint_authority: str | None,
    supply: int,
    decimals: int,
    freeze_authority: str | None,
    initialized: bool,
) -> None:
    data = encode_spl_mint_account(
        mint_authority, supply, decimals, freeze_authority, is_initialized=initialized
    )
    assert len(data) == 82
    mint = decode_mint(data, TOKEN_PROGRAM_ID)
    assert (
        mint.mint_authority,
        mint.supply_raw,
        mint.decimals,
        mint.freeze_authority,
        mint.is_initialized,
    ) == (mint_authority, supply, decimals, freeze_authority, initialized)
    assert mint.extension_types == () and mint.transfer_fee_bps is None


def test_mint_rent_matches_a_real_mint_balance() -> None:
    # 1 461 600 lamports: the balance of every rent-exempt 82-byte mint on mainnet
    assert rent_exempt_lamports(82) == 1_461_600


def test_account_book_serves_pump_mints_pools_and_wsol() -> None:
    book = AccountBook()
    assert book.get(_key(9)) is None
    wsol = book.get(WSOL_MINT)
    assert wsol is not None and wsol[0] == TOKEN_PROGRAM_ID
    assert decode_mint(wsol[1], TOKEN_PROGRAM_ID).decimals == 9
    book.add_pump_mint(_key(2))
    owner, data = book.get(_key(2)) or ("", b"")
    mint = decode_mint(data, owner)
    assert (owner, mint.decimals, mint.mint_authority, mint.freeze_authority) == (
        TOKEN_PROGRAM_ID,
        6,
        None,
        None,
    )
    assert mint.supply_raw == 1_000_000_000_000_000
    book.add_pump_swap_pool(
        pool=_key(7),
        base_mint=_key(2),
        creator=_key(1),
        lp_mint=_key(3),
        lp_supply=42,
        coin_creator=_key(6),
    )
    owner, data = book.get(_key(7)) or ("", b"")
    assert owner == PUMP_AMM_ID == "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
    pool = decode_pump_swap_pool(data)
    assert (pool.base_mint, pool.quote_mint, pool.lp_mint, pool.lp_supply) == (
        _key(2),
        WSOL_MINT,
        _key(3),
        42,
    )
    assert pool.pool_base_token_account == associated_token_address(_key(7), _key(2))
    assert pool.pool_quote_token_account == associated_token_address(_key(7), WSOL_MINT)
