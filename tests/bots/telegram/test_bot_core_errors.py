"""A French user gets core's refusals in French through the real bot (Telegram emulator): the
error handler and the routers translate a core ``UserInputError`` (its template and params) and
escape the user's input; nothing is stored."""

from __future__ import annotations

from solders.pubkey import Pubkey

from tests.bots.telegram.conftest import BotHarness
from tests.telegram_emulator import User

LEA = User(id=2002, first_name="Léa", username="lea", language_code="fr")
WALLET = str(Pubkey(bytes([7]) * 32))


async def test_a_bad_tag_on_watch_is_refused_in_french(harness: BotHarness) -> None:
    (reply,) = await harness.say(f"/watch {WALLET} whale1 Big<Whale>", LEA)
    assert reply["text"] == (
        "Refusé : le tag « Big&lt;Whale&gt; » doit compter de 1 à 24 caractères parmi a-z, "
        "0-9, _ ou -"
    )
    profile, _ = await harness.services.users.register_telegram(LEA.id, language_code="fr")
    assert await harness.services.wallets.entries(user_id=profile.id) == []


async def test_a_setting_out_of_range_is_refused_in_french(harness: BotHarness) -> None:
    (reply,) = await harness.say("/settings quiet 25-7", LEA)
    assert reply["text"] == (
        "Refusé : quiet_hours : 25 (autorisé : heures de 0 à 23 (UTC)). "
        "Exemple : /settings quiet 23-7"
    )


async def test_a_rule_out_of_range_is_refused_in_french(harness: BotHarness) -> None:
    (reply,) = await harness.say(
        '/rules add Trop peu {"kind": "smart_buy_burst", "min_wallets": 0, "min_sol": 5, '
        '"window_min": 5}',
        LEA,
    )
    assert reply["text"].startswith(
        "Refusé : rule.min_wallets : 0 est hors limites (autorisé : entier de 1 à 100). "
        "Exemple : /rules add"
    )


async def test_the_same_refusal_stays_english_for_an_english_user(harness: BotHarness) -> None:
    (reply,) = await harness.say("/settings quiet 25-7")
    assert reply["text"] == (
        "Not accepted: quiet_hours: 25 (allowed: hours 0 to 23 (UTC)). "
        "Example: /settings quiet 23-7"
    )
