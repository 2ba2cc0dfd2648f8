"""The hot-path TradeRecord constructor builds exactly what TradeRecord(...) builds."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from core.programs import Program
from core.storage.records import TradeRecord, new_trade_record

ARGS = (
    "sig",
    3,
    310_199_880,
    1_754_000_000,
    Program.PUMP,
    "Mint",
    "Trader",
    True,
    10**9,
    5,
    2.5e-8,
)


def test_fast_constructor_gives_an_equal_frozen_trade_record() -> None:
    for args in (ARGS, (*ARGS, 30 * 10**9, 10**15, 10**9, 7 * 10**14, "Pool")):
        fast, plain = new_trade_record(*args), TradeRecord(*args)
        assert type(fast) is TradeRecord
        assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
        assert dataclasses.astuple(fast) == dataclasses.astuple(plain)
        assert pickle.loads(pickle.dumps(fast)) == plain
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.slot = 1  # type: ignore[misc]


def test_fast_constructor_refuses_missing_arguments_like_the_class() -> None:
    with pytest.raises(TypeError):
        new_trade_record(*ARGS[:5])
