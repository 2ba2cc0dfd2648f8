"""Builders of signal-engine inputs: trades, launches, pools, risk reports."""

from __future__ import annotations

from itertools import count
from typing import Any

from core.market import curve
from core.programs import LAMPORTS_PER_SOL, WSOL_MINT, Program
from core.risk.report import Check, CheckResult, RiskReport, Verdict
from core.storage.records import MintRecord, PoolRecord, TradeRecord

T0 = 1_754_000_000
MINT = "PepeTwo1111111111111111111111111111111pump"
CREATOR = "Creator111111111111111111111111111111111111"
SOL = LAMPORTS_PER_SOL

_sig = count()


def trade(
    *,
    t: int = T0,
    trader: str = "crowd1",
    buy: bool = True,
    sol: float = 1.0,
    price: float = 1e-7,
    mint: str = MINT,
    vsol: int | None = curve.INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS,
    vtok: int | None = curve.INITIAL_VIRTUAL_TOKEN_RESERVES_RAW,
    real_sol: int | None = 0,
    pool: str | None = None,
    real_token: int | None = None,
) -> TradeRecord:
    return TradeRecord(
        signature=f"sig{next(_sig)}",
        event_index=0,
        slot=1,
        block_time=t,
        program=Program.PUMP if pool is None else Program.PUMP_AMM,
        mint=mint,
        trader=trader,
        is_buy=buy,
        sol_lamports=round(sol * SOL),
        token_amount_raw=1_000_000,
        price_sol=price,
        virtual_sol_reserves=vsol,
        virtual_token_reserves=vtok,
        real_sol_reserves=real_sol,
        real_token_reserves=real_token,
        pool=pool,
    )


def launch(*, mint: str = MINT, creator: str = CREATOR, t: int = T0) -> MintRecord:
    return MintRecord(mint, "Pepe Two", "PEPE2", "", creator, "curve1", t, 1, "create")


def pool(*, mint: str = MINT, sol_res: int, token_res: int, t: int = T0) -> PoolRecord:
    return PoolRecord(
        "pool1", Program.PUMP_AMM, mint, WSOL_MINT, t, 1, "sigp", None, None, token_res, sol_res
    )


def report(mint: str = MINT, **checks: Any) -> RiskReport:
    """``report(mint_authority=Verdict.PASS, top10=(Verdict.FAIL, 38.0))``."""
    results = []
    for name, spec in checks.items():
        verdict, value = spec if isinstance(spec, tuple) else (spec, None)
        results.append(CheckResult(Check(name), verdict, value, ""))
    return RiskReport(mint, T0, tuple(results))


def clean_report(mint: str = MINT) -> RiskReport:
    """Every penalised check PASS (top holder 10 %, tax 0 %)."""
    return report(
        mint,
        mint_authority=Verdict.PASS,
        freeze_authority=Verdict.PASS,
        top_holder=(Verdict.PASS, 10.0),
        transfer_tax=(Verdict.PASS, 0.0),
        dev_selling=Verdict.PASS,
        top10=(Verdict.PASS, 25.0),
        lp_burnt=Verdict.PASS,
    )
