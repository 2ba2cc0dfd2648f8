"""SignalParams: JSON round trip and validation messages naming the key and its range."""

from __future__ import annotations

import json

import pytest

from core.signals.params import SignalParams
from core.signals.rules import RuleError


def test_defaults_round_trip_through_json() -> None:
    p = SignalParams()
    assert SignalParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_partial_dicts_take_defaults() -> None:
    p = SignalParams.from_dict({"min_strength": 2.0, "rules": []})
    assert p.min_strength == 2.0 and p.rules == () and p.smart_k == 0.5


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"smart_k": 5}, "smart_k", "smart_k: 5 is out of range (allowed: number 0-3)"),
        ({"smart_window_s": 30}, "smart_window_s", None),
        ({"max_live_mints": 1.5}, "max_live_mints", None),
        ({"penalty_unknown": 0}, "penalty_unknown", None),
        ({"min_strenght": 2}, "min_strenght", None),
        ({"weight_risk": 0.5}, "weight_*", None),
        ({"liquidity_full_usd": 500.0}, "liquidity_full_usd", None),
        (
            {"rules": [{"kind": "no_mint"}, {"kind": "push_time", "window_min": 5}]},
            "rules[1].min_net_sol_per_min",
            None,
        ),
        ({"realert_step": True}, "realert_step", None),
    ],
)
def test_invalid_params_name_the_key(data: dict, field: str, message: str | None) -> None:
    with pytest.raises(RuleError) as err:
        SignalParams.from_dict(data)
    assert err.value.field == field
    if message:
        assert str(err.value) == message


def test_windows_include_rule_windows() -> None:
    p = SignalParams.from_dict(
        {"rules": [{"kind": "push_time", "window_min": 2, "min_net_sol_per_min": 1}]}
    )
    assert p.window_lengths_s == (60, 120, 300, 900)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("activity_window_s", 30),
        ("activity_v_min_lamports", -1),
        ("activity_global_v_min_lamports", 0.5),
        ("activity_cooldown_s", 86_401),
    ],
)
def test_activity_parameters_are_validated(key: str, value: float) -> None:
    with pytest.raises(RuleError) as err:
        SignalParams.from_dict({key: value})
    assert err.value.field == key
