"""The alert fan-out: signals from ``signals.out`` and Smart Activity alerts from
``activity.out`` to Telegram chats, within Telegram's limits, with nothing dropped silently
(retries, then the ``telegram.dead`` stream)."""

from bots.telegram.fanout.config import FanoutSettings, load_fanout_settings
from bots.telegram.fanout.deadletter import DEAD_STREAM
from bots.telegram.fanout.delivery import AlertKind, DeadReason, DeliveryReport, Outcome
from bots.telegram.fanout.service import FanOut

__all__ = [
    "DEAD_STREAM",
    "AlertKind",
    "DeadReason",
    "DeliveryReport",
    "FanOut",
    "FanoutSettings",
    "Outcome",
    "load_fanout_settings",
]
