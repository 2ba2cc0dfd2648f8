"""Smart Activity alerts: hand-computed window totals, crossing V_min once, re-crossing, expiry,
the cool-down, and the activity.out stream fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DecodeError
from core.signals import SignalParams
from core.signals.activity_alerts import (
    ActivityAlert,
    ActivityDetector,
    activity_alert_from_stream_fields,
    activity_alert_to_stream_fields,
)
from core.storage.records import TradeRecord
from tests.core.signals.factories import SOL, trade

MINT_X, MINT_Y = (
    "MintX111111111111111111111111111111111pump",
    "MintY11111111111111111111111111111111pump",
)
WALLETS = {
    "kol1": frozenset({"kol"}),
    "smart1": frozenset({"smart"}),
    "smart2": frozenset({"smart", "whale"}),
}
T = 1_754_000_000


def _params(**kw: int) -> SignalParams:
    base = {
        "activity_window_s": 600,
        "activity_v_min_lamports": 50 * SOL,
        "activity_global_v_min_lamports": 0,  # off unless a test turns it on
        "activity_cooldown_s": 0,
    }
    return SignalParams(**{**base, **kw})  # type: ignore[arg-type]


def _fill(
    at: int, wallet: str, sol: float, *, buy: bool = True, mint: str = MINT_X
) -> TradeRecord:
    return trade(t=at, trader=wallet, sol=sol, buy=buy, mint=mint)


def _feed(detector: ActivityDetector, fills: list[TradeRecord]) -> list[ActivityAlert]:
    alerts: list[ActivityAlert] = []
    for f in fills:
        alerts.extend(detector.on_trade(f))
    return alerts


def test_alert_fires_once_when_smart_buys_in_the_window_reach_v_min() -> None:
    detector = ActivityDetector(_params(), WALLETS)
    assert _feed(detector, [_fill(T, "kol1", 20), _fill(T + 60, "smart1", 20)]) == []  # 40 SOL
    assert _feed(detector, [_fill(T + 90, "smart1", 10, buy=False)]) == []  # sells do not count
    alerts = _feed(detector, [_fill(T + 120, "smart2", 15)])  # 55 SOL bought
    assert alerts == [
        ActivityAlert(
            at=T + 120,
            mint=MINT_X,
            window_s=600,
            total_lamports=65 * SOL,
            buy_lamports=55 * SOL,
            sell_lamports=10 * SOL,
            wallets=("smart1", "kol1", "smart2"),  # 30, 20, 15 SOL traded
            tags=("kol", "smart", "whale"),
        )
    ]
    # Still above V_min: more buys do not alert again.
    assert _feed(detector, [_fill(T + 180, "kol1", 10), _fill(T + 240, "smart2", 30)]) == []
    assert detector.stats.alerts == 1


def test_a_window_alerts_again_after_falling_below_v_min_and_crossing_again() -> None:
    detector = ActivityDetector(_params(), WALLETS)
    first = _feed(detector, [_fill(T, "kol1", 30), _fill(T + 100, "smart1", 30)])
    assert [a.buy_lamports for a in first] == [60 * SOL]
    # At T+650 the window is [T+50, T+650]: kol1's 30 SOL left it, 30 remain (< 50), then
    # smart2's 25 SOL makes 55: a new crossing.
    second = _feed(detector, [_fill(T + 650, "smart2", 25)])
    assert len(second) == 1
    assert second[0].at == T + 650
    assert second[0].buy_lamports == 55 * SOL
    assert second[0].wallets == ("smart1", "smart2")
    assert second[0].tags == ("smart", "whale")


def test_a_crossing_within_the_cool_down_is_dropped_until_the_next_crossing() -> None:
    detector = ActivityDetector(_params(activity_cooldown_s=900), WALLETS)
    assert len(_feed(detector, [_fill(T, "kol1", 30), _fill(T + 100, "smart1", 30)])) == 1
    # Re-crossing at T+650 (30 -> 55 SOL) is 550 s after the alert at T+100: inside the cool-down.
    assert _feed(detector, [_fill(T + 650, "smart2", 25)]) == []
    assert detector.stats.suppressed == 1
    assert _feed(detector, [_fill(T + 690, "kol1", 30)]) == []  # 85 SOL: above, no crossing
    # The cool-down ends at T+1000; at T+1005 the window [T+405, T+1005] holds 25 + 30 + 1 SOL:
    # still above V_min, so no alert.
    assert _feed(detector, [_fill(T + 1_005, "kol1", 1)]) == []
    # At T+1300 the window [T+700, T+1300] holds only the 1 SOL (below); 60 more cross again.
    third = _feed(detector, [_fill(T + 1_300, "smart1", 60)])
    assert [(a.at, a.buy_lamports) for a in third] == [(T + 1_300, 61 * SOL)]
    assert detector.stats.alerts == 2


def test_the_window_includes_fills_exactly_window_s_old_and_not_older() -> None:
    inside = ActivityDetector(_params(), WALLETS)
    alerts = _feed(inside, [_fill(T, "kol1", 30), _fill(T + 600, "smart1", 20)])
    assert [a.buy_lamports for a in alerts] == [50 * SOL]  # [T, T+600]: 30 + 20 = V_min
    outside = ActivityDetector(_params(), WALLETS)
    assert _feed(outside, [_fill(T, "kol1", 30), _fill(T + 601, "smart1", 20)]) == []


def test_a_fill_arriving_late_is_counted_in_its_own_time() -> None:
    detector = ActivityDetector(_params(), WALLETS)
    assert _feed(detector, [_fill(T + 200, "kol1", 30), _fill(T + 100, "smart1", 10)]) == []
    # At T+705 the window is [T+105, T+705]: the late 10 SOL (T+100) left, 30 remain: 30 + 15.
    assert _feed(detector, [_fill(T + 705, "smart2", 15)]) == []
    # A fill older than the window is ignored.
    assert _feed(detector, [_fill(T + 50, "smart2", 100)]) == []
    alerts = _feed(detector, [_fill(T + 710, "smart1", 5)])
    assert [a.buy_lamports for a in alerts] == [50 * SOL]


def test_the_global_window_sums_every_mint() -> None:
    detector = ActivityDetector(_params(activity_global_v_min_lamports=80 * SOL), WALLETS)
    alerts = _feed(
        detector,
        [_fill(T, "kol1", 40, mint=MINT_X), _fill(T + 30, "smart2", 45, mint=MINT_Y)],
    )
    assert alerts == [
        ActivityAlert(
            at=T + 30,
            mint=None,
            window_s=600,
            total_lamports=85 * SOL,
            buy_lamports=85 * SOL,
            sell_lamports=0,
            wallets=("smart2", "kol1"),
            tags=("kol", "smart", "whale"),
        )
    ]  # and no per-mint alert: 40 and 45 are each below 50


def test_untracked_wallets_do_not_count_and_v_min_zero_turns_a_scope_off() -> None:
    detector = ActivityDetector(_params(activity_v_min_lamports=0), WALLETS)
    assert _feed(detector, [_fill(T, "stranger", 1_000), _fill(T + 1, "kol1", 100)]) == []
    detector.update_params(_params())
    assert _feed(detector, [_fill(T + 2, "kol1", 1)]) == []  # already above: no crossing
    detector.set_wallets({"stranger": frozenset()})
    assert _feed(detector, [_fill(T + 3, "kol1", 1)]) == []
    assert detector.stats.fills == 2


def test_idle_mint_windows_are_forgotten() -> None:
    detector = ActivityDetector(_params(), WALLETS)
    _feed(detector, [_fill(T, "kol1", 1, mint=MINT_X), _fill(T + 500, "kol1", 1, mint=MINT_Y)])
    detector.expire(T + 600)
    assert detector.live_windows == 2
    detector.expire(T + 601)  # MINT_X's only fill left the window
    assert detector.live_windows == 1
    detector.expire(T + 1_101)
    assert detector.live_windows == 0


def test_stream_fields_round_trip_for_mint_and_global_alerts() -> None:
    mint_alert = ActivityAlert(T, MINT_X, 600, 65 * SOL, 55 * SOL, 10 * SOL, ("a", "b"), ("kol",))
    global_alert = ActivityAlert(T, None, 600, 0, 0, 0, (), ())
    for alert in (mint_alert, global_alert):
        fields = activity_alert_to_stream_fields(alert)
        assert all(isinstance(v, str) for v in fields.values())
        assert activity_alert_from_stream_fields(fields) == alert
        as_bytes = {k.encode(): v.encode() for k, v in fields.items()}  # as redis-py reads them
        assert activity_alert_from_stream_fields(as_bytes) == alert
    assert activity_alert_to_stream_fields(global_alert)["scope"] == "global"
    assert activity_alert_to_stream_fields(global_alert)["mint"] == ""


@given(
    at=st.integers(0, 2**40),
    mint=st.one_of(st.none(), st.text(min_size=1, max_size=50)),
    amounts=st.tuples(*(st.integers(0, 2**62) for _ in range(3))),
    wallets=st.lists(st.text(max_size=50), max_size=5),
    tags=st.lists(st.text(max_size=20), max_size=5),
)
def test_any_alert_survives_the_stream(
    at: int, mint: str | None, amounts: tuple[int, int, int], wallets: list[str], tags: list[str]
) -> None:
    alert = ActivityAlert(at, mint, 600, *amounts, tuple(wallets), tuple(tags))
    assert activity_alert_from_stream_fields(activity_alert_to_stream_fields(alert)) == alert


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"at": "soon"}, "at: expected an integer"),
        ({"buy_lamports": "-1"}, "buy_lamports: expected a non-negative integer"),
        ({"wallets": "[1]"}, "wallets: expected a list of strings"),
        ({"tags": "{"}, "tags: invalid JSON"),
        ({"scope": "galaxy"}, "scope: expected mint or global"),
        ({"mint": ""}, "does not match scope"),
        ({"v": "2"}, "unsupported activity alert format"),
    ],
)
def test_malformed_stream_entries_raise_decode_errors(change: dict, message: str) -> None:
    fields = activity_alert_to_stream_fields(
        ActivityAlert(T, MINT_X, 600, 2, 1, 1, ("a",), ("kol",))
    )
    with pytest.raises(DecodeError, match=message):
        activity_alert_from_stream_fields({**fields, **change})
    del fields["window_s"]
    with pytest.raises(DecodeError, match="missing field 'window_s'"):
        activity_alert_from_stream_fields(fields)
