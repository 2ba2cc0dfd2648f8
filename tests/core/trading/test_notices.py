"""Trading notices on ``trading.out`` and auto-trade intents read back from ``autotrade.out``:
what the workers write is what the bot reads, and a malformed entry is a ``DecodeError``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DecodeError
from core.trading.autotrade import (
    AutoTradeMode,
    Intent,
    IntentState,
    intent_to_stream_fields,
)
from core.trading.notices import (
    IntentNotice,
    NoticeKind,
    TradeNotice,
    intent_notice_from_stream_fields,
    notice_from_stream_fields,
    notice_to_stream_fields,
)
from core.trading.orders import AmountBasis, LegKind, Price
from core.trading.trade_types import Side

MINT = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"
SIG = "5hQx" + "1" * 80


def take_profit_done(**changes: object) -> TradeNotice:
    fields: dict[str, object] = {
        "kind": NoticeKind.EXECUTED,
        "user_id": 7,
        "order_id": 41,
        "position_id": 12,
        "mint": MINT,
        "leg": LegKind.TAKE_PROFIT,
        "side": Side.SELL,
        "at": 1_700_000_000,
        "threshold_bps": 5_000,
        "amount_basis": AmountBasis.BASE,
        "amount": 3_000,
        "attempt": 0,
        "amount_raw": 1_234_567_000_000,
        "entry": Price(1_000_000_000, 10_000_000_000_000),
        "trigger": Price(1_520_000_000, 10_000_000_000_000),
        "why": "price 1.52x entry >= 1.5x (take profit) [jupiter]",
        "signature": SIG,
        "token_delta_raw": -1_234_567_000_000,
        "sol_delta_lamports": 420_000_000,
    }
    fields.update(changes)
    return TradeNotice(**fields)  # type: ignore[arg-type]


def test_a_notice_round_trips_through_its_stream_fields() -> None:
    notice = take_profit_done()
    fields = notice_to_stream_fields(notice)
    assert all(isinstance(v, str) for v in fields.values())
    assert notice_from_stream_fields(fields) == notice
    assert notice.trigger_ratio_bps == 15_200


def test_a_failed_time_exit_without_trigger_price_round_trips_with_its_reason_figures() -> None:
    notice = take_profit_done(
        kind=NoticeKind.FAILED,
        leg=LegKind.TIME_EXIT,
        threshold_bps=0,
        amount_basis=AmountBasis.HELD,
        amount=10_000,
        attempt=2,
        trigger=None,
        signature=None,
        token_delta_raw=None,
        sol_delta_lamports=None,
        reason="slippage_exceeded",
        detail={"slippage_bps": 100, "message": "slippage"},
    )
    back = notice_from_stream_fields(
        {k.encode(): v.encode() for k, v in notice_to_stream_fields(notice).items()}
    )
    assert back == notice
    assert back.trigger_ratio_bps is None


@given(
    kind=st.sampled_from(NoticeKind),
    leg=st.sampled_from(LegKind),
    amount_raw=st.integers(0, 2**64 - 1),
    token_delta=st.none() | st.integers(-(2**64), 2**64),
    sol_delta=st.none() | st.integers(-(10**15), 10**15),
    lamports=st.integers(1, 10**15),
    tokens=st.integers(1, 2**64),
    why=st.text(max_size=80),
)
def test_any_notice_round_trips(
    kind: NoticeKind,
    leg: LegKind,
    amount_raw: int,
    token_delta: int | None,
    sol_delta: int | None,
    lamports: int,
    tokens: int,
    why: str,
) -> None:
    notice = take_profit_done(
        kind=kind,
        leg=leg,
        amount_raw=amount_raw,
        token_delta_raw=token_delta,
        sol_delta_lamports=sol_delta,
        trigger=Price(lamports, tokens),
        why=why,
    )
    assert notice_from_stream_fields(notice_to_stream_fields(notice)) == notice


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("v", "2", "format"),
        ("kind", "sold", "kind"),
        ("leg", "moon", "leg"),
        ("side", "hold", "side"),
        ("user_id", "seven", "user_id"),
        ("order_id", "-1", "order_id"),
        ("mint", "", "mint"),
        ("entry_lamports", "0", "entry"),
        ("trigger_lamports", "", "trigger"),
        ("sol_delta_lamports", "1.5", "sol_delta_lamports"),
        ("detail", "[1, 2]", "detail"),
        ("detail", "{oops", "detail"),
    ],
)
def test_a_malformed_notice_is_a_decode_error_naming_the_field(
    field: str, value: str, says: str
) -> None:
    fields = notice_to_stream_fields(take_profit_done())
    fields[field] = value
    with pytest.raises(DecodeError, match=says):
        notice_from_stream_fields(fields)


def test_a_notice_missing_a_field_is_a_decode_error() -> None:
    fields = notice_to_stream_fields(take_profit_done())
    del fields["position_id"]
    with pytest.raises(DecodeError, match="position_id"):
        notice_from_stream_fields(fields)


def intent(**changes: object) -> Intent:
    fields: dict[str, object] = {
        "id": 9,
        "rule_id": 3,
        "user_id": 7,
        "mint": MINT,
        "wallet": MINT,
        "buy_lamports": 500_000_000,
        "mode": AutoTradeMode.CONFIRM,
        "state": IntentState.PENDING,
        "trade_key": f"auto-3-{MINT}",
        "signal_at": 1_700_000_000,
        "strength": 2.3,
        "detail": {"rule": "fast", "why": "Strength 2.30 >= 1.8", "smart_buyers": 3},
        "expires_at": datetime(2024, 5, 1, 12, 9, tzinfo=UTC),
    }
    fields.update(changes)
    return Intent(**fields)  # type: ignore[arg-type]


def test_an_intent_published_by_the_workers_reads_back_as_the_same_intent() -> None:
    pending = intent_notice_from_stream_fields(intent_to_stream_fields(intent()))
    assert pending == IntentNotice(
        state=IntentState.PENDING,
        intent_id=9,
        rule_id=3,
        rule="fast",
        user_id=7,
        mint=MINT,
        buy_lamports=500_000_000,
        mode=AutoTradeMode.CONFIRM,
        strength=2.3,
        why="Strength 2.30 >= 1.8",
        expires_at=datetime(2024, 5, 1, 12, 9, tzinfo=UTC),
    )
    done = intent_notice_from_stream_fields(
        intent_to_stream_fields(intent(state=IntentState.DONE, position_id=12, reason=None))
    )
    assert (done.state, done.position_id, done.reason) == (IntentState.DONE, 12, None)
    failed = intent_notice_from_stream_fields(
        intent_to_stream_fields(intent(state=IntentState.FAILED, reason="no_route"))
    )
    assert (failed.state, failed.reason, failed.position_id) == (
        IntentState.FAILED,
        "no_route",
        None,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "maybe"),
        ("intent_id", "x"),
        ("strength", "strong"),
        ("expires_at", "tomorrow"),
        ("mode", "yolo"),
        ("mint", ""),
    ],
)
def test_a_malformed_intent_entry_is_a_decode_error(field: str, value: str) -> None:
    fields = intent_to_stream_fields(intent())
    fields[field] = value
    with pytest.raises(DecodeError):
        intent_notice_from_stream_fields(fields)
    del fields[field]
    with pytest.raises(DecodeError, match="missing"):
        intent_notice_from_stream_fields(fields)
