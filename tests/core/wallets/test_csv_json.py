from __future__ import annotations

import json

from core.wallets.csv_json import (
    FileFormat,
    WalletRow,
    detect_format,
    format_csv,
    format_json,
    parse_csv,
    parse_json,
)
from tests.core.wallets.factories import address

A, B, C = address(1), address(2), address(3)


def test_csv_with_header_reads_alias_and_tags_split_by_pipe_or_semicolon() -> None:
    parsed = parse_csv(f"address,alias,tags\n{A},whale1,KOL|whale\n{B},,smart;Sniper\n{C}\n")
    assert parsed.errors == ()
    assert parsed.wallet_rows == [
        WalletRow(A, "whale1", ("kol", "whale")),
        WalletRow(B, None, ("smart", "sniper")),
        WalletRow(C, None, ()),
    ]


def test_csv_without_header_is_read_as_address_alias_tags() -> None:
    parsed = parse_csv(f"{A},w1,dev\n")
    assert parsed.wallet_rows == [WalletRow(A, "w1", ("dev",))]


def test_every_bad_csv_line_is_reported_with_its_number_and_reason() -> None:
    text = "\n".join(
        [
            "address,alias,tags",  # 1
            f"{A},ok,kol",  # 2
            "abc,bad,kol",  # 3: not base58 of 32 bytes
            "1111,short,",  # 4: valid base58, wrong length
            f"{A},again,",  # 5: duplicate of line 2
            ",noaddress,",  # 6: empty address
            f"{B},badtag,Big Whale!",  # 7: tag
            f"{C},x,kol,extra",  # 8: value beyond the columns
        ]
    )
    parsed = parse_csv(text)
    assert [str(e) for e in parsed.errors] == [
        'line 3: "abc" is not a Solana address (base58, 32 bytes)',
        'line 4: "1111" is not a Solana address (base58, 32 bytes)',
        f"line 5: duplicate of line 2 ({A})",
        "line 6: empty address",
        'line 7: tag "Big Whale!" must be 1-24 characters of a-z, 0-9, _ or -',
        'line 8: 4 values but 3 columns (address, alias, tags): unknown column value "extra"',
    ]
    assert parsed.wallet_rows == [WalletRow(A, "ok", ("kol",))]


def test_an_unknown_csv_column_breaks_the_whole_file() -> None:
    parsed = parse_csv(f"address,nickname\n{A},x\n")
    assert parsed.fatal
    assert [str(e) for e in parsed.errors] == [
        'line 1: unknown column "nickname" (columns: address, alias, tags)'
    ]


def test_json_rows_report_the_line_where_each_object_starts() -> None:
    text = (
        "[\n"
        f'  {{"address": "{A}", "alias": "w1", "tags": ["kol"]}},\n'
        '  {"address": "abc"},\n'
        f'  {{"address": "{B}", "colour": "red"}},\n'
        f'  {{"address": "{C}", "tags": "smart|dev"}}\n'
        "]\n"
    )
    parsed = parse_json(text)
    assert [str(e) for e in parsed.errors] == [
        'line 3: "abc" is not a Solana address (base58, 32 bytes)',
        'line 4: unknown column "colour" (columns: address, alias, tags)',
    ]
    assert parsed.wallet_rows == [
        WalletRow(A, "w1", ("kol",)),
        WalletRow(C, None, ("smart", "dev")),
    ]


def test_invalid_json_is_a_fatal_error_with_its_line() -> None:
    parsed = parse_json(f'[\n{{"address": "{A}"}},\n{{oops}}\n]')
    assert parsed.fatal
    assert parsed.errors[0].line == 3


def test_exports_read_back_to_the_same_rows_and_bytes() -> None:
    rows = [
        WalletRow(B, 'quote "me", ok', ("kol", "whale")),
        WalletRow(A, None, ()),
        WalletRow(C, "ünïcode", ("dev",)),
    ]
    csv_text = format_csv(rows)
    assert csv_text.splitlines()[0] == "address,alias,tags"
    assert parse_csv(csv_text).wallet_rows == sorted(rows, key=lambda r: r.address)
    assert format_csv(parse_csv(csv_text).wallet_rows) == csv_text
    json_text = format_json(rows)
    assert json.loads(json_text)[0].keys() == {"address", "alias", "tags"}
    assert parse_json(json_text).wallet_rows == sorted(rows, key=lambda r: r.address)
    assert format_json(parse_json(json_text).wallet_rows) == json_text


def test_format_is_detected_from_the_name_or_the_first_character() -> None:
    assert detect_format("list.json", "") is FileFormat.JSON
    assert detect_format("list.txt", "  [") is FileFormat.JSON
    assert detect_format("list.csv", "address\n") is FileFormat.CSV
