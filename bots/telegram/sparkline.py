"""A small PNG line chart of a price series (the signal card's picture), with no image library.

``sparkline_png(prices)`` draws the series left to right on a white background: a 3-pixel line,
green when the last price is at or above the first and red otherwise, a pale fill under it and a
dotted grey line at the first price. The PNG is 8-bit RGB, one IDAT chunk, filter 0 on each row,
written with ``zlib`` and ``struct``. Pure: the same prices give the same bytes.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Sequence

WIDTH = 600
HEIGHT = 200
PADDING = 12
LINE_RADIUS = 1.5  # pixels within this distance of the line are painted: a 3-pixel stroke
MIN_SIZE, MAX_SIZE = 32, 2000

Rgb = tuple[int, int, int]
BACKGROUND: Rgb = (255, 255, 255)
UP: Rgb = (22, 163, 74)
DOWN: Rgb = (220, 38, 38)
GUIDE: Rgb = (190, 190, 190)
FILL_ALPHA = 0.14
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def line_colour(prices: Sequence[float]) -> Rgb:
    """Green when the last price is at or above the first, red otherwise."""
    return UP if prices[-1] >= prices[0] else DOWN


def _tint(colour: Rgb, alpha: float) -> Rgb:
    r, g, b = (round(c * alpha + 255 * (1 - alpha)) for c in colour)
    return (r, g, b)


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(BACKGROUND) * (width * height))

    def set(self, x: int, y: int, colour: Rgb) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = 3 * (y * self.width + x)
            self.pixels[i : i + 3] = bytes(colour)

    def column(self, x: int, top: int, colour: Rgb) -> None:
        """Paint column ``x`` from row ``top`` down to the bottom."""
        top = max(0, top)
        if not 0 <= x < self.width or top >= self.height:
            return
        count = self.height - top
        stride = 3 * self.width
        start = 3 * (top * self.width + x)
        for channel, value in enumerate(colour):
            self.pixels[start + channel :: stride] = bytes([value]) * count

    def png(self) -> bytes:
        stride = 3 * self.width
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * stride : (y + 1) * stride]) for y in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            PNG_SIGNATURE
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def points(
    prices: Sequence[float], width: int = WIDTH, height: int = HEIGHT
) -> list[tuple[float, float]]:
    """Pixel coordinates of the prices: evenly spaced, highest at the top; a flat series sits
    in the middle."""
    low, high = min(prices), max(prices)
    span_x = (width - 1 - 2 * PADDING) / (len(prices) - 1)
    inner_h = height - 1 - 2 * PADDING
    out = []
    for i, p in enumerate(prices):
        y = (height - 1) / 2 if high == low else PADDING + (high - p) / (high - low) * inner_h
        out.append((PADDING + i * span_x, y))
    return out


def sparkline_png(prices: Sequence[float], *, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """The chart as PNG bytes. Non-finite prices are skipped; at least two must remain."""
    series = [float(p) for p in prices if math.isfinite(p)]
    if len(series) < 2:
        raise ValueError(f"a sparkline needs at least 2 finite prices, got {len(series)}")
    if not (MIN_SIZE <= width <= MAX_SIZE and MIN_SIZE <= height <= MAX_SIZE):
        raise ValueError(f"width and height must be {MIN_SIZE}-{MAX_SIZE} pixels")
    colour = line_colour(series)
    canvas = _Canvas(width, height)
    xy = points(series, width, height)

    # Pale area under the line, column by column.
    fill = _tint(colour, FILL_ALPHA)
    for (x0, y0), (x1, y1) in itertools.pairwise(xy):
        for x in range(math.ceil(x0), math.floor(x1) + 1):
            y = y0 + (y1 - y0) * ((x - x0) / (x1 - x0) if x1 != x0 else 0.0)
            canvas.column(x, math.ceil(y), fill)

    # Dotted guide at the first price.
    guide_y = round(xy[0][1])
    for x in range(0, width, 6):
        for dx in range(3):
            canvas.set(x + dx, guide_y, GUIDE)

    # The line: every pixel within LINE_RADIUS of a point taken each pixel along it.
    stroke: set[tuple[int, int]] = set()
    reach = math.ceil(LINE_RADIUS)
    r2 = LINE_RADIUS * LINE_RADIUS
    for (x0, y0), (x1, y1) in itertools.pairwise(xy):
        steps = max(1, math.ceil(max(abs(x1 - x0), abs(y1 - y0))))
        for step in range(steps + 1):
            t = step / steps
            cx, cy = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            bx, by = round(cx), round(cy)
            for y in range(by - reach, by + reach + 1):
                for x in range(bx - reach, bx + reach + 1):
                    if (x - cx) ** 2 + (y - cy) ** 2 <= r2:
                        stroke.add((x, y))
    for x, y in stroke:
        canvas.set(x, y, colour)
    return canvas.png()
