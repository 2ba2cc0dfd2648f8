"""`solsignals migrate`: bring the database schema to a revision (default: the latest)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from core.config import EMBEDDED_DATABASE_URL
from core.errors import ConfigError
from core.storage.db import SETTING, parse_database_url
from core.storage.migrate import upgrade

EXIT_CONFIG = 2
EXIT_DATABASE = 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description=(
            "Apply the database migrations. The database is --database-url, else the "
            f"{SETTING} environment variable, else the embedded SQLite file "
            f"{EMBEDDED_DATABASE_URL}."
        ),
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help=f"postgresql://user@host:port/db or sqlite:///path/file.db (default: ${SETTING})",
    )
    parser.add_argument(
        "--revision", default="head", help="target revision (default: head, the latest)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = args.database_url or os.environ.get(SETTING) or EMBEDDED_DATABASE_URL
    try:
        db = parse_database_url(url)
        asyncio.run(upgrade(url, args.revision))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ImportError as exc:  # SQLAlchemy's asyncio layer needs greenlet
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except (OSError, SQLAlchemyError) as exc:
        print(f"error: migrating {db.redacted} failed: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    print(f"migrated {db.redacted} to {args.revision}")
    return 0
