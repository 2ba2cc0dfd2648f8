"""Input auto-detection for `solsignals decode`."""

from __future__ import annotations

import json

from core.decode import DecodeStats, decode_frame, split_input
from tests.core.decode._fixtures import MAINNET, crocchi_lines, load, under_pump


def test_each_recognised_shape_decodes() -> None:
    shapes = {
        "logsNotification": load("c1r5_logsNotification_pumpfun_create_buy_slot310199880.json"),
        "rpc response": load("soltxs_pumpfun_buy_rpc.json"),
        "bare result": load("chainstack_raw_create_tx_from_getTransaction.json")["result"],
        "blockSubscribe tx": load("chainstack_raw_tx_from_blockSubscribe_2025-05.json"),
        "log lines": under_pump(crocchi_lines()),
    }
    counts = {name: len(decode_frame(value, DecodeStats())) for name, value in shapes.items()}
    assert counts == {
        "logsNotification": 2,
        "rpc response": 1,
        "bare result": 2,
        "blockSubscribe tx": 1,
        "log lines": 3,
    }


def test_unrecognised_values_are_bad_frames_with_a_reason() -> None:
    stats = DecodeStats()
    for value in ({"jsonrpc": "2.0", "result": 42, "id": 1}, {"foo": 1}, 3, [1, 2]):
        assert decode_frame(value, stats) == []
    assert stats.failures == {"bad_frame": 4}
    assert stats.last_failure == "bad_frame: a list that is not a list of log lines"


def test_json_lines_are_split_with_line_numbers_and_bad_lines_reported() -> None:
    frame = json.dumps(load("soltxs_pumpfun_buy_rpc.json"))
    items = list(split_input(f"{frame}\n\nnot json\n{frame}\n"))
    assert [(i.where, i.error is None) for i in items] == [
        ("line 1", True),
        ("line 3", False),
        ("line 4", True),
    ]


def test_a_pretty_printed_single_file_is_one_frame() -> None:
    text = (MAINNET / "chainstack_raw_buy_tx_from_getTransaction.json").read_text()
    (item,) = split_input(text)
    assert len(decode_frame(item.value, DecodeStats())) == 2
