"""What the bot's handlers use from ``core``: one object, one database engine, one clock.

Handlers receive it as ``services`` (aiogram passes dispatcher data by parameter name). Tests
build it on a real database exactly as production does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram.config import BotSettings
from core.bus.streams import StreamPublisher
from core.config import Settings
from core.signals.activity import SmartActivity
from core.signals.rules_store import RulesStore
from core.signals.store import SignalStore
from core.storage.db import create_engine, parse_database_url
from core.storage.repository import Repository
from core.trading.autotrade_store import AutoTradeStore
from core.trading.service import TradingService
from core.users.service import UserService
from core.wallets.registry import WalletRegistry


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class BotServices:
    engine: AsyncEngine
    settings: BotSettings
    users: UserService
    wallets: WalletRegistry
    signals: SignalStore
    activity: SmartActivity
    rules: RulesStore
    repository: Repository
    autotrade: AutoTradeStore  # rules and intents (Confirm / Cancel); the workers buy
    clock: Callable[[], datetime] = utc_now
    database_url: str = field(default="", repr=False)
    trading: TradingService | None = None  # None unless the operator set TRADING_ENABLED
    # ``autotrade.out`` on REDIS_URL: the intents a handler ends (a rule removed cancels its
    # questions) are published there, so the fan-out edits their questions. None without Redis.
    autotrade_out: StreamPublisher | None = None

    @classmethod
    def create(
        cls,
        database_url: str,
        settings: BotSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
        core_settings: Settings | None = None,
    ) -> Self:
        """``core_settings``: the operator's settings; trading is built only when they enable
        it (TRADING_ENABLED), and then a missing trading setting is a ``ConfigError``."""
        url = parse_database_url(database_url)
        engine = create_engine(url)
        trading = None
        if core_settings is not None and core_settings.trading_enabled:
            trading = TradingService.from_settings(core_settings, engine=engine)
        return cls(
            engine=engine,
            settings=settings,
            users=UserService(engine=engine, admin_telegram_ids=settings.telegram_admin_ids),
            wallets=WalletRegistry(engine=engine, clock=clock),
            signals=SignalStore(engine=engine),
            activity=SmartActivity(engine=engine, clock=clock),
            rules=RulesStore(engine=engine, clock=clock),
            repository=Repository(url, engine=engine),
            autotrade=AutoTradeStore(engine=engine, clock=clock),
            clock=clock,
            database_url=database_url,
            trading=trading,
        )

    async def aclose(self) -> None:
        if self.trading is not None:
            await self.trading.aclose()
        await self.engine.dispose()
