"""What risk checks conclude about a mint. Shared by the checks (core/risk) and scoring
(core/signals). A check that could not run says ``UNKNOWN`` — never ``PASS``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Check(StrEnum):
    MINT_AUTHORITY = "mint_authority"  # FAIL: someone can still mint
    FREEZE_AUTHORITY = "freeze_authority"  # FAIL: someone can freeze holders' accounts
    TOP_HOLDER = "top_holder"  # FAIL: one holder (vaults excluded) above the limit
    TOP10 = "top10"  # FAIL: the 10 largest holders (vaults excluded) above the limit
    TRANSFER_TAX = "transfer_tax"  # FAIL: Token-2022 transfer fee above the limit
    DEV_SELLING = "dev_selling"  # FAIL: the creator sold
    LP_BURNT = "lp_burnt"  # FAIL: migrated pool whose LP tokens are not burnt
    HONEYPOT = "honeypot"  # FAIL: cannot sell back, or the round trip loses too much
    BLOCKLIST = "blocklist"  # FAIL: mint or creator on the operator's blocklist


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: Check
    verdict: Verdict
    value: float | int | str | None = None  # the measured figure (e.g. 31.2 for top holder %)
    detail: str = ""  # one line a user can read ("top holder 31.2% > 30%")


@dataclass(frozen=True, slots=True)
class RiskReport:
    mint: str
    checked_at: int  # unix s
    results: tuple[CheckResult, ...]

    def get(self, check: Check) -> CheckResult:
        for result in self.results:
            if result.check is check:
                return result
        return CheckResult(check, Verdict.UNKNOWN, None, "not checked")

    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.verdict is Verdict.FAIL)
