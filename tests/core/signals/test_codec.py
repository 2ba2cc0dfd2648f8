"""Signal ⇄ dict ⇄ stream fields: lossless for engine-made signals and arbitrary ones."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DecodeError
from core.risk.report import Check, Verdict
from core.signals import (
    Penalty,
    RiskBadge,
    RuleKind,
    RuleResult,
    Signal,
    SignalEngine,
    SignalParams,
    SignalReason,
)
from core.signals.codec import (
    signal_from_dict,
    signal_from_stream_fields,
    signal_to_dict,
    signal_to_stream_fields,
)
from core.storage.records import CurveCompleteRecord
from tests.core.signals.factories import MINT, SOL, T0, clean_report, launch, report, trade

SMART = {f"smart{i}": frozenset({"kol"}) for i in range(10)}
VSOL = 90 * SOL
VTOK = 1_073_000_000_000_000 * 30 // 90


def engine_signals(mint: str = MINT, t0: int = T0) -> list[Signal]:
    """Real signals from the engine: first, rise and new burst, rules fired and not."""
    e = SignalEngine(SignalParams(), SMART, lambda: 150.0)
    e.on_mint(launch(mint=mint, t=t0))
    e.set_risk(mint, clean_report(mint))
    out = []
    plan = [(0, "smart0", 1.0), (1, "smart1", 1.0), (2, "smart2", 1.0), (3, "smart3", 5.0)]
    plan += [(400, "crowd", 1.0), (401, "smart5", 1.0), (402, "smart6", 1.0), (403, "smart7", 1.0)]
    for dt, who, sol in plan:
        s = e.on_trade(
            trade(
                t=t0 + dt, trader=who, sol=sol, mint=mint, vsol=VSOL, vtok=VTOK, real_sol=60 * SOL
            )
        )
        if s is not None:
            out.append(s)
    return out


def unknown_liquidity_signal() -> Signal:
    """A migrated mint without a known pool: impact is infinite; risk partly unknown."""
    e = SignalEngine(SignalParams.from_dict({"min_strength": 0.0}), SMART, lambda: 150.0)
    e.on_mint(launch())
    e.set_risk(MINT, report(mint_authority=Verdict.PASS, top_holder=(Verdict.FAIL, 31.5)))
    e.on_complete(CurveCompleteRecord(MINT, "curve1", T0, 1, "c"))
    [s] = e.tick(T0)
    return s


def test_engine_signals_round_trip_through_dict_json_and_stream_fields() -> None:
    signals = [*engine_signals(), unknown_liquidity_signal()]
    assert [s.reason for s in signals[:3]] == [
        SignalReason.FIRST,
        SignalReason.RISE,
        SignalReason.NEW_BURST,
    ]
    assert math.isinf(signals[-1].inputs["impact_pct"])
    for s in signals:
        d = signal_to_dict(s)
        text = json.dumps(d, allow_nan=False)  # strict JSON (PostgreSQL json accepts it)
        assert signal_from_dict(json.loads(text)) == s
        assert signal_from_stream_fields(signal_to_stream_fields(s)) == s


def test_stream_fields_are_flat_strings_with_routing_fields() -> None:
    s = engine_signals()[0]
    fields = signal_to_stream_fields(s)
    assert all(isinstance(v, str) for v in fields.values())
    assert fields["mint"] == MINT and fields["at"] == str(T0 + 2)
    assert float(fields["strength"]) == s.strength
    assert (fields["reason"], fields["sequence"]) == ("first", "1")
    assert json.loads(fields["json"])["mint"] == MINT


def test_dict_keeps_every_part_of_the_explanation() -> None:
    s = engine_signals()[1]
    d = signal_to_dict(s)
    assert set(d["inputs"]) == set(s.inputs)
    assert [r["name"] for r in d["rule_results"]] == [r.name for r in s.rule_results]
    assert len(d["risk_badges"]) == len(s.risk_badges)
    assert d["smart_buyers"][0] == ["smart3", 5.0]


@pytest.mark.parametrize(
    "fields",
    [{}, {"json": "{"}, {"json": "[]"}, {"json": '{"mint": "x"}'}, {"json": '{"v": 99}'}],
)
def test_malformed_stream_entries_raise_decode_error(fields: dict[str, str]) -> None:
    with pytest.raises(DecodeError):
        signal_from_stream_fields(fields)


_floats = st.floats(allow_nan=False)  # NaN != NaN, so equality cannot show a round trip
_names = st.text(min_size=1, max_size=12)
_numbers = st.dictionaries(_names, st.one_of(_floats, st.integers(-(2**53), 2**53)), max_size=5)

signals = st.builds(
    Signal,
    mint=_names,
    at=st.integers(0, 2**40),
    sequence=st.integers(1, 10_000),
    reason=st.sampled_from(SignalReason),
    strength=_floats,
    components=_numbers,
    weights=_numbers,
    inputs=_numbers,
    rules_fired=st.lists(_names, max_size=4).map(tuple),
    rule_results=st.lists(
        st.builds(RuleResult, _names, st.sampled_from(RuleKind), st.booleans(), _numbers),
        max_size=4,
    ).map(tuple),
    risk_badges=st.lists(
        st.builds(
            RiskBadge,
            st.sampled_from(Check),
            st.sampled_from(Verdict),
            st.one_of(st.none(), _floats, st.integers(-(2**53), 2**53), st.text(max_size=8)),
        ),
        max_size=4,
    ).map(tuple),
    risk_penalties=st.lists(
        st.builds(Penalty, st.sampled_from(Check), _floats, st.text(max_size=20)), max_size=3
    ).map(tuple),
    smart_buyers=st.lists(st.tuples(_names, _floats), max_size=4).map(tuple),
)


@given(signals)
def test_any_signal_round_trips_losslessly(s: Signal) -> None:
    back = signal_from_stream_fields(signal_to_stream_fields(s))
    assert back == s
    # ints stay ints, floats stay floats
    for key, value in s.inputs.items():
        assert type(back.inputs[key]) is type(value)
    for got, want in zip(back.risk_badges, s.risk_badges, strict=True):
        assert type(got.value) is type(want.value)
