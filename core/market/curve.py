"""Pump.fun bonding-curve maths: price, market cap, progress and constant-product quotes.

The curve is a constant-product market over *virtual* reserves (``k = vsol * vtok``). Every new
Pump.fun token starts from the same reserves, which every CreateEvent carries; the real mainnet
CreateEvent of "The Wrong Fart" (2025-08-06, /work/shared/fixtures/mainnet/
crocchi_pumpfun_program_data_lines_2025-08_a.txt, line 1) decodes to::

    virtual_token_reserves = 1_073_000_000_000_000   (1.073e9 tokens, 6 decimals)
    virtual_sol_reserves   =        30_000_000_000   (30 SOL)
    real_token_reserves    =   793_100_000_000_000   (793.1e6 tokens sellable on the curve)
    token_total_supply     = 1_000_000_000_000_000   (1e9 tokens)

The 49-byte BondingCurve account of 2024-08 (chainstack fixture) satisfies the same invariants
(virtual - real token reserves = 279.9e12, virtual - real SOL = 30e9), so the constants have held
since at least then. Pump.fun tokens have 6 decimals.

Fees: Pump.fun charges its fee *on top of* the SOL that enters the curve on a buy, and deducts it
from the SOL leaving the curve on a sell. ``fee_bps`` is the sum of all fee parts (protocol +
creator) in basis points. All amounts are integers (lamports / raw token units); outputs round
down (floor), fees round up, so a quote never promises more than the program would pay.
"""

from __future__ import annotations

from core.programs import LAMPORTS_PER_SOL

INITIAL_VIRTUAL_TOKEN_RESERVES_RAW = 1_073_000_000_000_000
INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS = 30_000_000_000
INITIAL_REAL_TOKEN_RESERVES_RAW = 793_100_000_000_000
TOKEN_TOTAL_SUPPLY_RAW = 1_000_000_000_000_000
TOKEN_DECIMALS = 6
BPS_DENOMINATOR = 10_000


def _check_reserves(virtual_sol_reserves: int, virtual_token_reserves: int) -> None:
    if virtual_sol_reserves <= 0 or virtual_token_reserves <= 0:
        raise ValueError(
            f"reserves must be positive (sol={virtual_sol_reserves}, "
            f"token={virtual_token_reserves})"
        )


def _check_fee(fee_bps: int) -> None:
    if not 0 <= fee_bps < BPS_DENOMINATOR:
        raise ValueError(f"fee_bps must be in [0, {BPS_DENOMINATOR}), got {fee_bps}")


def price_sol(
    virtual_sol_reserves: int, virtual_token_reserves: int, decimals: int = TOKEN_DECIMALS
) -> float:
    """Spot price in SOL per whole token (``(vsol / 1e9) / (vtok / 10**decimals)``)."""
    if virtual_sol_reserves <= 0 or virtual_token_reserves <= 0:  # hot path: checked inline
        _check_reserves(virtual_sol_reserves, virtual_token_reserves)  # raises
    return (virtual_sol_reserves * 10**decimals) / (virtual_token_reserves * LAMPORTS_PER_SOL)


def market_cap_sol(
    virtual_sol_reserves: int,
    virtual_token_reserves: int,
    total_supply_raw: int = TOKEN_TOTAL_SUPPLY_RAW,
    decimals: int = TOKEN_DECIMALS,
) -> float:
    """Fully diluted market cap in SOL: spot price * total supply."""
    return price_sol(virtual_sol_reserves, virtual_token_reserves, decimals) * (
        total_supply_raw / 10**decimals
    )


def curve_progress_pct(
    real_token_reserves: int,
    initial_real_token_reserves: int = INITIAL_REAL_TOKEN_RESERVES_RAW,
) -> float:
    """Share of the sellable supply already bought, 0-100 (100 = curve complete).

    ``100 * (1 - real / initial)``, clamped to [0, 100].
    """
    if initial_real_token_reserves <= 0:
        raise ValueError("initial_real_token_reserves must be positive")
    pct = 100.0 * (1.0 - real_token_reserves / initial_real_token_reserves)
    return min(100.0, max(0.0, pct))


def sol_into_curve_lamports(sol_in_lamports: int, fee_bps: int) -> int:
    """The part of a buyer's total spend that enters the curve (the fee is charged on top)."""
    _check_fee(fee_bps)
    if sol_in_lamports < 0:
        raise ValueError("sol_in_lamports must be >= 0")
    return sol_in_lamports * BPS_DENOMINATOR // (BPS_DENOMINATOR + fee_bps)


def buy_quote(
    sol_in_lamports: int,
    virtual_sol_reserves: int,
    virtual_token_reserves: int,
    fee_bps: int,
    *,
    real_token_reserves: int | None = None,
) -> int:
    """Raw tokens received for spending ``sol_in_lamports`` in total (fee included), floored.

    With ``real_token_reserves`` the result is capped at what the curve still holds.
    """
    _check_reserves(virtual_sol_reserves, virtual_token_reserves)
    net_lamports = sol_into_curve_lamports(sol_in_lamports, fee_bps)
    tokens_out_raw = virtual_token_reserves * net_lamports // (virtual_sol_reserves + net_lamports)
    if real_token_reserves is not None:
        tokens_out_raw = min(tokens_out_raw, real_token_reserves)
    return tokens_out_raw


def sell_quote(
    tokens_in_raw: int, virtual_sol_reserves: int, virtual_token_reserves: int, fee_bps: int
) -> int:
    """Lamports received for selling ``tokens_in_raw`` (fee deducted, floored)."""
    _check_reserves(virtual_sol_reserves, virtual_token_reserves)
    _check_fee(fee_bps)
    if tokens_in_raw < 0:
        raise ValueError("tokens_in_raw must be >= 0")
    gross_lamports = (
        virtual_sol_reserves * tokens_in_raw // (virtual_token_reserves + tokens_in_raw)
    )
    fee_lamports = -(-gross_lamports * fee_bps // BPS_DENOMINATOR)  # ceil
    return gross_lamports - fee_lamports


def price_impact_pct(
    sol_in_lamports: int, virtual_sol_reserves: int, virtual_token_reserves: int, fee_bps: int = 0
) -> float:
    """How much worse than spot a buy of ``sol_in_lamports`` fills, in percent (fee excluded).

    ``100 * (average fill price / spot price - 1)`` where the fill price is the SOL that enters
    the curve divided by the tokens received. For a constant-product curve this is about
    ``100 * net_sol_in / vsol``: 1 SOL into a fresh 30 SOL curve fills ~3.33 % above spot.
    Returns 0.0 for a zero-sized buy, ``inf`` when the buy is too small to get one raw token.
    """
    net_lamports = sol_into_curve_lamports(sol_in_lamports, fee_bps)
    if net_lamports == 0:
        return 0.0
    tokens_out_raw = buy_quote(
        sol_in_lamports, virtual_sol_reserves, virtual_token_reserves, fee_bps
    )
    if tokens_out_raw == 0:
        return float("inf")
    fill_over_spot = (net_lamports * virtual_token_reserves) / (
        tokens_out_raw * virtual_sol_reserves
    )
    return 100.0 * (fill_over_spot - 1.0)
