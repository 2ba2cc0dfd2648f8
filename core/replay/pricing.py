"""Integer maths of the simulated Pump.fun bonding curve and PumpSwap pool.

Both are constant-product markets (``x * y = k``) computed in integers with floor rounding on
the amount a trader receives, so ``k`` never decreases and moves only by rounding.

Bonding curve (Pump.fun): every token starts from the mainnet reserves below (the values every
real CreateEvent carries, see ``core/market/curve.py``). A buy of ``sol_in`` lamports (entering
the curve; fees are charged on top) receives ``floor(vtok * sol_in / (vsol + sol_in))`` tokens; a
sell of ``tok_in`` receives ``floor(vsol * tok_in / (vtok + tok_in))`` lamports (fees deducted
after). When a buy would take more than ``real_token_reserves`` it is capped at the remaining
reserves and the curve is complete.

Fees (simulated, matching 2025 mainnet): protocol ``PUMP_FEE_BPS`` = 95 bps plus creator
``PUMP_CREATOR_FEE_BPS`` = 5 bps, each ``ceil(sol * bps / 10_000)``. PumpSwap: LP fee 20 bps,
protocol fee 5 bps, coin-creator fee 5 bps on the quote (SOL) side.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

INITIAL_VIRTUAL_TOKEN_RESERVES_RAW = 1_073_000_000_000_000
INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS = 30_000_000_000
INITIAL_REAL_TOKEN_RESERVES_RAW = 793_100_000_000_000
TOKEN_TOTAL_SUPPLY_RAW = 1_000_000_000_000_000
TOKEN_DECIMALS = 6

PUMP_FEE_BPS = 95
PUMP_CREATOR_FEE_BPS = 5
AMM_LP_FEE_BPS = 20
AMM_PROTOCOL_FEE_BPS = 5
AMM_CREATOR_FEE_BPS = 5
MIGRATION_FEE_LAMPORTS = 15_000_000
"""SOL kept by the program when a completed curve migrates to PumpSwap (simulated value)."""
AMM_MINIMUM_LIQUIDITY = 100
"""LP tokens PumpSwap locks when a pool is created (never paid out)."""


def fee_lamports(amount_lamports: int, bps: int) -> int:
    """``ceil(amount * bps / 10_000)``: fees round up."""
    return -(-amount_lamports * bps // 10_000)


def initial_liquidity(base_in_raw: int, quote_in_lamports: int) -> int:
    """LP tokens a new PumpSwap pool mints: ``isqrt(base * quote)``."""
    return isqrt(base_in_raw * quote_in_lamports)


def initial_lp_supply(base_in_raw: int, quote_in_lamports: int) -> int:
    """LP tokens the pool creator receives: initial liquidity minus the locked minimum."""
    return initial_liquidity(base_in_raw, quote_in_lamports) - AMM_MINIMUM_LIQUIDITY


@dataclass(slots=True)
class CurveState:
    """A bonding curve's reserves (raw token units, lamports)."""

    virtual_sol_reserves: int = INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS
    virtual_token_reserves: int = INITIAL_VIRTUAL_TOKEN_RESERVES_RAW
    real_sol_reserves: int = 0
    real_token_reserves: int = INITIAL_REAL_TOKEN_RESERVES_RAW

    @property
    def complete(self) -> bool:
        return self.real_token_reserves == 0

    @property
    def price_lamports_per_token_raw(self) -> float:
        return self.virtual_sol_reserves / self.virtual_token_reserves

    def buy(self, sol_in_lamports: int) -> tuple[int, int]:
        """Apply a buy; returns ``(sol_spent_lamports, tokens_out_raw)`` (capped at completion)."""
        vsol, vtok = self.virtual_sol_reserves, self.virtual_token_reserves
        tokens_out = vtok * sol_in_lamports // (vsol + sol_in_lamports)
        if tokens_out >= self.real_token_reserves:
            tokens_out = self.real_token_reserves
            # smallest SOL amount that buys the rest: ceil(vsol * out / (vtok - out))
            sol_in_lamports = -(-vsol * tokens_out // (vtok - tokens_out))
        self.virtual_sol_reserves = vsol + sol_in_lamports
        self.virtual_token_reserves = vtok - tokens_out
        self.real_sol_reserves += sol_in_lamports
        self.real_token_reserves -= tokens_out
        return sol_in_lamports, tokens_out

    def sell(self, tokens_in_raw: int) -> int:
        """Apply a sell; returns the lamports leaving the curve (before fees)."""
        vsol, vtok = self.virtual_sol_reserves, self.virtual_token_reserves
        sol_out = vsol * tokens_in_raw // (vtok + tokens_in_raw)
        sol_out = min(sol_out, self.real_sol_reserves)
        self.virtual_sol_reserves = vsol - sol_out
        self.virtual_token_reserves = vtok + tokens_in_raw
        self.real_sol_reserves -= sol_out
        self.real_token_reserves += tokens_in_raw
        return sol_out


@dataclass(slots=True)
class PoolState:
    """A PumpSwap pool: base = the token, quote = wrapped SOL."""

    base_reserve_raw: int
    quote_reserve_lamports: int

    @property
    def price_lamports_per_token_raw(self) -> float:
        return self.quote_reserve_lamports / self.base_reserve_raw

    def buy(self, quote_in_lamports: int) -> int:
        """Swap quote (net of fees) into the pool; returns base tokens out."""
        base_out = (
            self.base_reserve_raw
            * quote_in_lamports
            // (self.quote_reserve_lamports + quote_in_lamports)
        )
        self.base_reserve_raw -= base_out
        self.quote_reserve_lamports += quote_in_lamports
        return base_out

    def sell(self, base_in_raw: int) -> int:
        """Swap base into the pool; returns quote lamports out (before fees)."""
        quote_out = (
            self.quote_reserve_lamports * base_in_raw // (self.base_reserve_raw + base_in_raw)
        )
        self.base_reserve_raw += base_in_raw
        self.quote_reserve_lamports -= quote_out
        return quote_out
