"""The order monitor: one pass over every open position with armed orders, in batches.

Per batch: one query for the positions and their armed orders, one mark price per mint
(``core.trading.pricing``: the stored live stream, a Jupiter quote as fallback), the pure
evaluation (``core.trading.orders.evaluate``), then for each position whose order fires a
``claim`` in PostgreSQL (row-locked; exclusive across any number of monitors) and a job on the
``orders`` queue to execute it. Trailing stops' new peaks are saved per batch. Orders of
positions that closed are cancelled first.

``monitor_tick`` is the RQ job: one pass, then the next in ``WORKER_MONITOR_INTERVAL_S``
(``enqueue_in``: run the worker with the scheduler).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from prometheus_client import Counter, Histogram

from core.trading.order_store import OrderStore, OrderView
from core.trading.orders import Price, evaluate
from core.trading.pricing import MarkPrices
from workers import queues
from workers.runtime import Services, runtime

log = structlog.get_logger(__name__)

LOOP = "monitor"
PASSES = Counter("solsignals_order_monitor_passes_total", "Order monitor passes")
EVALUATED = Counter(
    "solsignals_order_monitor_positions_total", "Positions evaluated by the order monitor"
)
TRIGGERS = Counter(
    "solsignals_order_triggers_total",
    "Orders that fired, by kind and claim result (claimed, lost)",
    ["kind", "result"],
)
PASS_SECONDS = Histogram(
    "solsignals_order_monitor_pass_seconds",
    "Duration of one order monitor pass",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

OnClaimed = Callable[[OrderView], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PassStats:
    positions: int
    priced: int
    claimed: int
    lost: int
    cancelled: int
    seconds: float


async def run_pass(
    store: OrderStore,
    prices: MarkPrices,
    *,
    owner: str,
    on_claimed: OnClaimed,
    batch: int = 500,
) -> PassStats:
    started = time.perf_counter()
    cancelled = await store.cancel_closed()
    positions = priced = claimed = lost = 0
    after = 0
    while True:
        watched = await store.watched(after_position_id=after, limit=batch)
        if not watched:
            break
        after = watched[-1].position_id
        amounts: dict[str, int] = {}
        for position in watched:
            amounts[position.mint] = max(amounts.get(position.mint, 0), position.held_tokens_raw)
        marks = await prices.prices(amounts)
        now = store.now()
        peaks: dict[int, Price] = {}
        for position in watched:
            mark = marks.get(position.mint)
            priced += mark is not None
            evaluation = evaluate(
                position.legs, position.held_tokens_raw, mark.price if mark else None, now
            )
            peaks.update(evaluation.peaks)
            trigger = evaluation.trigger
            if trigger is None:
                continue
            order = await store.claim(
                trigger.leg.id,
                position.position_id,
                owner,
                amount_raw=trigger.amount_raw,
                price=trigger.price,
                why=trigger.why + (f" [{mark.source.value}]" if mark else ""),
            )
            kind = trigger.leg.kind.value
            if order is None:
                lost += 1
                TRIGGERS.labels(kind, "lost").inc()
                continue
            claimed += 1
            TRIGGERS.labels(kind, "claimed").inc()
            await on_claimed(order)
        await store.save_peaks(peaks)
        positions += len(watched)
        EVALUATED.inc(len(watched))
        if len(watched) < batch:
            break
    seconds = time.perf_counter() - started
    PASSES.inc()
    PASS_SECONDS.observe(seconds)
    stats = PassStats(positions, priced, claimed, lost, cancelled, round(seconds, 4))
    if claimed or lost or cancelled:
        log.info("order_monitor_pass", **{k: getattr(stats, k) for k in stats.__slots__})
    return stats


async def _pass(services: Services) -> PassStats:
    rt = runtime()
    orders_queue = queues.queue(rt.redis, queues.ORDERS_QUEUE)

    async def enqueue(order: OrderView) -> None:
        orders_queue.enqueue(
            "workers.execute.execute_order",
            order.id,
            job_timeout=rt.worker.job_timeout_s,
            result_ttl=3600,
            failure_ttl=86_400,
        )

    return await run_pass(
        services.orders,
        services.prices,
        owner=rt.owner,
        on_claimed=enqueue,
        batch=rt.worker.monitor_batch,
    )


def monitor_tick(token: str) -> str:
    """RQ job (queue ``loops``): one monitor pass, then the next one scheduled."""
    return runtime().tick(LOOP, token, _pass)
