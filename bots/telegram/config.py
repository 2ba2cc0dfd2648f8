"""The Telegram bot's own settings (environment and `.env`), validated at start.

Database and Redis come from ``core.config.Settings``; these are what only the bot needs.
A missing or invalid value raises ``ConfigError`` naming the variable and an example.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import ConfigError

EXAMPLES: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "123456789:AAE…(from @BotFather)",
    "TELEGRAM_API_URL": "https://api.telegram.org",
    "TELEGRAM_MODE": "private",
    "TELEGRAM_CHANNEL_ID": "-1001234567890",
    "TELEGRAM_ADMIN_IDS": "11111111,22222222",
    "TELEGRAM_RATE_PER_MIN": "30",
    "NARRATIVE_API_URL": "https://api.openai.com/v1",
    "NARRATIVE_MODEL": "gpt-4o-mini",
}


def _split_ints(value: Any) -> Any:
    if isinstance(value, str):
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    return value


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    # Bot API base (aiogram TelegramAPIServer.from_base): a local Bot API server or a test one.
    telegram_api_url: str = "https://api.telegram.org"
    # private: per-user alerts with their own filters; channel: alerts posted to one channel.
    telegram_mode: Literal["private", "channel"] = "private"
    telegram_channel_id: int | None = None
    telegram_admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # Per-user commands and button presses per minute before the bot asks them to slow down.
    telegram_rate_per_min: int = Field(default=30, ge=1, le=600)
    # Optional OpenAI-compatible chat endpoint for card narratives (template otherwise).
    narrative_api_url: str | None = None
    narrative_api_key: SecretStr | None = None
    narrative_model: str = "gpt-4o-mini"
    narrative_timeout_s: float = Field(default=3.0, gt=0, le=30)

    @field_validator("telegram_admin_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return _split_ints(value)

    @field_validator("telegram_api_url", "narrative_api_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    def require_bot(self) -> str:
        """The bot token, or a ConfigError saying how to get one; checks channel mode too."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN",
                "is required to run the bot (create a bot with @BotFather)",
                EXAMPLES["TELEGRAM_BOT_TOKEN"],
            )
        if self.telegram_mode == "channel" and self.telegram_channel_id is None:
            raise ConfigError(
                "TELEGRAM_CHANNEL_ID",
                "is required when TELEGRAM_MODE=channel",
                EXAMPLES["TELEGRAM_CHANNEL_ID"],
            )
        return self.telegram_bot_token.get_secret_value()


def load_bot_settings(env_file: str | None = ".env", **overrides: Any) -> BotSettings:
    try:
        return BotSettings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "TELEGRAM_*"
        raise ConfigError(name, error["msg"], EXAMPLES.get(name, "…")) from exc
