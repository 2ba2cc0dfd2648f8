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
    @property
    def dequeue_timeout(self) -> int:
        """An idle worker wakes at least every maintenance interval (RQ's default blocks ~405 s).
        Maintenance restarts RQ's scheduler and the loop chains: after a Redis restart they
        are what enqueues the next job, so nothing else would wake the worker."""
        return max(1, min(super().dequeue_timeout, int(self.maintenance_interval)))

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
