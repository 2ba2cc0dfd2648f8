"""Vault addresses match mainnet and the real ATA program."""

from __future__ import annotations

import json
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from core.decode.accounts import PumpSwapPool
from core.programs import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID
from core.risk.vaults import (
    associated_token_address,
    bonding_curve_address,
    bonding_curve_vault,
    excluded_holder_accounts,
)
from tests.svm_rpc import SvmRpcServer


def test_bonding_curve_and_its_vault_match_a_mainnet_create(shared_fixtures: Path) -> None:
    create = json.loads((shared_fixtures / "mainnet/carbon_pumpfun_create_ix.json").read_text())
    mint, _, curve, curve_vault = (a["pubkey"] for a in create["accounts"][:4])

    assert bonding_curve_address(mint) == curve
    assert bonding_curve_vault(mint) == curve_vault


def test_associated_address_is_where_the_ata_program_creates_it() -> None:
    node = SvmRpcServer()
    owner = Keypair().pubkey()
    for token_2022 in (False, True):
        mint = node.create_mint(6, token_2022=token_2022)
        created = node.create_token_account(owner, mint)
        program = TOKEN_2022_PROGRAM_ID if token_2022 else TOKEN_PROGRAM_ID
        assert associated_token_address(str(owner), str(mint), program) == str(created)


def test_pool_vault_of_the_mint_is_excluded() -> None:
    keys = [str(Keypair().pubkey()) for _ in range(7)]
    mint, quote, lp, base_vault, quote_vault, creator, _ = keys
    pool = PumpSwapPool(0, 0, creator, mint, quote, lp, base_vault, quote_vault, 1)

    excluded = excluded_holder_accounts(mint, TOKEN_PROGRAM_ID, pool)

    assert excluded == {bonding_curve_vault(mint), base_vault}
    assert str(Pubkey.from_string(quote_vault)) not in excluded
