"""Users: registration on first contact, language, role, alert settings.

Telegram users register on /start (their Telegram id is the key; Discord ids later). Admins are
named in configuration (their ids), so a database edit cannot make someone admin by accident.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import UserInputError
from core.storage.engine_owner import EngineOwner
from core.storage.models import User as UserRow
from core.storage.models import UserRole
from core.users.settings import UserSettings

LANGUAGES = ("en", "fr")
USERS = UserRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class UserProfile:
    id: int
    telegram_id: int | None
    language: str
    role: UserRole
    settings: UserSettings
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.ADMIN


def _language(code: str | None) -> str:
    """Our language for a Telegram language code ("fr-CA" → fr); English otherwise."""
    base = (code or "en").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


class UserService(EngineOwner):
    def __init__(
        self,
        url: str | None = None,
        *,
        engine: AsyncEngine | None = None,
        admin_telegram_ids: Collection[int] = (),
    ) -> None:
        super().__init__(url, engine=engine)
        self._admins = frozenset(admin_telegram_ids)

    async def register_telegram(
        self, telegram_id: int, *, language_code: str | None = None
    ) -> tuple[UserProfile, bool]:
        """The user for this Telegram id, created on first contact; (profile, created)."""
        role = UserRole.ADMIN if telegram_id in self._admins else UserRole.REGISTERED
        async with self._engine.begin() as conn:
            row = await self._by_telegram(conn, telegram_id)
            if row is not None:
                if role is UserRole.ADMIN and row["role"] != UserRole.ADMIN.value:
                    await conn.execute(
                        sa.update(USERS).where(USERS.c.id == row["id"]).values(role=role.value)
                    )
                    row = {**row, "role": role.value}
                return _profile(row), False
            values = {
                "telegram_id": telegram_id,
                "language": _language(language_code),
                "role": role.value,
                "settings": UserSettings().to_dict(),
                "created_at": datetime.now(UTC),
            }
            result = await conn.execute(sa.insert(USERS).values(**values).returning(USERS.c.id))
            return _profile({**values, "id": result.scalar_one()}), True

    async def by_telegram(self, telegram_id: int) -> UserProfile | None:
        async with self._engine.connect() as conn:
            row = await self._by_telegram(conn, telegram_id)
        return _profile(row) if row is not None else None

    async def by_id(self, user_id: int) -> UserProfile | None:
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(sa.select(USERS).where(USERS.c.id == user_id)))
                .mappings()
                .first()
            )
        return _profile(dict(row)) if row is not None else None

    async def set_language(self, user_id: int, language: str) -> None:
        if language not in LANGUAGES:
            raise UserInputError(
                '"{language}" is not a language we speak: use en or fr', language=language
            )
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.update(USERS).where(USERS.c.id == user_id).values(language=language)
            )

    async def update_settings(self, user_id: int, **changes: Any) -> UserSettings:
        """Validate and store changed settings (row-locked read-modify-write)."""
        async with self._engine.begin() as conn:
            query = sa.select(USERS.c.settings).where(USERS.c.id == user_id)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            stored = (await conn.execute(query)).scalar_one_or_none()
            if stored is None:
                raise UserInputError("no user {id}", id=user_id)
            settings = UserSettings.from_dict(stored or {}).with_changes(**changes)
            await conn.execute(
                sa.update(USERS).where(USERS.c.id == user_id).values(settings=settings.to_dict())
            )
        return settings

    async def alert_recipients(self) -> list[UserProfile]:
        """Registered users with alerts on (the fan-out filters each signal per user)."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(sa.select(USERS).where(USERS.c.telegram_id.is_not(None)))
            ).mappings()
            profiles = [_profile(dict(r)) for r in rows]
        return [p for p in profiles if p.settings.alerts]

    @staticmethod
    async def _by_telegram(conn: Any, telegram_id: int) -> dict[str, Any] | None:
        row = (
            (await conn.execute(sa.select(USERS).where(USERS.c.telegram_id == telegram_id)))
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None


def _profile(row: dict[str, Any]) -> UserProfile:
    return UserProfile(
        id=int(row["id"]),
        telegram_id=row["telegram_id"],
        language=row["language"],
        role=UserRole(row["role"]),
        settings=UserSettings.from_dict(row["settings"] or {}),
        created_at=row["created_at"],
    )
