"""The alert fan-out's settings (environment ``TELEGRAM_FANOUT_*`` and `.env`), with defaults.

Redis itself is ``REDIS_URL`` (core settings); the mode and channel are the bot's settings
(``TELEGRAM_MODE``, ``TELEGRAM_CHANNEL_ID``). An invalid value raises ``ConfigError`` naming the
variable and an example.
"""

from __future__ import annotations

import socket
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError

EXAMPLES: dict[str, str] = {
    "TELEGRAM_FANOUT_CONSUMER": "bot-1",
    "TELEGRAM_FANOUT_GROUP": "telegram",
    "TELEGRAM_FANOUT_QUEUE_SIZE": "10000",
    "TELEGRAM_FANOUT_MAX_IN_FLIGHT": "32",
    "TELEGRAM_FANOUT_GLOBAL_PER_S": "30",
    "TELEGRAM_FANOUT_PER_CHAT_PER_S": "1",
    "TELEGRAM_FANOUT_CHANNEL_PER_MIN": "20",
    "TELEGRAM_FANOUT_CLAIM_IDLE_S": "60",
    "TELEGRAM_FANOUT_RECIPIENTS_TTL_S": "30",
    "TELEGRAM_FANOUT_MESSAGE_TTL_S": "86400",
    "TELEGRAM_FANOUT_MAX_ATTEMPTS": "5",
    "TELEGRAM_FANOUT_ACTIVITY_ALERTS": "true",
}


class FanoutSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TELEGRAM_FANOUT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # This process's name in the consumer group. Keep it stable across restarts (a restarted
    # consumer resumes its own pending entries) and distinct between processes.
    consumer: str = Field(default_factory=socket.gethostname, min_length=1, max_length=200)
    group: str = Field(default="telegram", min_length=1, max_length=200)
    # Deliveries (one signal to one chat) held in memory; when full, reading the stream stops.
    queue_size: int = Field(default=10_000, ge=1, le=10_000_000)
    # Bot API requests in flight at once.
    max_in_flight: int = Field(default=32, ge=1, le=1000)
    # Telegram's guidance: about 30 messages/s overall, 1/s per private chat, 20/min per
    # group or channel (shared/reference/telegram-limits.md).
    global_per_s: float = Field(default=30.0, gt=0)
    per_chat_per_s: float = Field(default=1.0, gt=0)
    channel_per_min: float = Field(default=20.0, gt=0)
    # Entries another consumer left unacknowledged this long are taken over.
    claim_idle_s: float = Field(default=60.0, gt=0)
    # Registered users and wallet tags are reloaded this often.
    recipients_ttl_s: float = Field(default=30.0, gt=0)
    # (chat, mint) -> sent card, for editing it in place when the mint re-scores.
    message_ttl_s: int = Field(default=86_400, ge=60)
    # Attempts of one delivery on transient errors (network, 5xx) before the dead letter;
    # waits between them double from backoff_base_s up to backoff_max_s.
    max_attempts: int = Field(default=5, ge=1, le=100)
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    # 429 answers tolerated for one delivery before the dead letter (each one is waited out).
    max_rate_limited: int = Field(default=20, ge=1)
    # Stream entries read per XREADGROUP, and prepared (filtered, rendered) at once.
    read_count: int = Field(default=100, ge=1, le=10_000)
    plan_ahead: int = Field(default=8, ge=1, le=256)
    # Entries kept in the dead letter stream (approximate trim).
    dead_maxlen: int = Field(default=100_000, ge=100)
    # On stop, in-flight requests get this long to finish.
    drain_timeout_s: float = Field(default=10.0, ge=0)
    # Smart Activity alerts (the activity.out stream) are delivered too.
    activity_alerts: bool = True
    # At start, move the objects alive then out of the garbage collector's sight (gc.freeze):
    # full collections otherwise pause the process (every alert) for 100-200 ms.
    gc_freeze: bool = True


def load_fanout_settings(env_file: str | None = ".env", **overrides: Any) -> FanoutSettings:
    try:
        return FanoutSettings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]).upper() if error["loc"] else "*"
        name = f"TELEGRAM_FANOUT_{field}"
        raise ConfigError(name, error["msg"], EXAMPLES.get(name, "…")) from exc
