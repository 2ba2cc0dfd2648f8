"""Which route quotes a trade — Jupiter, or the Pump.fun curve when Jupiter has none
(``TRADING_PUMP_CURVE_ROUTE``, see ``trade_route``).

    off       every trade goes through Jupiter (the default): the Jupiter route itself
    fallback  ``RouteChoice``: Jupiter first; only when Jupiter answers that the token has no
              route (``NoRouteError``: NO_ROUTES_FOUND, COULD_NOT_FIND_ANY_ROUTE...; or
              ``TokenNotTradableError``: TOKEN_NOT_TRADABLE, NOT_SUPPORTED) and the mint's
              bonding curve exists and is not complete, the Pump.fun curve route quotes it

The choice is made per quote, so the executor's re-quote after a blockhash expiry chooses
again. ``build`` goes to the route named by the quote (``RouteQuote.route``). When the curve
cannot take the trade either, Jupiter's error is raised again (same class, so the executor's
``no_route`` / ``not_tradable`` reason is kept) with the curve's reason appended.
"""

from __future__ import annotations

import structlog
from prometheus_client import Counter

from core.trading.jupiter_types import JupiterError, NoRouteError, TokenNotTradableError
from core.trading.pump_curve_route import PumpCurveError
from core.trading.routes import BuiltSwap, RouteQuote, SwapRoute
from core.trading.trade_types import Side

log = structlog.get_logger(__name__)

PUMP_CURVE_MODES = ("off", "fallback")  # TRADING_PUMP_CURVE_ROUTE
ROUTE_CHOICES = Counter(
    "solsignals_route_choices_total",
    "Quotes by the route chosen (jupiter, pump_curve, none: neither had a route)",
    ["route"],
)


def trade_route(mode: str, jupiter: SwapRoute, curve: SwapRoute) -> SwapRoute:
    """The route trades use for ``TRADING_PUMP_CURVE_ROUTE``: ``off`` (Jupiter) or
    ``fallback`` (``RouteChoice``)."""
    if mode == "off":
        return jupiter
    if mode == "fallback":
        return RouteChoice(jupiter, curve)
    raise ValueError(f"TRADING_PUMP_CURVE_ROUTE must be one of {PUMP_CURVE_MODES}, got {mode!r}")


class RouteChoice:
    """A ``SwapRoute``: Jupiter, and the Pump.fun curve for what Jupiter has no route for."""

    def __init__(self, jupiter: SwapRoute, curve: SwapRoute) -> None:
        self._jupiter = jupiter
        self._curve = curve
        # the name stored with each trade request: the routes it may use ("jupiter_v2+pump_curve")
        self.name = f"{jupiter.name}+{curve.name}"
        self._by_name = {jupiter.name: jupiter, curve.name: curve}

    async def quote(
        self, side: Side, mint: str, amount_raw: int, *, slippage_bps: int
    ) -> RouteQuote:
        try:
            quote = await self._jupiter.quote(side, mint, amount_raw, slippage_bps=slippage_bps)
        except (NoRouteError, TokenNotTradableError) as exc:
            quote = await self._curve_instead(exc, side, mint, amount_raw, slippage_bps)
        ROUTE_CHOICES.labels(quote.route).inc()
        return quote

    async def _curve_instead(
        self, jupiter_error: JupiterError, side: Side, mint: str, amount_raw: int, slippage: int
    ) -> RouteQuote:
        try:
            quote = await self._curve.quote(side, mint, amount_raw, slippage_bps=slippage)
        except PumpCurveError as exc:
            ROUTE_CHOICES.labels("none").inc()
            log.info("route_choice_none", mint=mint, jupiter=jupiter_error.code, curve=str(exc))
            raise type(jupiter_error)(
                f"{jupiter_error}; Pump.fun curve route: {exc}",
                status=jupiter_error.status,
                code=jupiter_error.code,
            ) from exc
        log.info("route_choice_pump_curve", mint=mint, side=side.value, jupiter=jupiter_error.code)
        return quote

    async def build(
        self, quote: RouteQuote, wallet: str, *, priority_fee_micro_lamports_per_cu: int
    ) -> BuiltSwap:
        route = self._by_name.get(quote.route)
        if route is None:
            raise ValueError(f"no route {quote.route!r} here (routes: {sorted(self._by_name)})")
        return await route.build(
            quote, wallet, priority_fee_micro_lamports_per_cu=priority_fee_micro_lamports_per_cu
        )
