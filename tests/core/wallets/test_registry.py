from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.chain.rpc_client import RpcClient
from core.errors import UserInputError
from core.storage.models import ListKind
from core.storage.writer import BatchWriter
from core.wallets.csv_json import FileFormat, parse_csv, parse_json
from core.wallets.registry import SortKey, WalletFileError, WalletRegistry
from tests.core.chain.jsonrpc_transport import ScriptedNode
from tests.core.wallets.factories import BASE_TIME, SOL, address, create_users, trade

A, B, C, D = address(1), address(2), address(3), address(4)
GOOD_CSV = f"address,alias,tags\n{A},whale1,kol|whale\n{B},,smart\n{C},sniper3,sniper;dev\n"


async def test_importing_a_good_file_stores_every_wallet(db_url: str) -> None:
    async with WalletRegistry(db_url) as registry:
        report = await registry.import_text(GOOD_CSV, FileFormat.CSV, kind=ListKind.FEATURED)
        entries = await registry.entries()
    assert (report.added, report.updated, report.errors) == (3, 0, ())
    assert [(e.address, e.alias, e.tags, e.list_kind) for e in entries] == sorted(
        [
            (A, "whale1", ("kol", "whale"), ListKind.FEATURED),
            (B, None, ("smart",), ListKind.FEATURED),
            (C, "sniper3", ("sniper", "dev"), ListKind.FEATURED),
        ]
    )


BAD_CSV = GOOD_CSV + "abc,x,\n" + f"{A},dup,\n" + f"{D},ok,Not A Tag\n"


async def test_a_file_with_errors_imports_nothing_and_lists_every_bad_line(db_url: str) -> None:
    async with WalletRegistry(db_url) as registry:
        with pytest.raises(WalletFileError) as caught:
            await registry.import_text(BAD_CSV, FileFormat.CSV)
        assert await registry.entries() == []
    assert [str(e) for e in caught.value.errors] == [
        'line 5: "abc" is not a Solana address (base58, 32 bytes)',
        f"line 6: duplicate of line 2 ({A})",
        'line 7: tag "Not A Tag" must be 1-24 characters of a-z, 0-9, _ or -',
    ]


async def test_partial_import_stores_the_good_rows_and_reports_the_bad(db_url: str) -> None:
    async with WalletRegistry(db_url) as registry:
        report = await registry.import_text(BAD_CSV, FileFormat.CSV, partial=True)
        entries = await registry.entries()
    assert [e.line for e in report.errors] == [5, 6, 7]
    assert [e.address for e in entries] == sorted([A, B, C])


async def test_reimport_updates_alias_and_tags_without_duplicates_or_losses(db_url: str) -> None:
    async with WalletRegistry(db_url) as registry:
        await registry.import_text(GOOD_CSV, FileFormat.CSV, kind=ListKind.FEATURED)
        again = f"address,alias,tags\n{A},whale-one,smart\n{B},bee,\n{D},new,\n"
        report = await registry.import_text(again, FileFormat.CSV, kind=ListKind.COMMUNITY)
        by_address = {e.address: e for e in await registry.entries()}
    assert (report.added, report.updated) == (1, 2)
    assert set(by_address) == {A, B, C, D}
    assert (by_address[A].alias, by_address[A].tags) == ("whale-one", ("smart",))
    assert (by_address[B].alias, by_address[B].tags) == ("bee", ("smart",))  # empty tags kept
    assert by_address[C].alias == "sniper3"
    assert by_address[A].list_kind is ListKind.FEATURED  # never demoted by an import
    assert by_address[D].list_kind is ListKind.COMMUNITY


@pytest.mark.parametrize("fmt", [FileFormat.CSV, FileFormat.JSON])
async def test_export_round_trips_exactly(db_url: str, sqlite_url: str, fmt: FileFormat) -> None:
    from core.storage.migrate import upgrade

    async with WalletRegistry(db_url) as registry:
        await registry.import_text(GOOD_CSV, FileFormat.CSV, kind=ListKind.FEATURED)
        exported = await registry.export(fmt)
    parsed = parse_json(exported) if fmt is FileFormat.JSON else parse_csv(exported)
    assert sorted(parsed.wallet_rows, key=lambda r: r.address) == sorted(
        parse_csv(GOOD_CSV).wallet_rows, key=lambda r: r.address
    )
    other = sqlite_url.replace("solsignals.db", "other.db")
    await upgrade(other)
    async with WalletRegistry(other) as fresh:
        await fresh.import_text(exported, fmt, kind=ListKind.FEATURED)
        assert await fresh.export(fmt) == exported


async def test_monitor_count_is_the_number_of_users_watching(db_url: str) -> None:
    await create_users(db_url, 1, 2)
    async with WalletRegistry(db_url) as registry:
        await registry.import_text(GOOD_CSV, FileFormat.CSV, kind=ListKind.FEATURED)
        await registry.add(A, alias="mine-1", tags=["kol"], kind=ListKind.MINE, user_id=1)
        await registry.add(A, alias="theirs", kind=ListKind.MINE, user_id=2)
        await registry.add(D, alias="private", kind=ListKind.MINE, user_id=2)
        featured = {e.address: e for e in await registry.entries(kind=ListKind.FEATURED)}
        mine_1 = await registry.entries(kind=ListKind.MINE, user_id=1)
        mine_2 = await registry.entries(kind=ListKind.MINE, user_id=2)
        assert featured[A].monitor_count == 2 and featured[A].alias == "whale1"
        assert [(e.address, e.alias, e.monitor_count) for e in mine_1] == [(A, "mine-1", 2)]
        assert {e.alias for e in mine_2} == {"theirs", "private"}
        await registry.remove(A, user_id=1)
        assert (await registry.get(A)).monitor_count == 1
        await registry.remove(D, user_id=2)  # nobody else watches a private-only wallet
        assert D not in {e.address for e in await registry.entries()}
        with pytest.raises(UserInputError, match="no user with id 9"):
            await registry.add(B, kind=ListKind.MINE, user_id=9)


async def test_add_edit_and_remove_validate_their_input(db_url: str) -> None:
    async with WalletRegistry(db_url) as registry:
        with pytest.raises(UserInputError, match='"abc" is not a Solana address'):
            await registry.add("abc")
        entry = await registry.add(A, alias="a", tags=["KOL", "kol"])
        assert entry.tags == ("kol",)
        edited = await registry.edit(A, alias="", tags=["whale"], kind=ListKind.FEATURED)
        assert (edited.alias, edited.tags, edited.list_kind) == (
            None,
            ("whale",),
            ListKind.FEATURED,
        )
        await registry.remove(A)
        with pytest.raises(UserInputError, match="not in the wallet registry"):
            await registry.remove(A)


W, OTHER = address(10), address(11)
MA, MB, MC = address(20), address(21), address(22)


async def _write(url: str, *records: Any) -> None:
    async with BatchWriter(url) as writer:
        await writer.add_many(records)


async def test_stats_from_stored_trades_match_hand_computed_figures(db_url: str) -> None:
    t0 = BASE_TIME
    await _write(
        db_url,
        # MA: 1 SOL in, 0.8 + 0.4 out -> +0.2 SOL, held 120 s (a win)
        trade(W, MA, buy=True, sol_lamports=SOL, token_amount_raw=1_000_000, at=t0),
        trade(W, MA, buy=False, sol_lamports=8 * SOL // 10, token_amount_raw=500_000, at=t0 + 60),
        trade(W, MA, buy=False, sol_lamports=4 * SOL // 10, token_amount_raw=500_000, at=t0 + 120),
        # MB: 2 SOL in, 1 out -> -1 SOL, held 3590 s (a loss)
        trade(W, MB, buy=True, sol_lamports=2 * SOL, token_amount_raw=4_000_000, at=t0 + 10),
        trade(W, MB, buy=False, sol_lamports=SOL, token_amount_raw=4_000_000, at=t0 + 3600),
        # MC: 1 SOL for 1 whole token (6 decimals), still held
        trade(W, MC, buy=True, sol_lamports=SOL, token_amount_raw=1_000_000, at=t0 + 20),
        # someone else trades MC last at 1.5 SOL per token -> W's unrealized +0.5 SOL
        trade(
            OTHER, MC, buy=True, sol_lamports=SOL, token_amount_raw=1, at=t0 + 30, price_sol=1.5
        ),
    )
    now = datetime.fromtimestamp(t0, UTC) + timedelta(days=10)
    async with WalletRegistry(db_url, clock=lambda: now) as registry:
        await registry.add(W, alias="w")
        assert await registry.refresh_stats() == 6
        assert await registry.refresh_stats() == 0  # nothing new
        (ranked,) = await registry.ranked()
        s = ranked.stats
        assert s.realized_pnl_lamports == 2 * SOL // 10 - SOL
        assert s.unrealized_pnl_lamports == SOL // 2
        assert s.pnl_lamports == -3 * SOL // 10
        assert s.hit_rate == {7: None, 30: 0.5, 90: 0.5}
        assert s.avg_buy_lamports == 4 * SOL // 3
        assert s.median_holding_s == (120 + 3590) / 2
        assert (s.trade_count, s.closed_positions, s.open_positions) == (6, 2, 1)

        # incremental: only the new trade is folded; closing MC at 2 SOL is a second win
        await _write(
            db_url,
            trade(W, MC, buy=False, sol_lamports=2 * SOL, token_amount_raw=1_000_000, at=t0 + 200),
        )
        assert await registry.refresh_stats() == 1
        (ranked,) = await registry.ranked()
    assert ranked.stats.realized_pnl_lamports == 2 * SOL // 10
    assert ranked.stats.unrealized_pnl_lamports == 0
    assert ranked.stats.hit_rate[30] == pytest.approx(2 / 3)
    assert ranked.stats.trade_count == 7


async def test_balances_are_read_in_one_batch_and_rank_the_list(db_url: str) -> None:
    lamports = {A: 3 * SOL, B: 0, C: 12 * SOL}
    node = ScriptedNode()

    def accounts(params: list[Any]) -> dict[str, Any]:
        return {
            "context": {"slot": 1},
            "value": [
                {
                    "data": ["", "base64"],
                    "executable": False,
                    "lamports": lamports[a],
                    "owner": "11111111111111111111111111111111",
                    "rentEpoch": 0,
                    "space": 0,
                }
                if lamports[a]
                else None
                for a in params[0]
            ],
        }

    node.script("getMultipleAccounts", accounts)
    async with WalletRegistry(db_url) as registry:
        await registry.import_text(GOOD_CSV, FileFormat.CSV)
        async with RpcClient("http://node.test", transport=node.transport()) as rpc:
            assert await registry.refresh_balances(rpc) == 3
        ranked = await registry.ranked(sort=SortKey.BALANCE)
    assert len(node.calls_of("getMultipleAccounts")) == 1
    assert [(r.entry.address, r.stats.balance_lamports) for r in ranked] == [
        (C, 12 * SOL),
        (A, 3 * SOL),
        (B, 0),
    ]
