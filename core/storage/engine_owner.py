"""A database-backed service's engine: given (shared, the caller disposes of it) or created
from a URL (owned, disposed of on ``aclose``)."""

from __future__ import annotations

from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.db import DatabaseUrl, create_engine, parse_database_url


class EngineOwner:
    def __init__(
        self, url: str | DatabaseUrl | None = None, *, engine: AsyncEngine | None = None
    ) -> None:
        if engine is None:
            if url is None:
                raise ValueError(f"{type(self).__name__} needs a database URL or an engine")
            engine = create_engine(
                url if isinstance(url, DatabaseUrl) else parse_database_url(url)
            )
            self._owns_engine = True
        else:
            self._owns_engine = False
        self._engine = engine

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_engine:
            await self._engine.dispose()
