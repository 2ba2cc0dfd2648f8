"""``explain_text``: the "Why 2.3x?" block of a signal (docs: /work/shared/UX.md), pure text.

Example::

    Strength 2.3 = 0.40×SmartBurst 3.0 + 0.25×Momentum 1.8 + 0.20×Liquidity 1.6 + 0.15×Risk 2.4
    SmartBurst 3.0: 9.8 SOL from 4 tracked wallets in 5m (log10(10.8) = 1.03, + 0.5×4 = 3.03, \
capped at 3)
    Momentum 1.8: 1m return +18% (z 2.1), 5m +41%, volume ×3.2
    Liquidity 1.6: 18.5k USD, 1 SOL moves price 2.1%
    Risk 2.4: −0.6 top holder 31%
    Rules fired: Smart Buy Burst (N≥3, ≥5 SOL, 5m), No Mint, No Freeze
"""

from __future__ import annotations

import math

from core.signals.signal import LIQUIDITY, MOMENTUM, RISK, SMART_BURST, Signal


def compact(x: float) -> str:
    """18_500 -> "18.5k", 1_250_000 -> "1.2M", 950 -> "950"."""
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.1f}B"
    if ax >= 1e6:
        return f"{x / 1e6:.1f}M"
    if ax >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g}m" if seconds % 60 == 0 else f"{seconds:g}s"


def _strength_line(s: Signal) -> str:
    c, w = s.components, s.weights
    return (
        f"Strength {s.strength:.1f} = {w[SMART_BURST]:.2f}×SmartBurst {c[SMART_BURST]:.1f}"
        f" + {w[MOMENTUM]:.2f}×Momentum {c[MOMENTUM]:.1f}"
        f" + {w[LIQUIDITY]:.2f}×Liquidity {c[LIQUIDITY]:.1f}"
        f" + {w[RISK]:.2f}×Risk {c[RISK]:.1f}"
    )


def _smart_line(s: Signal) -> str:
    value = s.components[SMART_BURST]
    sol = s.inputs["smart_sol"]
    n = int(s.inputs["smart_buyers"])
    k = s.inputs["smart_k"]
    window = _duration(s.inputs["smart_window_s"])
    if n == 0:
        return f"SmartBurst {value:.1f}: no tracked wallet bought in {window}"
    log_part = math.log10(sol + 1.0)
    raw = log_part + k * n
    wallets = "tracked wallet" if n == 1 else "tracked wallets"
    capped = ", capped at 3" if raw > 3.0 else ""
    return (
        f"SmartBurst {value:.1f}: {sol:.1f} SOL from {n} {wallets} in {window} "
        f"(log10({sol + 1.0:.1f}) = {log_part:.2f}, + {k:g}×{n} = {raw:.2f}{capped})"
    )


def _momentum_line(s: Signal) -> str:
    i = s.inputs
    return (
        f"Momentum {s.components[MOMENTUM]:.1f}: 1m return {i['return_1m']:+.0%} "
        f"(z {i['z_1m']:.1f}), 5m {i['return_5m']:+.0%}, volume ×{i['volume_accel']:.1f}"
    )


def _liquidity_line(s: Signal) -> str:
    i = s.inputs
    impact = i["impact_pct"]
    size = f"{i['impact_size_sol']:g} SOL"
    moves = f"{size} moves price {impact:.1f}%" if math.isfinite(impact) else "no reserves known"
    return f"Liquidity {s.components[LIQUIDITY]:.1f}: {compact(i['liquidity_usd'])} USD, {moves}"


def _risk_line(s: Signal) -> str:
    parts = [f"−{p.amount:.1f} {p.label}" for p in s.risk_penalties]
    return f"Risk {s.components[RISK]:.1f}: {', '.join(parts) if parts else 'no penalty'}"


def explain_text(signal: Signal) -> str:
    """The lines of "Why 2.3x?", joined by newlines (plain text; the bot escapes it): six, and
    one more per cluster when several smart buyers are one entity."""
    fired = ", ".join(signal.rules_fired) if signal.rules_fired else "none"
    lines = [
        _strength_line(signal),
        _smart_line(signal),
        _momentum_line(signal),
        _liquidity_line(signal),
        _risk_line(signal),
        f"Rules fired: {fired}",
    ]
    buyers = len(signal.smart_buyers)
    for _cid, members, why in signal.clusters:
        lines.append(f"Cluster: {len(members)} of {buyers} smart buyers are one entity ({why})")
    return "\n".join(lines)
