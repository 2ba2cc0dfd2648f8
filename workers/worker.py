"""The RQ worker of the order loops: jobs run in the worker process (``SimpleWorker``), so the
process's runtime (database pool, clients, keystore) and Prometheus metrics outlive each job.
Its maintenance tasks also restart any loop chain that died (a lost job, a Redis restart)."""

from __future__ import annotations

import redis
import structlog
from rq import SimpleWorker

from workers import queues
from workers.runtime import runtime

log = structlog.get_logger(__name__)


class OrdersWorker(SimpleWorker):
    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            started = runtime().ensure_loops()
            queues.observe_depths(self.connection)
        except redis.RedisError as exc:
            log.warning("worker_maintenance_redis_error", error=str(exc))
            return
        if started:
            log.info("worker_loops_started", loops=started)
