"""``python -m workers``: run the order worker (monitor, reaper, auto-trade and the trades).

python -m workers [run] [--burst]   the worker, with RQ's scheduler (the loops reschedule
                                    themselves with enqueue_in); /metrics on METRICS_PORT
python -m workers reap              one reaper pass now (operators: after an incident)
"""

from __future__ import annotations

import argparse
import sys

import structlog

from core.errors import ConfigError
from core.log import configure_logging
from core.metrics_server import start_metrics_server
from workers import queues

log = structlog.get_logger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=("run", "reap"))
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    args = parser.parse_args(argv)
    try:
        from workers.runtime import runtime

        rt = runtime()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(rt.settings.log_level, rt.settings.log_format)
    if args.command == "reap":
        from workers.reaper import reap_now

        recoveries = rt.run(reap_now(rt.run(rt.services())))
        for recovery in recoveries:
            print(
                f"order {recovery.order_id}: chain {recovery.chain}, trade {recovery.trade_state}"
            )
        return 0
    from workers.worker import OrdersWorker

    start_metrics_server(rt.settings.metrics_port, rt.settings.metrics_host)
    worker = OrdersWorker(
        [queues.ORDERS_QUEUE, queues.LOOPS_QUEUE],
        connection=rt.redis,
        maintenance_interval=rt.worker.maintenance_interval_s,
    )
    log.info("worker_starting", owner=rt.owner, loops=rt.ensure_loops())
    worker.work(with_scheduler=True, burst=args.burst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
