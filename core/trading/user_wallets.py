"""A user's trading wallets (``user_wallets``) and the user's trading switch.

A wallet row names an address and who signs for it: ``keystore`` (a key in the embedded
keystore), ``vault`` (a Vault Transit key, ``key_ref`` its name) or ``external`` (the user's own
wallet; nothing here can sign for it). A user has at most one *active* wallet (a partial unique
index enforces it); adding another retires the current one, which stays in the table so its
positions keep a known owner. An address belongs to one user only.

Trading is off by default (``UserSettings.trading_enabled``) and this module is the only writer
of that flag: ``set_trading`` turns it on only when the user has an active wallet, and
activating a different wallet turns it off again (a new wallet needs a new confirmation). Each
change locks the user's row (PostgreSQL ``FOR UPDATE``) and appends its audit row in the same
transaction: ``wallet.created``, ``wallet.imported``, ``wallet.retired``, ``trading.enabled``,
``trading.disabled``.

It also writes the user's own limits (``set_own_limit``, ``reset_own_limits``; see
``core.trading.own_limits``), each change audited as ``trading.limits_changed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import UserInputError
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import User, UserWalletRecord
from core.trading import audit
from core.trading.own_limits import EXTRA_KEY, Ceilings, OwnLimit, OwnLimits, stored_value
from core.users.settings import UserSettings

WALLETS: sa.Table = UserWalletRecord.__table__  # type: ignore[attr-defined]
USERS: sa.Table = User.__table__  # type: ignore[attr-defined]


class WalletBackend(StrEnum):
    KEYSTORE = "keystore"
    VAULT = "vault"
    EXTERNAL = "external"


class WalletOrigin(StrEnum):
    CREATED = "created"
    IMPORTED = "imported"


@dataclass(frozen=True, slots=True)
class UserWallet:
    user_id: int
    address: str
    backend: WalletBackend
    key_ref: str | None
    active: bool
    created_at: datetime
    retired_at: datetime | None = None


def _wallet(row: Any) -> UserWallet:
    return UserWallet(
        user_id=row.user_id,
        address=row.address,
        backend=WalletBackend(row.backend),
        key_ref=row.key_ref,
        active=bool(row.active),
        created_at=row.created_at,
        retired_at=row.retired_at,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class UserWallets(EngineOwner):
    """Give a URL (owns its engine) or an engine you own; ``clock`` is "now"."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock

    # ---- reading ---------------------------------------------------------------------------

    async def active(self, user_id: int) -> UserWallet | None:
        """The user's active wallet, None when they have none."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(WALLETS).where(WALLETS.c.user_id == user_id, WALLETS.c.active)
                )
            ).first()
        return _wallet(row) if row else None

    async def of_user(self, user_id: int) -> list[UserWallet]:
        """Every wallet the user had, the active one included, oldest first."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(WALLETS).where(WALLETS.c.user_id == user_id).order_by(WALLETS.c.id)
                )
            ).all()
        return [_wallet(row) for row in rows]

    async def by_address(self, address: str) -> UserWallet | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(WALLETS).where(WALLETS.c.address == address))
            ).first()
        return _wallet(row) if row else None

    async def settings_of(self, user_id: int) -> UserSettings:
        """The user's settings (defaults when the row has none)."""
        async with self._engine.connect() as conn:
            stored = await conn.scalar(sa.select(USERS.c.settings).where(USERS.c.id == user_id))
        return UserSettings.from_dict(stored or {})

    # ---- changing --------------------------------------------------------------------------

    async def activate(
        self,
        user_id: int,
        address: str,
        backend: WalletBackend,
        *,
        origin: WalletOrigin,
        key_ref: str | None = None,
        actor: str | None = None,
    ) -> UserWallet:
        """Make ``address`` the user's active wallet (inserted, or re-activated when the user
        had it before). The previous active wallet is retired and trading is turned off when
        the wallet changes. An address of another user is refused."""
        actor = actor or f"user:{user_id}"
        async with self._engine.begin() as conn:
            settings = await self._lock_user(conn, user_id)
            now = self._clock()
            existing = (
                await conn.execute(sa.select(WALLETS).where(WALLETS.c.address == address))
            ).first()
            if existing is not None and existing.user_id != user_id:
                raise UserInputError(
                    "wallet {address} is already the trading wallet of another account",
                    address=address,
                )
            if existing is not None and existing.active:
                return _wallet(existing)
            current = (
                await conn.execute(
                    sa.select(WALLETS).where(WALLETS.c.user_id == user_id, WALLETS.c.active)
                )
            ).first()
            if current is not None:
                await conn.execute(
                    WALLETS.update()
                    .where(WALLETS.c.id == current.id)
                    .values(active=False, retired_at=now)
                )
                await _audit(conn, actor, "wallet.retired", current.address, {}, now)
            if existing is not None:
                await conn.execute(
                    WALLETS.update()
                    .where(WALLETS.c.id == existing.id)
                    .values(active=True, retired_at=None)
                )
            else:
                await conn.execute(
                    WALLETS.insert().values(
                        user_id=user_id,
                        address=address,
                        backend=backend.value,
                        key_ref=key_ref,
                        active=True,
                        created_at=now,
                    )
                )
            action = "wallet.created" if origin is WalletOrigin.CREATED else "wallet.imported"
            await _audit(conn, actor, action, address, {"backend": backend.value}, now)
            if current is not None and settings.trading_enabled:
                await self._write_trading(conn, user_id, settings, False, actor, now, address)
            row = (
                await conn.execute(sa.select(WALLETS).where(WALLETS.c.address == address))
            ).one()
        return _wallet(row)

    async def set_trading(
        self,
        user_id: int,
        enabled: bool,
        *,
        expect_address: str | None = None,
        actor: str | None = None,
    ) -> UserSettings:
        """Turn the user's trading on or off. On needs an active wallet (and, with
        ``expect_address``, that one: a confirmation given for a wallet since replaced does
        not count)."""
        actor = actor or f"user:{user_id}"
        async with self._engine.begin() as conn:
            settings = await self._lock_user(conn, user_id)
            current = (
                await conn.execute(
                    sa.select(WALLETS.c.address).where(
                        WALLETS.c.user_id == user_id, WALLETS.c.active
                    )
                )
            ).scalar_one_or_none()
            if enabled and current is None:
                raise UserInputError("trading needs a wallet first: /trading on creates one")
            if enabled and expect_address is not None and current != expect_address:
                raise UserInputError(
                    "this confirmation was for another wallet: send /trading on again"
                )
            if settings.trading_enabled == enabled:
                return settings
            return await self._write_trading(
                conn, user_id, settings, enabled, actor, self._clock(), current
            )

    async def set_own_limit(
        self,
        user_id: int,
        limit: OwnLimit,
        value: int,
        *,
        ceilings: Ceilings,
        actor: str | None = None,
    ) -> OwnLimits:
        """Set one of the user's own limits (lamports, or bps for slippage). A value above the
        operator's ceiling is refused (``AboveCeiling`` names it) and nothing is written."""
        stored = stored_value(limit, value, ceilings)
        return await self._write_limits(user_id, {limit.value: stored}, actor)

    async def reset_own_limits(self, user_id: int, *, actor: str | None = None) -> OwnLimits:
        """Back to the operator's limits."""
        return await self._write_limits(user_id, None, actor)

    async def _write_limits(
        self, user_id: int, changes: dict[str, Any] | None, actor: str | None
    ) -> OwnLimits:
        actor = actor or f"user:{user_id}"
        async with self._engine.begin() as conn:
            settings = await self._lock_user(conn, user_id)
            own: dict[str, Any] = dict(settings.extra.get(EXTRA_KEY) or {})
            own = {} if changes is None else {**own, **changes}
            extra = {**settings.extra, EXTRA_KEY: own}
            changed = dataclasses.replace(settings, extra=extra)
            await conn.execute(
                USERS.update().where(USERS.c.id == user_id).values(settings=changed.to_dict())
            )
            await audit.append(
                conn,
                actor=actor,
                action="trading.limits_changed",
                subject=f"user:{user_id}",
                details={"limits": own},
                idempotency_key=None,
                at=self._clock(),
            )
        return OwnLimits.of(changed)

    # ---- internals -------------------------------------------------------------------------

    @staticmethod
    async def _lock_user(conn: AsyncConnection, user_id: int) -> UserSettings:
        query = sa.select(USERS.c.settings).where(USERS.c.id == user_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await conn.execute(query)).first()
        if row is None:
            raise UserInputError("no user {id}", id=user_id)
        return UserSettings.from_dict(row.settings or {})

    @staticmethod
    async def _write_trading(
        conn: AsyncConnection,
        user_id: int,
        settings: UserSettings,
        enabled: bool,
        actor: str,
        now: datetime,
        address: str | None,
    ) -> UserSettings:
        changed = dataclasses.replace(settings, trading_enabled=enabled)
        await conn.execute(
            USERS.update().where(USERS.c.id == user_id).values(settings=changed.to_dict())
        )
        action = "trading.enabled" if enabled else "trading.disabled"
        await _audit(conn, actor, action, address, {"user_id": user_id}, now)
        return changed


async def _audit(
    conn: AsyncConnection,
    actor: str,
    action: str,
    address: str | None,
    details: Mapping[str, Any],
    at: datetime,
) -> None:
    await audit.append(
        conn,
        actor=actor,
        action=action,
        subject=f"wallet:{address}" if address else None,
        details=details,
        idempotency_key=None,
        at=at,
    )
