"""Removing an auto-trade rule: hidden and never matching again, its waiting intents cancelled,
its row and intents kept (the history of what it bought)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.errors import UserInputError
from core.storage.db import create_engine
from core.trading.autotrade import IntentState, match
from core.trading.autotrade_store import INTENTS, RULES, AutoTradeStore
from tests.core.trading.conftest import make_user
from tests.core.trading.test_autotrade import MINT, rule, signal


async def test_removing_a_rule_hides_it_cancels_waiting_intents_and_keeps_the_history(
    db_url: str,
) -> None:
    user = await make_user(db_url)
    store = AutoTradeStore(db_url)
    kept = await store.add_rule(rule(user, name="kept"))
    gone = await store.add_rule(rule(user, name="gone"))
    found = match(gone, signal(MINT), {})
    assert found is not None
    intent = await store.record(found)
    assert intent is not None and intent.state is IntentState.PENDING

    with pytest.raises(UserInputError, match="not one of yours"):
        await store.remove(gone.id or 0, user_id=user + 1)
    removed = await store.remove(gone.id or 0, user_id=user)

    assert removed.rule.name == "gone" and removed.rule.enabled is False
    assert [i.id for i in removed.cancelled] == [intent.id]
    assert [r.name for r in await store.rules_of(user)] == ["kept"]
    assert [r.id for r in await store.active_rules()] == [kept.id]
    waiting = await store.get(intent.id)
    assert waiting is not None and waiting.state is IntentState.CANCELLED
    assert waiting.reason == "rule_removed"
    with pytest.raises(UserInputError, match="already cancelled"):
        await store.confirm(intent.id, user_id=user)
    with pytest.raises(UserInputError, match="not one of yours"):
        await store.remove(gone.id or 0, user_id=user)  # removed once only
    with pytest.raises(UserInputError, match="not one of yours"):
        await store.set_enabled(gone.id or 0, user_id=user, enabled=True)
    engine = create_engine(db_url)
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(RULES).where(RULES.c.id == gone.id))).one()
        intents = (
            await conn.execute(sa.select(INTENTS.c.id).where(INTENTS.c.rule_id == gone.id))
        ).all()
    await engine.dispose()
    assert row.removed_at is not None and [i.id for i in intents] == [intent.id]
    await store.aclose()
