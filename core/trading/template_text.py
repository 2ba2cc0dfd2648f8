"""TP/SL templates as people type them in trading bots, and back. Pure.

    tp 50:30 100:30 sl 25 trail 20 from 30 time 24h dcain -20:0.1 dcaout 6h:25

- ``tp GAIN:SELL …``   take profits: at +GAIN % sell SELL % of the position (a ladder);
- ``sl LOSS``          stop loss at -LOSS %;
- ``trail DIST [from ACT]``  trailing stop DIST % below the peak, armed once the price reached
  +ACT %;
- ``time AFTER``       sell everything after AFTER (``90s``, ``30m``, ``24h``, ``2d``, ``1h30m``);
- ``dcain DROP:SOL …`` buy SOL more at -DROP %;
- ``dcaout AFTER:SELL …`` sell SELL % after AFTER.

Percentages take an optional ``%`` and the sign that matches their meaning (``+50``, ``-25``);
at most two decimals (whole basis points). Keywords are case-insensitive; ``dca in`` /
``dca out`` work too. A text that is only a preset's name (``safe``, ``moon``, ``scalp``) is that
preset. Every mistake is a ``TemplateTextError`` naming the token and what was expected
(``problem`` says which, for a translated message); ``render_text`` writes the canonical text
that parses back to the same template. ``describe_template`` lists the parts as data for the
chat's formatters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from core.errors import Text, UserInputError
from core.programs import LAMPORTS_PER_SOL
from core.trading.orders import BPS, DcaIn, DcaOut, LegKind, OrderTemplate, TakeProfit

_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:\d+[dhms])+$")
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_KEYWORDS = ("tp", "sl", "trail", "time", "dcain", "dcaout")
MAX_TEXT = 500
MAX_DURATION_S = 365 * 86_400
MAX_BUY_LAMPORTS = 1_000_000 * LAMPORTS_PER_SOL
_Part = TypeVar("_Part", TakeProfit, DcaIn, DcaOut)


class TemplateProblem(StrEnum):
    """What was expected where the text went wrong (the bot translates these)."""

    EMPTY = "empty"  # no order at all
    TOO_LONG = "too_long"
    UNKNOWN_WORD = "unknown_word"  # expected a keyword (tp, sl, trail, time, dcain, dcaout)
    MISSING_VALUE = "missing_value"  # a keyword with nothing after it
    REPEATED = "repeated"  # sl, trail or time twice
    PAIR = "pair"  # expected A:B
    PERCENT = "percent"  # expected a percentage (e.g. 50 or 50%, two decimals at most)
    SIGN = "sign"  # a sign that contradicts the meaning (tp -50)
    DURATION = "duration"  # expected 30m, 24h, 2d
    SOL = "sol"  # expected an amount of SOL (e.g. 0.1)
    INVALID = "invalid"  # well-formed, but the template breaks a rule (``detail`` says which)


_EXPECTED = {
    TemplateProblem.EMPTY: "at least one order, e.g. tp 50:50 sl 25",
    TemplateProblem.TOO_LONG: f"at most {MAX_TEXT} characters",
    TemplateProblem.UNKNOWN_WORD: "one of tp, sl, trail, time, dcain, dcaout or a preset",
    TemplateProblem.MISSING_VALUE: "a value after it",
    TemplateProblem.REPEATED: "it once",
    TemplateProblem.PAIR: "two values separated by ':', e.g. 50:30",
    TemplateProblem.PERCENT: "a percentage such as 50 or 12.5% (two decimals at most)",
    TemplateProblem.SIGN: "no sign, or the one that matches (tp +50, sl -25)",
    TemplateProblem.DURATION: "a duration such as 90s, 30m, 24h, 2d or 1h30m (365d at most)",
    TemplateProblem.SOL: "an amount of SOL such as 0.1 (nine decimals at most)",
    TemplateProblem.INVALID: "a valid template",
}


class TemplateTextError(UserInputError):
    """A template text we cannot read: ``token`` is the offending word, ``problem`` what was
    expected there; ``detail`` the core's reason for ``INVALID``."""

    def __init__(
        self,
        problem: TemplateProblem,
        token: str,
        cause: UserInputError | None = None,
        *,
        name_token: bool = False,
    ) -> None:
        self.problem, self.token = problem, token
        if cause is None:
            super().__init__(
                '"{token}": expected {expected}', token=token, expected=_EXPECTED[problem]
            )
        elif name_token:
            reason = Text(cause.template, **cause.params)
            super().__init__('"{token}": {reason}', token=token, reason=reason)
        else:
            super().__init__(cause.template, **cause.params)
        self.detail = str(self) if cause is not None else ""


# ---- presets -----------------------------------------------------------------------------------

PRESET_TEXTS: Mapping[str, str] = {
    "safe": "tp 50:50 100:50 sl 25",
    "moon": "tp 100:30 300:30 trail 25",
    "scalp": "tp 25:100 sl 15",
}


def presets() -> dict[str, OrderTemplate]:
    """Every preset by name, in the order they are offered."""
    return {name: parse_template(text) for name, text in PRESET_TEXTS.items()}


def preset_name(template: OrderTemplate) -> str | None:
    """The preset this template is, if any."""
    for name, found in presets().items():
        if found == template:
            return name
    return None


# ---- values ------------------------------------------------------------------------------------


def _percent_bps(token: str, part: str, signs: str) -> int:
    """``part`` ("+50%", "-12.5", "30") in bps; ``signs`` the signs allowed ("+", "-", "")."""
    text = part.strip().removesuffix("%")
    if text[:1] in "+-" and text:
        if text[0] not in signs:
            raise TemplateTextError(TemplateProblem.SIGN, token)
        text = text[1:]
    if not re.fullmatch(r"\d+(?:\.\d{1,2})?", text):
        raise TemplateTextError(TemplateProblem.PERCENT, token)
    return int(Decimal(text) * 100)


def _duration_s(token: str, part: str) -> int:
    text = part.strip().lower()
    if not _DURATION.match(text):
        raise TemplateTextError(TemplateProblem.DURATION, token)
    total = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(text))
    if not 0 < total <= MAX_DURATION_S:
        raise TemplateTextError(TemplateProblem.DURATION, token)
    return total


def _lamports(token: str, part: str) -> int:
    try:
        value = Decimal(part.strip())
    except InvalidOperation:
        raise TemplateTextError(TemplateProblem.SOL, token) from None
    lamports = value * LAMPORTS_PER_SOL if value.is_finite() else Decimal(-1)
    if not 0 < lamports <= MAX_BUY_LAMPORTS or lamports != lamports.to_integral_value():
        raise TemplateTextError(TemplateProblem.SOL, token)
    return int(lamports)


def _pair(token: str) -> tuple[str, str]:
    left, sep, right = token.partition(":")
    if not sep or not left or not right or ":" in right:
        raise TemplateTextError(TemplateProblem.PAIR, token)
    return left, right


def format_duration(seconds: int) -> str:
    """``5400`` -> ``1h30m``: the form ``parse`` reads back."""
    parts = []
    for unit, size in _UNITS.items():
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def format_percent(bps: int) -> str:
    """``1250`` -> ``12.5``."""
    text = f"{Decimal(bps) / 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_sol(lamports: int) -> str:
    text = f"{Decimal(lamports) / LAMPORTS_PER_SOL:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- parsing -----------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    words = text.replace(",", " ").split()
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        lower = word.lower()
        if lower == "dca" and i + 1 < len(words) and words[i + 1].lower() in ("in", "out"):
            out.append("dca" + words[i + 1].lower())
            i += 2
            continue
        out.append(lower.replace("_", "").replace("-", "") if _keyword(word) else word)
        i += 1
    return out


def _keyword(word: str) -> bool:
    return word.lower().replace("_", "").replace("-", "") in _KEYWORDS


def parse_template(text: str) -> OrderTemplate:
    """The template ``text`` describes, or a preset's name; ``TemplateTextError`` otherwise."""
    if len(text) > MAX_TEXT:
        raise TemplateTextError(TemplateProblem.TOO_LONG, text[:20] + "…")
    name = text.strip().lower()
    if name in PRESET_TEXTS:
        return parse_template(PRESET_TEXTS[name])
    tokens = _tokens(text)
    if not tokens:
        raise TemplateTextError(TemplateProblem.EMPTY, text.strip())
    take_profits: list[TakeProfit] = []
    dca_in: list[DcaIn] = []
    dca_out: list[DcaOut] = []
    single: dict[str, int] = {}
    activation: int | None = None
    i = 0
    while i < len(tokens):
        keyword = tokens[i]
        if keyword not in _KEYWORDS:
            raise TemplateTextError(TemplateProblem.UNKNOWN_WORD, keyword)
        values: list[str] = []
        i += 1
        while i < len(tokens) and tokens[i] not in _KEYWORDS:
            values.append(tokens[i])
            i += 1
        if not values:
            raise TemplateTextError(TemplateProblem.MISSING_VALUE, keyword)
        if keyword in ("sl", "trail", "time"):
            if keyword in single:
                raise TemplateTextError(TemplateProblem.REPEATED, keyword)
            if keyword == "trail" and len(values) >= 2 and values[1].lower() == "from":
                if len(values) == 2:
                    raise TemplateTextError(TemplateProblem.MISSING_VALUE, values[1])
                activation = _percent_bps(values[2], values[2], "+")
                values = [values[0], *values[3:]]
            if len(values) > 1:
                raise TemplateTextError(TemplateProblem.UNKNOWN_WORD, values[1])
            value = values[0]
            if keyword == "time":
                single[keyword] = _duration_s(value, value)
            else:
                single[keyword] = _percent_bps(value, value, "-")
            continue
        for value in values:
            if value.isalpha():  # a misspelt keyword, not a malformed pair
                raise TemplateTextError(TemplateProblem.UNKNOWN_WORD, value)
            left, right = _pair(value)
            if keyword == "tp":
                gain = _percent_bps(value, left, "+")
                take_profits.append(
                    _build(value, TakeProfit, gain, _percent_bps(value, right, ""))
                )
            elif keyword == "dcain":
                drop = _percent_bps(value, left, "-")
                dca_in.append(_build(value, DcaIn, drop, _lamports(value, right)))
            else:
                after = _duration_s(value, left)
                dca_out.append(_build(value, DcaOut, after, _percent_bps(value, right, "")))
    try:
        return OrderTemplate(
            take_profits=tuple(take_profits),
            stop_loss_bps=single.get("sl"),
            trailing_bps=single.get("trail"),
            trailing_activation_bps=activation,
            time_exit_s=single.get("time"),
            dca_in=tuple(dca_in),
            dca_out=tuple(dca_out),
        )
    except TemplateTextError:
        raise
    except UserInputError as exc:
        raise TemplateTextError(TemplateProblem.INVALID, text.strip(), exc) from None


def _build(token: str, kind: Callable[[int, int], _Part], a: int, b: int) -> _Part:
    try:
        return kind(a, b)
    except UserInputError as exc:
        raise TemplateTextError(TemplateProblem.INVALID, token, exc, name_token=True) from None


# ---- rendering ---------------------------------------------------------------------------------


def render_text(template: OrderTemplate) -> str:
    """The canonical text of ``template`` (``parse_template(render_text(t)) == t``)."""
    parts: list[str] = []
    if template.take_profits:
        parts.append("tp")
        parts += [
            f"{format_percent(tp.gain_bps)}:{format_percent(tp.sell_bps)}"
            for tp in template.take_profits
        ]
    if template.stop_loss_bps is not None:
        parts += ["sl", format_percent(template.stop_loss_bps)]
    if template.trailing_bps is not None:
        parts += ["trail", format_percent(template.trailing_bps)]
        if template.trailing_activation_bps is not None:
            parts += ["from", format_percent(template.trailing_activation_bps)]
    if template.time_exit_s is not None:
        parts += ["time", format_duration(template.time_exit_s)]
    if template.dca_in:
        parts.append("dcain")
        parts += [
            f"-{format_percent(d.drop_bps)}:{format_sol(d.buy_lamports)}" for d in template.dca_in
        ]
    if template.dca_out:
        parts.append("dcaout")
        parts += [
            f"{format_duration(d.after_s)}:{format_percent(d.sell_bps)}" for d in template.dca_out
        ]
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class TemplatePart:
    """One order of a template, as data for a formatter (unused fields are None)."""

    kind: LegKind
    trigger_bps: int | None = None  # gain (tp), loss (sl), distance (trail), drop (dca in)
    sell_bps: int | None = None  # share of the position sold (tp, dca out); sl/trail/time: all
    activation_bps: int | None = None  # trailing: armed from +x %
    after_s: int | None = None  # time exit, dca out
    buy_lamports: int | None = None  # dca in


def describe_template(template: OrderTemplate) -> list[TemplatePart]:
    """The template's orders in the order ``render_text`` writes them."""
    parts = [
        TemplatePart(LegKind.TAKE_PROFIT, trigger_bps=tp.gain_bps, sell_bps=tp.sell_bps)
        for tp in template.take_profits
    ]
    if template.stop_loss_bps is not None:
        parts.append(TemplatePart(LegKind.STOP_LOSS, template.stop_loss_bps, BPS))
    if template.trailing_bps is not None:
        parts.append(
            TemplatePart(
                LegKind.TRAILING_STOP,
                template.trailing_bps,
                BPS,
                activation_bps=template.trailing_activation_bps,
            )
        )
    if template.time_exit_s is not None:
        parts.append(TemplatePart(LegKind.TIME_EXIT, sell_bps=BPS, after_s=template.time_exit_s))
    parts += [
        TemplatePart(LegKind.DCA_IN, trigger_bps=d.drop_bps, buy_lamports=d.buy_lamports)
        for d in template.dca_in
    ]
    parts += [
        TemplatePart(LegKind.DCA_OUT, sell_bps=d.sell_bps, after_s=d.after_s)
        for d in template.dca_out
    ]
    return parts
