"""UserSettings.watched_mints: stored and read back, validated, and absent from older settings."""

from __future__ import annotations

import pytest
from solders.pubkey import Pubkey

from core.users.settings import MAX_WATCHED_MINTS, SettingError, UserSettings

MINT_A = str(Pubkey(bytes([1]) * 32))
MINT_B = str(Pubkey(bytes([2]) * 32))


def test_settings_stored_before_the_field_existed_watch_nothing() -> None:
    old = UserSettings().to_dict()
    del old["watched_mints"]
    assert UserSettings.from_dict(old).watched_mints == ()


def test_watched_mints_round_trip_in_order() -> None:
    settings = UserSettings().with_changes(watched_mints=(MINT_B, MINT_A))
    stored = settings.to_dict()
    assert stored["watched_mints"] == [MINT_B, MINT_A]
    assert UserSettings.from_dict(stored).watched_mints == (MINT_B, MINT_A)


@pytest.mark.parametrize(
    ("mints", "message"),
    [
        (("not-a-mint",), "watched_mints: 'not-a-mint' is not a token address"),
        ((MINT_A, MINT_A), "watched_mints: a token is listed twice"),
        (
            tuple(str(Pubkey(bytes([i % 256, i // 256]) + bytes(30))) for i in range(101)),
            f"watched_mints: 101 tokens (allowed: at most {MAX_WATCHED_MINTS}",
        ),
    ],
)
def test_bad_watched_mints_are_refused_with_the_reason(
    mints: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SettingError) as error:
        UserSettings().with_changes(watched_mints=mints)
    assert str(error.value).startswith(message)
