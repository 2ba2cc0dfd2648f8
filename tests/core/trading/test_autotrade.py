"""Auto-trade rules: matching a signal (Strength, tagged smart buyers, clusters once); confirm
mode waits for the user; direct mode buys through the executor with every limit applied and
arms the rule's TP/SL template on the new position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from solders.keypair import Keypair

from core.errors import Text, UserInputError
from core.signals.rules import RuleKind, RuleResult
from core.signals.signal import Signal, SignalReason
from core.storage.db import create_engine
from core.storage.models import ListKind
from core.trading.autotrade import (
    AutoTradeMode,
    AutoTradeRule,
    IntentState,
    intent_to_stream_fields,
    match,
    smart_buys,
)
from core.trading.autotrade_store import USERS, AutoTradeStore
from core.trading.order_store import OrderStore
from core.trading.orders import LegKind, OrderState, OrderTemplate, TakeProfit
from core.trading.trade_types import RefusalReason, TradeState
from core.wallets.registry import WalletRegistry
from tests.core.trading.conftest import SOL, Desk, make_user

A, B, C, D = (str(Keypair().pubkey()) for _ in range(4))
WALLET = str(Keypair().pubkey())
TEMPLATE = OrderTemplate(take_profits=(TakeProfit(5_000, 5_000),), stop_loss_bps=3_000)


def signal(mint: str, *, strength: float = 2.0, buyers: tuple[str, ...] = (A, B, C)) -> Signal:
    return Signal(
        mint=mint,
        at=1_754_000_000,
        sequence=1,
        reason=SignalReason.FIRST,
        strength=strength,
        components={},
        weights={},
        inputs={"smart_buyers": len(buyers)},
        rules_fired=(),
        rule_results=(RuleResult("No Mint", RuleKind.NO_MINT, True, {}),),
        risk_badges=(),
        risk_penalties=(),
        smart_buyers=tuple((b, 1.0) for b in buyers),
    )


def rule(user_id: int = 1, **changes: object) -> AutoTradeRule:
    fields: dict[str, object] = {
        "user_id": user_id,
        "name": "burst",
        "mode": AutoTradeMode.CONFIRM,
        "min_strength": 1.8,
        "min_smart_buyers": 3,
        "wallet": WALLET,
        "buy_lamports": SOL // 10,
        "template": TEMPLATE,
    }
    fields.update(changes)
    return AutoTradeRule(**fields)  # type: ignore[arg-type]


MINT = str(Keypair().pubkey())


# ---- matching (pure) -----------------------------------------------------------------------


def test_a_rule_matches_at_its_strength_and_smart_buyer_thresholds() -> None:
    assert match(rule(), signal(MINT, strength=1.79), {}) is None
    found = match(rule(), signal(MINT, strength=1.8), {})
    assert found is not None and found.smart_buyers == 3
    assert found.why == "Strength 1.80 >= 1.8 and 3 smart buyers >= 3"
    assert match(rule(), signal(MINT, buyers=(A, B)), {}) is None
    assert match(rule(enabled=False), signal(MINT), {}) is None


def test_only_smart_buyers_with_one_of_the_rules_tags_count() -> None:
    tags = {A: frozenset({"kol"}), B: frozenset({"whale", "kol"}), C: frozenset({"bot"})}
    assert smart_buys(signal(MINT), ("kol",), tags) == (2, (A, B))
    assert match(rule(tags=("kol",)), signal(MINT), tags) is None
    found = match(rule(tags=("kol", "bot")), signal(MINT), tags)
    assert found is not None and found.wallets == (A, B, C)


def test_wallets_of_one_cluster_count_as_one_smart_buyer() -> None:
    clustered = Signal(
        **{
            **{f: getattr(signal(MINT, buyers=(A, B, C, D)), f) for f in Signal.__slots__},
            "clusters": (("c1", (A, B, C), "common funder"),),
        }
    )
    assert smart_buys(clustered, (), {}) == (2, (A, B, C, D))
    assert match(rule(), clustered, {}) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_strength": 3.5}, "Strength must be 0 to 3"),
        ({"buy_lamports": 0}, "must be positive"),
        ({"wallet": "nope"}, "not a Solana address"),
        ({"tags": ("Bad Tag",)}, "lowercase"),
    ],
)
def test_invalid_rules_say_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        rule(**changes)


# ---- confirm mode ----------------------------------------------------------------------------


async def test_confirm_mode_records_one_pending_intent_per_mint_until_the_user_answers(
    db_url: str,
) -> None:
    user = await make_user(db_url)
    store = AutoTradeStore(db_url)
    stored = await store.add_rule(rule(user))
    assert [r.id for r in await store.active_rules()] == [stored.id]

    found = match(stored, signal(MINT), {})
    assert found is not None
    intent = await store.record(found)
    assert intent is not None and intent.state is IntentState.PENDING
    assert intent.trade_key == f"auto-{stored.id}-{MINT}"
    assert await store.record(found) is None  # the same mint again: no second intent
    fields = intent_to_stream_fields(intent)
    assert fields["kind"] == "pending" and fields["user_id"] == str(user)
    assert fields["buy_lamports"] == str(SOL // 10)

    assert await store.claim_ready("w") == []  # nothing is bought before the user confirms
    confirmed = await store.confirm(intent.id, user_id=user)
    assert confirmed.state is IntentState.CONFIRMED
    with pytest.raises(UserInputError, match="already confirmed") as raised:
        await store.cancel(intent.id, user_id=user)
    assert raised.value.params["state"] == Text("confirmed")  # a word the bot translates
    with pytest.raises(UserInputError, match="not one of yours"):
        await store.confirm(intent.id, user_id=user + 1)
    assert [i.id for i in await store.claim_ready("w")] == [intent.id]
    await store.aclose()


async def test_an_unanswered_confirmation_expires(db_url: str) -> None:
    user = await make_user(db_url)
    clock = {"now": datetime(2025, 3, 1, tzinfo=UTC)}
    store = AutoTradeStore(db_url, clock=lambda: clock["now"], intent_ttl_s=60)
    stored = await store.add_rule(rule(user))
    found = match(stored, signal(MINT), {})
    assert found is not None
    intent = await store.record(found)
    assert intent is not None

    clock["now"] += timedelta(seconds=61)
    with pytest.raises(UserInputError, match="already expired") as raised:
        await store.confirm(intent.id, user_id=user)
    assert raised.value.params["state"] == Text("expired")  # pending past its time shows expired
    expired = await store.expire()
    assert [i.state for i in expired] == [IntentState.EXPIRED]
    await store.aclose()


async def test_disabled_rules_and_rules_of_users_with_trading_off_are_not_active(
    db_url: str,
) -> None:
    user = await make_user(db_url)
    store = AutoTradeStore(db_url)
    await store.add_rule(rule(user))
    disabled = await store.add_rule(rule(user, name="second"))
    await store.set_enabled(disabled.id or 0, user_id=user, enabled=False)
    engine = create_engine(db_url)
    async with engine.begin() as conn:  # a user who never turned trading on
        cautious = (
            await conn.execute(
                USERS.insert().values(language="en", role="registered", settings={})
            )
        ).inserted_primary_key[0]
    await engine.dispose()
    await store.add_rule(rule(int(cautious), name="never"))
    assert [r.name for r in await store.active_rules()] == ["burst"]
    await store.aclose()


async def test_tags_come_from_the_registry_and_the_users_own_list(db_url: str) -> None:
    user = await make_user(db_url)
    registry = WalletRegistry(db_url)
    await registry.add(A, tags=["kol"])
    await registry.add(B, tags=["friend"], kind=ListKind.MINE, user_id=user)
    store = AutoTradeStore(db_url)
    tags = await store.tags_of(user, [A, B, C])
    assert tags == {A: frozenset({"kol"}), B: frozenset({"friend"})}
    assert await store.tags_of(user + 1, [B]) == {B: frozenset()}  # registry row, no tags
    await registry.aclose()
    await store.aclose()


# ---- direct mode, through the executor --------------------------------------------------------


async def test_direct_mode_buys_through_the_executor_and_arms_the_template(desk: Desk) -> None:
    store = AutoTradeStore(desk.db_url)
    stored = await store.add_rule(
        rule(desk.user_id, mode=AutoTradeMode.DIRECT, wallet=str(desk.wallet))
    )
    found = match(stored, signal(str(desk.mint)), {})
    assert found is not None
    intent = await store.record(found)
    assert intent is not None and intent.state is IntentState.CONFIRMED  # no question asked

    (leased,) = await store.claim_ready("worker-1")
    outcome = await desk.execute(leased.trade_request())
    finished = await store.finish(leased, outcome, stored.template)

    assert outcome.state is TradeState.CONFIRMED and desk.tokens() > 0
    assert finished is not None and finished.state is IntentState.DONE
    assert finished.position_id == outcome.position_id is not None
    orders = OrderStore(desk.db_url)
    armed = await orders.of_position(outcome.position_id)
    assert [(o.kind, o.state) for o in armed] == [
        (LegKind.TAKE_PROFIT, OrderState.ARMED),
        (LegKind.STOP_LOSS, OrderState.ARMED),
    ]
    assert await store.finish(leased, outcome, stored.template) is None  # never attached twice
    assert len(await orders.of_position(outcome.position_id)) == 2
    await orders.aclose()
    await store.aclose()


async def test_direct_mode_is_held_to_the_users_limits(desk: Desk) -> None:
    store = AutoTradeStore(desk.db_url)
    too_big = 3 * SOL  # the desk's per-trade limit is 2 SOL
    stored = await store.add_rule(
        rule(
            desk.user_id, mode=AutoTradeMode.DIRECT, wallet=str(desk.wallet), buy_lamports=too_big
        )
    )
    found = match(stored, signal(str(desk.mint)), {})
    assert found is not None
    await store.record(found)
    (leased,) = await store.claim_ready("worker-1")

    outcome = await desk.execute(leased.trade_request())
    finished = await store.finish(leased, outcome, stored.template)

    assert outcome.state is TradeState.REFUSED and outcome.reason == RefusalReason.TRADE_LIMIT
    assert finished is not None and finished.state is IntentState.FAILED
    assert finished.reason == RefusalReason.TRADE_LIMIT.value
    assert desk.tokens() == 0 and desk.node.calls_of("sendTransaction") == []
    await store.aclose()
