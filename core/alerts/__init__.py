"""Which signals reach which users, and at what pace (transport-independent)."""

from core.alerts.filters import Decision, should_alert
from core.alerts.pacing import Pacer

__all__ = ["Decision", "Pacer", "should_alert"]
