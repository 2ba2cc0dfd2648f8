"""The pure risk rules, on hand-computed values."""

from __future__ import annotations

import pytest

from core.chain.rpc_types import TokenAmountEntry
from core.decode.accounts import MintInfo
from core.errors import UserInputError
from core.programs import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID
from core.risk.blocklist import Blocklist
from core.risk.checks import (
    RiskParams,
    check_blocklist,
    check_dev_selling,
    check_freeze_authority,
    check_lp_burnt,
    check_mint_authority,
    check_top10,
    check_top_holder,
    check_transfer_tax,
)
from core.risk.report import Check, CheckResult, Verdict

AUTH = "Ad35ryfDYGvwGETsvkbgFoGasxdGAEtLPv8CYG3eNaMu"
MINT = "AC69oJv1m7843mdRfoQDneZuyRxYrMq86i2mARMtpump"
CREATOR = "TSLvdd1pWpHVjahSpsvCXUbgwsL3JAcvokwaKt1eokM"
PARAMS = RiskParams()


def _mint(**overrides: object) -> MintInfo:
    fields: dict[str, object] = dict(
        mint_authority=None,
        freeze_authority=None,
        supply_raw=1_000_000,
        decimals=6,
        is_initialized=True,
        token_program=TOKEN_PROGRAM_ID,
    )
    fields.update(overrides)
    return MintInfo(**fields)  # type: ignore[arg-type]


def _rows(*amounts: int) -> list[TokenAmountEntry]:
    return [TokenAmountEntry(f"acct{i}", a, 6, "") for i, a in enumerate(amounts)]


def test_live_mint_authority_fails_with_the_authority_as_value() -> None:
    assert check_mint_authority(_mint(mint_authority=AUTH)) == CheckResult(
        Check.MINT_AUTHORITY, Verdict.FAIL, AUTH, f"mint authority {AUTH} can still mint"
    )
    assert check_mint_authority(_mint()).verdict is Verdict.PASS


def test_freeze_authority_fails_when_present() -> None:
    failed = check_freeze_authority(_mint(freeze_authority=AUTH))
    assert (failed.verdict, failed.value) == (Verdict.FAIL, AUTH)
    assert check_freeze_authority(_mint()).verdict is Verdict.PASS


def test_transfer_fee_above_the_limit_fails() -> None:
    taxed = _mint(token_program=TOKEN_2022_PROGRAM_ID, transfer_fee_bps=1_000)
    at_limit = _mint(token_program=TOKEN_2022_PROGRAM_ID, transfer_fee_bps=500)

    assert check_transfer_tax(taxed, PARAMS) == CheckResult(
        Check.TRANSFER_TAX, Verdict.FAIL, 1_000, "transfer fee 10.0% > 5%"
    )
    assert check_transfer_tax(at_limit, PARAMS).verdict is Verdict.PASS
    assert check_transfer_tax(_mint(), PARAMS) == CheckResult(
        Check.TRANSFER_TAX, Verdict.PASS, 0, "no transfer fee"
    )
    strict = RiskParams(max_transfer_fee_bps=100)
    assert check_transfer_tax(at_limit, strict).verdict is Verdict.FAIL


def test_top_holder_is_the_largest_non_vault_share_of_supply() -> None:
    # supply 1_000_000: the vault (acct0) holds 600_000, then 312_000 = 31.2 %
    rows = _rows(600_000, 312_000, 50_000)

    result = check_top_holder(rows, 1_000_000, {"acct0"}, PARAMS)
    with_vault = check_top_holder(rows, 1_000_000, set(), RiskParams(max_top_holder_pct=70))

    assert result == CheckResult(Check.TOP_HOLDER, Verdict.FAIL, 31.2, "top holder 31.2% > 30%")
    assert (with_vault.verdict, with_vault.value) == (Verdict.PASS, 60.0)


def test_top10_sums_the_ten_largest_outside_the_vaults() -> None:
    # vault 700_000 excluded; 12 holders of 20_000 each: top 10 = 200_000 = 20 %
    rows = _rows(700_000, *[20_000] * 12)

    passed = check_top10(rows, 1_000_000, {"acct0"}, PARAMS)
    failed = check_top10(rows, 1_000_000, {"acct0"}, RiskParams(max_top10_pct=19.5))

    assert passed == CheckResult(Check.TOP10, Verdict.PASS, 20.0, "top 10 hold 20.0% <= 30%")
    assert failed.verdict is Verdict.FAIL and failed.detail == "top 10 hold 20.0% > 19.5%"


def test_top10_is_unknown_when_vaults_crowd_out_the_full_list() -> None:
    # 20 rows (the node's cap), 12 of them excluded: holders 11..20 may be missing
    rows = _rows(*[40_000] * 12, *[1_000] * 8)
    excluded = {f"acct{i}" for i in range(12)}

    result = check_top10(rows, 1_000_000, excluded, PARAMS)
    loud = check_top10(rows, 10_000, excluded, PARAMS)  # 8_000 of 10_000: fails regardless

    assert (result.verdict, result.value) == (Verdict.UNKNOWN, 0.8)
    assert loud.verdict is Verdict.FAIL


def test_zero_supply_cannot_be_judged() -> None:
    assert check_top_holder(_rows(1), 0, set(), PARAMS).verdict is Verdict.UNKNOWN
    assert check_top10(_rows(1), 0, set(), PARAMS).verdict is Verdict.UNKNOWN


def test_blocklist_names_who_is_listed() -> None:
    listed = Blocklist.parse(f"{CREATOR} rugged three tokens  # 2025-01\n\n# comment\n")

    by_creator = check_blocklist(MINT, CREATOR, listed)
    by_mint = check_blocklist(MINT, None, Blocklist.of([MINT]))

    assert by_creator == CheckResult(
        Check.BLOCKLIST,
        Verdict.FAIL,
        CREATOR,
        f"creator {CREATOR} is blocklisted: rugged three tokens",
    )
    assert by_mint.detail == f"mint {MINT} is blocklisted"
    assert check_blocklist(MINT, AUTH, listed).verdict is Verdict.PASS
    assert check_blocklist(MINT, None, listed).verdict is Verdict.UNKNOWN


def test_dev_selling_follows_the_engine() -> None:
    assert check_dev_selling(True).verdict is Verdict.FAIL
    assert check_dev_selling(False).verdict is Verdict.PASS
    assert check_dev_selling(None).verdict is Verdict.UNKNOWN


def test_lp_burnt_share_is_pool_supply_minus_mint_supply() -> None:
    # the pool minted 1_000_000 LP; 990_000 were burnt, 10_000 remain: 99 %
    assert check_lp_burnt(1_000_000, 10_000, PARAMS) == CheckResult(
        Check.LP_BURNT, Verdict.PASS, 99.0, "LP burnt 99.0% >= 95%"
    )
    assert check_lp_burnt(1_000_000, 1_000_000, PARAMS).detail == "LP burnt 0.0% < 95%"
    assert check_lp_burnt(1_000_000, 1_000_001, PARAMS).verdict is Verdict.UNKNOWN
    assert check_lp_burnt(0, 0, PARAMS).verdict is Verdict.UNKNOWN


def test_params_refuse_impossible_limits() -> None:
    with pytest.raises(ValueError):
        RiskParams(max_top10_pct=101)
    with pytest.raises(ValueError):
        RiskParams(max_transfer_fee_bps=-1)


def test_malformed_blocklist_line_names_the_line() -> None:
    with pytest.raises(UserInputError, match="line 2"):
        Blocklist.parse(f"{CREATOR}\nnot-an-address reason\n")
