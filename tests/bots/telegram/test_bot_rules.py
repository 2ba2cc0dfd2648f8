"""/rules through the real bot: listing, buttons, text commands, validation, ownership."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bots.telegram.callbacks import RuleAction
from core.errors import UserInputError
from core.signals.rules_store import RULES
from core.storage.db import create_engine
from tests.bots.telegram.conftest import ANA, BotHarness, buttons
from tests.telegram_emulator import User

ADMIN = User(id=9001, first_name="Root", username="root")
BOB = User(id=1002, first_name="Bob", username="bob")
BURST = {"kind": "smart_buy_burst", "min_wallets": 3, "min_sol": 5, "window_min": 5}
EXAMPLE = (
    "/rules add Smart Buy Burst "
    '{"kind": "smart_buy_burst", "min_wallets": 3, "min_sol": 5, "window_min": 5}'
)


async def _user_id(harness: BotHarness, user: User) -> int:
    profile, _ = await harness.services.users.register_telegram(
        user.id, language_code=user.language_code
    )
    return profile.id


async def _seed(harness: BotHarness) -> tuple[int, int, int]:
    """A global Smart Buy Burst, Ana's disabled top10 rule and Bob's rule: their ids."""
    rules = harness.services.rules
    global_id = await rules.add(BURST, name="Smart Buy Burst")
    anas = await rules.add(
        {"kind": "top10", "max_pct": 30}, name="", owner_user_id=await _user_id(harness, ANA)
    )
    await rules.disable(anas)
    bobs = await rules.add(
        {"kind": "no_mint"}, name="Bob's", owner_user_id=await _user_id(harness, BOB)
    )
    return global_id, anas, bobs


async def test_rules_lists_global_and_own_rules_with_an_example(harness: BotHarness) -> None:
    global_id, anas, _bobs = await _seed(harness)
    (reply,) = await harness.say("/rules")
    lines = reply["text"].split("\n")
    assert lines[:5] == [
        "<b>Signal rules</b>",
        "<b>Global (everyone; admins change them)</b>",
        f"✅ #{global_id} <b>Smart Buy Burst</b> · smart_buy_burst: min_wallets 3, min_sol 5, "
        "window_min 5 · on",
        "<b>Yours</b>",
        f"⏸ #{anas} <b>Top10 &lt;30%</b> · top10: max_pct 30 · off",
    ]
    assert "Bob" not in reply["text"]
    assert f"<code>{EXAMPLE.replace('<', '&lt;')}</code>" in reply["text"]
    # buttons for Ana's own rule only: the global one is for admins
    assert buttons(reply) == {
        f"▶️ Enable #{anas}": RuleAction(action="enable", rule_id=anas).pack(),
        f"🗑 Remove #{anas}": RuleAction(action="remove", rule_id=anas).pack(),
    }

    (admins,) = await harness.say("/rules", ADMIN)
    assert f"⏸ Disable #{global_id}" in buttons(admins)


async def test_buttons_enable_disable_and_remove_own_rules_in_place(harness: BotHarness) -> None:
    _global_id, anas, _bobs = await _seed(harness)
    (listing,) = await harness.say("/rules")
    (enabled,) = await harness.press(buttons(listing)[f"▶️ Enable #{anas}"], listing)
    assert enabled["message_id"] == listing["message_id"]
    assert enabled["text"].startswith(f"✅ Rule #{anas} Top10 &lt;30% enabled.\n")
    assert f"✅ #{anas} <b>Top10 &lt;30%</b> · top10: max_pct 30 · on" in enabled["text"]
    assert (await harness.services.rules.get(anas)).enabled

    (disabled,) = await harness.press(buttons(enabled)[f"⏸ Disable #{anas}"], enabled)
    assert disabled["message_id"] == listing["message_id"]
    assert not (await harness.services.rules.get(anas)).enabled

    (asked,) = await harness.press(buttons(disabled)[f"🗑 Remove #{anas}"], disabled)
    assert asked["text"].startswith(f"Remove rule #{anas} Top10 &lt;30%? This cannot be undone.")
    assert set(buttons(asked)) == {f"🗑 Yes, remove #{anas}", "Cancel"}
    (kept,) = await harness.press(buttons(asked)["Cancel"], asked)
    assert f"🗑 Remove #{anas}" in buttons(kept)
    await harness.services.rules.get(anas)  # still there

    (asked,) = await harness.press(buttons(kept)[f"🗑 Remove #{anas}"], kept)
    (removed,) = await harness.press(buttons(asked)[f"🗑 Yes, remove #{anas}"], asked)
    assert removed["message_id"] == listing["message_id"]
    assert removed["text"].startswith(f"🗑 Rule #{anas} Top10 &lt;30% removed.\n")
    assert "No rules of your own yet." in removed["text"]
    with pytest.raises(UserInputError):
        await harness.services.rules.get(anas)


async def test_add_a_rule_of_your_own_by_text(harness: BotHarness) -> None:
    ana_id = await _user_id(harness, ANA)
    rule = {**BURST, "tags": ["kol"]}
    (reply,) = await harness.say(f"/rules add KOL burst {json.dumps(rule)}")
    [stored] = await harness.services.rules.list(ana_id, include_global=False)
    assert (stored.name, stored.kind, stored.enabled) == ("KOL burst", "smart_buy_burst", True)
    assert reply["text"].startswith(f"✅ Rule #{stored.id} KOL burst added.\n")
    assert (
        f"✅ #{stored.id} <b>KOL burst</b> · smart_buy_burst: min_wallets 3, min_sol 5, "
        "window_min 5, tags kol · on"
    ) in reply["text"]

    # phones turn typed quotes into typographic ones; the rule is still read
    (typo,) = await harness.say("/rules add Gate {“kind”: “no_freeze”, “required”: true}")
    assert "Gate added." in typo["text"]
    assert [r.name for r in await harness.services.rules.list(ana_id, include_global=False)] == [
        "KOL burst",
        "Gate",
    ]


INVALID: list[tuple[str, str]] = [
    (
        '/rules add Too few {"kind": "smart_buy_burst", "min_wallets": 0, "min_sol": 5, '
        '"window_min": 5}',
        "Not accepted: rule.min_wallets: 0 is out of range (allowed: integer 1-100). "
        f"Example: {EXAMPLE}",
    ),
    (
        '/rules add Odd {"kind": "moon"}',
        "Not accepted: rule.kind: unknown kind 'moon' (allowed: push_time, smart_buy_burst, "
        "top10, no_mint, no_freeze, lp_burnt, min_liquidity, max_price_impact). Example: ",
    ),
    (
        '/rules add Extra {"kind": "no_mint", "colour": "red"}',
        "Not accepted: rule.colour: unknown field (allowed: kind, name, required). Example: ",
    ),
    (
        '/rules add Broken {"kind": "top10", "max_pct": }',
        "Not accepted: The rule is not valid JSON (Expecting value at character 30). Example: ",
    ),
    (
        "/rules add Lonely name",
        "Not accepted: The rule's JSON is missing. "
        "Usage: /rules add &lt;name&gt; &lt;json&gt;. Example: ",
    ),
]


async def test_invalid_rules_are_refused_naming_the_field(harness: BotHarness) -> None:
    ana_id = await _user_id(harness, ANA)
    for command, expected in INVALID:
        (reply,) = await harness.say(command)
        assert reply["text"].startswith(expected), command
        assert await harness.services.rules.list(ana_id) == [], command


async def test_global_rules_are_for_admins_only(harness: BotHarness) -> None:
    global_id, _anas, _bobs = await _seed(harness)
    (refused,) = await harness.say('/rules add global Mine {"kind": "no_mint"}')
    assert refused["text"] == "This command is for admins only; nothing was changed."
    assert len(await harness.services.rules.list()) == 1

    (refused,) = await harness.say(f"/rules disable {global_id}")
    assert refused["text"] == (
        f"Not accepted: Rule #{global_id} is a global rule: only admins can change it; "
        "nothing was changed."
    )
    # a button forged (or left from when Ana was admin) is refused the same way
    (listing,) = await harness.say("/rules")
    forged = RuleAction(action="remove", rule_id=global_id).pack()
    (refused,) = await harness.press(forged, listing)
    assert "is a global rule: only admins can change it" in refused["text"]
    assert (await harness.services.rules.get(global_id)).enabled

    (added,) = await harness.say('/rules add global No Freeze {"kind": "no_freeze"}', ADMIN)
    assert "✅ Global rule #" in added["text"] and "No Freeze added." in added["text"]
    assert [r.name for r in await harness.services.rules.list()] == [
        "Smart Buy Burst",
        "No Freeze",
    ]
    (admins,) = await harness.say("/rules", ADMIN)
    (done,) = await harness.press(buttons(admins)[f"⏸ Disable #{global_id}"], admins, ADMIN)
    assert done["message_id"] == admins["message_id"]
    assert not (await harness.services.rules.get(global_id)).enabled


async def test_unknown_or_foreign_rule_ids_are_answered_clearly(harness: BotHarness) -> None:
    _global_id, _anas, bobs = await _seed(harness)
    (reply,) = await harness.say("/rules enable 999999")
    assert reply["text"] == (
        "Not accepted: There is no rule #999999 of yours. Send /rules to see the ids."
    )
    (reply,) = await harness.say(f"/rules remove {bobs}")
    assert reply["text"] == (
        f"Not accepted: There is no rule #{bobs} of yours. Send /rules to see the ids."
    )
    await harness.services.rules.get(bobs)  # Bob's rule is untouched
    (reply,) = await harness.say("/rules disable abc")
    assert reply["text"] == (
        'Not accepted: "abc" is not a rule id. Send /rules to see the ids. '
        "Example: /rules disable 3"
    )
    (reply,) = await harness.say("/rules frobnicate")
    assert reply["text"].startswith(
        'Not accepted: "frobnicate" is not a /rules action. Use /rules'
    )


async def test_text_commands_change_own_rules(harness: BotHarness) -> None:
    _global_id, anas, _bobs = await _seed(harness)
    (reply,) = await harness.say(f"/rules enable #{anas}")
    assert reply["text"].startswith(f"✅ Rule #{anas} Top10 &lt;30% enabled.\n")
    assert (await harness.services.rules.get(anas)).enabled
    (reply,) = await harness.say(f"/rules remove {anas}")
    assert reply["text"].startswith(f"🗑 Rule #{anas} Top10 &lt;30% removed.\n")
    assert "No rules of your own yet." in reply["text"]


async def test_rules_in_french(harness: BotHarness) -> None:
    lea = User(id=2002, first_name="Léa", username="lea", language_code="fr")
    _global_id, _anas, _bobs = await _seed(harness)
    (reply,) = await harness.say('/rules add Porte {"kind": "no_freeze"}', lea)
    assert "✅ Règle n°" in reply["text"] and "Porte ajoutée." in reply["text"]
    assert "<b>Règles de signal</b>" in reply["text"]
    assert any(label.startswith("⏸ Désactiver n°") for label in buttons(reply))


async def test_a_rule_broken_in_the_database_shows_its_problem_in_french(
    harness: BotHarness, bot_db_url: str
) -> None:
    lea = User(id=2002, first_name="Léa", username="lea", language_code="fr")
    rule_id = await harness.services.rules.add(
        BURST, name="Rafale", owner_user_id=await _user_id(harness, lea)
    )
    engine = create_engine(bot_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(RULES).where(RULES.c.id == rule_id).values(params={"min_wallets": -1})
            )
    finally:
        await engine.dispose()
    (reply,) = await harness.say("/rules", lea)
    assert (
        f"⚠️ #{rule_id} <b>Rafale</b> · smart_buy_burst: invalide : rule.min_wallets : -1 est "
        "hors limites (autorisé : entier de 1 à 100) · activé"
    ) in reply["text"].split("\n")

    (reply,) = await harness.say('/rules add Cassée {"kind": "top10", "max_pct": }', lea)
    assert reply["text"].startswith(
        "Refusé : La règle n'est pas du JSON valide (valeur attendue au caractère 30)."
    )
