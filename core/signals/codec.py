"""``Signal`` ⇄ JSON-safe dict ⇄ Redis stream fields (``signals.out``). Pure: no I/O.

The dict is lossless: every component, weight, input, rule result, risk badge, penalty and smart
buyer comes back equal (ints stay ints, floats stay floats). Non-finite floats (an unknown price
impact is ``inf``) are not valid JSON, and PostgreSQL's ``json`` refuses them, so a number that
is ``inf`` / ``-inf`` / ``nan`` is written as the string ``"inf"`` / ``"-inf"`` / ``"nan"``; a
risk badge value, which may itself be a string, is tagged instead: ``{"float": "inf"}``.

Stream entries are flat: ``mint``, ``at``, ``strength``, ``reason``, ``sequence`` (for consumers
that only route or filter) and ``json`` with the full dict; ``signal_from_stream_fields`` reads
``json`` only. Anything malformed raises ``DecodeError`` (kind ``signal``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from core.errors import DecodeError
from core.risk.report import Check, Verdict
from core.signals.risk import Penalty, RiskBadge
from core.signals.rules import RuleKind, RuleResult
from core.signals.signal import Signal, SignalReason

FORMAT_VERSION = 1
STREAM = "signals.out"
DECODE_KIND = "signal"

Number = int | float


def _num(x: Number) -> Number | str:
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)  # "inf", "-inf", "nan"
    return x


def _unnum(v: Any, where: str) -> Number:
    if isinstance(v, bool):
        raise DecodeError(DECODE_KIND, f"{where}: expected a number, got {v!r}")
    if isinstance(v, int | float):
        return v
    if v in ("inf", "-inf", "nan"):
        return float(v)
    raise DecodeError(DECODE_KIND, f"{where}: expected a number, got {v!r}")


def _numbers(m: Mapping[str, Number]) -> dict[str, Number | str]:
    return {str(k): _num(v) for k, v in m.items()}


def _unnumbers(v: Any, where: str) -> dict[str, Number]:
    if not isinstance(v, Mapping):
        raise DecodeError(DECODE_KIND, f"{where}: expected an object, got {v!r}")
    return {str(k): _unnum(x, f"{where}.{k}") for k, x in v.items()}


def _badge_value(value: float | int | str | None) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": str(value)}
    return value


def _unbadge_value(v: Any, where: str) -> float | int | str | None:
    if isinstance(v, Mapping):
        return float(_unnum(v.get("float"), where))
    if v is None or isinstance(v, str):
        return v
    return _unnum(v, where)


def signal_to_dict(signal: Signal) -> dict[str, Any]:
    """A JSON-safe dict holding everything in ``signal`` (``json.dumps(..., allow_nan=False)``
    accepts it)."""
    return {
        "v": FORMAT_VERSION,
        "mint": signal.mint,
        "at": signal.at,
        "sequence": signal.sequence,
        "reason": signal.reason.value,
        "strength": _num(signal.strength),
        "components": _numbers(signal.components),
        "weights": _numbers(signal.weights),
        "inputs": _numbers(signal.inputs),
        "rules_fired": list(signal.rules_fired),
        "rule_results": [
            {
                "name": r.name,
                "kind": r.kind.value,
                "fired": r.fired,
                "inputs": _numbers(r.inputs),
            }
            for r in signal.rule_results
        ],
        "risk_badges": [
            {"check": b.check.value, "verdict": b.verdict.value, "value": _badge_value(b.value)}
            for b in signal.risk_badges
        ],
        "risk_penalties": [
            {"check": p.check.value, "amount": _num(p.amount), "label": p.label}
            for p in signal.risk_penalties
        ],
        "smart_buyers": [[address, _num(sol)] for address, sol in signal.smart_buyers],
        "clusters": [[cid, list(members), why] for cid, members, why in signal.clusters],
    }


def signal_from_dict(d: Mapping[str, Any]) -> Signal:
    """The ``Signal`` written by ``signal_to_dict``; raises ``DecodeError`` on a malformed dict."""
    if not isinstance(d, Mapping):
        raise DecodeError(DECODE_KIND, f"expected an object, got {type(d).__name__}")
    version = d.get("v", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise DecodeError(DECODE_KIND, f"unsupported signal format v={version!r}")
    try:
        return Signal(
            mint=_str(d["mint"], "mint"),
            at=_int(d["at"], "at"),
            sequence=_int(d["sequence"], "sequence"),
            reason=SignalReason(d["reason"]),
            strength=float(_unnum(d["strength"], "strength")),
            components=_unnumbers(d["components"], "components"),
            weights=_unnumbers(d["weights"], "weights"),
            inputs=_unnumbers(d["inputs"], "inputs"),
            rules_fired=tuple(_str(x, "rules_fired") for x in d["rules_fired"]),
            rule_results=tuple(
                RuleResult(
                    name=_str(r["name"], "rule_results.name"),
                    kind=RuleKind(r["kind"]),
                    fired=_bool(r["fired"], "rule_results.fired"),
                    inputs=_unnumbers(r["inputs"], "rule_results.inputs"),
                )
                for r in d["rule_results"]
            ),
            risk_badges=tuple(
                RiskBadge(
                    Check(b["check"]),
                    Verdict(b["verdict"]),
                    _unbadge_value(b.get("value"), "risk_badges.value"),
                )
                for b in d["risk_badges"]
            ),
            risk_penalties=tuple(
                Penalty(
                    Check(p["check"]),
                    float(_unnum(p["amount"], "risk_penalties.amount")),
                    _str(p["label"], "risk_penalties.label"),
                )
                for p in d["risk_penalties"]
            ),
            smart_buyers=tuple(
                (_str(address, "smart_buyers"), float(_unnum(sol, "smart_buyers")))
                for address, sol in d["smart_buyers"]
            ),
            clusters=tuple(  # absent in signals stored before clusters existed
                (
                    _str(cid, "clusters"),
                    tuple(_str(m, "clusters") for m in members),
                    _str(why, "clusters"),
                )
                for cid, members, why in d.get("clusters", ())
            ),
        )
    except DecodeError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise DecodeError(DECODE_KIND, f"malformed signal: {exc!r}") from exc


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise DecodeError(DECODE_KIND, f"{where}: expected a string, got {v!r}")
    return v


def _int(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise DecodeError(DECODE_KIND, f"{where}: expected an integer, got {v!r}")
    return v


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise DecodeError(DECODE_KIND, f"{where}: expected true or false, got {v!r}")
    return v


def signal_to_json(signal: Signal) -> str:
    """Compact JSON text of ``signal_to_dict`` (strict JSON: no NaN / Infinity literals)."""
    return json.dumps(signal_to_dict(signal), separators=(",", ":"), allow_nan=False)


def signal_from_json(text: str | bytes) -> Signal:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DecodeError(DECODE_KIND, f"invalid JSON: {exc}") from exc
    return signal_from_dict(data)


def signal_to_stream_fields(signal: Signal) -> dict[str, str]:
    """Flat string fields of one ``signals.out`` stream entry."""
    return {
        "mint": signal.mint,
        "at": str(signal.at),
        "strength": repr(signal.strength),
        "reason": signal.reason.value,
        "sequence": str(signal.sequence),
        "json": signal_to_json(signal),
    }


def signal_from_stream_fields(fields: Mapping[str, str | bytes]) -> Signal:
    """The ``Signal`` of a ``signals.out`` entry (from its ``json`` field)."""
    text = fields.get("json")
    if text is None:
        raise DecodeError(DECODE_KIND, "stream entry has no 'json' field")
    return signal_from_json(text)
