"""The smart-money wallet registry: lists, import / export, refresh and ranking of stats.

Data model (migration 0002):

- ``wallets`` keeps one row per address: the registry entry with the **featured** (set by
  admins) and **community** (shared by users) lists' alias, tags and ``list_kind``. An address
  only users watch privately has a bare row with kind ``mine`` (no alias, no tags: those are
  private). Kinds only rise on import / add (mine < community < featured): re-importing never
  demotes; ``edit`` sets a kind explicitly.
- ``wallet_watches`` (user_id, address, alias, tags; unique (user_id, address)) is each user's
  private list ("mine"), so two users can hold the same address under their own aliases.
- ``wallets.monitor_count`` = number of watches of the address, **recomputed from
  ``wallet_watches``** for the touched addresses in the same transaction as every watch change.
- ``wallet_positions`` / ``wallet_stats`` hold the statistics state, see ``refresh_stats``.

Import merge rule: a row's alias and tags replace the stored ones when given; an empty alias or
tags cell keeps what is stored. Addresses not in the file are untouched (nothing is lost). A file
with any bad row imports nothing unless ``partial=True``; a broken file (bad header, invalid
JSON) never imports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.chain.rpc_client import RpcClient
from core.errors import UserInputError
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import ListKind
from core.wallets import metrics
from core.wallets import repository as repo
from core.wallets.csv_json import (
    TAG_PATTERN,
    FileFormat,
    ParsedFile,
    RowError,
    WalletRow,
    format_rows,
    normalize_alias,
    normalize_tags,
    parse,
    validate_address,
)
from core.wallets.csv_json import RowInvalid as _RowInvalid
from core.wallets.stats import PositionState, TradeCounters, WalletStats, fold, wallet_stats

log = structlog.get_logger(__name__)

KIND_RANK = {ListKind.MINE: 0, ListKind.COMMUNITY: 1, ListKind.FEATURED: 2}
REFRESH_BATCH = 20_000


class SortKey(StrEnum):
    PNL = "pnl"
    BALANCE = "balance"
    HITRATE = "hitrate"
    WATCHERS = "watchers"
    TRADES = "trades"


class WalletFileError(UserInputError):
    """A wallet file with bad rows; ``errors`` lists every one (line and reason)."""

    def __init__(self, errors: Sequence[RowError], *, fatal: bool = False) -> None:
        self.errors = tuple(errors)
        self.fatal = fatal
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(
            "{n} bad line(s), nothing imported:\n{lines}", n=len(self.errors), lines=lines
        )


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int  # addresses new to this list
    updated: int  # addresses already on it (alias / tags merged)
    errors: tuple[RowError, ...]  # rows skipped (partial import only)


@dataclass(frozen=True, slots=True)
class WalletEntry:
    address: str
    alias: str | None
    tags: tuple[str, ...]
    list_kind: ListKind
    monitor_count: int


@dataclass(frozen=True, slots=True)
class RankedWallet:
    entry: WalletEntry
    stats: WalletStats


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _entry(stored: repo.StoredEntry) -> WalletEntry:
    return WalletEntry(
        stored.address, stored.alias, stored.tags, stored.list_kind, stored.monitor_count
    )


def _sort_value(sort: SortKey, ranked: RankedWallet) -> float:
    stats = ranked.stats
    if sort is SortKey.PNL:
        return stats.pnl_lamports
    if sort is SortKey.BALANCE:
        return stats.balance_lamports if stats.balance_lamports is not None else -1
    if sort is SortKey.HITRATE:
        rate = stats.hit_rate.get(30)
        return rate if rate is not None else -1.0
    if sort is SortKey.WATCHERS:
        return ranked.entry.monitor_count
    return stats.trade_count


class WalletRegistry(EngineOwner):
    """``async with WalletRegistry(url) as registry: ...`` (or pass an engine you own)."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock

    # ---- lists ------------------------------------------------------------------------------

    async def import_text(
        self,
        text: str,
        fmt: FileFormat,
        *,
        kind: ListKind = ListKind.COMMUNITY,
        user_id: int | None = None,
        partial: bool = False,
    ) -> ImportReport:
        """Validate a CSV / JSON wallet list and store it on ``kind`` (raises WalletFileError)."""
        parsed: ParsedFile = parse(text, fmt)
        if parsed.errors:
            metrics.WALLET_IMPORT_BAD_ROWS.inc(len(parsed.errors))
        if parsed.fatal or (parsed.errors and not partial):
            raise WalletFileError(parsed.errors, fatal=parsed.fatal)
        added, updated = await self.store(parsed.wallet_rows, kind=kind, user_id=user_id)
        return ImportReport(added, updated, parsed.errors)

    async def store(
        self,
        rows: Sequence[WalletRow],
        *,
        kind: ListKind = ListKind.COMMUNITY,
        user_id: int | None = None,
    ) -> tuple[int, int]:
        """Upsert valid rows on a list in one transaction; returns (added, updated)."""
        if kind is ListKind.MINE and user_id is None:
            raise UserInputError("the 'mine' list is per user: give --user ID")
        started = time.perf_counter()
        now = self._clock()
        addresses = [row.address for row in rows]
        async with self._engine.begin() as conn:
            if user_id is not None and not await repo.user_exists(conn, user_id):
                raise UserInputError("no user with id {id}", id=user_id)
            existing = await repo.registry_rows(conn, addresses)
            if kind is ListKind.MINE:
                assert user_id is not None
                await self._store_registry(conn, rows, existing, ListKind.MINE, None, now, True)
                added, updated = await self._store_watches(conn, rows, user_id, now)
                await repo.recount_watchers(conn, addresses, now)
            else:
                await self._store_registry(conn, rows, existing, kind, user_id, now, False)
                updated = sum(
                    1
                    for a in addresses
                    if a in existing
                    and KIND_RANK[ListKind(existing[a]["list_kind"])] >= KIND_RANK[kind]
                )
                added = len(rows) - updated
        metrics.WALLET_IMPORT_SECONDS.observe(time.perf_counter() - started)
        metrics.WALLETS_IMPORTED.labels(kind=kind.value).inc(len(rows))
        log.info("wallets_stored", kind=kind.value, rows=len(rows), added=added, updated=updated)
        return added, updated

    async def _store_registry(
        self,
        conn: AsyncConnection,
        rows: Sequence[WalletRow],
        existing: dict[str, dict[str, Any]],
        kind: ListKind,
        owner_user_id: int | None,
        now: datetime,
        bare: bool,
    ) -> None:
        values: list[dict[str, Any]] = []
        for row in rows:
            old = existing.get(row.address)
            if old is None:
                values.append(
                    {
                        "address": row.address,
                        "alias": None if bare else row.alias,
                        "tags": [] if bare else list(row.tags),
                        "list_kind": kind.value,
                        "owner_user_id": owner_user_id,
                        "monitor_count": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                continue
            if bare:
                continue  # a private watch never changes the public entry
            old_kind = ListKind(old["list_kind"])
            values.append(
                {
                    **old,
                    "alias": row.alias if row.alias is not None else old["alias"],
                    "tags": list(row.tags) if row.tags else list(old["tags"] or []),
                    "list_kind": max(old_kind, kind, key=KIND_RANK.__getitem__).value,
                    "updated_at": now,
                }
            )
        await repo.upsert(
            conn,
            repo.WALLETS,
            values,
            ["address"],
            ("alias", "tags", "list_kind", "updated_at"),
        )

    async def _store_watches(
        self, conn: AsyncConnection, rows: Sequence[WalletRow], user_id: int, now: datetime
    ) -> tuple[int, int]:
        existing = await repo.watch_rows(conn, user_id, [row.address for row in rows])
        values: list[dict[str, Any]] = []
        for row in rows:
            old = existing.get(row.address)
            alias = row.alias if row.alias is not None or old is None else old["alias"]
            tags = list(row.tags) if row.tags or old is None else list(old["tags"] or [])
            values.append(
                {
                    "user_id": user_id,
                    "address": row.address,
                    "alias": alias,
                    "tags": tags,
                    "created_at": old["created_at"] if old else now,
                    "updated_at": now,
                }
            )
        await repo.upsert(
            conn, repo.WATCHES, values, ["user_id", "address"], ("alias", "tags", "updated_at")
        )
        return len(rows) - len(existing), len(existing)

    async def add(
        self,
        address: str,
        *,
        alias: str | None = None,
        tags: Sequence[str] = (),
        kind: ListKind = ListKind.COMMUNITY,
        user_id: int | None = None,
    ) -> WalletEntry:
        """Add (or update, by the import merge rule) one wallet; raises UserInputError."""
        row = _validated_row(address, alias, tags)
        await self.store([row], kind=kind, user_id=user_id)
        return await self.get(row.address, user_id=user_id if kind is ListKind.MINE else None)

    async def edit(
        self,
        address: str,
        *,
        alias: str | None = None,
        tags: Sequence[str] | None = None,
        kind: ListKind | None = None,
        user_id: int | None = None,
    ) -> WalletEntry:
        """Set alias ("" clears), tags (replaced; [] clears) or kind of a stored wallet.

        With ``user_id`` the user's own watch is edited (its kind cannot be set).
        """
        address = _validated_row(address, None, ()).address
        changes: dict[str, Any] = {}
        if alias is not None:
            changes["alias"] = normalize_alias(alias)
        if tags is not None:
            changes["tags"] = list(_checked_tags(tags))
        async with self._engine.begin() as conn:
            if user_id is not None:
                if kind is not None:
                    raise UserInputError("a watch is always on the user's own list: drop --kind")
                table = repo.WATCHES
                where = sa.and_(table.c.user_id == user_id, table.c.address == address)
            else:
                table = repo.WALLETS
                where = table.c.address == address
                if kind is not None:
                    changes["list_kind"] = kind.value
            changes["updated_at"] = self._clock()
            result = await conn.execute(sa.update(table).where(where).values(**changes))
            if not result.rowcount:
                raise UserInputError("{address} is not on the list: add it first", address=address)
        return await self.get(address, user_id=user_id)

    async def remove(self, address: str, *, user_id: int | None = None) -> None:
        """Remove a wallet from the registry (with its watches and stats), or one user's watch.

        A ``mine`` entry nobody watches any more is removed from the registry too.
        """
        address = address.strip()
        async with self._engine.begin() as conn:
            existing = await repo.registry_rows(conn, [address])
            if address not in existing:
                raise UserInputError("{address} is not in the wallet registry", address=address)
            if user_id is None:
                await repo.delete_wallet(conn, address)
                return
            if not await repo.delete_watch(conn, user_id, address):
                raise UserInputError(
                    "user {id} does not watch {address}", id=user_id, address=address
                )
            now = self._clock()
            await repo.recount_watchers(conn, [address], now)
            row = (await repo.registry_rows(conn, [address]))[address]
            if row["list_kind"] == ListKind.MINE.value and row["monitor_count"] == 0:
                await repo.delete_wallet(conn, address)

    async def get(self, address: str, *, user_id: int | None = None) -> WalletEntry:
        async with self._engine.connect() as conn:
            for stored in await repo.entries(conn, user_id=user_id):
                if stored.address == address:
                    return _entry(stored)
        raise UserInputError("{address} is not on the list", address=address)

    async def entries(
        self, *, kind: ListKind | None = None, user_id: int | None = None
    ) -> list[WalletEntry]:
        """A list's wallets, by address. ``kind=mine`` (or a user) gives that user's watches."""
        if kind is ListKind.MINE and user_id is None:
            raise UserInputError("the 'mine' list is per user: give --user ID")
        async with self._engine.connect() as conn:
            return [_entry(s) for s in await repo.entries(conn, kind=kind, user_id=user_id)]

    async def export(
        self, fmt: FileFormat, *, kind: ListKind | None = None, user_id: int | None = None
    ) -> str:
        """The list as CSV or JSON, in the form ``import_text`` reads back exactly."""
        rows = [
            WalletRow(e.address, e.alias, e.tags)
            for e in await self.entries(kind=kind, user_id=user_id)
        ]
        return format_rows(rows, fmt)

    # ---- statistics ---------------------------------------------------------------------------

    async def refresh_stats(self, *, batch: int = REFRESH_BATCH) -> int:
        """Fold trades stored since the last refresh into positions; returns trades folded.

        Incremental: ``wallet_stats.last_trade_id`` is each wallet's cursor, so only newer trades
        are read, and only the open positions of the touched wallet x mint pairs are loaded. A
        wallet added later starts at cursor 0 and gets its whole stored history. Trades are
        folded in id (storage) order; one transaction per batch.
        """
        total = 0
        while True:
            started = time.perf_counter()
            async with self._engine.begin() as conn:
                trades = await repo.new_trades(conn, batch)
                if not trades:
                    break
                wallets = sorted({t.wallet for t in trades})
                open_positions = await repo.positions(conn, wallets, open_only=True)
                folded = fold(open_positions, trades, await repo.counters(conn, wallets))
                await repo.save_positions(conn, folded.positions)
                await repo.save_counters(conn, folded.counters, self._clock())
            total += len(trades)
            metrics.WALLET_TRADES_FOLDED.inc(len(trades))
            metrics.WALLET_REFRESH_SECONDS.observe(time.perf_counter() - started)
            if len(trades) < batch:
                break
        log.info("wallet_stats_refreshed", trades=total)
        return total

    async def refresh_balances(self, rpc: RpcClient) -> int:
        """Read every registered wallet's SOL balance (batched getMultipleAccounts)."""
        async with self._engine.connect() as conn:
            addresses = [s.address for s in await repo.entries(conn)]
        if not addresses:
            return 0
        balances = await rpc.get_balances(addresses)
        async with self._engine.begin() as conn:
            await repo.save_balances(
                conn, dict(zip(addresses, balances, strict=True)), self._clock()
            )
        return len(addresses)

    async def ranked(
        self,
        *,
        sort: SortKey = SortKey.PNL,
        limit: int | None = None,
        kind: ListKind | None = None,
        user_id: int | None = None,
    ) -> list[RankedWallet]:
        """A list's wallets with their stats, best first by ``sort`` (ties by address)."""
        now = self._clock()
        listed = await self.entries(kind=kind, user_id=user_id)
        addresses = [e.address for e in listed]
        async with self._engine.connect() as conn:
            held = await repo.positions(conn, addresses)
            saved = await repo.stats_rows(conn, addresses)
            open_mints = [p.mint for p in held if not p.closed]
            prices, decimals = await repo.latest_prices(conn, open_mints)
        by_wallet: dict[str, list[PositionState]] = {a: [] for a in addresses}
        for position in held:
            by_wallet[position.wallet].append(position)
        out: list[RankedWallet] = []
        for entry in listed:
            counted, balance = saved.get(entry.address, (None, None))
            stats = wallet_stats(
                entry.address,
                by_wallet[entry.address],
                counted if counted is not None else TradeCounters(),
                now=now,
                prices_sol=prices,
                decimals=decimals,
                balance_lamports=balance,
            )
            out.append(RankedWallet(entry, stats))
        out.sort(key=lambda r: r.entry.address)
        out.sort(key=lambda r: _sort_value(sort, r), reverse=True)
        return out[:limit] if limit is not None else out


def _checked_tags(tags: Sequence[str]) -> tuple[str, ...]:
    try:
        return normalize_tags(tags)
    except _RowInvalid as exc:
        bad = (t.strip() for t in tags if not TAG_PATTERN.fullmatch(t.strip().lower()))
        tag = next((t for t in bad if t), "")
        raise UserInputError(
            'tag "{tag}" must be 1-24 characters of a-z, 0-9, _ or -', tag=tag
        ) from exc


def _validated_row(address: str, alias: str | None, tags: Sequence[str]) -> WalletRow:
    try:
        valid = validate_address(address)
    except _RowInvalid as exc:
        if not address.strip():
            raise UserInputError("empty address") from exc
        shown = address.strip()
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise UserInputError(
            '"{address}" is not a Solana address (base58, 32 bytes)', address=shown
        ) from exc
    return WalletRow(valid, normalize_alias(alias), _checked_tags(tags))
