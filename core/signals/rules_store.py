"""``RulesStore``: signal rules in the ``rules`` table (global, or owned by one user).

A row holds ``name``, ``kind`` and ``params`` (the rule's fields from ``Rule.to_dict`` without
``kind`` and ``name``), ``enabled`` and ``owner_user_id`` (None: a global rule, set by an
operator). Every rule is validated with ``Rule.from_dict`` before it is written: a bad field
raises ``RuleError`` naming the field and its allowed range. The row's ``name`` is the rule's
label (the text in "Rules fired"); without one the rule's default label is stored.

A row edited by hand into something invalid is not fatal: ``list`` shows it with its error (a
translatable ``Text``; ``str()`` is the English), ``active_rules`` skips it with a log line.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import Text, UserInputError
from core.signals.rules import Rule, RuleError
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import Rule as RuleRow

log = structlog.get_logger(__name__)

RULES: sa.Table = RuleRow.__table__  # type: ignore[attr-defined]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StoredRule:
    id: int
    name: str
    kind: str
    enabled: bool
    owner_user_id: int | None  # None: global
    rule: Rule | None  # None when the stored row is invalid (see ``error``)
    error: Text | None  # why the row is invalid: the ``RuleError``'s template and params
    created_at: datetime
    updated_at: datetime

    @property
    def is_global(self) -> bool:
        return self.owner_user_id is None


def _stored(row: Any) -> StoredRule:
    data = {**(row.params or {}), "kind": row.kind, "name": row.name}
    try:
        rule: Rule | None = Rule.from_dict(data)
        error = None
    except RuleError as exc:
        rule, error = None, Text(exc.template, **exc.params)
    return StoredRule(
        id=int(row.id),
        name=row.name,
        kind=row.kind,
        enabled=bool(row.enabled),
        owner_user_id=row.owner_user_id,
        rule=rule,
        error=error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class RulesStore(EngineOwner):
    """Give a URL (the store owns its engine) or an engine you own."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock

    async def add(
        self, rule_dict: Mapping[str, Any], *, name: str, owner_user_id: int | None = None
    ) -> int:
        """Validate and store a rule; returns its id. Raises ``RuleError`` (field and range) or
        ``UserInputError`` (no such user)."""
        if not isinstance(rule_dict, Mapping):
            raise RuleError(
                "rule",
                Text("must be a JSON object, got {type}", type=type(rule_dict).__name__),
                "{}",
            )
        rule = Rule.from_dict({**rule_dict, "name": name.strip()})
        params = {k: v for k, v in rule.to_dict().items() if k not in ("kind", "name")}
        now = self._clock()
        values = {
            "name": rule.label,
            "kind": rule.kind.value,
            "params": params,
            "enabled": True,
            "owner_user_id": owner_user_id,
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(sa.insert(RULES).values(values).returning(RULES.c.id))
                rule_id = int(result.scalar_one())
        except IntegrityError as exc:
            raise UserInputError("no user with id {id}", id=owner_user_id) from exc
        log.info("signal_rule_added", rule_id=rule_id, kind=rule.kind.value, owner=owner_user_id)
        return rule_id

    async def enable(self, rule_id: int) -> None:
        await self._set_enabled(rule_id, True)

    async def disable(self, rule_id: int) -> None:
        await self._set_enabled(rule_id, False)

    async def _set_enabled(self, rule_id: int, enabled: bool) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.update(RULES)
                .where(RULES.c.id == rule_id)
                .values(enabled=enabled, updated_at=self._clock())
            )
        if not result.rowcount:
            raise UserInputError("no rule with id {id}: see the list of rules", id=rule_id)
        log.info("signal_rule_enabled" if enabled else "signal_rule_disabled", rule_id=rule_id)

    async def remove(self, rule_id: int) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(sa.delete(RULES).where(RULES.c.id == rule_id))
        if not result.rowcount:
            raise UserInputError("no rule with id {id}: see the list of rules", id=rule_id)
        log.info("signal_rule_removed", rule_id=rule_id)

    async def get(self, rule_id: int) -> StoredRule:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(RULES).where(RULES.c.id == rule_id))).first()
        if row is None:
            raise UserInputError("no rule with id {id}: see the list of rules", id=rule_id)
        return _stored(row)

    async def active_rules(self, owner_user_id: int | None = None) -> builtins.list[Rule]:
        """Enabled, valid rules: the global ones plus the user's own, by id."""
        out: builtins.list[Rule] = []
        for stored in await self.list(owner_user_id, include_global=True):
            if not stored.enabled:
                continue
            if stored.rule is None:
                log.error("signal_rule_invalid", rule_id=stored.id, error=str(stored.error))
                continue
            out.append(stored.rule)
        return out

    async def list(
        self, owner_user_id: int | None = None, include_global: bool = True
    ) -> builtins.list[StoredRule]:
        """Rules by id: the global ones (``owner_user_id`` None), or a user's own plus, with
        ``include_global``, the global ones."""
        where: sa.ColumnElement[bool]
        if owner_user_id is None:
            where = RULES.c.owner_user_id.is_(None)
        elif include_global:
            where = sa.or_(RULES.c.owner_user_id == owner_user_id, RULES.c.owner_user_id.is_(None))
        else:
            where = RULES.c.owner_user_id == owner_user_id
        async with self._engine.connect() as conn:
            result = await conn.execute(sa.select(RULES).where(where).order_by(RULES.c.id))
            return [_stored(row) for row in result]
