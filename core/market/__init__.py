"""Pure market maths (bonding curve, constant-product pools, candles) and the Pyth SOL/USD price.

Submodules: ``curve`` (Pump.fun bonding curve), ``amm`` (PumpSwap / Raydium pools), ``candles``
(``CandleAggregator``), ``pyth`` (``parse_price_update_v2``), ``sol_usd`` (``SolUsdOracle``, the
only module doing I/O, through an injected RPC client), ``metrics`` (Prometheus).
"""

from core.market.candles import CandleAggregator
from core.market.pyth import PythPrice, parse_price_update_v2
from core.market.sol_usd import PriceSource, SolUsdOracle

__all__ = ["CandleAggregator", "PriceSource", "PythPrice", "SolUsdOracle", "parse_price_update_v2"]
