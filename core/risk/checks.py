"""The risk rules: account data and RPC answers in, one ``CheckResult`` out. No I/O.

A rule that lacks the data to decide says ``UNKNOWN`` with the reason — never ``PASS``.
Percentages are of the mint's whole supply, in percent (31.2 means 31.2 %).
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

from core.chain.rpc_types import TokenAmountEntry
from core.decode.accounts import MintInfo
from core.risk.blocklist import Blocklist
from core.risk.report import Check, CheckResult, Verdict

LARGEST_ACCOUNTS_MAX = 20  # getTokenLargestAccounts answers at most this many rows
TOP_N = 10


@dataclass(frozen=True, slots=True)
class RiskParams:
    """Limits of the rules. A value above a ``max_*`` (below a ``min_*``) fails the check."""

    max_transfer_fee_bps: int = 500  # 5 %
    max_top_holder_pct: float = 30.0
    max_top10_pct: float = 30.0
    min_lp_burnt_pct: float = 95.0

    def __post_init__(self) -> None:
        if not 0 <= self.max_transfer_fee_bps <= 10_000:
            raise ValueError("max_transfer_fee_bps must be 0..10000")
        for name in ("max_top_holder_pct", "max_top10_pct", "min_lp_burnt_pct"):
            if not 0 <= getattr(self, name) <= 100:
                raise ValueError(f"{name} must be 0..100")


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def _limit(value: float) -> str:
    return f"{value:g}%"


# ---- the mint account ------------------------------------------------------------------------


def check_mint_authority(mint: MintInfo) -> CheckResult:
    if mint.mint_authority is not None:
        return CheckResult(
            Check.MINT_AUTHORITY,
            Verdict.FAIL,
            mint.mint_authority,
            f"mint authority {mint.mint_authority} can still mint",
        )
    return CheckResult(Check.MINT_AUTHORITY, Verdict.PASS, None, "mint authority renounced")


def check_freeze_authority(mint: MintInfo) -> CheckResult:
    if mint.freeze_authority is not None:
        return CheckResult(
            Check.FREEZE_AUTHORITY,
            Verdict.FAIL,
            mint.freeze_authority,
            f"freeze authority {mint.freeze_authority} can freeze holders",
        )
    return CheckResult(Check.FREEZE_AUTHORITY, Verdict.PASS, None, "no freeze authority")


def check_transfer_tax(mint: MintInfo, params: RiskParams) -> CheckResult:
    """Token-2022 transfer fee in basis points (the worst of the scheduled fees unless the mint
    was decoded for a known epoch)."""
    bps = mint.transfer_fee_bps
    if bps is None:
        return CheckResult(Check.TRANSFER_TAX, Verdict.PASS, 0, "no transfer fee")
    fee, limit = _pct(bps / 100), _limit(params.max_transfer_fee_bps / 100)
    if bps > params.max_transfer_fee_bps:
        return CheckResult(Check.TRANSFER_TAX, Verdict.FAIL, bps, f"transfer fee {fee} > {limit}")
    return CheckResult(Check.TRANSFER_TAX, Verdict.PASS, bps, f"transfer fee {fee} <= {limit}")


# ---- holders ---------------------------------------------------------------------------------


def holder_amounts(
    largest: Sequence[TokenAmountEntry], excluded: Set[str]
) -> tuple[list[int], bool]:
    """Raw amounts of the largest accounts that are not ``excluded``, largest first, and whether
    the list may be missing holders that belong in a top 10 (the node's list was full and
    exclusions left fewer than 10)."""
    amounts = sorted(
        (row.amount_raw for row in largest if row.address not in excluded), reverse=True
    )
    incomplete = len(largest) >= LARGEST_ACCOUNTS_MAX and len(amounts) < TOP_N
    return amounts, incomplete


def check_top_holder(
    largest: Sequence[TokenAmountEntry],
    supply_raw: int,
    excluded: Set[str],
    params: RiskParams,
) -> CheckResult:
    """The largest holder outside ``excluded`` (liquidity vaults), in % of supply."""
    if supply_raw <= 0:
        return CheckResult(Check.TOP_HOLDER, Verdict.UNKNOWN, None, "supply is zero")
    amounts, _ = holder_amounts(largest, excluded)
    if not amounts:
        if len(largest) >= LARGEST_ACCOUNTS_MAX:
            return CheckResult(
                Check.TOP_HOLDER, Verdict.UNKNOWN, None, "all 20 largest accounts are vaults"
            )
        return CheckResult(Check.TOP_HOLDER, Verdict.PASS, 0.0, "no holders outside the vaults")
    pct = round(amounts[0] / supply_raw * 100, 2)
    limit = params.max_top_holder_pct
    if pct > limit:
        return CheckResult(
            Check.TOP_HOLDER, Verdict.FAIL, pct, f"top holder {_pct(pct)} > {_limit(limit)}"
        )
    return CheckResult(
        Check.TOP_HOLDER, Verdict.PASS, pct, f"top holder {_pct(pct)} <= {_limit(limit)}"
    )


def check_top10(
    largest: Sequence[TokenAmountEntry],
    supply_raw: int,
    excluded: Set[str],
    params: RiskParams,
) -> CheckResult:
    """The 10 largest holders outside ``excluded`` together, in % of supply."""
    if supply_raw <= 0:
        return CheckResult(Check.TOP10, Verdict.UNKNOWN, None, "supply is zero")
    amounts, incomplete = holder_amounts(largest, excluded)
    pct = round(sum(amounts[:TOP_N]) / supply_raw * 100, 2)
    limit = params.max_top10_pct
    if pct > limit:
        return CheckResult(
            Check.TOP10, Verdict.FAIL, pct, f"top 10 hold {_pct(pct)} > {_limit(limit)}"
        )
    if incomplete:
        return CheckResult(
            Check.TOP10,
            Verdict.UNKNOWN,
            pct,
            f"only {len(amounts)} holders outside the vaults among the 20 largest accounts",
        )
    return CheckResult(
        Check.TOP10, Verdict.PASS, pct, f"top 10 hold {_pct(pct)} <= {_limit(limit)}"
    )


# ---- what the engine and the operator know ---------------------------------------------------


def check_blocklist(mint: str, creator: str | None, blocklist: Blocklist) -> CheckResult:
    for role, address in (("mint", mint), ("creator", creator)):
        reason = blocklist.reason(address)
        if reason is not None:
            why = f": {reason}" if reason else ""
            return CheckResult(
                Check.BLOCKLIST, Verdict.FAIL, address, f"{role} {address} is blocklisted{why}"
            )
    if creator is None:
        return CheckResult(
            Check.BLOCKLIST, Verdict.UNKNOWN, None, "mint not blocklisted; creator unknown"
        )
    return CheckResult(Check.BLOCKLIST, Verdict.PASS, None, "mint and creator not blocklisted")


def check_dev_selling(dev_sold: bool | None) -> CheckResult:
    """``dev_sold`` as the engine saw the creator's trades; None when it does not know."""
    if dev_sold is None:
        return CheckResult(Check.DEV_SELLING, Verdict.UNKNOWN, None, "creator trades unknown")
    if dev_sold:
        return CheckResult(Check.DEV_SELLING, Verdict.FAIL, True, "creator sold")
    return CheckResult(Check.DEV_SELLING, Verdict.PASS, False, "creator has not sold")


# ---- migrated pools --------------------------------------------------------------------------


def check_lp_burnt(
    pool_lp_supply_raw: int, lp_mint_supply_raw: int, params: RiskParams
) -> CheckResult:
    """Share of a PumpSwap pool's LP tokens that were burnt.

    ``pool_lp_supply_raw`` is the pool's own ``lp_supply`` (LP the AMM minted, less LP it burnt
    on withdrawals); ``lp_mint_supply_raw`` is the LP mint's supply, which also shrinks when a
    holder burns LP with the token program. Their difference is what was burnt outside the AMM.
    LP sent to an incinerator address or locked in a program is counted as *not* burnt (a
    stricter reading: it can fail a pool whose LP is locked, never pass an unlocked one).
    """
    if pool_lp_supply_raw <= 0:
        return CheckResult(Check.LP_BURNT, Verdict.UNKNOWN, None, "pool reports no LP supply")
    if lp_mint_supply_raw > pool_lp_supply_raw:
        return CheckResult(
            Check.LP_BURNT,
            Verdict.UNKNOWN,
            None,
            f"LP mint supply {lp_mint_supply_raw} exceeds pool lp_supply {pool_lp_supply_raw}",
        )
    pct = round((pool_lp_supply_raw - lp_mint_supply_raw) / pool_lp_supply_raw * 100, 2)
    limit = params.min_lp_burnt_pct
    if pct < limit:
        return CheckResult(
            Check.LP_BURNT, Verdict.FAIL, pct, f"LP burnt {_pct(pct)} < {_limit(limit)}"
        )
    return CheckResult(
        Check.LP_BURNT, Verdict.PASS, pct, f"LP burnt {_pct(pct)} >= {_limit(limit)}"
    )


def unknown(check: Check, reason: str) -> CheckResult:
    """The result of a check that could not run."""
    return CheckResult(check, Verdict.UNKNOWN, None, reason)
