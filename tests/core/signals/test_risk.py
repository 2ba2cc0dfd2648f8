"""RiskScore = 3 - penalties; UNKNOWN costs a smaller penalty, never counts as safe."""

from __future__ import annotations

import pytest

from core.risk.report import Check, Verdict
from core.signals.params import SignalParams
from core.signals.risk import assess
from tests.core.signals.factories import clean_report, report

P = SignalParams()


def test_clean_report_scores_three() -> None:
    a = assess(clean_report(), dev_sold=False, creator_known=True, p=P)
    assert a.score == 3.0 and a.penalties == ()


def test_top_holder_above_thirty_percent_costs_its_penalty() -> None:
    r = report(
        mint_authority=Verdict.PASS,
        freeze_authority=Verdict.PASS,
        top_holder=(Verdict.FAIL, 31.0),
        transfer_tax=(Verdict.PASS, 0.0),
    )
    a = assess(r, dev_sold=False, creator_known=True, p=P)
    assert a.score == pytest.approx(2.4)  # 3 - 0.6
    assert [(x.check, x.amount, x.label) for x in a.penalties] == [
        (Check.TOP_HOLDER, 0.6, "top holder 31%")
    ]


def test_no_report_counts_every_check_as_unknown_not_safe() -> None:
    # mint, freeze, top holder, tax unknown: 4 × 0.3; dev selling PASS (creator known, no sell)
    a = assess(None, dev_sold=False, creator_known=True, p=P)
    assert a.score == pytest.approx(3 - 4 * 0.3)
    assert all(x.label.endswith("unknown") for x in a.penalties)
    # creator unknown too: 5 × 0.3
    assert assess(None, False, False, P).score == pytest.approx(3 - 5 * 0.3)


def test_unknown_never_costs_more_than_a_confirmed_failure() -> None:
    p = SignalParams(penalty_top_holder=0.1, penalty_unknown=0.3)
    r = clean_report()
    r = report(
        mint_authority=Verdict.PASS,
        freeze_authority=Verdict.PASS,
        top_holder=Verdict.UNKNOWN,
        transfer_tax=(Verdict.PASS, 0.0),
    )
    assert assess(r, False, True, p).score == pytest.approx(3 - 0.1)


def test_every_failure_at_once_floors_at_zero() -> None:
    r = report(
        mint_authority=Verdict.FAIL,
        freeze_authority=Verdict.FAIL,
        top_holder=(Verdict.FAIL, 80.0),
        transfer_tax=(Verdict.FAIL, 10.0),
    )
    # 3 - (1 + 1 + 0.6 + 1 + 1) = -0.6 -> 0
    assert assess(r, dev_sold=True, creator_known=True, p=P).score == 0.0


def test_dev_selling_seen_by_the_engine_overrides_a_passing_report() -> None:
    a = assess(clean_report(), dev_sold=True, creator_known=True, p=P)
    assert a.score == pytest.approx(2.0)
    badge = next(b for b in a.badges if b.check is Check.DEV_SELLING)
    assert badge.verdict is Verdict.FAIL


def test_limits_apply_to_the_measured_value() -> None:
    # transfer tax 4 % is under the 5 % limit even if the report's own limit said FAIL
    r = report(
        mint_authority=Verdict.PASS,
        freeze_authority=Verdict.PASS,
        top_holder=(Verdict.PASS, 10.0),
        transfer_tax=(Verdict.FAIL, 4.0),
    )
    assert assess(r, False, True, P).score == 3.0
