"""RQ queues and the self-rescheduling loops ("chains") of the order workers.

Queues: ``orders`` (one job per claimed order or auto-buy: the trades) and ``loops`` (the
monitor, the reaper and the auto-trade tick). A loop is a job that ends by scheduling its next
run with ``enqueue_in`` (the worker must run RQ's scheduler: ``--with-scheduler``).

One chain per loop: ``ensure`` starts a chain only when none is alive — the key
``solsignals:chain:<name>`` holds the live chain's token with a TTL that each run refreshes; a
run whose token is no longer the key's (a newer chain replaced it) stops without rescheduling.
If a chain dies (its job was lost in a Redis restart, its worker was killed), its key expires
and the next ``ensure`` — at worker start and every maintenance interval — starts a new one.
Nothing about an order lives only in Redis: losing a queued job delays a trade, never repeats it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
import structlog
from prometheus_client import Counter, Gauge
from rq import Queue

log = structlog.get_logger(__name__)

ORDERS_QUEUE = "orders"
LOOPS_QUEUE = "loops"
QUEUE_NAMES = (ORDERS_QUEUE, LOOPS_QUEUE)
CHAIN_KEY = "solsignals:chain:{name}"

QUEUE_DEPTH = Gauge("solsignals_rq_queue_depth", "Jobs waiting in an RQ queue", ["queue"])
CHAIN_STARTS = Counter(
    "solsignals_worker_chain_starts_total",
    "Loop chains started (at start or after one died)",
    ["loop"],
)
CHAIN_RUNS = Counter(
    "solsignals_worker_chain_runs_total",
    "Loop runs, by outcome (scheduled: the next run is set; superseded: a newer chain runs)",
    ["loop", "outcome"],
)


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def queue(conn: redis.Redis, name: str) -> Queue:
    return Queue(name, connection=conn)


@dataclass(frozen=True, slots=True)
class Loop:
    name: str
    func: str  # the job's dotted path, called as func(token)
    interval_s: float

    @property
    def key(self) -> str:
        return CHAIN_KEY.format(name=self.name)

    @property
    def ttl_s(self) -> int:
        return int(max(60.0, self.interval_s * 6))


def ensure(conn: redis.Redis, loop: Loop, *, timeout_s: int) -> bool:
    """Start ``loop``'s chain unless one is alive; True when this call started it."""
    token = uuid.uuid4().hex[:16]
    if not conn.set(loop.key, token, nx=True, ex=loop.ttl_s):
        return False
    queue(conn, LOOPS_QUEUE).enqueue(
        loop.func, token, job_timeout=timeout_s, result_ttl=60, failure_ttl=3600
    )
    CHAIN_STARTS.labels(loop.name).inc()
    log.info("worker_chain_started", loop=loop.name, token=token)
    return True


def current(conn: redis.Redis, loop: Loop, token: str) -> bool:
    """Whether ``token`` is ``loop``'s live chain (and refresh its TTL if so)."""
    stored: Any = conn.get(loop.key)
    if stored is None or (stored.decode() if isinstance(stored, bytes) else stored) != token:
        return False
    conn.expire(loop.key, loop.ttl_s)
    return True


def schedule_next(conn: redis.Redis, loop: Loop, token: str, *, timeout_s: int) -> bool:
    """At the end of a run: schedule the next one in ``interval_s`` if this chain is still the
    live one. False (and nothing scheduled) when a newer chain replaced it."""
    if not current(conn, loop, token):
        CHAIN_RUNS.labels(loop.name, "superseded").inc()
        log.info("worker_chain_superseded", loop=loop.name, token=token)
        return False
    queue(conn, LOOPS_QUEUE).enqueue_in(
        timedelta(seconds=loop.interval_s),
        loop.func,
        token,
        job_timeout=timeout_s,
        result_ttl=60,
        failure_ttl=3600,
    )
    CHAIN_RUNS.labels(loop.name, "scheduled").inc()
    return True


def observe_depths(conn: redis.Redis) -> None:
    for name in QUEUE_NAMES:
        QUEUE_DEPTH.labels(name).set(queue(conn, name).count)
