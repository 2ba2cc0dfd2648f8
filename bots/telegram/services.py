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
from core.signals.activity import SmartActivity
from core.signals.rules_store import RulesStore
from core.signals.store import SignalStore
from core.storage.db import create_engine, parse_database_url
from core.storage.repository import Repository
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
    clock: Callable[[], datetime] = utc_now
    database_url: str = field(default="", repr=False)

    @classmethod
    def create(
        cls,
        database_url: str,
        settings: BotSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> Self:
        url = parse_database_url(database_url)
        engine = create_engine(url)
        return cls(
            engine=engine,
            settings=settings,
            users=UserService(engine=engine, admin_telegram_ids=settings.telegram_admin_ids),
            wallets=WalletRegistry(engine=engine, clock=clock),
            signals=SignalStore(engine=engine),
            activity=SmartActivity(engine=engine, clock=clock),
            rules=RulesStore(engine=engine, clock=clock),
            repository=Repository(url, engine=engine),
            clock=clock,
            database_url=database_url,
        )

    async def aclose(self) -> None:
        await self.engine.dispose()
