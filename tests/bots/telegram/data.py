"""Hand-made data for the formatter tests: the UX.md example (PEPE2 · Pepe Two, 2.3x)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bots.telegram.formatters.card import CardView, SmartBuy
from core.risk.report import Check, Verdict
from core.signals.activity import ActivityPage, ActivityRow, ActivityTotals, Side
from core.signals.risk import Penalty, RiskBadge
from core.signals.rules import RuleKind, RuleResult
from core.signals.signal import Signal, SignalReason
from core.storage.models import ListKind
from core.wallets.registry import RankedWallet, WalletEntry
from core.wallets.stats import WalletStats

NOW = datetime(2025, 8, 6, 12, 10, tzinfo=UTC)
MINT = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJospump"
WHALE1 = "2vr5nQYxWcZ8e3TJhR7fD9mKpLs4uVbA1qEoXy6gBkef"
KOL_ANA = "9QkLmN3pRsT5uVwX7yZa1bC2dE4fG6hJ8kMnPqRsKoLa"
W3 = "5FhJk2LmNpQrStUvWxYz3a4b5c6d7e8f9g1h2i3j4k5m"
W4 = "8GtRe3WqAzXsCdVfBgNhMjUkIlOp1q2w3e4r5t6y7u8i"


def ux_signal(**changes: object) -> Signal:
    fields: dict[str, object] = dict(
        mint=MINT,
        at=int(NOW.timestamp()),
        sequence=1,
        reason=SignalReason.FIRST,
        strength=2.33,
        components={"smart_burst": 3.0, "momentum": 1.8, "liquidity": 1.6, "risk": 2.4},
        weights={"smart_burst": 0.40, "momentum": 0.25, "liquidity": 0.20, "risk": 0.15},
        inputs={
            "smart_sol": 9.8,
            "smart_buyers": 4,
            "smart_window_s": 300,
            "smart_k": 0.5,
            "return_1m": 0.18,
            "z_1m": 2.1,
            "return_5m": 0.41,
            "volume_accel": 3.2,
            "liquidity_usd": 18_500,
            "impact_pct": 2.1,
            "impact_size_sol": 1,
            "price_sol": 0.0000412,
        },
        rules_fired=("Smart Buy Burst (N≥3, ≥5 SOL, 5m)", "No Mint", "No Freeze"),
        rule_results=(RuleResult("No Mint", RuleKind.NO_MINT, True, {}),),
        risk_badges=(
            RiskBadge(Check.MINT_AUTHORITY, Verdict.PASS),
            RiskBadge(Check.FREEZE_AUTHORITY, Verdict.PASS),
            RiskBadge(Check.TOP10, Verdict.FAIL, 38.0),
            RiskBadge(Check.TOP_HOLDER, Verdict.PASS, 12.0),
            RiskBadge(Check.HONEYPOT, Verdict.PASS),
        ),
        risk_penalties=(Penalty(Check.TOP_HOLDER, 0.6, "top holder 31%"),),
        smart_buyers=((WHALE1, 5.0), (KOL_ANA, 2.5), (W3, 1.3), (W4, 1.0)),
    )
    fields.update(changes)
    return Signal(**fields)  # type: ignore[arg-type]


def ux_card(**changes: object) -> CardView:
    fields: dict[str, object] = dict(
        signal=ux_signal(),
        symbol="PEPE2",
        name="Pepe Two",
        created_at=NOW - timedelta(minutes=4, seconds=10),
        market_cap_usd=41_200,
        price_sol=0.0000412,
        liquidity_usd=18_500,
        curve_progress_pct=62.4,
        volume_5m_sol=12.1,
        smart_buys=(
            SmartBuy(WHALE1, 5.0, NOW - timedelta(minutes=3), "whale1"),
            SmartBuy(KOL_ANA, 2.5, NOW - timedelta(minutes=2), "kol_ana"),
            SmartBuy(W3, 1.3, NOW - timedelta(minutes=1)),
            SmartBuy(W4, 1.0, NOW - timedelta(seconds=30)),
        ),
        narrative="Launched 4m ago; buying accelerated after three tracked wallets entered.",
    )
    fields.update(changes)
    return CardView(**fields)  # type: ignore[arg-type]


def activity_row(
    minute: int,
    wallet: str,
    alias: str | None,
    tags: tuple[str, ...],
    side: Side,
    price_sol: float,
    mc_sol: float | None,
    tokens: float,
    sol: float,
    symbol: str | None = "PEPE2",
) -> ActivityRow:
    return ActivityRow(
        time=NOW.replace(minute=minute),
        wallet=wallet,
        alias=alias,
        tags=tags,
        side=side,
        price_sol=price_sol,
        market_cap_sol=mc_sol,
        token_amount_raw=int(tokens * 1e6),
        sol_lamports=int(sol * 1e9),
        mint=MINT,
        symbol=symbol,
        decimals=6,
        signature="sig",
    )


def ux_page(rows: tuple[ActivityRow, ...] | None = None, mint: str | None = MINT) -> ActivityPage:
    if rows is None:
        rows = (
            activity_row(4, WHALE1, "whale1", ("whale",), Side.BUY, 0.0000398, 398, 251_000, 10),
            activity_row(3, KOL_ANA, "kol_ana", ("kol",), Side.BUY, 0.0000371, 371, 80_900, 3),
            activity_row(1, W3, None, (), Side.SELL, 0.0000355, 355, 40_000, 1.5),
        )
    buys = sum(r.sol_lamports for r in rows if r.side is Side.BUY)
    sells = sum(r.sol_lamports for r in rows if r.side is Side.SELL)
    wallets = len({r.wallet for r in rows})
    buyers = len({r.wallet for r in rows if r.side is Side.BUY})
    return ActivityPage(
        rows=rows,
        totals=ActivityTotals(buys, sells, wallets, buyers, len(rows)),
        since=NOW - timedelta(minutes=10),
        until=NOW,
        window_s=600,
        offset=0,
        limit=10,
        mint=mint,
        tags=None,
    )


def ranked(
    address: str,
    alias: str | None,
    *,
    balance_sol: float | None,
    pnl_sol: float,
    hit: float | None,
    watchers: int,
) -> RankedWallet:
    entry = WalletEntry(address, alias, (), ListKind.MINE, watchers)
    stats = WalletStats(
        address=address,
        realized_pnl_lamports=int(pnl_sol * 1e9),
        unrealized_pnl_lamports=0,
        hit_rate={7: None, 30: hit, 90: hit},
        closed_positions=10,
        open_positions=1,
        avg_buy_lamports=None,
        median_holding_s=None,
        trade_count=20,
        balance_lamports=int(balance_sol * 1e9) if balance_sol is not None else None,
    )
    return RankedWallet(entry, stats)
