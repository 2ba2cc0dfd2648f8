"""RiskScore: 3 minus a penalty per risky finding, from a ``RiskReport`` and what the engine saw.

Penalised checks (each penalty a ``SignalParams`` field):

- mint authority FAIL, freeze authority FAIL;
- top holder above ``top_holder_max_pct`` (the check's value when it is a number, else FAIL);
- transfer tax above ``transfer_tax_max_pct`` (same);
- dev selling: the engine saw the creator sell, or the report says FAIL.

A check that is UNKNOWN (or absent, or no report at all) costs ``min(penalty_unknown, its
penalty)``: never safe, never worse than a confirmed failure. Dev selling is PASS (not unknown)
when the engine knows the creator from the launch and has not seen them sell.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.risk.report import Check, CheckResult, RiskReport, Verdict
from core.signals.params import SignalParams

# The checks shown as badges on a signal, in display order.
BADGE_CHECKS = (
    Check.MINT_AUTHORITY,
    Check.FREEZE_AUTHORITY,
    Check.TOP10,
    Check.TOP_HOLDER,
    Check.TRANSFER_TAX,
    Check.DEV_SELLING,
    Check.LP_BURNT,
    Check.HONEYPOT,
    Check.BLOCKLIST,
)


@dataclass(frozen=True, slots=True)
class RiskBadge:
    check: Check
    verdict: Verdict
    value: float | int | str | None = None


@dataclass(frozen=True, slots=True)
class Penalty:
    check: Check
    amount: float
    label: str  # "top holder 31%", "mint authority unknown"


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    score: float
    penalties: tuple[Penalty, ...]
    badges: tuple[RiskBadge, ...]


_NAMES = {
    Check.MINT_AUTHORITY: "mint authority",
    Check.FREEZE_AUTHORITY: "freeze authority",
    Check.TOP_HOLDER: "top holder",
    Check.TRANSFER_TAX: "transfer tax",
    Check.DEV_SELLING: "dev selling",
}


def _result(report: RiskReport | None, check: Check) -> CheckResult:
    if report is None:
        return CheckResult(check, Verdict.UNKNOWN, None, "not checked")
    return report.get(check)


def _over_limit(result: CheckResult, limit_pct: float) -> bool | None:
    """True / False when known; None when unknown."""
    if result.verdict is Verdict.UNKNOWN:
        return None
    if isinstance(result.value, int | float) and not isinstance(result.value, bool):
        return float(result.value) > limit_pct
    return result.verdict is Verdict.FAIL


def dev_selling_result(
    report: RiskReport | None, dev_sold: bool, creator_known: bool
) -> CheckResult:
    if dev_sold:
        return CheckResult(Check.DEV_SELLING, Verdict.FAIL, None, "creator sold")
    result = _result(report, Check.DEV_SELLING)
    if result.verdict is Verdict.UNKNOWN and creator_known:
        return CheckResult(Check.DEV_SELLING, Verdict.PASS, None, "creator has not sold")
    return result


def assess(
    report: RiskReport | None, dev_sold: bool, creator_known: bool, p: SignalParams
) -> RiskAssessment:
    unknown = p.penalty_unknown
    penalties: list[Penalty] = []
    results = {check: _result(report, check) for check in BADGE_CHECKS}
    results[Check.DEV_SELLING] = dev_selling_result(report, dev_sold, creator_known)

    def flag(check: Check, bad: bool | None, penalty: float, label: str) -> None:
        if bad is None:
            if min(unknown, penalty) > 0:
                penalties.append(Penalty(check, min(unknown, penalty), f"{_NAMES[check]} unknown"))
        elif bad and penalty > 0:
            penalties.append(Penalty(check, penalty, label))

    for check, penalty, label in (
        (Check.MINT_AUTHORITY, p.penalty_mint_authority, "mint authority active"),
        (Check.FREEZE_AUTHORITY, p.penalty_freeze_authority, "freeze authority active"),
        (Check.DEV_SELLING, p.penalty_dev_selling, "dev sold"),
    ):
        verdict = results[check].verdict
        flag(
            check, None if verdict is Verdict.UNKNOWN else verdict is Verdict.FAIL, penalty, label
        )
    for check, penalty, limit in (
        (Check.TOP_HOLDER, p.penalty_top_holder, p.top_holder_max_pct),
        (Check.TRANSFER_TAX, p.penalty_transfer_tax, p.transfer_tax_max_pct),
    ):
        result = results[check]
        value = result.value
        shown = f" {float(value):g}%" if isinstance(value, int | float) else " above limit"
        flag(check, _over_limit(result, limit), penalty, f"{_NAMES[check]}{shown}")
    total = sum(x.amount for x in penalties)
    score = min(3.0, max(0.0, 3.0 - total))
    badges = tuple(
        RiskBadge(check, results[check].verdict, results[check].value) for check in BADGE_CHECKS
    )
    return RiskAssessment(score, tuple(penalties), badges)
