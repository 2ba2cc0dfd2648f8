"""Executing a claimed order's trade: the ``orders`` queue's job, shared with the reaper.

Once ``OrderStore.finish`` has recorded how an attempt ended, its notice (``trading.out``:
executed, failed or re-armed) is published for the user's chat; a notice that cannot be
published is logged and counted, and never makes the sell fail or run again.

The trade's idempotency key is the order's (``order-<id>-<attempt>``), so running this for the
same order any number of times — a replayed job, a worker restarted, the reaper — makes at most
one trade: the executor finds the key's request and resumes it (a request already ``sent`` is
checked on chain by its signature before anything is resent).
"""

from __future__ import annotations

import structlog
from prometheus_client import Counter

from core.bus.streams import StreamPublisher
from core.errors import UpstreamError
from core.trading.autotrade import STREAM as AUTOTRADE_STREAM
from core.trading.autotrade import IntentState, intent_to_stream_fields
from core.trading.executor import TradeExecutor
from core.trading.notices import NoticePublisher
from core.trading.order_store import OrderStore, OrderView
from core.trading.trade_types import TradeOutcome, TradeUpdate, UpdateKind
from workers.runtime import Services, runtime

log = structlog.get_logger(__name__)

ORDER_RUNS = Counter(
    "solsignals_order_runs_total",
    "Executions of claimed orders, by result (done, rearmed, failed, in_progress, skipped)",
    ["result"],
)


async def run_order(
    order: OrderView,
    *,
    store: OrderStore,
    executor: TradeExecutor,
    actor: str = "worker",
    notices: NoticePublisher | None = None,
) -> TradeOutcome:
    """Execute ``order``'s trade (or resume it), record how it ended, then tell the user
    (``notices``; None: nobody is told)."""

    async def on_update(update: TradeUpdate) -> None:
        if update.kind is UpdateKind.SENT and update.signature:
            await store.mark_sent(order, update.signature, actor=actor)

    outcome = await executor.execute(order.trade_request(), on_update)
    finished = await store.finish(order, outcome, actor=actor)
    if outcome.in_progress or not outcome.state.terminal:
        result = "in_progress"
    elif finished is None:
        result = "skipped"  # recorded by whoever finished it first
    else:
        result = "rearmed" if finished.state.value == "armed" else finished.state.value
    ORDER_RUNS.labels(result).inc()
    if finished is not None and notices is not None:  # recorded: now the user may hear of it
        await notices.order_finished(order, finished, outcome, int(store.now().timestamp()))
    log.info(
        "order_run",
        order_id=order.id,
        key=order.trade_key,
        trade_state=outcome.state.value,
        result=result,
        reason=outcome.reason,
        signature=outcome.signature,
    )
    return outcome


async def execute_claimed(services: Services, order_id: int) -> str:
    order = await services.orders.get(order_id)
    if order is None or not order.state.in_flight:
        ORDER_RUNS.labels("skipped").inc()
        return "skipped"
    outcome = await run_order(
        order,
        store=services.orders,
        executor=services.executor,
        notices=NoticePublisher(services.aredis),
    )
    return outcome.state.value


def execute_order(order_id: int) -> str:
    """RQ job (queue ``orders``): execute the claimed order ``order_id``."""
    rt = runtime()
    return rt.run(_execute(order_id))


async def _execute(order_id: int) -> str:
    return await execute_claimed(await runtime().services(), order_id)


INTENT_PUBLISH_FAILED = Counter(
    "solsignals_autotrade_outcome_publish_failures_total",
    "Auto-buy outcomes recorded but not published on autotrade.out (Redis failed)",
)
INTENT_RUNS = Counter(
    "solsignals_autotrade_runs_total",
    "Executions of confirmed auto-buys, by result (done, failed, in_progress, skipped)",
    ["result"],
)


async def execute_intent_now(services: Services, intent_id: int) -> str:
    """Buy for a leased auto-trade intent and record it (the template armed on the position)."""
    store = services.autotrade
    intent = await store.get(intent_id)
    if intent is None or intent.state is not IntentState.EXECUTING:
        INTENT_RUNS.labels("skipped").inc()
        return "skipped"
    rule = await store.rule(intent.rule_id)
    outcome = await services.executor.execute(intent.trade_request())
    finished = await store.finish(intent, outcome, rule.template if rule else None)
    if finished is None:
        INTENT_RUNS.labels("in_progress" if outcome.in_progress else "skipped").inc()
        return "in_progress" if outcome.in_progress else "skipped"
    INTENT_RUNS.labels(finished.state.value).inc()
    try:  # recorded already: a lost message must not fail the job (the buy is not repeated)
        await StreamPublisher(services.aredis, AUTOTRADE_STREAM).publish(
            intent_to_stream_fields(finished)
        )
    except UpstreamError as exc:
        INTENT_PUBLISH_FAILED.inc()
        log.error("autotrade_outcome_publish_failed", intent=intent.id, error=str(exc))
    log.info(
        "autotrade_buy",
        intent=intent.id,
        state=finished.state.value,
        reason=outcome.reason,
        position_id=outcome.position_id,
    )
    return finished.state.value


def execute_intent(intent_id: int) -> str:
    """RQ job (queue ``orders``): the buy of a leased auto-trade intent."""
    rt = runtime()
    return rt.run(_execute_intent(intent_id))


async def _execute_intent(intent_id: int) -> str:
    return await execute_intent_now(await runtime().services(), intent_id)
