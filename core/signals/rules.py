"""Signal rules: stored as JSON objects, validated with a message naming the field and its range.

A rule is ``{"kind": ..., <its fields>, "name"?: str, "required"?: bool}``. Kinds, fields
(allowed range) and when each fires:

- ``push_time``: window_min (1-15), min_net_sol_per_min (0-10000). Net buy intensity: (SOL in -
  SOL out) over the window, per minute, >= the threshold.
- ``smart_buy_burst``: min_wallets (1-100), min_sol (0-100000), window_min (1-15), tags (list of
  strings, empty = any tracked wallet). At least N tracked wallets having one of the tags bought,
  together >= M SOL, within the window.
- ``top10``: max_pct (0-100). The RiskReport TOP10 value (% held by the 10 largest) < X.
- ``no_mint`` / ``no_freeze``: the mint / freeze authority check is PASS.
- ``lp_burnt``: the token is still on its bonding curve, or the LP_BURNT check is PASS.
- ``min_liquidity``: min_usd (0-1e9). Liquidity (both sides, USD) >= X.
- ``max_price_impact``: max_pct (0-100), size_sol (0.001-1000, default 1). A buy of that size
  moves the price by <= X %.

``required: true`` makes a rule a gate: the engine emits no signal for a mint until it fires.
A filter on a risk check whose verdict is UNKNOWN (or missing) never fires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.errors import Text, UserInputError
from core.programs import LAMPORTS_PER_SOL
from core.risk.report import Check, RiskReport, Verdict
from core.signals.windows import MintWindows


class RuleError(UserInputError):
    """A rule or a signal parameter is invalid: ``field`` names it, ``allowed`` its range."""

    def __init__(self, field: str, problem: str | Text, allowed: str | Text) -> None:
        self.field = field
        self.problem = str(problem)
        self.allowed = str(allowed)
        super().__init__(
            "{field}: {problem} (allowed: {allowed})",
            field=field,
            problem=problem,
            allowed=allowed,
        )


class RuleKind(StrEnum):
    PUSH_TIME = "push_time"
    SMART_BUY_BURST = "smart_buy_burst"
    TOP10 = "top10"
    NO_MINT = "no_mint"
    NO_FREEZE = "no_freeze"
    LP_BURNT = "lp_burnt"
    MIN_LIQUIDITY = "min_liquidity"
    MAX_PRICE_IMPACT = "max_price_impact"


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule may look at for one mint, at ``now``."""

    now: int
    windows: MintWindows
    smart_wallets: Mapping[str, frozenset[str]]
    risk: RiskReport | None
    on_curve: bool
    liquidity_usd: float
    price_impact_pct: Callable[[int], float]  # lamports spent -> impact %, inf if unknown


@dataclass(frozen=True, slots=True)
class RuleResult:
    name: str
    kind: RuleKind
    fired: bool
    inputs: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated rule. ``args`` holds its kind's fields (numbers; ``tags`` a tuple)."""

    kind: RuleKind
    args: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    required: bool = False

    @property
    def label(self) -> str:
        return self.name or _default_label(self.kind, self.args)

    @property
    def window_s(self) -> int | None:
        """The sliding window this rule reads from the mint's aggregates, if any."""
        if self.kind is RuleKind.PUSH_TIME:
            return int(self.args["window_min"]) * 60
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value}
        for key, value in self.args.items():
            out[key] = list(value) if isinstance(value, tuple) else value
        if self.name:
            out["name"] = self.name
        if self.required:
            out["required"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "rule") -> Rule:
        if not isinstance(data, Mapping):
            raise RuleError(
                where,
                Text("must be a JSON object, got {type}", type=type(data).__name__),
                "{...}",
            )
        kinds = ", ".join(k.value for k in RuleKind)
        try:
            kind = RuleKind(str(data.get("kind")))
        except ValueError:
            raise RuleError(
                f"{where}.kind", Text("unknown kind {kind}", kind=repr(data.get("kind"))), kinds
            ) from None
        spec = _FIELDS[kind]
        extra = set(data) - set(spec) - {"kind", "name", "required"}
        if extra:
            allowed = ", ".join(sorted(set(spec) | {"kind", "name", "required"}))
            raise RuleError(f"{where}.{sorted(extra)[0]}", Text("unknown field"), allowed)
        args: dict[str, Any] = {}
        for key, (lo, hi, is_int, default) in spec.items():
            if key == "tags":
                args[key] = _tags(data.get(key, ()), f"{where}.tags")
                continue
            value = data.get(key, default)
            if value is None:
                raise RuleError(f"{where}.{key}", Text("is required"), _range(lo, hi, is_int))
            args[key] = _number(value, f"{where}.{key}", lo, hi, is_int)
        name = data.get("name", "")
        if not isinstance(name, str) or len(name) > 80:
            raise RuleError(
                f"{where}.name", Text("must be a string"), Text("at most 80 characters")
            )
        required = data.get("required", False)
        if not isinstance(required, bool):
            raise RuleError(
                f"{where}.required",
                Text("must be true or false, got {value}", value=repr(required)),
                "bool",
            )
        return cls(kind, args, name, required)

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        fired, inputs = _EVALUATORS[self.kind](self.args, ctx)
        return RuleResult(self.label, self.kind, fired, inputs)


# field -> (low, high, integer?, default or None when required)
_Spec = dict[str, tuple[float, float, bool, Any]]
_FIELDS: dict[RuleKind, _Spec] = {
    RuleKind.PUSH_TIME: {
        "window_min": (1, 15, True, None),
        "min_net_sol_per_min": (0, 10_000, False, None),
    },
    RuleKind.SMART_BUY_BURST: {
        "min_wallets": (1, 100, True, None),
        "min_sol": (0, 100_000, False, None),
        "window_min": (1, 15, True, None),
        "tags": (0, 0, False, ()),
    },
    RuleKind.TOP10: {"max_pct": (0, 100, False, None)},
    RuleKind.NO_MINT: {},
    RuleKind.NO_FREEZE: {},
    RuleKind.LP_BURNT: {},
    RuleKind.MIN_LIQUIDITY: {"min_usd": (0, 1e9, False, None)},
    RuleKind.MAX_PRICE_IMPACT: {
        "max_pct": (0, 100, False, None),
        "size_sol": (0.001, 1000, False, 1.0),
    },
}


def _range(lo: float, hi: float, is_int: bool) -> Text:
    if is_int:
        return Text("integer {lo}-{hi}", lo=f"{lo:g}", hi=f"{hi:g}")
    return Text("number {lo}-{hi}", lo=f"{lo:g}", hi=f"{hi:g}")


def _number(value: Any, where: str, lo: float, hi: float, is_int: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(
            where, Text("must be a number, got {value}", value=repr(value)), _range(lo, hi, is_int)
        )
    if not lo <= value <= hi:  # also rejects NaN
        raise RuleError(
            where, Text("{value} is out of range", value=repr(value)), _range(lo, hi, is_int)
        )
    if is_int and value != int(value):
        raise RuleError(
            where,
            Text("must be a whole number, got {value}", value=repr(value)),
            _range(lo, hi, is_int),
        )
    return int(value) if is_int else float(value)


def _tags(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise RuleError(
            where,
            Text("must be a list of tags, got {value}", value=repr(value)),
            '["kol", "smart"]',
        )
    if not all(isinstance(t, str) and t for t in value):
        raise RuleError(where, Text("every tag must be a non-empty string"), '["kol", "smart"]')
    return tuple(sorted(set(value)))


def _sol(value: float) -> str:
    return f"{value:g}"


def _default_label(kind: RuleKind, a: Mapping[str, Any]) -> str:
    if kind is RuleKind.PUSH_TIME:
        return f"Push Time (≥{_sol(a['min_net_sol_per_min'])} SOL/min net, {a['window_min']}m)"
    if kind is RuleKind.SMART_BUY_BURST:
        tags = f", {'/'.join(a['tags'])}" if a["tags"] else ""
        return (
            f"Smart Buy Burst (N≥{a['min_wallets']}, ≥{_sol(a['min_sol'])} SOL, "
            f"{a['window_min']}m{tags})"
        )
    if kind is RuleKind.TOP10:
        return f"Top10 <{_sol(a['max_pct'])}%"
    if kind is RuleKind.MIN_LIQUIDITY:
        return f"Liquidity ≥{_sol(a['min_usd'])} USD"
    if kind is RuleKind.MAX_PRICE_IMPACT:
        return f"Impact ≤{_sol(a['max_pct'])}% for {_sol(a['size_sol'])} SOL"
    return {RuleKind.NO_MINT: "No Mint", RuleKind.NO_FREEZE: "No Freeze"}.get(kind, "LP Burnt")


_Eval = tuple[bool, dict[str, float]]


def _push_time(a: Mapping[str, Any], ctx: RuleContext) -> _Eval:
    window_s = int(a["window_min"]) * 60
    net_sol = ctx.windows.net_flow_lamports(window_s) / LAMPORTS_PER_SOL
    per_min = net_sol / a["window_min"]
    return per_min >= a["min_net_sol_per_min"], {
        "net_flow_sol": net_sol,
        "net_sol_per_min": per_min,
        "window_min": a["window_min"],
        "threshold_sol_per_min": a["min_net_sol_per_min"],
    }


def _smart_buy_burst(a: Mapping[str, Any], ctx: RuleContext) -> _Eval:
    tags = frozenset(a["tags"])
    wallets: set[str] = set()
    lamports = 0
    for wallet, amount in ctx.windows.smart_buys(int(a["window_min"]) * 60):
        wallet_tags = ctx.smart_wallets.get(wallet)
        if wallet_tags is None or (tags and not tags & wallet_tags):
            continue
        wallets.add(wallet)
        lamports += amount
    sol = lamports / LAMPORTS_PER_SOL
    fired = len(wallets) >= a["min_wallets"] and sol >= a["min_sol"]
    return fired, {
        "wallets": len(wallets),
        "sol": sol,
        "min_wallets": a["min_wallets"],
        "min_sol": a["min_sol"],
        "window_min": a["window_min"],
    }


def _verdict(ctx: RuleContext, check: Check) -> tuple[Verdict, Any]:
    if ctx.risk is None:
        return Verdict.UNKNOWN, None
    result = ctx.risk.get(check)
    return result.verdict, result.value


_VERDICT_CODE = {Verdict.PASS: 1.0, Verdict.FAIL: 0.0, Verdict.UNKNOWN: -1.0}


def _top10(a: Mapping[str, Any], ctx: RuleContext) -> _Eval:
    verdict, value = _verdict(ctx, Check.TOP10)
    known = verdict is not Verdict.UNKNOWN and isinstance(value, int | float)
    fired = known and float(value) < a["max_pct"]
    inputs = {"verdict": _VERDICT_CODE[verdict], "max_pct": a["max_pct"]}
    if known:
        inputs["top10_pct"] = float(value)
    return fired, inputs


def _passes(check: Check) -> Callable[[Mapping[str, Any], RuleContext], _Eval]:
    def evaluate(a: Mapping[str, Any], ctx: RuleContext) -> _Eval:
        verdict, _ = _verdict(ctx, check)
        return verdict is Verdict.PASS, {"verdict": _VERDICT_CODE[verdict]}

    return evaluate


def _lp_burnt(a: Mapping[str, Any], ctx: RuleContext) -> _Eval:
    verdict, _ = _verdict(ctx, Check.LP_BURNT)
    fired = ctx.on_curve or verdict is Verdict.PASS
    return fired, {"on_curve": 1.0 if ctx.on_curve else 0.0, "verdict": _VERDICT_CODE[verdict]}


def _min_liquidity(a: Mapping[str, Any], ctx: RuleContext) -> _Eval:
    fired = ctx.liquidity_usd >= a["min_usd"]
    return fired, {"liquidity_usd": ctx.liquidity_usd, "min_usd": a["min_usd"]}


def _max_price_impact(a: Mapping[str, Any], ctx: RuleContext) -> _Eval:
    impact = ctx.price_impact_pct(round(a["size_sol"] * LAMPORTS_PER_SOL))
    fired = impact <= a["max_pct"]
    return fired, {"impact_pct": impact, "max_pct": a["max_pct"], "size_sol": a["size_sol"]}


_EVALUATORS: dict[RuleKind, Callable[[Mapping[str, Any], RuleContext], _Eval]] = {
    RuleKind.PUSH_TIME: _push_time,
    RuleKind.SMART_BUY_BURST: _smart_buy_burst,
    RuleKind.TOP10: _top10,
    RuleKind.NO_MINT: _passes(Check.MINT_AUTHORITY),
    RuleKind.NO_FREEZE: _passes(Check.FREEZE_AUTHORITY),
    RuleKind.LP_BURNT: _lp_burnt,
    RuleKind.MIN_LIQUIDITY: _min_liquidity,
    RuleKind.MAX_PRICE_IMPACT: _max_price_impact,
}


def evaluate_rules(rules: tuple[Rule, ...], ctx: RuleContext) -> tuple[RuleResult, ...]:
    return tuple(rule.evaluate(ctx) for rule in rules)
