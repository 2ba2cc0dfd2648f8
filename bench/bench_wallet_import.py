"""Time to import 5,000 wallet addresses (CSV) into a temporary PostgreSQL database.

    SOLSIGNALS_BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/bench_wallet_import.py [N]

Creates a scratch database, migrates it, imports N addresses (parse + validate + one batched
upsert), re-imports them (all updates), prints the figures and drops the database. Prints, never
asserts: the target is under 2 s for 5,000.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import time
import uuid
from pathlib import Path

import asyncpg
from solders.pubkey import Pubkey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.storage.migrate import upgrade
from core.wallets.csv_json import FileFormat
from core.wallets.registry import WalletRegistry

SERVER_DSN = os.environ.get("SOLSIGNALS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _csv(n: int) -> str:
    lines = ["address,alias,tags"]
    for i in range(n):
        address = Pubkey.from_bytes(hashlib.sha256(f"bench-{i}".encode()).digest())
        lines.append(f"{address},wallet{i},smart|kol")
    return "\n".join(lines) + "\n"


async def main(n: int) -> None:
    name = f"solsignals_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(SERVER_DSN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{SERVER_DSN.rsplit('/', 1)[0]}/{name}"
    try:
        await upgrade(url)
        text = _csv(n)
        async with WalletRegistry(url) as registry:
            started = time.perf_counter()
            report = await registry.import_text(text, FileFormat.CSV)
            first_s = time.perf_counter() - started
            started = time.perf_counter()
            again = await registry.import_text(text.replace(",wallet", ",w"), FileFormat.CSV)
            second_s = time.perf_counter() - started
        print(f"import {n} new addresses into PostgreSQL: {first_s:.3f} s ({report.added} new)")
        print(
            f"re-import {n} known addresses (updates): {second_s:.3f} s ({again.updated} updated)"
        )
    finally:
        admin = await asyncpg.connect(SERVER_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000))
