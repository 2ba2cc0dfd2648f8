"""The workers' own settings (``WORKER_*``), next to the shared ``core.config.Settings``.

Every value has a documented default here; an invalid one raises ``ConfigError`` naming the
variable. They are read from the environment (and ``.env``) like the shared settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError

EXAMPLES: dict[str, str] = {
    "WORKER_MONITOR_INTERVAL_S": "5",
    "WORKER_MONITOR_BATCH": "500",
    "WORKER_REAPER_INTERVAL_S": "15",
    "WORKER_AUTOTRADE_INTERVAL_S": "2",
    "WORKER_ORDER_LEASE_S": "300",
    "WORKER_TRADE_LEASE_S": "180",
    "WORKER_ORDER_MAX_ATTEMPTS": "3",
    "WORKER_PRICE_MAX_AGE_S": "60",
    "WORKER_INTENT_TTL_S": "300",
    "WORKER_MAINTENANCE_INTERVAL_S": "30",
    "WORKER_JOB_TIMEOUT_S": "600",
}


class WorkerSettings(BaseSettings):
    """How often the order loops run and how long a claim lasts. Environment names are
    ``WORKER_`` + the upper-case field name."""

    model_config = SettingsConfigDict(
        env_prefix="WORKER_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    monitor_interval_s: float = Field(default=5.0, gt=0, le=3600)  # between monitor passes
    monitor_batch: int = Field(default=500, ge=1, le=10_000)  # positions per query
    reaper_interval_s: float = Field(default=15.0, gt=0, le=3600)
    autotrade_interval_s: float = Field(default=2.0, gt=0, le=3600)
    # A claimed order's lease: after it, the reaper resumes the order's trade (checking the
    # chain first). Keep it >= the trade lease, so a live executor is never second-guessed.
    order_lease_s: float = Field(default=300.0, gt=0)
    trade_lease_s: float = Field(default=180.0, gt=0)
    order_max_attempts: int = Field(default=3, ge=1, le=20)
    price_max_age_s: float = Field(default=60.0, gt=0)  # older stored trades: quote Jupiter
    intent_ttl_s: float = Field(default=300.0, gt=0)  # a confirm-mode auto-buy waits this long
    maintenance_interval_s: int = Field(default=30, ge=1)  # re-checks the loops are scheduled
    job_timeout_s: int = Field(default=600, ge=10)


def load_worker_settings(env_file: str | Path | None = ".env", **overrides: Any) -> WorkerSettings:
    try:
        return WorkerSettings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        name = f"WORKER_{field.upper()}"
        raise ConfigError(name, first["msg"], EXAMPLES.get(name, "<see README>")) from exc
