"""The signal engine (pure): sliding windows per mint, rules, the explained 0-3 Strength.

Modules: ``windows`` (``MintWindows``), ``rules`` (``Rule``, ``RuleError``), ``params``
(``SignalParams``), ``strength`` (component maths), ``risk`` (RiskScore), ``signal``
(``Signal``), ``explain`` (``explain_text``), ``engine`` (``SignalEngine``), ``metrics``.
"""

from core.signals.engine import EngineStats, SignalEngine
from core.signals.explain import explain_text
from core.signals.params import SignalParams
from core.signals.risk import Penalty, RiskAssessment, RiskBadge
from core.signals.rules import Rule, RuleContext, RuleError, RuleKind, RuleResult
from core.signals.signal import Signal, SignalReason
from core.signals.windows import MAX_WINDOW_S, MintWindows

__all__ = [
    "MAX_WINDOW_S",
    "EngineStats",
    "MintWindows",
    "Penalty",
    "RiskAssessment",
    "RiskBadge",
    "Rule",
    "RuleContext",
    "RuleError",
    "RuleKind",
    "RuleResult",
    "Signal",
    "SignalEngine",
    "SignalParams",
    "SignalReason",
    "explain_text",
]
