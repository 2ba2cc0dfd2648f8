from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_settings, redact_url
from core.errors import ConfigError

LIVE_ENV = {
    "SOLANA_WS_URLS": "wss://a.example/?api-key=k1,wss://b.example",
    "SOLANA_RPC_URLS": "https://a.example/?api-key=k1,https://b.example",
    "DATABASE_URL": "postgresql://solsignals:pw@127.0.0.1:5432/solsignals",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in [*LIVE_ENV, "METRICS_PORT", "LOG_LEVEL", "INGEST_BATCH_SIZE"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults_run_the_embedded_demo_without_any_setting(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.database_url.get_secret_value() == "sqlite:///./var/solsignals.db"
    assert settings.solana_ws_urls == []


def test_provider_lists_are_comma_separated_in_order(clean_env: pytest.MonkeyPatch) -> None:
    for k, v in LIVE_ENV.items():
        clean_env.setenv(k, v)
    settings = load_settings()
    assert settings.solana_ws_urls == ["wss://a.example/?api-key=k1", "wss://b.example"]
    settings.require_live()  # complete: no error


def test_run_without_providers_names_the_setting_and_an_example(
    clean_env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings().require_live()
    assert err.value.setting == "SOLANA_WS_URLS"
    assert "wss://" in str(err.value)


def test_run_refuses_sqlite_because_production_is_postgres(clean_env: pytest.MonkeyPatch) -> None:
    for k, v in LIVE_ENV.items():
        clean_env.setenv(k, v)
    clean_env.setenv("DATABASE_URL", "sqlite:///x.db")
    with pytest.raises(ConfigError) as err:
        load_settings().require_live()
    assert err.value.setting == "DATABASE_URL"
    assert "postgresql://" in err.value.example


def test_mismatched_provider_lists_are_refused(clean_env: pytest.MonkeyPatch) -> None:
    for k, v in LIVE_ENV.items():
        clean_env.setenv(k, v)
    clean_env.setenv("SOLANA_RPC_URLS", "https://a.example")
    with pytest.raises(ConfigError) as err:
        load_settings().require_live()
    assert err.value.setting == "SOLANA_RPC_URLS"


def test_http_url_in_websocket_list_is_a_clear_error(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SOLANA_WS_URLS", "https://not-a-websocket.example")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.setting == "SOLANA_WS_URLS"
    assert "ws://" in str(err.value)


def test_non_numeric_port_names_the_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("METRICS_PORT", "nine")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.setting == "METRICS_PORT"
    assert "METRICS_PORT=9108" in str(err.value)


def test_dotenv_file_is_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("INGEST_BATCH_SIZE=500\n")
    assert load_settings().ingest_batch_size == 500


def test_redacted_view_hides_passwords_and_api_keys(clean_env: pytest.MonkeyPatch) -> None:
    for k, v in LIVE_ENV.items():
        clean_env.setenv(k, v)
    shown = str(load_settings().redacted())
    assert "pw" not in shown.replace("postgresql", "")
    assert "k1" not in shown
    assert redact_url("sqlite:///./var/x.db") == "sqlite:///./var/x.db"
