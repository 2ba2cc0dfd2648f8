"""`solsignals wallets`: the smart-money wallet registry from the command line.

    solsignals wallets import FILE [--partial] [--kind featured|community|mine] [--user ID]
    solsignals wallets export [--format csv|json] [--kind ...] [--user ID]     (to stdout)
    solsignals wallets list [--sort pnl|balance|hitrate|watchers|trades] [--limit N]
    solsignals wallets add ADDRESS [--alias A] [--tags t1,t2] [--kind ...] [--user ID]
    solsignals wallets edit ADDRESS [--alias A] [--tags t1,t2] [--kind ...] [--user ID]
    solsignals wallets remove ADDRESS [--user ID]
    solsignals wallets refresh [--rpc-url URL]

The database is DATABASE_URL (default: the embedded SQLite file), migrated with `solsignals
migrate`. Wrong input exits 2 with one line per problem; database trouble exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from core.chain.rpc_client import RpcClient
from core.config import load_settings
from core.errors import ConfigError, UpstreamError, UserInputError
from core.storage.db import parse_database_url
from core.storage.models import ListKind
from core.wallets.csv_json import FileFormat, detect_format
from core.wallets.registry import RankedWallet, SortKey, WalletFileError, WalletRegistry

EXIT_OK = 0
EXIT_DATABASE = 1
EXIT_INPUT = 2
T = TypeVar("T")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "wallets",
        help="manage tracked smart-money wallets (import, export, list, add, remove)",
        description="Manage the smart-money wallet registry in DATABASE_URL.",
    )
    commands = parser.add_subparsers(dest="wallets_command", metavar="ACTION")
    commands.required = True
    kinds = [k.value for k in ListKind]
    user_help = "user id (users.id): the list 'mine' of this user"

    imp = commands.add_parser("import", help="import a CSV or JSON wallet list")
    imp.add_argument("file", type=Path, help="CSV (address,alias,tags) or JSON list of objects")
    imp.add_argument("--partial", action="store_true", help="import good rows despite bad ones")
    imp.add_argument("--kind", choices=kinds, default=None, help="list (default: community)")
    imp.add_argument("--user", type=int, default=None, help=user_help)
    imp.add_argument("--format", choices=[f.value for f in FileFormat], default=None)
    imp.set_defaults(func=run, action=_import)

    exp = commands.add_parser("export", help="print a wallet list as CSV or JSON")
    exp.add_argument("--format", choices=[f.value for f in FileFormat], default="csv")
    exp.add_argument("--kind", choices=kinds, default=None, help="one list (default: all)")
    exp.add_argument("--user", type=int, default=None, help=user_help)
    exp.set_defaults(func=run, action=_export)

    lst = commands.add_parser("list", help="rank wallets by their stats")
    lst.add_argument("--sort", choices=[s.value for s in SortKey], default=SortKey.PNL.value)
    lst.add_argument("--limit", type=int, default=20)
    lst.add_argument("--kind", choices=kinds, default=None)
    lst.add_argument("--user", type=int, default=None, help=user_help)
    lst.set_defaults(func=run, action=_list)

    for name, help_text, action in (
        ("add", "add a wallet (or update its alias / tags)", _add),
        ("edit", "change a wallet's alias, tags or list", _edit),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("address")
        sub.add_argument("--alias", default=None)
        sub.add_argument("--tags", default=None, help="comma separated, e.g. kol,whale")
        sub.add_argument("--kind", choices=kinds, default=None)
        sub.add_argument("--user", type=int, default=None, help=user_help)
        sub.set_defaults(func=run, action=action)

    rem = commands.add_parser("remove", help="remove a wallet (or one user's watch of it)")
    rem.add_argument("address")
    rem.add_argument("--user", type=int, default=None, help=user_help)
    rem.set_defaults(func=run, action=_remove)

    ref = commands.add_parser("refresh", help="fold new trades into stats; read SOL balances")
    ref.add_argument("--rpc-url", default=None, help="JSON-RPC URL (default: SOLANA_RPC_URLS)")
    ref.set_defaults(func=run, action=_refresh)


def run(args: argparse.Namespace) -> int:
    try:
        url = load_settings().database_url.get_secret_value()
        db = parse_database_url(url)
        return asyncio.run(_with_registry(url, args.action, args))
    except WalletFileError as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        print(f"error: {_nothing_imported(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except (UserInputError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except UpstreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except SQLAlchemyError as exc:
        print(
            f"error: database {db.redacted} failed ({type(exc).__name__}); "
            "is it migrated? run `solsignals migrate`",
            file=sys.stderr,
        )
        return EXIT_DATABASE


def _nothing_imported(exc: WalletFileError) -> str:
    if exc.fatal:
        return "nothing imported: fix the file"
    return f"nothing imported: fix the {len(exc.errors)} line(s) or use --partial"


async def _with_registry(
    url: str, action: Callable[[WalletRegistry, argparse.Namespace], Awaitable[int]], args: Any
) -> int:
    async with WalletRegistry(url) as registry:
        return await action(registry, args)


def _kind(args: argparse.Namespace) -> ListKind:
    if args.kind is not None:
        return ListKind(args.kind)
    return ListKind.MINE if args.user is not None else ListKind.COMMUNITY


def _tags(text: str | None) -> list[str] | None:
    return None if text is None else [t for t in text.split(",") if t.strip()]


async def _import(registry: WalletRegistry, args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(
            "cannot read {file}: {error}", file=str(args.file), error=exc
        ) from exc
    fmt = FileFormat(args.format) if args.format else detect_format(args.file.name, text)
    kind = _kind(args)
    report = await registry.import_text(
        text, fmt, kind=kind, user_id=args.user, partial=args.partial
    )
    for error in report.errors:
        print(f"skipped: {error}", file=sys.stderr)
    print(
        f"imported {report.added + report.updated} wallets to {kind.value}: "
        f"{report.added} new, {report.updated} updated, {len(report.errors)} bad lines skipped"
    )
    return EXIT_OK


async def _export(registry: WalletRegistry, args: argparse.Namespace) -> int:
    kind = ListKind(args.kind) if args.kind else None
    sys.stdout.write(await registry.export(FileFormat(args.format), kind=kind, user_id=args.user))
    return EXIT_OK


async def _add(registry: WalletRegistry, args: argparse.Namespace) -> int:
    entry = await registry.add(
        args.address,
        alias=args.alias,
        tags=_tags(args.tags) or (),
        kind=_kind(args),
        user_id=args.user,
    )
    print(f"added {entry.address} ({entry.alias or 'no alias'}) to {_kind(args).value}")
    return EXIT_OK


async def _edit(registry: WalletRegistry, args: argparse.Namespace) -> int:
    kind = ListKind(args.kind) if args.kind else None
    entry = await registry.edit(
        args.address, alias=args.alias, tags=_tags(args.tags), kind=kind, user_id=args.user
    )
    print(f"edited {entry.address}: {entry.alias or 'no alias'} [{', '.join(entry.tags)}]")
    return EXIT_OK


async def _remove(registry: WalletRegistry, args: argparse.Namespace) -> int:
    await registry.remove(args.address, user_id=args.user)
    print(f"removed {args.address.strip()}")
    return EXIT_OK


async def _refresh(registry: WalletRegistry, args: argparse.Namespace) -> int:
    folded = await registry.refresh_stats()
    print(f"folded {folded} new trades into wallet stats")
    rpc_url = args.rpc_url or next(iter(load_settings().solana_rpc_urls), None)
    if rpc_url is None:
        print("balances not read: give --rpc-url or set SOLANA_RPC_URLS")
        return EXIT_OK
    async with RpcClient(rpc_url) as rpc:
        read = await registry.refresh_balances(rpc)
    print(f"read {read} balances")
    return EXIT_OK


async def _list(registry: WalletRegistry, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserInputError("--limit {limit}: give a positive number", limit=args.limit)
    kind = ListKind(args.kind) if args.kind else None
    ranked = await registry.ranked(
        sort=SortKey(args.sort), limit=args.limit, kind=kind, user_id=args.user
    )
    print(format_table(ranked, SortKey(args.sort)))
    return EXIT_OK


# ---- rendering (pure) -----------------------------------------------------------------------


def _sol(lamports: int | None, *, signed: bool = False) -> str:
    if lamports is None:
        return "-"
    sol = lamports / 1_000_000_000
    return f"{sol:+,.2f}" if signed else f"{sol:,.2f}"


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def short_address(address: str) -> str:
    return f"{address[:4]}…{address[-4:]}"


def format_table(ranked: list[RankedWallet], sort: SortKey) -> str:
    """The ranked wallets as a fixed-width table (sorted by ``sort``), or a hint when empty."""
    if not ranked:
        return "no wallets: add some with `solsignals wallets import FILE`"
    header = (
        "#",
        "alias",
        "address",
        "kind",
        "balance SOL",
        "PnL SOL",
        "hit 7d",
        "hit 30d",
        "hit 90d",
        "watchers",
        "trades",
    )
    rows = [header]
    for i, r in enumerate(ranked, 1):
        s = r.stats
        rows.append(
            (
                str(i),
                (r.entry.alias or "-")[:16],
                short_address(r.entry.address),
                r.entry.list_kind.value,
                _sol(s.balance_lamports),
                _sol(s.pnl_lamports, signed=True),
                _pct(s.hit_rate.get(7)),
                _pct(s.hit_rate.get(30)),
                _pct(s.hit_rate.get(90)),
                str(r.entry.monitor_count),
                str(s.trade_count),
            )
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    left = {1, 2, 3}
    lines = [
        "  ".join(
            cell.ljust(widths[c]) if c in left else cell.rjust(widths[c])
            for c, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    return f"wallets sorted by {sort.value}\n" + "\n".join(lines)
