"""Auto-trade rules and intents in the database (``autotrade_rules``, ``autotrade_intents``).

Every intent transition is one conditional UPDATE with its audit row (``subject`` =
``autotrade:<intent id>``). ``record`` inserts at most one intent per rule and mint (a unique
key). ``claim_ready`` leases confirmed intents (and ones whose executing worker's lease expired)
to one worker with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; ``finish`` records the buy's
outcome and, in the same transaction, arms the rule's TP/SL template on the new position — so
the template is attached exactly once even when the finishing step runs twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import Text, UserInputError
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import (
    AutoTradeIntentRecord,
    AutoTradeRuleRecord,
    User,
    Wallet,
    WalletWatch,
)
from core.trading import audit
from core.trading.autotrade import (
    RULE_REMOVED,
    AutoTradeMode,
    AutoTradeRule,
    Intent,
    IntentState,
    RuleMatch,
    intent_key,
)
from core.trading.order_store import attach_in
from core.trading.orders import OrderTemplate
from core.trading.trade_types import TradeOutcome, TradeState

log = structlog.get_logger(__name__)

RULES: sa.Table = AutoTradeRuleRecord.__table__  # type: ignore[attr-defined]
INTENTS: sa.Table = AutoTradeIntentRecord.__table__  # type: ignore[attr-defined]
USERS: sa.Table = User.__table__  # type: ignore[attr-defined]
WALLETS: sa.Table = Wallet.__table__  # type: ignore[attr-defined]
WATCHES: sa.Table = WalletWatch.__table__  # type: ignore[attr-defined]
IS = IntentState
DEFAULT_INTENT_TTL_S = 300.0
# "this auto-buy is already {state}": the state as a translatable word (pending shows as expired)
_STATE_WORDS: Mapping[IntentState, Text] = {
    IS.CONFIRMED: Text("confirmed"),
    IS.EXECUTING: Text("executing"),
    IS.DONE: Text("done"),
    IS.FAILED: Text("failed"),
    IS.CANCELLED: Text("cancelled"),
    IS.EXPIRED: Text("expired"),
}
DEFAULT_LEASE_S = 300.0


@dataclass(frozen=True, slots=True)
class RemovedRule:
    """A removed rule and the intents its removal cancelled (they were waiting for an answer)."""

    rule: AutoTradeRule
    cancelled: list[Intent]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _rule(row: Any) -> AutoTradeRule:
    return AutoTradeRule(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        mode=AutoTradeMode(row.mode),
        min_strength=float(row.min_strength),
        min_smart_buyers=row.min_smart_buyers,
        wallet=row.wallet,
        buy_lamports=int(row.buy_lamports),
        tags=tuple(row.tags or ()),
        template=OrderTemplate.from_dict(row.template) if row.template else None,
        slippage_bps=row.slippage_bps,
        enabled=bool(row.enabled),
    )


def _intent(row: Any) -> Intent:
    return Intent(
        id=row.id,
        rule_id=row.rule_id,
        user_id=row.user_id,
        mint=row.mint,
        wallet=row.wallet,
        buy_lamports=int(row.buy_lamports),
        mode=AutoTradeMode(row.mode),
        state=IntentState(row.state),
        trade_key=row.trade_key,
        signal_at=int(row.signal_at),
        strength=float(row.strength),
        detail=dict(row.detail or {}),
        position_id=row.position_id,
        reason=row.reason,
        expires_at=row.expires_at,
        created_at=row.created_at,
    )


async def _audit(
    conn: AsyncConnection, intent_id: int, actor: str, action: str, at: datetime, **details: Any
) -> None:
    await audit.append(
        conn,
        actor=actor,
        action=action,
        subject=f"autotrade:{intent_id}",
        details=details,
        idempotency_key=details.get("trade_key"),
        at=at,
    )


class AutoTradeStore(EngineOwner):
    """Give a URL (the store owns its engine) or an engine you own."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
        intent_ttl_s: float = DEFAULT_INTENT_TTL_S,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock
        self.intent_ttl = timedelta(seconds=intent_ttl_s)
        self.lease = timedelta(seconds=lease_s)

    def now(self) -> datetime:
        return self._clock()

    # ---- rules (the bot) ---------------------------------------------------------------------

    async def add_rule(self, rule: AutoTradeRule) -> AutoTradeRule:
        now = self.now()
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    RULES.insert()
                    .values(
                        user_id=rule.user_id,
                        name=rule.name,
                        enabled=rule.enabled,
                        mode=rule.mode.value,
                        min_strength=rule.min_strength,
                        min_smart_buyers=rule.min_smart_buyers,
                        tags=list(rule.tags),
                        wallet=rule.wallet,
                        buy_lamports=rule.buy_lamports,
                        slippage_bps=rule.slippage_bps,
                        template=rule.template.to_dict() if rule.template else None,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(*RULES.c)
                )
            ).one()
            await audit.append(
                conn,
                actor=f"user:{rule.user_id}",
                action="autotrade.rule_added",
                subject=f"autotrade_rule:{row.id}",
                details={"name": rule.name, "mode": rule.mode.value, "buy": rule.buy_lamports},
                idempotency_key=None,
                at=now,
            )
        return _rule(row)

    async def rule(self, rule_id: int) -> AutoTradeRule | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(RULES).where(RULES.c.id == rule_id))).first()
        return _rule(row) if row else None

    async def rules_of(self, user_id: int) -> list[AutoTradeRule]:
        """The user's rules (removed ones excluded), oldest first."""
        query = (
            sa.select(RULES)
            .where(RULES.c.user_id == user_id, RULES.c.removed_at.is_(None))
            .order_by(RULES.c.id)
        )
        async with self._engine.connect() as conn:
            return [_rule(r) for r in (await conn.execute(query)).all()]

    async def remove(self, rule_id: int, *, user_id: int) -> RemovedRule:
        """Remove the user's rule: it is disabled and hidden for good, and its intents still
        waiting for the user's answer are cancelled (reason ``rule_removed``); the row and its
        intents stay, so the history of what it bought remains. The rule and the intents it
        cancelled (for the caller to publish on ``autotrade.out``, as the loop does for the
        intents it changes); ``UserInputError`` when it is not one of the user's (or already
        gone). Intents already confirmed or executing finish as they are."""
        now = self.now()
        async with self._engine.begin() as conn:
            row = await _update_own_rule(
                conn, rule_id, user_id, enabled=False, removed_at=now, updated_at=now
            )
            cancelled = (
                await conn.execute(
                    INTENTS.update()
                    .where(INTENTS.c.rule_id == rule_id, INTENTS.c.state == IS.PENDING.value)
                    .values(state=IS.CANCELLED.value, reason=RULE_REMOVED, updated_at=now)
                    .returning(*INTENTS.c)
                )
            ).all()
            for intent in cancelled:
                await _audit(
                    conn,
                    intent.id,
                    f"user:{user_id}",
                    "autotrade.cancelled",
                    now,
                    trade_key=intent.trade_key,
                    reason=RULE_REMOVED,
                )
            await audit.append(
                conn,
                actor=f"user:{user_id}",
                action="autotrade.rule_removed",
                subject=f"autotrade_rule:{rule_id}",
                details={"name": row.name, "cancelled_intents": [i.id for i in cancelled]},
                idempotency_key=None,
                at=now,
            )
        log.info("autotrade_rule_removed", rule_id=rule_id, cancelled=len(cancelled))
        return RemovedRule(_rule(row), [_intent(r) for r in cancelled])

    async def pending_count(self, rule_id: int) -> int:
        """How many of the rule's intents wait for the user's answer (``remove`` cancels them)."""
        query = (
            sa.select(sa.func.count())
            .select_from(INTENTS)
            .where(INTENTS.c.rule_id == rule_id, INTENTS.c.state == IS.PENDING.value)
        )
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def set_enabled(self, rule_id: int, *, user_id: int, enabled: bool) -> AutoTradeRule:
        now = self.now()
        async with self._engine.begin() as conn:
            row = await _update_own_rule(conn, rule_id, user_id, enabled=enabled, updated_at=now)
            await audit.append(
                conn,
                actor=f"user:{user_id}",
                action="autotrade.rule_enabled" if enabled else "autotrade.rule_disabled",
                subject=f"autotrade_rule:{rule_id}",
                details={},
                idempotency_key=None,
                at=now,
            )
        return _rule(row)

    async def active_rules(self) -> list[AutoTradeRule]:
        """Enabled rules of users who turned trading on (the executor checks it again)."""
        query = (
            sa.select(RULES, USERS.c.settings.label("user_settings"))
            .join(USERS, USERS.c.id == RULES.c.user_id)
            .where(RULES.c.enabled.is_(True))
            .order_by(RULES.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_rule(r) for r in rows if (r.user_settings or {}).get("trading_enabled")]

    async def tags_of(self, user_id: int, addresses: Iterable[str]) -> dict[str, frozenset[str]]:
        """The tags of ``addresses``: the registry's and the user's own (their watch list)."""
        wanted = sorted(set(addresses))
        if not wanted:
            return {}
        tags: dict[str, set[str]] = {}
        async with self._engine.connect() as conn:
            for address, row_tags in await conn.execute(
                sa.select(WALLETS.c.address, WALLETS.c.tags).where(WALLETS.c.address.in_(wanted))
            ):
                tags.setdefault(address, set()).update(row_tags or ())
            for address, row_tags in await conn.execute(
                sa.select(WATCHES.c.address, WATCHES.c.tags).where(
                    WATCHES.c.user_id == user_id, WATCHES.c.address.in_(wanted)
                )
            ):
                tags.setdefault(address, set()).update(row_tags or ())
        return {address: frozenset(found) for address, found in tags.items()}

    # ---- intents -----------------------------------------------------------------------------

    async def record(self, found: RuleMatch) -> Intent | None:
        """The intent for a match: ``pending`` (confirm) or ``confirmed`` (direct); None when
        the rule already has one for this mint."""
        rule = found.rule
        assert rule.id is not None
        now = self.now()
        key = intent_key(rule.id, found.mint)
        state = IS.PENDING if rule.mode is AutoTradeMode.CONFIRM else IS.CONFIRMED
        detail = {
            "rule": rule.name,
            "why": found.why,
            "smart_buyers": found.smart_buyers,
            "wallets": list(found.wallets),
            "slippage_bps": rule.slippage_bps,
        }
        async with self._engine.begin() as conn:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            row = (
                await conn.execute(
                    insert(INTENTS)
                    .values(
                        rule_id=rule.id,
                        user_id=rule.user_id,
                        mint=found.mint,
                        wallet=rule.wallet,
                        buy_lamports=rule.buy_lamports,
                        mode=rule.mode.value,
                        state=state.value,
                        trade_key=key,
                        signal_at=found.signal_at,
                        strength=found.strength,
                        detail=detail,
                        expires_at=now + self.intent_ttl,
                        created_at=now,
                        updated_at=now,
                    )
                    .on_conflict_do_nothing()
                    .returning(*INTENTS.c)
                )
            ).first()
            if row is None:
                return None
            await _audit(
                conn,
                row.id,
                f"autotrade:{rule.id}",
                "autotrade.intent",
                now,
                trade_key=key,
                state=state.value,
                mint=found.mint,
                buy_lamports=rule.buy_lamports,
                why=found.why,
            )
        return _intent(row)

    async def get(self, intent_id: int) -> Intent | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(INTENTS).where(INTENTS.c.id == intent_id))).first()
        return _intent(row) if row else None

    async def of_user(self, user_id: int, *, limit: int = 20) -> list[Intent]:
        query = (
            sa.select(INTENTS)
            .where(INTENTS.c.user_id == user_id)
            .order_by(INTENTS.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_intent(r) for r in (await conn.execute(query)).all()]

    async def confirm(self, intent_id: int, *, user_id: int) -> Intent:
        """The user tapped Confirm: ``pending -> confirmed`` (the worker then buys)."""
        return await self._decide(intent_id, user_id, IS.CONFIRMED, "autotrade.confirmed")

    async def cancel(self, intent_id: int, *, user_id: int) -> Intent:
        """The user tapped Cancel: ``pending -> cancelled``."""
        return await self._decide(intent_id, user_id, IS.CANCELLED, "autotrade.cancelled")

    async def _decide(self, intent_id: int, user_id: int, to: IntentState, action: str) -> Intent:
        now = self.now()
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    INTENTS.update()
                    .where(
                        INTENTS.c.id == intent_id,
                        INTENTS.c.user_id == user_id,
                        INTENTS.c.state == IS.PENDING.value,
                        INTENTS.c.expires_at > now,
                    )
                    .values(state=to.value, updated_at=now)
                    .returning(*INTENTS.c)
                )
            ).first()
            if row is None:
                current = (
                    await conn.execute(sa.select(INTENTS).where(INTENTS.c.id == intent_id))
                ).first()
                if current is None or current.user_id != user_id:
                    raise UserInputError("auto-buy {id} is not one of yours", id=intent_id)
                state = IS.EXPIRED if current.state == IS.PENDING else IS(current.state)
                raise UserInputError(
                    "this auto-buy is already {state}: nothing was changed",
                    state=_STATE_WORDS[state],
                )
            await _audit(conn, intent_id, f"user:{user_id}", action, now, trade_key=row.trade_key)
        return _intent(row)

    async def expire(self) -> list[Intent]:
        """``pending -> expired`` for intents nobody answered in time."""
        now = self.now()
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    INTENTS.update()
                    .where(INTENTS.c.state == IS.PENDING.value, INTENTS.c.expires_at <= now)
                    .values(state=IS.EXPIRED.value, updated_at=now)
                    .returning(*INTENTS.c)
                )
            ).all()
            for row in rows:
                await _audit(conn, row.id, "autotrade", "autotrade.expired", now)
        return [_intent(r) for r in rows]

    async def claim_ready(self, owner: str, *, limit: int = 20) -> list[Intent]:
        """Lease confirmed intents (and executing ones whose lease expired) to ``owner``."""
        now = self.now()
        ready = sa.or_(
            INTENTS.c.state == IS.CONFIRMED.value,
            sa.and_(INTENTS.c.state == IS.EXECUTING.value, INTENTS.c.claimed_until < now),
        )
        candidates = sa.select(INTENTS.c.id).where(ready).order_by(INTENTS.c.id).limit(limit)
        async with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            ids = [r.id for r in await conn.execute(candidates)]
            if not ids:
                return []
            rows = (
                await conn.execute(
                    INTENTS.update()
                    .where(INTENTS.c.id.in_(ids), ready)
                    .values(
                        state=IS.EXECUTING.value,
                        claimed_by=owner,
                        claimed_until=now + self.lease,
                        updated_at=now,
                    )
                    .returning(*INTENTS.c)
                )
            ).all()
            for row in rows:
                await _audit(
                    conn, row.id, owner, "autotrade.executing", now, trade_key=row.trade_key
                )
        return [_intent(r) for r in rows]

    async def finish(
        self, intent: Intent, outcome: TradeOutcome, template: OrderTemplate | None
    ) -> Intent | None:
        """``executing -> done`` (and ``template`` armed on the bought position, in the same
        transaction) or ``failed``; unfinished outcomes change nothing. None when someone else
        finished it."""
        if outcome.in_progress or not outcome.state.terminal:
            return None
        now = self.now()
        done = outcome.state is TradeState.CONFIRMED
        to = IS.DONE if done else IS.FAILED
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    INTENTS.update()
                    .where(INTENTS.c.id == intent.id, INTENTS.c.state == IS.EXECUTING.value)
                    .values(
                        state=to.value,
                        reason=outcome.reason,
                        position_id=outcome.position_id,
                        claimed_by=None,
                        claimed_until=None,
                        updated_at=now,
                    )
                    .returning(*INTENTS.c)
                )
            ).first()
            if row is None:
                return None
            armed: list[int] = []
            if done and template is not None and outcome.position_id is not None:
                try:
                    views = await attach_in(
                        conn,
                        outcome.position_id,
                        template,
                        user_id=intent.user_id,
                        actor=f"autotrade:{intent.rule_id}",
                        now=now,
                    )
                    armed = [v.id for v in views]
                except UserInputError as exc:  # e.g. nothing held: the buy filled zero tokens
                    log.warning(
                        "autotrade_template_not_attached", intent=intent.id, error=str(exc)
                    )
            await _audit(
                conn,
                intent.id,
                f"autotrade:{intent.rule_id}",
                f"autotrade.{to.value}",
                now,
                trade_key=intent.trade_key,
                reason=outcome.reason,
                signature=outcome.signature,
                position_id=outcome.position_id,
                orders=armed,
            )
        return _intent(row)


async def _update_own_rule(
    conn: AsyncConnection, rule_id: int, user_id: int, **values: Any
) -> sa.Row[Any]:
    """Update one of ``user_id``'s rules not removed; ``UserInputError`` when there is none."""
    row = (
        await conn.execute(
            RULES.update()
            .where(
                RULES.c.id == rule_id,
                RULES.c.user_id == user_id,
                RULES.c.removed_at.is_(None),
            )
            .values(**values)
            .returning(*RULES.c)
        )
    ).first()
    if row is None:
        raise UserInputError("auto-trade rule {id} is not one of yours", id=rule_id)
    return row
