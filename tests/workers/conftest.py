"""Worker processes for the order tests: real RQ workers (subprocesses) on the test's Redis
database, trading against the trading desk's local chain and Jupiter server (see
``tests.core.trading.conftest``) and its PostgreSQL database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from solders.keypair import Keypair

from core.programs import WSOL_MINT
from core.trading.order_store import OrderStore
from core.trading.positions import PositionView
from core.trading.trade_types import Side
from tests.core.trading import conftest as trading_desk
from tests.core.trading.conftest import SOL, Desk
from tests.jupiter_server import sign_as_user

desk = trading_desk.desk  # the trading desk fixture, shared with the executor tests
ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery"  # the desk's keystore
BIN = Path(sys.executable).parent


def worker_env(desk: Desk, redis_url: str, **overrides: Any) -> dict[str, str]:
    """The environment of a worker trading on ``desk``: fast loops, short leases."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": desk.db_url,
        "REDIS_URL": redis_url,
        "SOLANA_RPC_URLS": desk.node.url,
        "JUPITER_BASE_URL": desk.jup.url,
        "JUPITER_API": "v1",  # the desk's executor and these tests' waits are on Metis v1
        "KEYSTORE_PATH": str(desk.keystore.path),
        "KEYSTORE_PASSPHRASE": PASSPHRASE,
        "TRADING_ENABLED": "true",
        "TRADING_MAX_TRADE_SOL": "2",
        "TRADING_MIN_LIQUIDITY_SOL": "0",
        "TRADING_REQUIRE_HONEYPOT_CHECK": "false",
        "TRADING_CONFIRM_POLL_MS": "100",
        "TRADING_REBROADCAST_MS": "500",
        "WORKER_MONITOR_INTERVAL_S": "0.5",
        "WORKER_REAPER_INTERVAL_S": "0.5",
        "WORKER_AUTOTRADE_INTERVAL_S": "1",
        "WORKER_ORDER_LEASE_S": "60",
        "WORKER_TRADE_LEASE_S": "60",
        "WORKER_MAINTENANCE_INTERVAL_S": "5",
        "LOG_LEVEL": "info",
        "LOG_FORMAT": "json",
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return env


class WorkerProcess:
    """A worker subprocess in its own process group (the worker and RQ's scheduler process):
    ``kill`` SIGKILLs the whole group, as a crashed machine would."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            args,
            env=env,
            cwd=log_path.parent,  # no .env of the checkout is read
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    async def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL of what is left of the group."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):  # the scheduler child, if still there
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(*args: str, env: dict[str, str], name: str = "worker") -> WorkerProcess:
        process = WorkerProcess(list(args), env, tmp_path / f"{name}-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process._log.close()


def python_workers(*args: str) -> list[str]:
    return [sys.executable, "-m", "workers", *args]


def rq_worker(redis_url: str) -> list[str]:
    return [
        str(BIN / "rq"),
        "worker",
        "--with-scheduler",
        "--worker-class",
        "workers.worker.OrdersWorker",
        "--url",
        redis_url,
        "orders",
        "loops",
    ]


async def eventually(
    check: Callable[[], Awaitable[bool]],
    what: str,
    *,
    within_s: float = 60.0,
    logs: WorkerProcess | None = None,
) -> None:
    """Wait until ``check()`` holds (the servers keep running meanwhile); fail naming ``what``
    with the worker's log when it never does. A bound on waiting, not a timed assertion."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await check():
        if loop.time() > deadline:
            detail = f"\n--- worker log ---\n{logs.tail()}" if logs else ""
            raise AssertionError(f"never happened: {what}{detail}")
        await asyncio.sleep(0.02)


async def buy_position(desk: Desk, lamports: int = SOL // 2) -> PositionView:
    outcome = await desk.execute(desk.request(Side.BUY, lamports, key="buy-for-orders"))
    assert outcome.executed and outcome.position_id is not None, outcome
    position = await desk.book.get(outcome.position_id)
    assert position is not None
    return position


async def whale_buy(desk: Desk, lamports: int) -> None:
    """Someone else buys ``lamports`` of the token through Jupiter: the pool's price rises."""
    whale = Keypair()
    desk.node.airdrop(whale.pubkey(), lamports + SOL)
    quote = await desk.jupiter.quote(WSOL_MINT, str(desk.mint), lamports, slippage_bps=100)
    swap = await desk.jupiter.swap_transaction(
        quote, str(whale.pubkey()), priority_fee_micro_lamports_per_cu=None
    )
    signed = sign_as_user(swap.transaction_base64, whale)
    await desk.rpc.send_transaction(signed)


def sells_landed(desk: Desk) -> list[str]:
    """Signatures of the wallet's landed transactions that sold the token (SOL in)."""
    wallet = str(desk.wallet)
    out = []
    for signature in desk.node._signatures_of.get(wallet, []):
        tx = desk.node._history[signature]
        keys = tx["transaction"]["message"]["accountKeys"]
        if tx["meta"]["err"] is None and keys[0] == wallet:
            index = keys.index(wallet)
            if tx["meta"]["postBalances"][index] > tx["meta"]["preBalances"][index]:
                out.append(signature)
    return out


@pytest.fixture
async def orders(desk: Desk) -> AsyncIterator[OrderStore]:
    store = OrderStore(desk.db_url)
    yield store
    await store.aclose()
