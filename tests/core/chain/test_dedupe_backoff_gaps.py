"""Pure pieces of the pubsub client: signature dedupe, backoff delays, gap-fill anchors."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from core.chain.backoff import Backoff
from core.chain.dedupe import SignatureDedupe
from core.chain.gapfill import GapTracker, notice_from_transaction


def test_a_signature_is_first_seen_once_and_repeats_are_counted() -> None:
    dedupe = SignatureDedupe(capacity=10)
    assert dedupe.first_sighting("a")
    assert not dedupe.first_sighting("a")
    assert not dedupe.first_sighting("a")
    assert dedupe.duplicates == 2


def test_the_oldest_signature_is_forgotten_when_capacity_is_reached() -> None:
    dedupe = SignatureDedupe(capacity=3)
    for sig in ["a", "b", "c"]:
        dedupe.first_sighting(sig)
    dedupe.first_sighting("a")  # seen again: now the most recent
    dedupe.first_sighting("d")  # evicts "b", the least recently seen
    assert "b" not in dedupe
    assert "a" in dedupe
    assert len(dedupe) == 3


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=2**32))
def test_backoff_delays_stay_within_zero_and_the_capped_ceiling(attempt: int, seed: int) -> None:
    backoff = Backoff(base_s=0.5, cap_s=30.0, rng=random.Random(seed), attempt=attempt)
    delay_s = backoff.next_delay_s()
    assert 0.0 <= delay_s <= min(30.0, 0.5 * 2**attempt)


def test_backoff_ceiling_doubles_until_the_cap_and_reset_starts_over() -> None:
    backoff = Backoff(base_s=0.5, cap_s=30.0)
    assert [backoff.ceiling_s(a) for a in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    backoff.next_delay_s()
    backoff.next_delay_s()
    backoff.reset()
    assert backoff.attempt == 0


def test_live_notices_move_the_anchor_when_no_fill_is_pending() -> None:
    tracker = GapTracker(["addr"])
    tracker.note_live("addr", "s1")
    tracker.note_live("addr", "s2")
    assert tracker.anchor("addr") == "s2"


def test_an_interrupted_fill_keeps_the_old_anchor_so_the_next_fill_covers_the_gap() -> None:
    tracker = GapTracker(["addr", "quiet"])
    tracker.note_live("addr", "s1")
    assert tracker.begin_fill() == {"addr": "s1"}  # "quiet" never saw a notice: nothing to fill
    tracker.note_live("addr", "s9")  # live while the fill is running
    tracker.abort_fills()  # the connection died mid-fill
    assert tracker.anchor("addr") == "s1"


def test_a_completed_fill_moves_the_anchor_to_the_newest_live_or_filled_signature() -> None:
    tracker = GapTracker(["a", "b"])
    tracker.note_live("a", "a1")
    tracker.note_live("b", "b1")
    tracker.begin_fill()
    tracker.note_live("a", "a9")
    tracker.finish_fill("a", "a5")
    tracker.finish_fill("b", "b4")
    assert tracker.anchor("a") == "a9"
    assert tracker.anchor("b") == "b4"


def test_a_gap_filled_notice_takes_logs_err_slot_and_block_time_from_get_transaction() -> None:
    tx = {
        "slot": 310199880,
        "blockTime": 1735300000,
        "meta": {"err": {"InstructionError": [0, {"Custom": 6002}]}, "logMessages": ["x", "y"]},
    }
    notice = notice_from_transaction("sig", tx, "helius")
    assert notice.source == "gapfill"
    assert notice.slot == 310199880
    assert notice.block_time == 1735300000
    assert notice.err == {"InstructionError": [0, {"Custom": 6002}]}
    assert notice.logs == ("x", "y")
    assert notice.provider == "helius"
