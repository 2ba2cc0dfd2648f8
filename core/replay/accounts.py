"""Account bytes of the simulated chain: PumpSwap ``Pool`` accounts and SPL Token mints.

The inverse of ``core.decode.accounts``: ``decode_pump_swap_pool(encode_pump_swap_pool_account(p))
== p`` and ``decode_mint(encode_spl_mint_account(...))`` gives the fields back.

Anchor accounts are the 8-byte account discriminator of the bundled IDL (``accounts``) followed
by the Borsh body of the account type (``types``), written by the compiled encoder of
``core.replay.encode`` (an account layout has the same shape as an event layout). Mints are the
82-byte SPL layout: ``COption<Pubkey>`` mint authority (u32 tag + 32 bytes), u64 supply, u8
decimals, bool initialised, ``COption<Pubkey>`` freeze authority.
"""

from __future__ import annotations

import struct
from dataclasses import fields as dataclass_fields
from functools import cache
from typing import Any

from solders.pubkey import Pubkey

from core.decode.accounts import PumpSwapPool
from core.decode.idl import EventLayout, load_idl, parse_fields
from core.programs import PROGRAM_IDS, TOKEN_PROGRAM_ID, WSOL_MINT, Program
from core.replay.encode import encoder_for, pubkey_bytes
from core.replay.pricing import TOKEN_DECIMALS, TOKEN_TOTAL_SUPPLY_RAW

ATA_PROGRAM_ID = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
MINT_ACCOUNT_LEN = 82
RENT_EXEMPT_LAMPORTS_PER_BYTE = 6_960
"""Rent-exemption cost per byte: 3480 lamports per byte-year, times the 2-year threshold."""
ACCOUNT_STORAGE_OVERHEAD = 128
"""Bytes of account metadata charged on top of the data length."""

PUMP_AMM_ID = PROGRAM_IDS[Program.PUMP_AMM]
WSOL_DECIMALS = 9
POOL_BUMP = 255

_MINT = struct.Struct("<I32sQBBI32s")
_NO_KEY = bytes(32)


@cache
def account_layout(program: Program, name: str) -> EventLayout:
    """The layout of Anchor account ``name`` of ``program``'s bundled IDL (discriminator from
    ``accounts``, fields from ``types``), in the shape the encoder compiles."""
    idl = load_idl(program)
    types = {t["name"]: t for t in idl.get("types", [])}
    entry = next((a for a in idl.get("accounts", []) if a["name"] == name), None)
    if entry is None or name not in types:
        raise KeyError(f"{program.value} IDL has no account {name!r}")
    fields = parse_fields(types[name]["type"].get("fields", []), types)
    return EventLayout(program, name, bytes(entry["discriminator"]), fields)


def encode_pump_swap_pool_account(pool: PumpSwapPool) -> bytes:
    """Discriminator + Borsh body of a PumpSwap ``Pool`` account.

    Trailing fields that are ``None`` (``coin_creator`` and later, as in accounts written by
    older program versions) end the layout there: the account holds a prefix of the newest one.
    """
    values: dict[str, Any] = {f.name: getattr(pool, f.name) for f in dataclass_fields(pool)}
    layout = account_layout(Program.PUMP_AMM, "Pool")
    upto = None
    for i, spec in enumerate(layout.fields):
        if values.get(spec.name) is None:
            upto = i
            break
    if upto is not None and any(
        values.get(spec.name) is not None for spec in layout.fields[upto:]
    ):
        raise ValueError("Pool fields after the first None must all be None")
    return encoder_for(layout).encode(values, upto=upto)


def encode_spl_mint_account(
    mint_authority: str | None,
    supply_raw: int,
    decimals: int,
    freeze_authority: str | None,
    *,
    is_initialized: bool = True,
) -> bytes:
    """The 82 bytes of an SPL Token mint (no Token-2022 extensions)."""
    return _MINT.pack(
        0 if mint_authority is None else 1,
        _NO_KEY if mint_authority is None else pubkey_bytes(mint_authority),
        supply_raw,
        decimals,
        1 if is_initialized else 0,
        0 if freeze_authority is None else 1,
        _NO_KEY if freeze_authority is None else pubkey_bytes(freeze_authority),
    )


def rent_exempt_lamports(space: int) -> int:
    """Minimum balance of a rent-exempt account holding ``space`` bytes (1 461 600 for a mint)."""
    return (ACCOUNT_STORAGE_OVERHEAD + space) * RENT_EXEMPT_LAMPORTS_PER_BYTE


def associated_token_address(owner: str, mint: str, token_program: str = TOKEN_PROGRAM_ID) -> str:
    """The associated token account of ``owner`` for ``mint`` (the ATA program's PDA)."""
    seeds = [pubkey_bytes(owner), pubkey_bytes(token_program), pubkey_bytes(mint)]
    address, _ = Pubkey.find_program_address(seeds, Pubkey.from_string(ATA_PROGRAM_ID))
    return str(address)


Account = tuple[str, bytes]
"""An account as the replay serves it: ``(owner program id, data)``."""

_PUMP_MINT: Account = (
    TOKEN_PROGRAM_ID,
    encode_spl_mint_account(None, TOKEN_TOTAL_SUPPLY_RAW, TOKEN_DECIMALS, None),
)
_WSOL_MINT: Account = (TOKEN_PROGRAM_ID, encode_spl_mint_account(None, 0, WSOL_DECIMALS, None))


class AccountBook:
    """Account state of the simulated chain, by address; the WSOL mint exists from the start.

    Accounts never change once written: a Pump.fun mint's authorities are revoked at launch and
    its whole supply minted, and a PumpSwap ``Pool`` holds no reserves (those live in its token
    accounts, which are not modelled).
    """

    __slots__ = ("_accounts",)

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {WSOL_MINT: _WSOL_MINT}

    def get(self, address: str) -> Account | None:
        return self._accounts.get(address)

    def __contains__(self, address: str) -> bool:
        return address in self._accounts

    def add_pump_mint(self, mint: str) -> None:
        """A Pump.fun token mint: SPL Token, 6 decimals, fixed supply, no authorities."""
        self._accounts[mint] = _PUMP_MINT

    def add_pump_swap_pool(
        self,
        *,
        pool: str,
        base_mint: str,
        creator: str,
        lp_mint: str,
        lp_supply: int,
        coin_creator: str,
    ) -> None:
        """A canonical (index 0) WSOL-quoted PumpSwap pool; its token accounts are its ATAs."""
        account = PumpSwapPool(
            pool_bump=POOL_BUMP,
            index=0,
            creator=creator,
            base_mint=base_mint,
            quote_mint=WSOL_MINT,
            lp_mint=lp_mint,
            pool_base_token_account=associated_token_address(pool, base_mint),
            pool_quote_token_account=associated_token_address(pool, WSOL_MINT),
            lp_supply=lp_supply,
            coin_creator=coin_creator,
            is_mayhem_mode=False,
            is_cashback_coin=False,
        )
        self._accounts[pool] = (PUMP_AMM_ID, encode_pump_swap_pool_account(account))
