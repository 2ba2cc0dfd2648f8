"""Constant-product pool maths (PumpSwap, Raydium AMM v4 / CPMM): price, cap, quotes, depth.

Orientation: *base* is the token being traded, *quote* is what it is priced in (wrapped SOL,
9 decimals, for every pool we watch). A Raydium pool that stores SOL as its "coin" side must be
oriented by the caller before calling these functions.

Fees: ``fee_bps`` (all parts summed: LP + protocol + creator) is deducted from the *input* of a
swap, as Raydium does (``x_net = x * (1 - fee)``). PumpSwap charges buy fees on top of the quote
amount instead; the difference for the fee levels in use (≤ 1 %) is below 0.01 % of the quote.
Outputs round down, fees round up: a quote never promises more than the pool would pay.
"""

from __future__ import annotations

from math import isqrt

from core.programs import LAMPORTS_PER_SOL

BPS_DENOMINATOR = 10_000
SOL_DECIMALS = 9


def _check_reserves(base_reserve_raw: int, quote_reserve_raw: int) -> None:
    if base_reserve_raw <= 0 or quote_reserve_raw <= 0:
        raise ValueError(
            f"reserves must be positive (base={base_reserve_raw}, quote={quote_reserve_raw})"
        )


def _after_fee(amount_in: int, fee_bps: int) -> int:
    if not 0 <= fee_bps < BPS_DENOMINATOR:
        raise ValueError(f"fee_bps must be in [0, {BPS_DENOMINATOR}), got {fee_bps}")
    if amount_in < 0:
        raise ValueError("swap input must be >= 0")
    fee = -(-amount_in * fee_bps // BPS_DENOMINATOR)  # ceil: the fee rounds against the trader
    return amount_in - fee


def price_sol(
    base_reserve_raw: int,
    quote_reserve_raw: int,
    base_decimals: int,
    quote_decimals: int = SOL_DECIMALS,
) -> float:
    """Spot price in quote (SOL) per whole base token."""
    if base_reserve_raw <= 0 or quote_reserve_raw <= 0:  # hot path: checked inline
        _check_reserves(base_reserve_raw, quote_reserve_raw)  # raises
    return (quote_reserve_raw * 10**base_decimals) / (base_reserve_raw * 10**quote_decimals)


def market_cap_sol(
    base_reserve_raw: int,
    quote_reserve_raw: int,
    total_supply_raw: int,
    base_decimals: int,
    quote_decimals: int = SOL_DECIMALS,
) -> float:
    """Fully diluted market cap in SOL: spot price * total supply of the base token."""
    spot = price_sol(base_reserve_raw, quote_reserve_raw, base_decimals, quote_decimals)
    return spot * (total_supply_raw / 10**base_decimals)


def buy_quote(
    quote_in_raw: int, base_reserve_raw: int, quote_reserve_raw: int, fee_bps: int
) -> int:
    """Raw base tokens received for ``quote_in_raw`` (lamports for SOL pools), floored."""
    _check_reserves(base_reserve_raw, quote_reserve_raw)
    net_in = _after_fee(quote_in_raw, fee_bps)
    return base_reserve_raw * net_in // (quote_reserve_raw + net_in)


def sell_quote(
    base_in_raw: int, base_reserve_raw: int, quote_reserve_raw: int, fee_bps: int
) -> int:
    """Raw quote (lamports for SOL pools) received for selling ``base_in_raw``, floored."""
    _check_reserves(base_reserve_raw, quote_reserve_raw)
    net_in = _after_fee(base_in_raw, fee_bps)
    return quote_reserve_raw * net_in // (base_reserve_raw + net_in)


def price_impact_pct(
    quote_in_raw: int, base_reserve_raw: int, quote_reserve_raw: int, fee_bps: int = 0
) -> float:
    """How much worse than spot a buy fills, in percent (fee excluded).

    ``100 * (average fill price / spot - 1)`` with the fill price = quote entering the pool /
    base received; about ``100 * net_in / quote_reserve``. 0.0 for a zero-sized buy, ``inf``
    when the buy is too small to receive one raw unit.
    """
    net_in = _after_fee(quote_in_raw, fee_bps)
    if net_in == 0:
        return 0.0
    base_out = buy_quote(quote_in_raw, base_reserve_raw, quote_reserve_raw, fee_bps)
    if base_out == 0:
        return float("inf")
    return 100.0 * ((net_in * base_reserve_raw) / (base_out * quote_reserve_raw) - 1.0)


def depth_lamports(quote_reserve_raw: int, move_bps: int, fee_bps: int = 0) -> int:
    """Smallest quote spend (fee included) that moves the spot price up by ``move_bps``.

    After a buy of net ``x`` the spot price is ``(Q + x)² / (B·Q)``, i.e. the price scales by
    ``((Q + x) / Q)²`` whatever the base reserve is; so ``x = Q·(√(1 + move) - 1)``, computed
    exactly in integers and rounded up.
    """
    if quote_reserve_raw <= 0:
        raise ValueError("quote_reserve_raw must be positive")
    if move_bps <= 0:
        raise ValueError("move_bps must be positive")
    # Need (Q + x)^2 * 10_000 >= (10_000 + move_bps) * Q^2.
    target = -(-(BPS_DENOMINATOR + move_bps) * quote_reserve_raw**2 // BPS_DENOMINATOR)
    root = isqrt(target)
    if root * root < target:
        root += 1
    net_in = root - quote_reserve_raw
    if not 0 <= fee_bps < BPS_DENOMINATOR:
        raise ValueError(f"fee_bps must be in [0, {BPS_DENOMINATOR}), got {fee_bps}")
    # Smallest gross g with g - ceil(g * fee / 10_000) >= net_in, i.e. g * (1 - fee) >= net_in.
    return -(-net_in * BPS_DENOMINATOR // (BPS_DENOMINATOR - fee_bps))


def depth_1pct_lamports(quote_reserve_lamports: int, fee_bps: int = 0) -> int:
    """Lamports a buyer must spend (fee included) to push the price up 1 %."""
    return depth_lamports(quote_reserve_lamports, 100, fee_bps)


def liquidity_usd(quote_reserve_lamports: int, sol_usd: float) -> float:
    """Total pool liquidity in USD: both sides, i.e. 2 * the SOL side at ``sol_usd``.

    A constant-product pool holds equal value on both sides at spot, so this is the figure
    DEX screeners show as "liquidity".
    """
    if quote_reserve_lamports < 0:
        raise ValueError("quote_reserve_lamports must be >= 0")
    return 2.0 * quote_reserve_lamports / LAMPORTS_PER_SOL * sol_usd
