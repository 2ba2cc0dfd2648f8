"""Rules: validation names the field and range; each rule against hand-computed inputs."""

from __future__ import annotations

import math

import pytest

from core.errors import UserInputError
from core.risk.report import RiskReport, Verdict
from core.signals.rules import Rule, RuleContext, RuleError, RuleKind
from core.signals.windows import MintWindows
from tests.core.signals.factories import MINT, SOL, T0, report

SMART = {
    "kol_a": frozenset({"kol"}),
    "kol_b": frozenset({"kol", "smart"}),
    "whale": frozenset({"whale"}),
}


def ctx(
    windows: MintWindows | None = None,
    risk: RiskReport | None = None,
    *,
    on_curve: bool = True,
    liquidity_usd: float = 0.0,
    impact: float = math.inf,
) -> RuleContext:
    w = windows or MintWindows((60, 300, 900))
    return RuleContext(T0, w, SMART, risk, on_curve, liquidity_usd, lambda _size: impact)


def rule(**d: object) -> Rule:
    return Rule.from_dict(d)


# -- validation ------------------------------------------------------------------------------


def test_rule_error_is_a_user_input_error_naming_field_and_range() -> None:
    with pytest.raises(RuleError) as err:
        Rule.from_dict({"kind": "push_time", "window_min": 20, "min_net_sol_per_min": 1})
    assert isinstance(err.value, UserInputError)
    assert err.value.field == "rule.window_min"
    assert str(err.value) == "rule.window_min: 20 is out of range (allowed: integer 1-15)"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "nope"}, "rule.kind"),
        ({"kind": "smart_buy_burst", "min_wallets": 3, "window_min": 5}, "rule.min_sol"),
        (
            {"kind": "smart_buy_burst", "min_wallets": 2.5, "min_sol": 1, "window_min": 5},
            "rule.min_wallets",
        ),
        (
            {
                "kind": "smart_buy_burst",
                "min_wallets": 2,
                "min_sol": 1,
                "window_min": 5,
                "tags": "kol",
            },
            "rule.tags",
        ),
        ({"kind": "top10", "max_pct": "30"}, "rule.max_pct"),
        ({"kind": "top10", "max_pct": float("nan")}, "rule.max_pct"),
        ({"kind": "no_mint", "max_pct": 3}, "rule.max_pct"),
        ({"kind": "no_mint", "required": "yes"}, "rule.required"),
        ({"kind": "max_price_impact", "max_pct": 5, "size_sol": 0}, "rule.size_sol"),
    ],
)
def test_invalid_rules_are_refused_with_the_field_named(data: dict, field: str) -> None:
    with pytest.raises(RuleError) as err:
        Rule.from_dict(data)
    assert err.value.field == field


def test_rules_round_trip_through_json_dicts() -> None:
    data = {
        "kind": "smart_buy_burst",
        "min_wallets": 3,
        "min_sol": 5.0,
        "window_min": 5,
        "tags": ["kol", "smart"],
        "name": "KOL burst",
        "required": True,
    }
    r = Rule.from_dict(data)
    assert r.to_dict() == data
    assert Rule.from_dict(r.to_dict()) == r


# -- push time -------------------------------------------------------------------------------


def test_push_time_fires_when_net_buy_sol_per_minute_reaches_threshold() -> None:
    w = MintWindows((60, 300, 900))
    w.add_trade(T0, "a", True, 12 * SOL, 1e-7)
    w.add_trade(T0 + 10, "b", False, 2 * SOL, 1e-7)
    r = rule(kind="push_time", window_min=5, min_net_sol_per_min=2)
    res = r.evaluate(ctx(w))
    # net = 12 - 2 = 10 SOL over 5 minutes = 2.0 SOL/min >= 2
    assert res.fired and res.inputs["net_sol_per_min"] == pytest.approx(2.0)
    assert res.kind is RuleKind.PUSH_TIME
    assert r.window_s == 300
    w.add_trade(T0 + 11, "c", False, 1 * SOL, 1e-7)  # (12 - 3) / 5 = 1.8 < 2
    assert not r.evaluate(ctx(w)).fired


# -- smart buy burst --------------------------------------------------------------------------


def test_burst_fires_when_three_smart_wallets_buy_five_sol_within_window() -> None:
    w = MintWindows((60, 300, 900))
    w.add_trade(T0, "kol_a", True, 2 * SOL, 1e-7, smart=True)
    w.add_trade(T0 + 60, "kol_b", True, 2 * SOL, 1e-7, smart=True)
    r = rule(kind="smart_buy_burst", min_wallets=3, min_sol=5, window_min=5)
    assert not r.evaluate(ctx(w)).fired  # 2 wallets, 4 SOL
    w.add_trade(T0 + 120, "whale", True, 1 * SOL, 1e-7, smart=True)
    res = r.evaluate(ctx(w))
    assert res.fired  # 3 wallets, 2 + 2 + 1 = 5 SOL
    assert res.inputs["wallets"] == 3 and res.inputs["sol"] == pytest.approx(5.0)
    assert r.label == "Smart Buy Burst (N≥3, ≥5 SOL, 5m)"


def test_burst_ignores_buys_older_than_its_window() -> None:
    w = MintWindows((60, 300, 900))
    w.add_trade(T0, "kol_a", True, 3 * SOL, 1e-7, smart=True)
    w.add_trade(T0 + 200, "kol_b", True, 3 * SOL, 1e-7, smart=True)
    r = rule(kind="smart_buy_burst", min_wallets=2, min_sol=5, window_min=3)
    assert not r.evaluate(ctx(w)).fired  # window (T0+20, T0+200]: 1 wallet, 3 SOL
    assert (
        rule(kind="smart_buy_burst", min_wallets=2, min_sol=5, window_min=4).evaluate(ctx(w)).fired
    )


def test_burst_counts_only_wallets_with_a_requested_tag() -> None:
    w = MintWindows((60, 300, 900))
    for wallet in ("kol_a", "kol_b", "whale"):
        w.add_trade(T0, wallet, True, 2 * SOL, 1e-7, smart=True)
    r = rule(kind="smart_buy_burst", min_wallets=3, min_sol=1, window_min=5, tags=["kol"])
    res = r.evaluate(ctx(w))
    assert not res.fired and res.inputs["wallets"] == 2  # the whale has no "kol" tag


# -- risk filters -------------------------------------------------------------------------------


def test_top10_fires_below_the_limit_only() -> None:
    r = rule(kind="top10", max_pct=30)
    assert r.evaluate(ctx(risk=report(top10=(Verdict.PASS, 29.9)))).fired
    assert not r.evaluate(ctx(risk=report(top10=(Verdict.FAIL, 38.0)))).fired


@pytest.mark.parametrize(
    ("kind", "check"),
    [("top10", "top10"), ("no_mint", "mint_authority"), ("no_freeze", "freeze_authority")],
)
def test_filter_rule_on_unknown_risk_data_does_not_fire(kind: str, check: str) -> None:
    r = rule(kind=kind, max_pct=30) if kind == "top10" else rule(kind=kind)
    assert not r.evaluate(ctx(risk=None)).fired  # no report at all
    assert not r.evaluate(ctx(risk=report())).fired  # report without that check
    unknown = report(MINT, **{check: (Verdict.UNKNOWN, 5.0)})  # a value does not make it known
    assert not r.evaluate(ctx(risk=unknown)).fired


def test_no_mint_and_no_freeze_fire_on_pass_only() -> None:
    risk = report(mint_authority=Verdict.PASS, freeze_authority=Verdict.FAIL)
    assert rule(kind="no_mint").evaluate(ctx(risk=risk)).fired
    assert not rule(kind="no_freeze").evaluate(ctx(risk=risk)).fired


def test_lp_burnt_fires_on_the_curve_or_when_the_lp_is_burnt() -> None:
    r = rule(kind="lp_burnt")
    assert r.evaluate(ctx(on_curve=True)).fired
    assert not r.evaluate(ctx(on_curve=False, risk=report(lp_burnt=Verdict.UNKNOWN))).fired
    assert not r.evaluate(ctx(on_curve=False, risk=report(lp_burnt=Verdict.FAIL))).fired
    assert r.evaluate(ctx(on_curve=False, risk=report(lp_burnt=Verdict.PASS))).fired


def test_min_liquidity_and_max_impact_compare_with_their_limits() -> None:
    assert rule(kind="min_liquidity", min_usd=10_000).evaluate(ctx(liquidity_usd=10_000)).fired
    assert not rule(kind="min_liquidity", min_usd=10_000).evaluate(ctx(liquidity_usd=9_999)).fired
    r = rule(kind="max_price_impact", max_pct=5, size_sol=0.5)
    assert r.evaluate(ctx(impact=4.9)).fired
    assert not r.evaluate(ctx(impact=5.1)).fired
    assert not r.evaluate(ctx(impact=math.inf)).fired  # no reserves known: never passes


def test_rule_results_name_the_rule_with_its_label_or_given_name() -> None:
    assert rule(kind="no_mint").evaluate(ctx()).name == "No Mint"
    assert rule(kind="no_mint", name="Mint renounced").evaluate(ctx()).name == "Mint renounced"
