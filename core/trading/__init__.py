"""Trading: Jupiter swap client (quote, swap transaction) and its typed answers and errors."""

from core.trading.jupiter_client import (
    JupiterClient,
    JupiterRequest,
    build_quote_request,
    build_swap_request,
)
from core.trading.jupiter_types import (
    JupiterAuthError,
    JupiterError,
    JupiterRateLimitedError,
    NoRouteError,
    Quote,
    SwapTx,
    TokenNotTradableError,
)

__all__ = [
    "JupiterAuthError",
    "JupiterClient",
    "JupiterError",
    "JupiterRateLimitedError",
    "JupiterRequest",
    "NoRouteError",
    "Quote",
    "SwapTx",
    "TokenNotTradableError",
    "build_quote_request",
    "build_swap_request",
]
