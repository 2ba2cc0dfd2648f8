"""Risk checks of a token: authorities, holders, tax, dev sells, liquidity, sellability."""

from core.risk.blocklist import Blocklist
from core.risk.checks import RiskParams
from core.risk.report import Check, CheckResult, RiskReport, Verdict
from core.risk.service import RiskService

__all__ = [
    "Blocklist",
    "Check",
    "CheckResult",
    "RiskParams",
    "RiskReport",
    "RiskService",
    "Verdict",
]
