"""The reaper: orders whose worker died (or gave up) between claiming and finishing.

An order ``triggered`` or ``sent`` whose lease expired is taken over (``FOR UPDATE SKIP
LOCKED``: two reapers never take the same one). Before acting, the reaper looks at what its
trade did: the ``trade_requests`` row under the order's key and, when a transaction was signed,
the chain itself (``getSignatureStatuses`` with the full history) — logged and audited
(``order.chain_checked``: landed, failed on chain, not found). Then it runs the order again
under the same key: the executor resumes that one trade — a landed transaction is recorded
(``done``) without being sent again; one that never landed is rebroadcast (the same signed
bytes) or, once its blockhash expired, re-quoted; a trade that never started starts. Never a
second sell. An order it finishes is notified to its user like any other (``trading.out``).

``reaper_tick`` is the RQ job (every ``WORKER_REAPER_INTERVAL_S``).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from prometheus_client import Counter

from core.chain.rpc_client import RpcClient
from core.errors import UpstreamError
from core.trading.audit import AuditTrail
from core.trading.executor import TradeExecutor
from core.trading.notices import NoticePublisher
from core.trading.order_store import OrderStore, OrderView
from core.trading.trade_requests import TradeRequestStore
from workers.execute import run_order
from workers.runtime import Services, runtime

log = structlog.get_logger(__name__)

LOOP = "reaper"
RECOVERED = Counter(
    "solsignals_order_recoveries_total",
    "In-flight orders the reaper took over, by what the chain said (landed, failed_on_chain, "
    "not_found, not_sent, unknown) and the trade's state after resuming",
    ["chain", "trade_state"],
)


@dataclass(frozen=True, slots=True)
class Recovery:
    order_id: int
    chain: str  # landed | failed_on_chain | not_found | not_sent | unknown
    trade_state: str  # the trade after resuming (confirmed, failed, ... or sent: still open)


async def chain_check(
    order: OrderView, trades: TradeRequestStore, rpc: RpcClient
) -> tuple[str, dict[str, object]]:
    """What the chain says about the order's trade, before the reaper acts."""
    record = await trades.get(order.trade_key) if order.trade_key else None
    if record is None:
        return "not_sent", {"trade_state": None}
    facts: dict[str, object] = {"trade_state": record.state.value, "signatures": record.signatures}
    if not record.signatures:
        return "not_sent", facts
    try:
        statuses = await rpc.get_signature_statuses(
            list(record.signatures), search_transaction_history=True
        )
    except UpstreamError as exc:
        facts["error"] = str(exc)
        return "unknown", facts
    landed = [s for s in statuses if s is not None]
    if any(s.err is None for s in landed):
        return "landed", facts
    if landed:
        return "failed_on_chain", facts
    return "not_found", facts


async def reap_pass(
    *,
    store: OrderStore,
    trades: TradeRequestStore,
    rpc: RpcClient,
    executor: TradeExecutor,
    audit: AuditTrail,
    owner: str,
    limit: int = 50,
    notices: NoticePublisher | None = None,
) -> list[Recovery]:
    recoveries = []
    for order in await store.take_over_expired(owner, limit=limit):
        chain, facts = await chain_check(order, trades, rpc)
        await audit.append(
            actor=owner,
            action="order.chain_checked",
            subject=f"order:{order.id}",
            details={"chain": chain, **facts},
            idempotency_key=order.trade_key,
        )
        log.warning(
            "order_recovering", order_id=order.id, key=order.trade_key, chain=chain, **facts
        )
        outcome = await run_order(
            order, store=store, executor=executor, actor=owner, notices=notices
        )
        state = "in_progress" if outcome.in_progress else outcome.state.value
        RECOVERED.labels(chain, state).inc()
        recoveries.append(Recovery(order.id, chain, state))
    return recoveries


async def reap_now(services: Services) -> list[Recovery]:
    """One reaper pass with this process's services (the loop; ``python -m workers reap``)."""
    rt = runtime()
    return await reap_pass(
        store=services.orders,
        trades=services.trades,
        rpc=services.rpc,
        executor=services.executor,
        audit=services.audit,
        owner=f"reaper:{rt.owner}",
        notices=NoticePublisher(services.aredis),
    )


def reaper_tick(token: str) -> str:
    """RQ job (queue ``loops``): one reaper pass, then the next one scheduled."""
    return runtime().tick(LOOP, token, reap_now)
