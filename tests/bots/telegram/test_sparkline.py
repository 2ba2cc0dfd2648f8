"""The sparkline PNG, read back by an independent minimal decoder: structure, CRCs, size, and
the line's pixels where the prices put them, green when up and red when down."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import pytest

from bots.telegram.sparkline import DOWN, HEIGHT, PADDING, UP, WIDTH, sparkline_png

Rgb = tuple[int, int, int]


@dataclass
class Image:
    width: int
    height: int
    rows: list[bytes]
    chunk_kinds: list[bytes]

    def pixel(self, x: int, y: int) -> Rgb:
        r, g, b = self.rows[y][3 * x : 3 * x + 3]
        return (r, g, b)

    def column_has(self, x: int, colour: Rgb) -> list[int]:
        return [y for y in range(self.height) if self.pixel(x, y) == colour]


def decode(png: bytes) -> Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, idat = 8, [], b""
    header = b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + data), f"bad CRC in {kind!r}"
        kinds.append(kind)
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    assert pos == len(png)
    width, height, depth, colour_type, _c, _f, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, colour_type, interlace) == (8, 2, 0)  # 8-bit RGB, not interlaced
    raw = zlib.decompress(idat)
    stride = 3 * width
    assert len(raw) == height * (stride + 1)
    rows = []
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        assert line[0] == 0  # filter "None"
        rows.append(line[1:])
    return Image(width, height, rows, kinds)


def test_the_png_is_well_formed_at_the_default_size() -> None:
    image = decode(sparkline_png([1.0, 2.0, 1.5]))
    assert (image.width, image.height) == (WIDTH, HEIGHT) == (600, 200)
    assert image.chunk_kinds == [b"IHDR", b"IDAT", b"IEND"]


def test_a_rising_series_draws_a_green_line_from_bottom_left_to_top_right() -> None:
    image = decode(sparkline_png([1.0, 2.0, 3.0], width=200, height=100))
    left, right = PADDING, 200 - 1 - PADDING
    bottom, top = 100 - 1 - PADDING, PADDING
    assert image.pixel(left, bottom) == UP
    assert image.pixel(right, top) == UP
    middle = image.column_has(100, UP)  # the middle price sits half-way up
    assert middle and min(middle) <= 50 <= max(middle)
    assert DOWN not in {image.pixel(x, y) for x in range(200) for y in range(100)}


def test_a_falling_series_is_red_and_its_lowest_price_is_at_the_bottom() -> None:
    image = decode(sparkline_png([5.0, 4.0, 6.0, 1.0], width=300, height=120))
    assert image.pixel(PADDING, round(PADDING + (6 - 5) / 5 * (120 - 1 - 2 * PADDING))) == DOWN
    assert image.pixel(300 - 1 - PADDING, 120 - 1 - PADDING) == DOWN
    # the highest price (third point) touches the top padding line
    third_x = round(PADDING + 2 * (300 - 1 - 2 * PADDING) / 3)
    assert PADDING in image.column_has(third_x, DOWN)
    assert UP not in {image.pixel(x, y) for x in range(300) for y in range(120)}


def test_a_flat_series_is_a_green_line_across_the_middle() -> None:
    image = decode(sparkline_png([2.0, 2.0, 2.0, 2.0], width=100, height=60))
    for x in (PADDING, 50, 100 - 1 - PADDING):
        rows = image.column_has(x, UP)
        assert rows and min(rows) <= 30 <= max(rows)


def test_non_finite_prices_are_skipped_and_fewer_than_two_are_refused() -> None:
    assert sparkline_png([1.0, float("nan"), 2.0]) == sparkline_png([1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2 finite prices"):
        sparkline_png([1.0, float("inf")])
    with pytest.raises(ValueError, match="width and height"):
        sparkline_png([1.0, 2.0], width=5)
