"""Auto-trade: users' rules applied to the signals the engine publishes (``signals.out``).

``autotrade_tick`` (every ``WORKER_AUTOTRADE_INTERVAL_S``) reads the new signals as the consumer
group ``autotrade`` (a worker that died leaves its entries pending; the next one takes them
over), matches every active rule (``core.trading.autotrade.match``) and records one intent per
rule and mint: ``pending`` for confirm-mode rules — published on ``autotrade.out`` for the bot
to show with Confirm / Cancel — or ``confirmed`` for direct ones. It then expires unanswered
intents and leases the confirmed ones to the ``orders`` queue (``execute_intent``), where the
buy goes through ``TradeExecutor`` with every limit applied, and the rule's TP/SL template is
armed on the position it opened.

Entries are acknowledged after they are recorded; recording twice is harmless (one intent per
rule and mint).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from prometheus_client import Counter

from core.bus.streams import StreamConsumer, StreamPublisher
from core.errors import DecodeError
from core.signals.codec import STREAM as SIGNALS_STREAM
from core.signals.codec import signal_from_stream_fields
from core.trading.autotrade import STREAM as AUTOTRADE_STREAM
from core.trading.autotrade import Intent, intent_to_stream_fields, match
from core.trading.autotrade_store import AutoTradeStore
from workers import queues
from workers.runtime import Services, runtime

log = structlog.get_logger(__name__)

LOOP = "autotrade"
GROUP = "autotrade"
STALE_MS = 60_000
SIGNALS = Counter(
    "solsignals_autotrade_signals_total",
    "Signals read by the auto-trade loop, by result",
    ["result"],
)
INTENTS = Counter(
    "solsignals_autotrade_intents_total",
    "Auto-trade intents, by mode and state",
    ["mode", "state"],
)


@dataclass(frozen=True, slots=True)
class TickStats:
    signals: int
    intents: list[Intent]
    expired: list[Intent]
    ready: list[Intent]


async def consume(
    store: AutoTradeStore,
    consumer: StreamConsumer,
    publisher: StreamPublisher,
    *,
    owner: str,
    count: int = 200,
) -> TickStats:
    """One round: new signals -> intents, unanswered intents -> expired, confirmed -> leased
    to ``owner`` (returned in ``ready`` for the caller to execute)."""
    entries = await consumer.claim_stale(min_idle_ms=STALE_MS, count=count)
    entries += await consumer.read(count=count, block_ms=None)
    rules = await store.active_rules() if entries else []
    intents: list[Intent] = []
    for entry in entries:
        try:
            signal = signal_from_stream_fields(entry.fields)
        except DecodeError as exc:
            SIGNALS.labels("undecodable").inc()
            log.warning("autotrade_signal_undecodable", entry=entry.id, error=str(exc))
            await consumer.ack([entry.id])
            continue
        buyers = [address for address, _ in signal.smart_buyers]
        matched = 0
        for rule in rules:
            tags_of = await store.tags_of(rule.user_id, buyers) if rule.tags else {}
            found = match(rule, signal, tags_of)
            if found is None:
                continue
            matched += 1
            intent = await store.record(found)
            if intent is None:
                continue  # this rule already has an intent for the mint
            intents.append(intent)
            INTENTS.labels(intent.mode.value, intent.state.value).inc()
            await publisher.publish(intent_to_stream_fields(intent))
        SIGNALS.labels("matched" if matched else "unmatched").inc()
        await consumer.ack([entry.id])
    expired = await store.expire()
    for intent in expired:
        INTENTS.labels(intent.mode.value, intent.state.value).inc()
        await publisher.publish(intent_to_stream_fields(intent))
    ready = await store.claim_ready(owner)
    return TickStats(len(entries), intents, expired, ready)


async def _tick(services: Services) -> TickStats:
    rt = runtime()
    consumer = StreamConsumer(services.aredis, SIGNALS_STREAM, GROUP, f"autotrade:{rt.owner}")
    await consumer.ensure_group(start_id="$")
    publisher = StreamPublisher(services.aredis, AUTOTRADE_STREAM)
    stats = await consume(services.autotrade, consumer, publisher, owner=rt.owner)
    orders_queue = queues.queue(rt.redis, queues.ORDERS_QUEUE)
    for intent in stats.ready:
        orders_queue.enqueue(
            "workers.execute.execute_intent",
            intent.id,
            job_timeout=rt.worker.job_timeout_s,
            result_ttl=3600,
            failure_ttl=86_400,
        )
    return stats


def autotrade_tick(token: str) -> str:
    """RQ job (queue ``loops``): one auto-trade round, then the next one scheduled."""
    return runtime().tick(LOOP, token, _tick)
