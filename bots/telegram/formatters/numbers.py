"""Small formatting primitives shared by the formatters: numbers, times, addresses, escaping.

Numbers use a dot as the decimal mark in every language (as traders read prices and as the
"Why" formulas are written). Negative numbers use an ASCII "-".
"""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime

from bots.telegram.i18n import Translator
from core.programs import LAMPORTS_PER_SOL

Instant = datetime | int | float  # an aware datetime, or unix seconds

_SUFFIXES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))
_TAG_RE = re.compile(r"<[^>]*>")


def esc(text: str) -> str:
    """Escape user-controlled text for Telegram HTML (``<``, ``>``, ``&``)."""
    return html.escape(text, quote=False)


def esc_attr(text: str) -> str:
    """Escape a value placed inside an HTML attribute (quotes too)."""
    return html.escape(text, quote=True)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one "…" when cut (plain text)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts message length."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(html_text: str) -> int:
    """Length Telegram counts for a message: tags removed, entities decoded, in UTF-16 code
    units (an emoji outside the BMP counts 2, so this never underestimates)."""
    return utf16_length(html.unescape(_TAG_RE.sub("", html_text)))


def _strip_zeros(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def _sig(x: float, digits: int) -> str:
    """``x`` (>= 0) to ``digits`` significant digits, fixed notation, trailing zeros removed."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(x)))
    out = f"{x:.{decimals}f}"
    # rounding may add a digit (9.99 -> 10.0): drop one decimal then
    if decimals and len(out.replace(".", "").lstrip("0")) > digits:
        out = f"{x:.{decimals - 1}f}"
    return _strip_zeros(out)


def compact(x: float) -> str:
    """3 significant digits with k / M / B: 41_200 -> "41.2k", 251_000 -> "251k",
    3_100_000 -> "3.1M", 950 -> "950", 12.5 -> "12.5", 0.25 -> "0.25", 999_999 -> "1M"."""
    if not math.isfinite(x):
        return "∞" if x > 0 else "-∞" if x < 0 else "?"
    sign = "-" if x < 0 else ""
    ax = abs(x)
    for size, suffix in _SUFFIXES:
        if ax >= size * 0.9995:  # 999_960 rounds to "1M", not "1000k"
            return f"{sign}{_sig(ax / size, 3)}{suffix}"
    shown = _sig(ax, 3)
    if float(shown) >= 1000:  # 999.7 -> 1k
        return f"{sign}1k"
    return f"{sign}{shown}"


def sol(amount_sol: float, *, signed: bool = False) -> str:
    """SOL for people: "9.8 SOL", "10.0 SOL", "312 SOL", "12.4k SOL", "0.05 SOL",
    "0.0006 SOL"; with ``signed``: "+84 SOL", "-2.5 SOL"."""
    sign = ("+" if amount_sol > 0 else "-" if amount_sol < 0 else "") if signed else ""
    if amount_sol < 0 and not signed:
        sign = "-"
    a = abs(amount_sol)
    if a >= 10_000:
        body = compact(a)
    elif a >= 99.95:
        body = f"{a:.0f}"
    elif a >= 0.095 or a == 0:
        body = f"{a:.1f}"
    else:
        body = _sig(a, 2)
    return f"{sign}{body} SOL"


def sol_from_lamports(lamports: int, *, signed: bool = False) -> str:
    """``9_800_000_000`` -> "9.8 SOL" (see ``sol``)."""
    return sol(lamports / LAMPORTS_PER_SOL, signed=signed)


def usd(amount_usd: float) -> str:
    """41_200 -> "41.2k USD"."""
    return f"{compact(amount_usd)} USD"


def percent(value_pct: float, *, signed: bool = True, decimals: int = 0) -> str:
    """A value already in percent: 18.2 -> "+18%", -5 -> "-5%", 0 -> "0%" (no sign on zero)."""
    if not math.isfinite(value_pct):
        return "?"
    body = f"{abs(value_pct):.{decimals}f}"
    zero = float(body) == 0
    sign = "-" if value_pct < 0 and not zero else "+" if signed and not zero else ""
    return f"{sign}{body}%"


def price(price_sol: float) -> str:
    """A token price with 3 significant digits, never in scientific notation:
    0.0000412 -> "0.0000412", 0.00003980 -> "0.0000398", 1.5 -> "1.5"."""
    if not math.isfinite(price_sol) or price_sol < 0:
        return "?"
    if price_sol >= 1000:
        return compact(price_sol)
    return _sig(price_sol, 3)


def to_datetime(when: Instant) -> datetime:
    if isinstance(when, datetime):
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return datetime.fromtimestamp(when, UTC)


def seconds_between(earlier: Instant, later: Instant) -> float:
    return (to_datetime(later) - to_datetime(earlier)).total_seconds()


def duration(seconds: float, _: Translator) -> str:
    """A short duration: "35s", "4m", "3h", "2d" (FR "35 s", "4 min", "3 h", "2 j").
    Rounded down: 119 s is "1m"."""
    s = max(0, int(seconds))
    if s < 60:
        return _("{n}s").format(n=s)
    if s < 3600:
        return _("{n}m").format(n=s // 60)
    if s < 86_400:
        return _("{n}h").format(n=s // 3600)
    return _("{n}d").format(n=s // 86_400)


def ago(when: Instant, now: Instant, _: Translator) -> str:
    """ "2m ago" / "il y a 2 min"; under 5 s (or in the future): "just now" / "à l'instant"."""
    seconds = seconds_between(when, now)
    if seconds < 5:
        return _("just now")
    return _("{duration} ago").format(duration=duration(seconds, _))


def age(created: Instant, now: Instant, _: Translator) -> str:
    """A token's age: "4m old" / "créé il y a 4 min"; "new" / "nouveau" under 5 s."""
    seconds = seconds_between(created, now)
    if seconds < 5:
        return _("new")
    return _("{duration} old").format(duration=duration(seconds, _))


def short_address(address: str) -> str:
    """ "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU" -> "7xKX…gAsU" (short ones unchanged)."""
    return address if len(address) <= 10 else f"{address[:4]}…{address[-4:]}"


def code_address(address: str, *, short: bool = True) -> str:
    """An address in ``<code>`` (tap to copy): short by default, whole with ``short=False``."""
    return f"<code>{esc(short_address(address) if short else address)}</code>"
