"""Token accounts that hold a launch's liquidity, not a holder's tokens.

Holder concentration must leave them out: before migration the Pump.fun bonding curve's
associated token account holds most of the supply; after migration the PumpSwap pool's base
vault does. Addresses are derived as the programs derive them (solders PDAs); no I/O.
"""

from __future__ import annotations

from solders.pubkey import Pubkey

from core.decode.accounts import PumpSwapPool
from core.programs import PROGRAM_IDS, TOKEN_PROGRAM_ID, Program

ASSOCIATED_TOKEN_PROGRAM_ID = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
BONDING_CURVE_SEED = b"bonding-curve"


def bonding_curve_address(mint: str) -> str:
    """The Pump.fun bonding curve PDA of ``mint``: seeds ``[b"bonding-curve", mint]``."""
    address, _ = Pubkey.find_program_address(
        [BONDING_CURVE_SEED, bytes(Pubkey.from_string(mint))],
        Pubkey.from_string(PROGRAM_IDS[Program.PUMP]),
    )
    return str(address)


def associated_token_address(owner: str, mint: str, token_program: str = TOKEN_PROGRAM_ID) -> str:
    """The associated token account of ``owner`` for ``mint`` under ``token_program``."""
    address, _ = Pubkey.find_program_address(
        [
            bytes(Pubkey.from_string(owner)),
            bytes(Pubkey.from_string(token_program)),
            bytes(Pubkey.from_string(mint)),
        ],
        Pubkey.from_string(ASSOCIATED_TOKEN_PROGRAM_ID),
    )
    return str(address)


def bonding_curve_vault(mint: str, token_program: str = TOKEN_PROGRAM_ID) -> str:
    """The bonding curve's token account ("associated bonding curve") for ``mint``."""
    return associated_token_address(bonding_curve_address(mint), mint, token_program)


def excluded_holder_accounts(
    mint: str, token_program: str, pool: PumpSwapPool | None = None
) -> frozenset[str]:
    """Token accounts of ``mint`` not counted as holders: the bonding curve vault, and the
    pool vault holding ``mint`` when a PumpSwap ``pool`` is known."""
    excluded = {bonding_curve_vault(mint, token_program)}
    if pool is not None:
        if pool.base_mint == mint:
            excluded.add(pool.pool_base_token_account)
        if pool.quote_mint == mint:
            excluded.add(pool.pool_quote_token_account)
    return frozenset(excluded)
