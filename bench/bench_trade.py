"""Our own overhead per trade: quote -> sign -> simulate -> send -> confirmed -> position.

    .venv/bin/python bench/bench_trade.py [N] [--jupiter v1|v2|both] [--pg postgresql://...]

Runs N trades (default 200; buys and sells alternating) through the production
``TradeExecutor`` against the local servers of the real protocols — a LiteSVM chain served over
Solana JSON-RPC and a Jupiter swap API over a pool on it (``--jupiter``: the Swap API V2 route,
the Metis v1 route, or both one after the other, default both) — with a keystore wallet and a fresh
PostgreSQL database (created on the given server, dropped at the end). The servers run in a
child process, like remote services.

Per trade it measures the wall time of ``execute()`` and, through a timing httpx transport on
the RPC and Jupiter clients (the one I/O seam), the time spent waiting for those servers. "Own"
time = wall - waiting: our code, signing, the database transitions and audit rows. The mint's
risk facts are looked up once and reused (a production ``RiskService`` caches them per mint), so
the figures are the trade path itself. Prints p50 / p95 / max; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path

import asyncpg
import httpx
from solders.pubkey import Pubkey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.chain.rpc_client import RpcClient
from core.log import configure_logging
from core.risk.checks import RiskParams
from core.risk.report import Check, CheckResult, Verdict
from core.risk.service import RiskService
from core.storage.migrate import upgrade
from core.trading.confirm import TransactionLander
from core.trading.executor import TradeExecutor
from core.trading.jupiter_build_route import jupiter_route
from core.trading.jupiter_client import JupiterClient
from core.trading.keystore import Keystore
from core.trading.policy import MintFacts, TradePolicy
from core.trading.priority_fee import FeeBid, PriorityFeeEstimator
from core.trading.trade_requests import TradeRequestStore
from core.trading.trade_types import Side, TradeRequest, TradeState
from tests.core.trading.conftest import make_user
from tests.jupiter_server import JupiterServer
from tests.svm_rpc import SvmRpcServer

SOL = 10**9
DEFAULT_PG = os.environ.get("SOLSIGNALS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


class TimedTransport(httpx.AsyncBaseTransport):
    """Counts the time spent waiting for the server (request sent -> body read)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.waiting_s = 0.0
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = await self._inner.handle_async_request(request)
        body = await response.aread()
        self.waiting_s += time.perf_counter() - started
        self.calls += 1
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def _serve(conn: Connection) -> None:
    """The child process: the chain and Jupiter, set up for the wallet the parent sends."""

    async def run() -> None:
        node = SvmRpcServer(payer_lamports=10_000 * SOL)
        async with node, JupiterServer(node) as jup:
            wallet = Pubkey.from_string(conn.recv())
            node.airdrop(wallet, 1_000 * SOL)
            mint = node.create_mint(6)
            jup.add_pool(mint, 10**9 * 10**6, 100_000 * SOL, 25)
            node.revoke_mint_authority(mint)
            conn.send((node.url, jup.url, str(mint)))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until "stop"

    asyncio.run(run())


class Servers:
    """The chain and Jupiter in a child process, like remote services (no shared GIL)."""

    def __init__(self) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child,), daemon=True
        )

    def start(self, wallet: str) -> tuple[str, str, str]:
        self._process.start()
        self._conn.send(wallet)
        node_url, jup_url, mint = self._conn.recv()
        return node_url, jup_url, mint

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(name: str, samples: list[float]) -> str:
    return (
        f"  {name:<28} p50 {_pct(samples, 0.5) * 1000:7.2f} ms   "
        f"p95 {_pct(samples, 0.95) * 1000:7.2f} ms   max {max(samples) * 1000:7.2f} ms"
    )


async def _bench(n: int, pg_server: str, servers: Servers, apis: list[str]) -> None:
    db_name = f"solsignals_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg_server)
    await admin.execute(f'CREATE DATABASE "{db_name}"')
    await admin.close()
    db_url = pg_server.rsplit("/", 1)[0] + "/" + db_name
    rpc_transport, jup_transport = TimedTransport(), TimedTransport()
    results: dict[str, tuple[list[float], list[float], list[float], list[int]]] = {}
    try:
        await upgrade(db_url)
        user_id = await make_user(db_url)
        with tempfile.TemporaryDirectory() as tmp:
            keystore = Keystore.create(Path(tmp) / "ks.json", "bench passphrase", scrypt_n=2**10)
            wallet = keystore.new_wallet()
            node_url, jup_url, mint = servers.start(str(wallet))
            rpc = RpcClient(node_url, max_retries=0, transport=rpc_transport)
            jupiter = JupiterClient(jup_url, max_retries=0, transport=jup_transport)
            report = await RiskService(rpc, RiskParams()).report(mint)
            honeypot = CheckResult(Check.HONEYPOT, Verdict.PASS, 1.0, "bench: not probed")
            facts = MintFacts(
                type(report)(report.mint, report.checked_at, (*report.results, honeypot)),
                100_000 * SOL,
            )
            policy = TradePolicy(
                trading_enabled=True,
                max_trade_lamports=SOL,
                daily_limit_lamports=10_000 * SOL,
                min_liquidity_lamports=SOL,
            )

            async def facts_of(_mint: str) -> MintFacts:
                return facts

            async def policy_for(_user: int) -> TradePolicy:
                return policy

            store = TradeRequestStore(db_url)
            for api in apis:
                executor = TradeExecutor(
                    store=store,
                    rpc=rpc,
                    route=jupiter_route(api, jupiter, rpc),
                    signer_for=keystore.signer,
                    policy_for=policy_for,
                    fees=PriorityFeeEstimator(rpc, FeeBid()),
                    lander=TransactionLander(rpc),
                    facts=facts_of,
                )
                wall: list[float] = []
                own: list[float] = []
                waiting: list[float] = []
                calls: list[int] = []
                held = 0
                for i in range(n + 10):  # 10 warm-up trades
                    side = Side.BUY if i % 2 == 0 else Side.SELL
                    amount = SOL // 100 + i if side is Side.BUY else held  # no two alike
                    key = f"bench-{api}-{i}"
                    request = TradeRequest(key, user_id, str(wallet), side, mint, amount)
                    waited_before = rpc_transport.waiting_s + jup_transport.waiting_s
                    calls_before = rpc_transport.calls + jup_transport.calls
                    started = time.perf_counter()
                    outcome = await executor.execute(request)
                    elapsed = time.perf_counter() - started
                    if outcome.state is not TradeState.CONFIRMED:
                        raise SystemExit(
                            f"{api} trade {i} ended {outcome.state}: {outcome.message}"
                        )
                    held = outcome.token_delta_raw if side is Side.BUY else 0  # type: ignore[assignment]
                    if i < 10:
                        continue
                    waited = rpc_transport.waiting_s + jup_transport.waiting_s - waited_before
                    wall.append(elapsed)
                    waiting.append(waited)
                    own.append(elapsed - waited)
                    calls.append(rpc_transport.calls + jup_transport.calls - calls_before)
                results[api] = (wall, waiting, own, calls)
            await store.aclose()
            await rpc.aclose()
            await jupiter.aclose()
        for api, (wall, waiting, own, calls) in results.items():
            print(
                f"bench_trade JUPITER_API={api}: {n} confirmed trades "
                "(buys and sells alternating), PostgreSQL"
            )
            print(f"  HTTP calls per trade: {min(calls)}-{max(calls)} (RPC + Jupiter)")
            print(_line("wall (execute)", wall))
            print(_line("waiting for servers", waiting))
            print(_line("own (wall - waiting)", own))
        print("  target: own p95 < 50 ms")
    finally:
        admin = await asyncpg.connect(pg_server)
        await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--jupiter", choices=("v1", "v2", "both"), default="both")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server DSN (admin database)")
    args = parser.parse_args()
    configure_logging("warning", "console")
    servers = Servers()
    try:
        apis = ["v2", "v1"] if args.jupiter == "both" else [args.jupiter]
        asyncio.run(_bench(args.n, args.pg, servers, apis))
    finally:
        servers.stop()


if __name__ == "__main__":
    main()
