"""RulesStore on PostgreSQL and SQLite: CRUD, ownership, validation errors, invalid rows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from core.errors import UserInputError
from core.signals import Rule, RuleError, RuleKind
from core.signals.rules_store import RULES, RulesStore
from core.storage.db import create_engine
from core.storage.migrate import upgrade
from core.storage.models import User

BURST = {"kind": "smart_buy_burst", "min_wallets": 3, "min_sol": 5, "window_min": 5}


@pytest.fixture
async def db_url(empty_db_url: str) -> str:
    await upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(User.__table__),  # type: ignore[attr-defined]
                [{"id": 1, "settings": {}}, {"id": 2, "settings": {}}],
            )
    finally:
        await engine.dispose()
    return empty_db_url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[RulesStore]:
    async with RulesStore(db_url) as s:
        yield s


async def test_added_rules_list_back_validated(store: RulesStore) -> None:
    rule_id = await store.add({**BURST, "tags": ["kol"]}, name="KOL burst")
    [stored] = await store.list()
    assert (stored.id, stored.name, stored.kind, stored.enabled) == (
        rule_id,
        "KOL burst",
        "smart_buy_burst",
        True,
    )
    assert stored.is_global and stored.error is None
    assert stored.rule == Rule.from_dict({**BURST, "tags": ["kol"], "name": "KOL burst"})
    assert (await store.get(rule_id)).rule == stored.rule


async def test_a_rule_without_a_name_is_stored_under_its_default_label(store: RulesStore) -> None:
    rule_id = await store.add({"kind": "top10", "max_pct": 25}, name="")
    stored = await store.get(rule_id)
    assert stored.name == "Top10 <25%" and stored.rule is not None
    assert stored.rule.label == "Top10 <25%"


async def test_global_and_user_rules_are_listed_by_owner(store: RulesStore) -> None:
    g = await store.add({"kind": "no_mint"}, name="No Mint")
    u1 = await store.add({"kind": "no_freeze"}, name="Mine", owner_user_id=1)
    u2 = await store.add({"kind": "lp_burnt"}, name="Theirs", owner_user_id=2)
    assert [r.id for r in await store.list()] == [g]
    assert [r.id for r in await store.list(1)] == [g, u1]
    assert [r.id for r in await store.list(1, include_global=False)] == [u1]
    assert [r.id for r in await store.list(2)] == [g, u2]
    assert [r.kind for r in await store.active_rules(1)] == [RuleKind.NO_MINT, RuleKind.NO_FREEZE]


async def test_disabled_rules_are_not_active_until_enabled(store: RulesStore) -> None:
    a = await store.add(BURST, name="burst")
    b = await store.add({"kind": "no_mint"}, name="No Mint")
    await store.disable(a)
    assert [r.label for r in await store.active_rules()] == ["No Mint"]
    assert [(r.id, r.enabled) for r in await store.list()] == [(a, False), (b, True)]
    await store.enable(a)
    assert [r.label for r in await store.active_rules()] == ["burst", "No Mint"]
    await store.remove(a)
    assert [r.id for r in await store.list()] == [b]


async def test_unknown_ids_are_user_errors(store: RulesStore) -> None:
    for action in (store.enable, store.disable, store.remove, store.get):
        with pytest.raises(UserInputError, match="no rule with id 999"):
            await action(999)
    with pytest.raises(UserInputError, match="no user with id 42"):
        await store.add({"kind": "no_mint"}, name="x", owner_user_id=42)


@pytest.mark.parametrize(
    ("rule", "name", "field", "allowed"),
    [
        ({**BURST, "min_wallets": 0}, "x", "rule.min_wallets", "integer 1-100"),
        ({**BURST, "window_min": 30}, "x", "rule.window_min", "integer 1-15"),
        ({"kind": "top10", "max_pct": "a lot"}, "x", "rule.max_pct", "number 0-100"),
        ({"kind": "push_time", "window_min": 5}, "x", "rule.min_net_sol_per_min", "0-10000"),
        ({"kind": "moon"}, "x", "rule.kind", "push_time"),
        ({"kind": "no_mint", "colour": 1}, "x", "rule.colour", "kind"),
        ({"kind": "no_mint"}, "n" * 81, "rule.name", "at most 80"),
    ],
)
async def test_invalid_rules_raise_rule_error_naming_field_and_range(
    store: RulesStore, rule: dict[str, object], name: str, field: str, allowed: str
) -> None:
    with pytest.raises(RuleError) as err:
        await store.add(rule, name=name)
    assert err.value.field == field and allowed in err.value.allowed
    assert field in str(err.value)
    assert await store.list() == []


async def test_a_row_broken_by_hand_is_shown_with_its_error_and_not_active(
    db_url: str, store: RulesStore
) -> None:
    bad = await store.add(BURST, name="burst")
    good = await store.add({"kind": "no_mint"}, name="No Mint")
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(RULES).where(RULES.c.id == bad).values(params={"min_wallets": -1})
            )
    finally:
        await engine.dispose()
    broken = await store.get(bad)
    assert broken.rule is None and broken.error is not None and "min_wallets" in str(broken.error)
    assert [r.label for r in await store.active_rules()] == ["No Mint"]
    assert good in [r.id for r in await store.list()]
