"""Users' trading wallets on both backends: one active wallet per user, an address owned by one
account, trading on only with a wallet and off again when the wallet changes, audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from solders.keypair import Keypair
from sqlalchemy.exc import IntegrityError

from core.errors import UserInputError
from core.storage.db import create_engine
from core.storage.models import AuditLog, User, UserWalletRecord
from core.trading.user_wallets import UserWallets, WalletBackend, WalletOrigin
from core.users.settings import UserSettings

USERS: sa.Table = User.__table__  # type: ignore[attr-defined]
AUDIT: sa.Table = AuditLog.__table__  # type: ignore[attr-defined]
WALLETS: sa.Table = UserWalletRecord.__table__  # type: ignore[attr-defined]


async def new_user(db_url: str) -> int:
    """A registered user with default settings (trading off)."""
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                USERS.insert()
                .values(language="en", role="registered", settings=UserSettings().to_dict())
                .returning(USERS.c.id)
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


async def audit_actions(db_url: str) -> list[tuple[str, str | None]]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(AUDIT.c.action, AUDIT.c.subject).order_by(AUDIT.c.id)
            )
            return [(r.action, r.subject) for r in rows]
    finally:
        await engine.dispose()


def address() -> str:
    return str(Keypair().pubkey())


async def test_trading_stays_off_until_enabled_and_needs_a_wallet(db_url: str) -> None:
    user = await new_user(db_url)
    async with UserWallets(db_url) as wallets:
        assert (await wallets.settings_of(user)).trading_enabled is False
        with pytest.raises(UserInputError, match="needs a wallet first"):
            await wallets.set_trading(user, True)
        wallet = address()
        created = await wallets.activate(
            user, wallet, WalletBackend.KEYSTORE, origin=WalletOrigin.CREATED
        )
        assert (created.address, created.active, created.backend) == (
            wallet,
            True,
            WalletBackend.KEYSTORE,
        )
        assert (await wallets.settings_of(user)).trading_enabled is False  # a wallet is not a yes

        settings = await wallets.set_trading(user, True, expect_address=wallet)
        assert settings.trading_enabled is True
        assert (await wallets.settings_of(user)).trading_enabled is True
        await wallets.set_trading(user, False)
        assert (await wallets.settings_of(user)).trading_enabled is False
    assert await audit_actions(db_url) == [
        ("wallet.created", f"wallet:{wallet}"),
        ("trading.enabled", f"wallet:{wallet}"),
        ("trading.disabled", f"wallet:{wallet}"),
    ]


async def test_a_new_wallet_retires_the_old_one_and_turns_trading_off(db_url: str) -> None:
    user = await new_user(db_url)
    first, second = address(), address()
    async with UserWallets(db_url) as wallets:
        await wallets.activate(user, first, WalletBackend.KEYSTORE, origin=WalletOrigin.CREATED)
        await wallets.set_trading(user, True)
        await wallets.activate(user, second, WalletBackend.KEYSTORE, origin=WalletOrigin.IMPORTED)

        active = await wallets.active(user)
        assert active is not None and active.address == second
        history = await wallets.of_user(user)
        assert [(w.address, w.active) for w in history] == [(first, False), (second, True)]
        assert history[0].retired_at is not None
        assert (await wallets.settings_of(user)).trading_enabled is False

        # a confirmation shown for the first wallet no longer enables trading
        with pytest.raises(UserInputError, match="another wallet"):
            await wallets.set_trading(user, True, expect_address=first)
        assert (await wallets.settings_of(user)).trading_enabled is False

        # taking the first wallet back re-activates its row instead of adding one
        await wallets.activate(user, first, WalletBackend.KEYSTORE, origin=WalletOrigin.IMPORTED)
        assert [(w.address, w.active) for w in await wallets.of_user(user)] == [
            (first, True),
            (second, False),
        ]
    actions = [a for a, _ in await audit_actions(db_url)]
    assert actions == [
        "wallet.created",
        "trading.enabled",
        "wallet.retired",
        "wallet.imported",
        "trading.disabled",
        "wallet.retired",
        "wallet.imported",
    ]


async def test_an_address_is_the_wallet_of_one_account_only(db_url: str) -> None:
    ana, bob = await new_user(db_url), await new_user(db_url)
    wallet = address()
    async with UserWallets(db_url) as wallets:
        await wallets.activate(ana, wallet, WalletBackend.KEYSTORE, origin=WalletOrigin.CREATED)
        with pytest.raises(UserInputError, match="another account"):
            await wallets.activate(
                bob, wallet, WalletBackend.KEYSTORE, origin=WalletOrigin.IMPORTED
            )
        assert await wallets.active(bob) is None
        again = await wallets.activate(
            ana, wallet, WalletBackend.KEYSTORE, origin=WalletOrigin.CREATED
        )
        assert again.address == wallet and len(await wallets.of_user(ana)) == 1


async def test_the_database_refuses_a_second_active_wallet(db_url: str) -> None:
    user = await new_user(db_url)
    async with UserWallets(db_url) as wallets:
        await wallets.activate(user, address(), WalletBackend.VAULT, origin=WalletOrigin.CREATED)
    engine = create_engine(db_url)
    try:
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    WALLETS.insert().values(
                        user_id=user,
                        address=address(),
                        backend="keystore",
                        active=True,
                        created_at=sa.func.now(),
                    )
                )
        async with engine.begin() as conn:  # inactive rows are not limited
            await conn.execute(
                WALLETS.insert().values(
                    user_id=user,
                    address=address(),
                    backend="keystore",
                    active=False,
                    created_at=sa.func.now(),
                )
            )
    finally:
        await engine.dispose()
