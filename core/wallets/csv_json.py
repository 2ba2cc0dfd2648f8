"""Wallet list files: parse and validate CSV / JSON imports, format exports. Pure, no I/O.

CSV: a header naming ``address`` and optionally ``alias`` and ``tags`` (any order); a file whose
first cell is already a Solana address is read as headerless ``address,alias,tags``. Tags are
separated by ``|`` or ``;``. JSON: a list of objects with the keys ``address``, ``alias``,
``tags`` (a list of strings, or one string separated like CSV).

Every bad row is reported with its line number (1-based, the header is line 1; for JSON the line
where the object starts) and the reason, a translatable ``Text`` whose ``str()`` is the English
text; nothing is dropped silently. Exports write the canonical
form (header ``address,alias,tags``, tags joined by ``|``, lower case, sorted by address), so
``parse(export(rows))`` gives back the same rows and exporting them again gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from solders.pubkey import Pubkey

from core.errors import Text

COLUMNS = ("address", "alias", "tags")
KNOWN_TAGS = ("kol", "smart", "whale", "sniper", "dev")
TAG_PATTERN = re.compile(r"[a-z0-9_-]{1,24}")
TAG_SEPARATORS = re.compile(r"[|;]")
ADDRESS_BYTES = 32
# The JSON parser's problems (Python's ``json`` and ours below), translatable; same English
_JSON_PROBLEMS: Mapping[str, Text] = {
    "Expecting value": Text("Expecting value"),
    "Expecting ',' delimiter": Text("Expecting ',' delimiter"),
    "Expecting ':' delimiter": Text("Expecting ':' delimiter"),
    "Expecting property name enclosed in double quotes": Text(
        "Expecting property name enclosed in double quotes"
    ),
    "Unterminated string starting at": Text("Unterminated string starting at"),
    "Invalid control character at": Text("Invalid control character at"),
    "Invalid \\escape": Text("Invalid \\escape"),
    "Invalid \\uXXXX escape": Text("Invalid \\uXXXX escape"),
    "Extra data": Text("Extra data"),
    "extra data after the list": Text("extra data after the list"),
    "expected ',' or ']'": Text("expected ',' or ']'"),
}


class FileFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class WalletRow:
    """One wallet of a list file: a valid address, an optional alias, normalised tags."""

    address: str
    alias: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: Text  # ``str()`` is the English text; a front end may translate it

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """Valid rows (with their line numbers) and every error found, in line order."""

    rows: tuple[tuple[int, WalletRow], ...]
    errors: tuple[RowError, ...]
    fatal: bool = False  # the file's structure is broken: no row can be trusted

    @property
    def wallet_rows(self) -> list[WalletRow]:
        return [row for _, row in self.rows]


class RowInvalid(ValueError):
    """A single value is invalid; ``reason`` is shown to the user (the message is its English)."""

    def __init__(self, reason: Text) -> None:
        self.reason = reason
        super().__init__(str(reason))


def address_problem(address: str) -> Text | None:
    """Why ``address`` is not a Solana address (base58 of exactly 32 bytes), None if it is."""
    if not address:
        return Text("empty address")
    shown = address if len(address) <= 60 else address[:57] + "..."
    try:
        pubkey = Pubkey.from_string(address)
    except ValueError:
        pubkey = None
    if pubkey is None or str(pubkey) != address:  # or a non-canonical spelling of 32 bytes
        return Text('"{address}" is not a Solana address (base58, 32 bytes)', address=shown)
    return None


def json_problem(message: str) -> Text | str:
    """A ``JSONDecodeError.msg`` as a translatable ``Text`` (the message itself if unknown)."""
    return _JSON_PROBLEMS.get(message, message)


def validate_address(address: str) -> str:
    address = address.strip()
    problem = address_problem(address)
    if problem is not None:
        raise RowInvalid(problem)
    return address


def normalize_tags(raw: Iterable[str]) -> tuple[str, ...]:
    """Lower-cased, de-duplicated tags in first-seen order; raises RowInvalid on a bad tag."""
    tags: list[str] = []
    for item in raw:
        tag = item.strip().lower()
        if not tag:
            continue
        if not TAG_PATTERN.fullmatch(tag):
            raise RowInvalid(
                Text('tag "{tag}" must be 1-24 characters of a-z, 0-9, _ or -', tag=item.strip())
            )
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def split_tags(text: str) -> list[str]:
    return TAG_SEPARATORS.split(text) if text.strip() else []


def normalize_alias(alias: str | None) -> str | None:
    if alias is None:
        return None
    alias = alias.strip()
    return alias or None


def _row_from_values(values: dict[str, Any]) -> WalletRow:
    address = values.get("address")
    if address is None:
        raise RowInvalid(Text("empty address"))
    if not isinstance(address, str):
        raise RowInvalid(Text("address must be a string"))
    alias = values.get("alias")
    if alias is not None and not isinstance(alias, str):
        raise RowInvalid(Text("alias must be a string"))
    tags_value = values.get("tags")
    if tags_value is None:
        raw_tags: list[str] = []
    elif isinstance(tags_value, str):
        raw_tags = split_tags(tags_value)
    elif isinstance(tags_value, list) and all(isinstance(t, str) for t in tags_value):
        raw_tags = tags_value
    else:
        raise RowInvalid(Text("tags must be a list of strings or a string separated by | or ;"))
    return WalletRow(validate_address(address), normalize_alias(alias), normalize_tags(raw_tags))


def _collect(items: Iterable[tuple[int, dict[str, Any] | RowError]]) -> ParsedFile:
    rows: list[tuple[int, WalletRow]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, item in items:
        if isinstance(item, RowError):
            errors.append(item)
            continue
        try:
            row = _row_from_values(item)
        except RowInvalid as exc:
            errors.append(RowError(line, exc.reason))
            continue
        seen = first_line.get(row.address)
        if seen is not None:
            duplicate = Text(
                "duplicate of line {line} ({address})", line=seen, address=row.address
            )
            errors.append(RowError(line, duplicate))
            continue
        first_line[row.address] = line
        rows.append((line, row))
    return ParsedFile(tuple(rows), tuple(errors))


# ---- CSV ------------------------------------------------------------------------------------


def parse_csv(text: str) -> ParsedFile:
    """Parse a CSV wallet list (see the module docstring)."""
    records = list(_csv_records(text))
    if not records:
        return ParsedFile((), ())
    first_line, first = records[0]
    if first and address_problem(first[0].strip()) is None:
        header = list(COLUMNS)
        body = records
    else:
        header = [cell.strip().lower() for cell in first]
        problems = _header_problems(header)
        if problems:
            return ParsedFile((), tuple(RowError(first_line, p) for p in problems), fatal=True)
        body = records[1:]
    return _collect(_csv_items(header, body))


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV records with the line each starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    line = 1
    for record in reader:
        start = line
        line = reader.line_num + 1
        if record and any(cell.strip() for cell in record):
            yield start, record


def _unknown_column(name: str) -> Text:
    return Text(
        'unknown column "{name}" (columns: {columns})', name=name, columns=", ".join(COLUMNS)
    )


def _header_problems(header: list[str]) -> list[Text]:
    problems = [_unknown_column(name) for name in header if name not in COLUMNS]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    problems += [Text('column "{name}" appears twice', name=name) for name in duplicated]
    if "address" not in header:
        problems.append(Text('no "address" column (header: {header})', header=", ".join(COLUMNS)))
    return problems


def _csv_items(
    header: list[str], body: list[tuple[int, list[str]]]
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    for line, record in body:
        if len(record) > len(header):
            extra = [cell for cell in record[len(header) :] if cell.strip()]
            if extra:
                yield (
                    line,
                    RowError(
                        line,
                        Text(
                            "{values} values but {n} columns ({columns}): unknown column value "
                            '"{value}"',
                            values=len(record),
                            n=len(header),
                            columns=", ".join(header),
                            value=extra[0].strip(),
                        ),
                    ),
                )
                continue
        values: dict[str, Any] = dict(zip(header, record, strict=False))
        if not str(values.get("address", "")).strip():
            yield line, RowError(line, Text("empty address"))
            continue
        yield line, values


def format_csv(rows: Iterable[WalletRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: r.address):
        writer.writerow((row.address, row.alias or "", "|".join(row.tags)))
    return out.getvalue()


# ---- JSON -----------------------------------------------------------------------------------


def parse_json(text: str) -> ParsedFile:
    """Parse a JSON wallet list: ``[{"address": ..., "alias": ..., "tags": [...]}, ...]``."""
    try:
        items = list(_json_items(text.lstrip("\ufeff")))
    except json.JSONDecodeError as exc:
        reason = Text("not valid JSON: {problem}", problem=json_problem(exc.msg))
        return ParsedFile((), (RowError(exc.lineno, reason),), fatal=True)
    except RowInvalid as exc:
        return ParsedFile((), (RowError(1, exc.reason),), fatal=True)
    return _collect(_json_rows(items))


def _json_rows(
    items: list[tuple[int, Any]],
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    for line, item in items:
        if not isinstance(item, dict):
            yield line, RowError(line, Text("expected an object with address, alias, tags"))
            continue
        unknown = [key for key in item if key not in COLUMNS]
        if unknown:
            yield line, RowError(line, _unknown_column(unknown[0]))
            continue
        yield line, item


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _json_items(text: str) -> Iterator[tuple[int, Any]]:
    """The elements of a top-level JSON array with the line each starts on."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise RowInvalid(Text("expected a JSON list of objects with address, alias, tags"))
    pos = _skip_ws(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        value, end = decoder.raw_decode(text, pos)
        yield text.count("\n", 0, pos) + 1, value
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            if _skip_ws(text, pos + 1) != len(text):
                raise json.JSONDecodeError("extra data after the list", text, pos + 1)
            return
        raise json.JSONDecodeError("expected ',' or ']'", text, pos)


def format_json(rows: Iterable[WalletRow]) -> str:
    items = [
        {"address": row.address, "alias": row.alias, "tags": list(row.tags)}
        for row in sorted(rows, key=lambda r: r.address)
    ]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# ---- either ---------------------------------------------------------------------------------


def detect_format(name: str, text: str) -> FileFormat:
    """JSON for ``*.json`` or text starting with ``[``; CSV otherwise."""
    if name.lower().endswith(".json") or text.lstrip("\ufeff \t\r\n").startswith("["):
        return FileFormat.JSON
    return FileFormat.CSV


def parse(text: str, fmt: FileFormat) -> ParsedFile:
    return parse_json(text) if fmt is FileFormat.JSON else parse_csv(text)


def format_rows(rows: Iterable[WalletRow], fmt: FileFormat) -> str:
    return format_json(rows) if fmt is FileFormat.JSON else format_csv(rows)
