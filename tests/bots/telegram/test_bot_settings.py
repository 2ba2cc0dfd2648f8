"""/settings through the real bot: the summary, buttons edited in place, text forms, errors."""

from __future__ import annotations

from core.users.settings import QuietHours, UserSettings
from tests.bots.telegram.conftest import ANA, BotHarness, buttons
from tests.telegram_emulator import User

LEA = User(id=2002, first_name="Léa", username="lea", language_code="fr")

DEFAULT_LINES = [
    "<b>⚙️ Alert settings</b>",
    "Alerts: <b>on</b>",
    "Min Strength: <b>1.5</b>",
    "No mint only: <b>off</b>",
    "No freeze only: <b>off</b>",
    "Top10 max: <b>off</b>",
    "Min liquidity: <b>off</b>",
    "Tags: <b>any</b>",
    "Quiet hours: <b>off</b>",
    "Trading: <b>off (turn it on with /trading)</b>",
]


async def _settings(harness: BotHarness, user: User = ANA) -> UserSettings:
    profile, _ = await harness.services.users.register_telegram(
        user.id, language_code=user.language_code
    )
    return profile.settings


async def test_settings_shows_every_filter_with_buttons(harness: BotHarness) -> None:
    (reply,) = await harness.say("/settings")
    assert reply["text"].split("\n")[: len(DEFAULT_LINES)] == DEFAULT_LINES
    assert "/settings min_strength 2.1 · top10 30|off · liquidity 10000|off" in reply["text"]
    assert set(buttons(reply)) == {
        "🔔 Alerts: on",
        "Min Strength: 1.5 ▾",
        "Top10 max: off ▾",
        "Min liquidity: off ▾",
        "No mint only: off",
        "No freeze only: off",
    }


async def test_buttons_toggle_and_pick_values_in_place(harness: BotHarness) -> None:
    (menu,) = await harness.say("/settings")
    (muted,) = await harness.press(buttons(menu)["🔔 Alerts: on"], menu)
    assert muted["message_id"] == menu["message_id"]
    assert muted["text"].startswith("✅ Alerts set to off.\n")
    assert "Alerts: <b>off</b>" in muted["text"]
    assert (await _settings(harness)).alerts is False

    (picker,) = await harness.press(buttons(muted)["Min Strength: 1.5 ▾"], muted)
    assert picker["message_id"] == menu["message_id"]
    assert picker["text"].endswith(
        "<b>Pick the min Strength: alerts of weaker signals are not sent.</b>"
    )
    assert list(buttons(picker)) == ["0", "1", "✓ 1.5", "2", "2.5", "« Back"]
    (picked,) = await harness.press(buttons(picker)["2.5"], picker)
    assert picked["message_id"] == menu["message_id"]
    assert picked["text"].startswith("✅ Min Strength set to 2.5.\n")
    assert "Min Strength: 2.5 ▾" in buttons(picked)

    (picker,) = await harness.press(buttons(picked)["Top10 max: off ▾"], picked)
    assert list(buttons(picker)) == ["✓ off", "20%", "30%", "40%", "« Back"]
    (picked,) = await harness.press(buttons(picker)["30%"], picker)
    assert "Top10 max: <b>30%</b>" in picked["text"]

    (picker,) = await harness.press(buttons(picked)["Min liquidity: off ▾"], picked)
    assert list(buttons(picker)) == ["✓ off", "5k USD", "10k USD", "50k USD", "« Back"]
    (back,) = await harness.press(buttons(picker)["« Back"], picker)
    assert "Min liquidity: off ▾" in buttons(back)
    (picker,) = await harness.press(buttons(back)["Min liquidity: off ▾"], back)
    (picked,) = await harness.press(buttons(picker)["10k USD"], picker)
    assert "Min liquidity: <b>10k USD</b>" in picked["text"]

    (mint,) = await harness.press(buttons(picked)["No mint only: off"], picked)
    (freeze,) = await harness.press(buttons(mint)["No freeze only: off"], mint)
    assert "No freeze only: on" in buttons(freeze) and "No mint only: on" in buttons(freeze)

    settings = await _settings(harness)
    assert (settings.min_strength, settings.top10_max_pct, settings.min_liquidity_usd) == (
        2.5,
        30.0,
        10_000.0,
    )
    assert settings.no_mint and settings.no_freeze and not settings.alerts
    assert settings.trading_enabled is False
    assert len(await harness.emulator.requests("sendMessage")) == 1  # everything else edited


TEXT_FORMS: list[tuple[str, dict[str, object], str]] = [
    ("/settings min_strength 2.1", {"min_strength": 2.1}, "Min Strength set to 2.1."),
    ("/settings strength 0,5", {"min_strength": 0.5}, "Min Strength set to 0.5."),
    ("/settings top10 30", {"top10_max_pct": 30.0}, "Top10 max set to 30%."),
    ("/settings top10 25.5%", {"top10_max_pct": 25.5}, "Top10 max set to 25.5%."),
    ("/settings liquidity 10000", {"min_liquidity_usd": 10_000.0}, "set to 10k USD."),
    ("/settings liquidity $50k", {"min_liquidity_usd": 50_000.0}, "set to 50k USD."),
    ("/settings tags kol, Smart", {"tags": ("kol", "smart")}, "Tags set to kol, smart."),
    ("/settings quiet 23-7", {"quiet_hours": QuietHours(23, 7)}, "23:00–07:00 UTC."),
    ("/settings alerts off", {"alerts": False}, "Alerts set to off."),
    ("/settings no_mint on", {"no_mint": True}, "No mint only set to on."),
    ("/settings no_freeze yes", {"no_freeze": True}, "No freeze only set to on."),
]


async def test_text_forms_change_one_setting_each(harness: BotHarness) -> None:
    for command, changed, note in TEXT_FORMS:
        before = await _settings(harness)
        (reply,) = await harness.say(command)
        assert reply["text"].split("\n")[0].endswith(note), command
        assert await _settings(harness) == before.with_changes(**changed), command


async def test_off_clears_a_filter(harness: BotHarness) -> None:
    await harness.say("/settings top10 30")
    await harness.say("/settings tags kol")
    await harness.say("/settings quiet 22-6")
    await harness.say("/settings liquidity 5000")
    for name in ("top10", "tags", "quiet", "liquidity"):
        await harness.say(f"/settings {name} off")
    assert await _settings(harness) == UserSettings()


INVALID: list[tuple[str, str]] = [
    (
        "/settings min_strength 7",
        "Not accepted: min_strength: 7.0 (allowed: 0 to 3). Example: /settings min_strength 2.1",
    ),
    (
        "/settings min_strength high",
        'Not accepted: "high" is not a number for min_strength. '
        "Example: /settings min_strength 2.1",
    ),
    (
        "/settings top10 0",
        "Not accepted: top10_max_pct: 0.0 (allowed: above 0, up to 100 (%)). "
        "Example: /settings top10 30",
    ),
    (
        "/settings liquidity -5",
        "Not accepted: min_liquidity_usd: -5.0 (allowed: 0 or more (USD)). "
        "Example: /settings liquidity 10000",
    ),
    (
        "/settings tags kol,m@x",
        "Not accepted: tags: 'm@x' (allowed: lowercase letters, digits, _ or -, 1-24). "
        "Example: /settings tags kol,smart",
    ),
    (
        "/settings quiet 25-7",
        "Not accepted: quiet_hours: 25 (allowed: hours 0 to 23 (UTC)). "
        "Example: /settings quiet 23-7",
    ),
    (
        "/settings quiet 9pm",
        'Not accepted: "9pm" is not a range of hours for quiet. Write start-end in UTC '
        "hours 0-23, or off. Example: /settings quiet 23-7",
    ),
    (
        "/settings alerts maybe",
        'Not accepted: "maybe" is not on or off for alerts. Example: /settings alerts off',
    ),
    (
        "/settings volume 3",
        'Not accepted: "volume" is not a setting. Settings: alerts, min_strength, no_mint, '
        "no_freeze, top10, liquidity, tags, quiet. Example: /settings top10 30",
    ),
    (
        "/settings top10",
        "Not accepted: Missing argument. Usage: /settings top10 &lt;1-100&gt;|off",
    ),
]


async def test_invalid_values_name_the_range_and_an_example_and_change_nothing(
    harness: BotHarness,
) -> None:
    await harness.say("/settings min_strength 2")
    before = await _settings(harness)
    for command, expected in INVALID:
        (reply,) = await harness.say(command)
        assert reply["text"] == expected, command
        assert await _settings(harness) == before, command


async def test_trading_cannot_be_turned_on_here(harness: BotHarness) -> None:
    (reply,) = await harness.say("/settings trading on")
    assert reply["text"] == (
        "Trading is switched with /trading (it needs a wallet and your confirmation); "
        "/settings cannot turn it on. Nothing was changed."
    )
    assert (await _settings(harness)).trading_enabled is False


async def test_settings_in_french(harness: BotHarness) -> None:
    (reply,) = await harness.say("/settings", LEA)
    lines = reply["text"].split("\n")
    assert lines[:3] == [
        "<b>⚙️ Réglages des alertes</b>",
        "Alertes : <b>activé</b>",
        "Strength min : <b>1.5</b>",
    ]
    assert "Trading : <b>désactivé (activez-le avec /trading)</b>" in lines
    (picker,) = await harness.press(buttons(reply)["Strength min : 1.5 ▾"], reply, LEA)
    (picked,) = await harness.press(buttons(picker)["2"], picker, LEA)
    assert picked["text"].startswith("✅ Strength min : 2.\n")
    (bad,) = await harness.say("/settings min_strength 9", LEA)
    assert bad["text"] == (
        "Refusé : min_strength : 9.0 (autorisé : de 0 à 3). Exemple : /settings min_strength 2.1"
    )
    assert (await _settings(harness, LEA)).min_strength == 2.0


async def test_watched_tokens_are_neither_shown_nor_touched(harness: BotHarness) -> None:
    mint = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJospump"
    profile, _ = await harness.services.users.register_telegram(ANA.id)
    await harness.services.users.update_settings(profile.id, watched_mints=(mint,))
    (menu,) = await harness.say("/settings")
    (changed,) = await harness.press(buttons(menu)["No mint only: off"], menu)
    (typed,) = await harness.say("/settings tags kol")
    (refused,) = await harness.say(f"/settings watched_mints {mint}")
    assert refused["text"].startswith('Not accepted: "watched_mints" is not a setting.')
    assert all(mint not in m["text"] for m in (menu, changed, typed))
    settings = await _settings(harness)
    assert settings.watched_mints == (mint,)
    assert settings.no_mint and settings.tags == ("kol",)
