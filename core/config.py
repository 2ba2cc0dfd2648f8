"""One typed settings object, from the environment and `.env`, validated at start.

Every setting has a documented default here, in one place. A missing or invalid value raises
``ConfigError`` naming the environment variable and an example value.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from solders.pubkey import Pubkey

from core.errors import ConfigError

EMBEDDED_DATABASE_URL = "sqlite:///./var/solsignals.db"

EXAMPLES: dict[str, str] = {
    "SOLANA_WS_URLS": "wss://mainnet.helius-rpc.com/?api-key=KEY,wss://api.mainnet.solana.com",
    "SOLANA_RPC_URLS": "https://mainnet.helius-rpc.com/?api-key=KEY,https://api.mainnet.solana.com",
    "DATABASE_URL": "postgresql://solsignals@127.0.0.1:5432/solsignals",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "METRICS_PORT": "9108",
    "METRICS_HOST": "127.0.0.1",
    "INGEST_BATCH_SIZE": "2000",
    "INGEST_FLUSH_MS": "200",
    "SOL_USD_FALLBACK": "150.0",
    "JUPITER_BASE_URL": "https://api.jup.ag",
    "JUPITER_API": "v2",
    "HONEYPOT_PROBE_WALLET": "<a funded wallet address>",
    "LOG_LEVEL": "info",
    "LOG_FORMAT": "json",
    "SIGNER_BACKEND": "keystore",
    "KEYSTORE_PATH": "./var/keystore.json",
    "KEYSTORE_PASSPHRASE": "<a long passphrase, given at start>",
    "VAULT_ADDR": "https://vault.internal:8200",
    "VAULT_TOKEN": "<a Vault token with the solsignals-signer policy>",
    "VAULT_ROLE_ID": "<vault read auth/approle/role/solsignals/role-id>",
    "VAULT_SECRET_ID": "<vault write -f auth/approle/role/solsignals/secret-id>",
    "VAULT_TRANSIT_MOUNT": "transit",
    "VAULT_APPROLE_MOUNT": "approle",
    "VAULT_NAMESPACE": "admin",
    "TRADING_ENABLED": "true",
    "TRADING_MAX_TRADE_SOL": "0.5",
    "TRADING_DAILY_LIMIT_SOL": "2",
    "TRADING_DEFAULT_SLIPPAGE_BPS": "100",
    "TRADING_MAX_SLIPPAGE_BPS": "1000",
    "TRADING_MAX_PRICE_IMPACT_PCT": "5",
    "TRADING_MIN_LIQUIDITY_SOL": "10",
    "TRADING_NO_GO_MINTS": "<mint address>,<mint address>",
    "TRADING_REQUIRE_HONEYPOT_CHECK": "true",
    "TRADING_PRIORITY_FEE_PERCENTILE": "75",
    "TRADING_PRIORITY_FEE_MIN_MICRO_LAMPORTS": "1000",
    "TRADING_PRIORITY_FEE_MAX_MICRO_LAMPORTS": "1000000",
    "TRADING_MAX_PRIORITY_FEE_SOL": "0.005",
    "TRADING_CONFIRM_POLL_MS": "400",
    "TRADING_REBROADCAST_MS": "2000",
    "TRADING_PUMP_CURVE_ROUTE": "off",
}


def _split_urls(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Solsignals configuration. Environment variable names are the upper-case field names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Chain: ordered provider lists (first = preferred); ws and http paired by position.
    solana_ws_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    solana_rpc_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    commitment: str = "confirmed"
    max_slot_lag: int = 150

    # Storage and queues.
    database_url: SecretStr = SecretStr(EMBEDDED_DATABASE_URL)
    redis_url: SecretStr | None = None

    # Ingestion.
    ingest_batch_size: int = Field(default=2000, ge=1, le=100_000)
    ingest_flush_ms: int = Field(default=200, ge=1, le=60_000)
    ingest_queue_size: int = Field(default=20_000, ge=100)

    # Market data.
    sol_usd_fallback: float = Field(default=150.0, gt=0)
    pyth_sol_usd_account: str = "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE"

    # Jupiter (quotes for the honeypot check now, swaps later) and the honeypot probe wallet:
    # a funded wallet whose address is used to simulate a small buy-then-sell. Both unset = off.
    jupiter_base_url: str | None = None
    jupiter_api_key: SecretStr | None = None
    # Which Jupiter API trades go through: "v2" = Swap API V2 Router (/swap/v2/order quote +
    # /swap/v2/build instructions, transaction assembled by us); "v1" = Metis /swap/v1/quote +
    # /swap/v1/swap (superseded by V2, kept as a fallback). The honeypot probe always uses v1.
    jupiter_api: str = "v2"
    honeypot_probe_wallet: str | None = None

    # Trading wallets: who signs. "keystore" (embedded default) = an encrypted local file unlocked
    # by a passphrase given at start; "vault" = HashiCorp Vault Transit, keys never leave Vault.
    signer_backend: Literal["keystore", "vault"] = "keystore"
    keystore_path: Path = Path("./var/keystore.json")
    keystore_passphrase: SecretStr | None = None
    vault_addr: str | None = None
    vault_token: SecretStr | None = None
    vault_role_id: str | None = None
    vault_secret_id: SecretStr | None = None
    vault_transit_mount: str = "transit"
    vault_approle_mount: str = "approle"
    vault_namespace: str | None = None

    # Trading: off unless TRADING_ENABLED and the user enabled it too. These are the operator's
    # ceilings; a user's own limits can only be lower (core.trading.policy.TradePolicy).
    trading_enabled: bool = False
    trading_max_trade_sol: Decimal = Field(default=Decimal("0.5"), gt=0)
    trading_daily_limit_sol: Decimal = Field(default=Decimal("2"), gt=0)
    trading_default_slippage_bps: int = Field(default=100, ge=1, le=5_000)
    trading_max_slippage_bps: int = Field(default=1_000, ge=1, le=5_000)
    trading_max_price_impact_pct: float = Field(default=5.0, gt=0, le=100)
    trading_min_liquidity_sol: Decimal = Field(default=Decimal("10"), ge=0)
    trading_no_go_mints: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trading_require_honeypot_check: bool = True  # an unknown honeypot result refuses the buy
    trading_priority_fee_percentile: int = Field(default=75, ge=0, le=100)
    trading_priority_fee_min_micro_lamports: int = Field(default=1_000, ge=0)
    trading_priority_fee_max_micro_lamports: int = Field(default=1_000_000, ge=0)
    trading_max_priority_fee_sol: Decimal = Field(default=Decimal("0.005"), ge=0)
    trading_confirm_poll_ms: int = Field(default=400, ge=50, le=10_000)
    trading_rebroadcast_ms: int = Field(default=2_000, ge=200, le=60_000)
    # The Pump.fun bonding-curve route: "off" = Jupiter only; "fallback" = the curve when Jupiter
    # has no route for a mint still on its (not complete) curve (core.trading.route_choice).
    trading_pump_curve_route: str = "off"

    # Feed: which trades are "big" in the live feed.
    big_trade_lamports: int = Field(default=10_000_000_000, ge=0)

    # Observability.
    metrics_port: int = Field(default=0, ge=0, le=65535)  # 0 = no /metrics server
    metrics_host: str = "0.0.0.0"  # where Prometheus scrapes from; 127.0.0.1 keeps it local
    log_level: str = "info"
    log_format: str = "json"  # json | console

    @field_validator("solana_ws_urls", "solana_rpc_urls", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_urls(value)

    @field_validator("solana_ws_urls")
    @classmethod
    def _ws_scheme(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if urlsplit(url).scheme not in ("ws", "wss"):
                raise ValueError(f"{url!r} is not a ws:// or wss:// URL")
        return urls

    @field_validator("solana_rpc_urls")
    @classmethod
    def _http_scheme(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"{url!r} is not an http:// or https:// URL")
        return urls

    @field_validator("trading_no_go_mints", mode="before")
    @classmethod
    def _csv_mints(cls, value: Any) -> Any:
        return _split_urls(value)

    @field_validator("trading_no_go_mints")
    @classmethod
    def _mints(cls, mints: list[str]) -> list[str]:
        for mint in mints:
            try:
                Pubkey.from_string(mint)
            except ValueError:
                raise ValueError(f"{mint!r} is not a Solana address") from None
        return mints

    @field_validator("trading_max_slippage_bps")
    @classmethod
    def _max_slippage(cls, value: int, info: ValidationInfo) -> int:
        default = info.data.get("trading_default_slippage_bps")
        if default is not None and value < default:
            raise ValueError(f"{value} is below TRADING_DEFAULT_SLIPPAGE_BPS ({default})")
        return value

    @field_validator("trading_priority_fee_max_micro_lamports")
    @classmethod
    def _max_fee(cls, value: int, info: ValidationInfo) -> int:
        floor = info.data.get("trading_priority_fee_min_micro_lamports")
        if floor is not None and value < floor:
            raise ValueError(f"{value} is below TRADING_PRIORITY_FEE_MIN_MICRO_LAMPORTS ({floor})")
        return value

    @field_validator("jupiter_base_url")
    @classmethod
    def _jupiter_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("jupiter_api")
    @classmethod
    def _jupiter_api(cls, value: str) -> str:
        api = value.strip().lower()
        if api not in ("v1", "v2"):
            raise ValueError(
                f"{value!r} is not a Jupiter API: v2 (Swap API V2 /build, default) or v1 (Metis)"
            )
        return api

    @field_validator("trading_pump_curve_route")
    @classmethod
    def _pump_curve_route(cls, value: str) -> str:
        mode = value.strip().lower()
        if mode not in ("off", "fallback"):
            raise ValueError(
                f"{value!r} is not a Pump.fun curve route mode: off (default, Jupiter only) or "
                "fallback (the curve when Jupiter has no route)"
            )
        return mode

    @field_validator("honeypot_probe_wallet")
    @classmethod
    def _probe_wallet(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Pubkey.from_string(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a Solana address") from None
        return value

    @field_validator("vault_addr")
    @classmethod
    def _vault_addr(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"{redact_url(value)!r} is not an http(s) URL")
        return value

    @field_validator("vault_transit_mount", "vault_approle_mount")
    @classmethod
    def _mount(cls, value: str) -> str:
        mount = value.strip().strip("/")
        if not mount or any(part in ("", ".", "..") for part in mount.split("/")):
            raise ValueError(f"{value!r} is not a Vault mount path")
        return mount

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.lower() not in ("debug", "info", "warning", "error"):
            raise ValueError("must be one of debug, info, warning, error")
        return value.lower()

    @field_validator("log_format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value.lower() not in ("json", "console"):
            raise ValueError("must be json or console")
        return value.lower()

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict safe to log: secrets and URL credentials / query keys hidden."""
        out: dict[str, Any] = self.model_dump()
        out["database_url"] = redact_url(self.database_url.get_secret_value())
        out["redis_url"] = (
            redact_url(self.redis_url.get_secret_value()) if self.redis_url else None
        )
        out["solana_ws_urls"] = [redact_url(u) for u in self.solana_ws_urls]
        out["solana_rpc_urls"] = [redact_url(u) for u in self.solana_rpc_urls]
        out["jupiter_api_key"] = "***" if self.jupiter_api_key else None
        out["vault_addr"] = redact_url(self.vault_addr) if self.vault_addr else None
        for secret in ("vault_token", "vault_secret_id", "keystore_passphrase"):
            out[secret] = "***" if getattr(self, secret) else None
        out["keystore_path"] = str(self.keystore_path)
        return out

    def require_signer(self, backend: str | None = None) -> None:
        """What signing with ``backend`` (default SIGNER_BACKEND) needs beyond the defaults."""
        backend = backend or self.signer_backend
        if backend == "keystore":
            if self.keystore_passphrase is None or not self.keystore_passphrase.get_secret_value():
                raise ConfigError(
                    "KEYSTORE_PASSPHRASE",
                    f"not set: it unlocks the wallet keystore {self.keystore_path}",
                    EXAMPLES["KEYSTORE_PASSPHRASE"],
                )
            return
        if not self.vault_addr:
            raise ConfigError(
                "VAULT_ADDR", "not set (SIGNER_BACKEND=vault)", EXAMPLES["VAULT_ADDR"]
            )
        if self.vault_role_id and self.vault_secret_id is None:
            raise ConfigError(
                "VAULT_SECRET_ID",
                "not set (needed with VAULT_ROLE_ID)",
                EXAMPLES["VAULT_SECRET_ID"],
            )
        if self.vault_secret_id is not None and not self.vault_role_id:
            raise ConfigError(
                "VAULT_ROLE_ID", "not set (needed with VAULT_SECRET_ID)", EXAMPLES["VAULT_ROLE_ID"]
            )
        if not self.vault_role_id and self.vault_token is None:
            raise ConfigError(
                "VAULT_TOKEN",
                "not set: give VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole)",
                EXAMPLES["VAULT_TOKEN"],
            )

    def require_live(self) -> None:
        """What `solsignals run` needs beyond the defaults: providers, Postgres, Redis."""
        if not self.solana_ws_urls:
            raise ConfigError("SOLANA_WS_URLS", "not set", EXAMPLES["SOLANA_WS_URLS"])
        if not self.solana_rpc_urls:
            raise ConfigError("SOLANA_RPC_URLS", "not set", EXAMPLES["SOLANA_RPC_URLS"])
        if len(self.solana_rpc_urls) != len(self.solana_ws_urls):
            raise ConfigError(
                "SOLANA_RPC_URLS",
                f"has {len(self.solana_rpc_urls)} URLs but SOLANA_WS_URLS has "
                f"{len(self.solana_ws_urls)}; give one HTTP URL per websocket URL, same order",
                EXAMPLES["SOLANA_RPC_URLS"],
            )
        db = self.database_url.get_secret_value()
        if not db.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
            raise ConfigError(
                "DATABASE_URL",
                "must be a PostgreSQL URL for `solsignals run` (SQLite is for the demo)",
                EXAMPLES["DATABASE_URL"],
            )
        if self.redis_url is None:
            raise ConfigError("REDIS_URL", "not set", EXAMPLES["REDIS_URL"])
        if not self.redis_url.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("REDIS_URL", "must start with redis://", EXAMPLES["REDIS_URL"])


def redact_url(url: str) -> str:
    """Hide the password and any query string (API keys live there) of a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" not in netloc and not parts.query:
        return url
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in creds else f"{user}@{host}"
    query = "***" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read and validate settings; pydantic's errors become a ConfigError naming the variable."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        env_name = field.upper()
        raise ConfigError(env_name, first["msg"], EXAMPLES.get(env_name, "<see README>")) from exc
