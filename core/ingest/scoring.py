"""Scoring wired for a running process: the engine, the tracked wallets it knows, their refresh.

Tracked wallets come from the registry (featured, community and users' private lists) and are
re-read periodically, so a wallet added from a bot is scored without a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from core.risk.service import RiskService
from core.signals import SignalEngine, SignalParams
from core.signals.stage import Emit, SignalStage
from core.wallets.registry import WalletRegistry

log = structlog.get_logger(__name__)


async def tracked_wallets(registry: WalletRegistry) -> dict[str, frozenset[str]]:
    return {e.address: frozenset(e.tags) for e in await registry.entries()}


class Scoring:
    def __init__(
        self, stage: SignalStage, registry: WalletRegistry, *, refresh_s: float = 30.0
    ) -> None:
        self.stage = stage
        self._registry = registry
        self._refresh_s = refresh_s
        self.tracked = 0

    @classmethod
    async def create(
        cls,
        database_url: str,
        *,
        sol_usd: Callable[[], float],
        risk: RiskService | None,
        emit: Emit | None,
        params: SignalParams | None = None,
        refresh_s: float = 30.0,
    ) -> Scoring:
        registry = WalletRegistry(database_url)
        wallets = await tracked_wallets(registry)
        engine = SignalEngine(params or SignalParams(), wallets, sol_usd=sol_usd)
        scoring = cls(SignalStage(engine, emit=emit, risk=risk), registry, refresh_s=refresh_s)
        scoring.tracked = len(wallets)
        log.info("scoring_ready", tracked_wallets=len(wallets))
        return scoring

    def set_wallets(self, wallets: Mapping[str, frozenset[str]]) -> None:
        self.stage.engine.set_smart_wallets(wallets)
        self.tracked = len(wallets)

    async def refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                self.set_wallets(await tracked_wallets(self._registry))
            except SQLAlchemyError as exc:  # keep scoring with the last list; try again later
                log.warning("tracked_wallets_refresh_failed", error=str(exc))

    def summary(self) -> dict[str, Any]:
        stats = self.stage.stats
        return {
            "signals": stats.signals,
            "signalled_mints": len(stats.first_signal_at),
            "tracked_wallets": self.tracked,
            "risk_reports": stats.risk_reports,
        }

    async def aclose(self) -> None:
        await self.stage.aclose()
        await self._registry.aclose()
