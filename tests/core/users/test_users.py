from __future__ import annotations

import pytest

from core.errors import UserInputError
from core.storage.models import UserRole
from core.users import QuietHours, SettingError, UserService, UserSettings


async def test_first_start_registers_once_with_the_telegram_language(db_url: str) -> None:
    async with UserService(db_url) as users:
        first, created = await users.register_telegram(42, language_code="fr-CA")
        again, created_again = await users.register_telegram(42, language_code="en")
    assert created and not created_again
    assert first.id == again.id
    assert first.language == "fr"  # fr-CA → fr; the second /start does not reset it
    assert again.language == "fr"
    assert first.role is UserRole.REGISTERED
    assert first.settings == UserSettings()
    assert first.settings.trading_enabled is False


async def test_admins_come_from_configuration(db_url: str) -> None:
    async with UserService(db_url, admin_telegram_ids={7}) as users:
        admin, _ = await users.register_telegram(7)
        other, _ = await users.register_telegram(8)
    assert admin.is_admin and not other.is_admin


async def test_settings_are_validated_and_stored(db_url: str) -> None:
    async with UserService(db_url) as users:
        user, _ = await users.register_telegram(5)
        await users.update_settings(
            user.id,
            min_strength=2.0,
            no_mint=True,
            tags=("kol", "smart"),
            quiet_hours=QuietHours(23, 7),
        )
        with pytest.raises(SettingError) as err:
            await users.update_settings(user.id, min_strength=4.0)
        assert err.value.name == "min_strength" and "0 to 3" in str(err.value)
        with pytest.raises(SettingError):
            await users.update_settings(user.id, trading_enabled=True)
        with pytest.raises(UserInputError):
            await users.set_language(user.id, "de")
        stored = await users.by_telegram(5)
    assert stored is not None
    assert stored.settings.min_strength == 2.0 and stored.settings.tags == ("kol", "smart")
    assert stored.settings.quiet_hours == QuietHours(23, 7)
    assert stored.settings.trading_enabled is False


def test_quiet_hours_wrap_midnight() -> None:
    night = QuietHours(23, 7)
    assert night.covers(23) and night.covers(3) and not night.covers(7) and not night.covers(12)
    assert not QuietHours(9, 9).covers(9)


def test_settings_written_by_a_newer_version_keep_unknown_keys() -> None:
    stored = {**UserSettings().to_dict(), "future_option": 3}
    settings = UserSettings.from_dict(stored)
    assert settings.to_dict()["future_option"] == 3
