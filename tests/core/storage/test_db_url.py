from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.storage.db import Backend, parse_database_url, redact


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://solsignals@db.local:5432/solsignals",
        "postgres://solsignals@db.local:5432/solsignals",
        "postgresql+asyncpg://solsignals@db.local:5432/solsignals",
    ],
)
def test_every_postgres_spelling_gives_the_same_driver_urls(url: str) -> None:
    db = parse_database_url(url)
    assert db.backend is Backend.POSTGRESQL
    assert db.sqlalchemy_url == "postgresql+asyncpg://solsignals@db.local:5432/solsignals"
    assert db.asyncpg_dsn == "postgresql://solsignals@db.local:5432/solsignals"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///./var/solsignals.db", "./var/solsignals.db"),
        ("sqlite+aiosqlite:///./var/solsignals.db", "./var/solsignals.db"),
        ("sqlite:////tmp/x/solsignals.db", "/tmp/x/solsignals.db"),
    ],
)
def test_sqlite_urls_give_the_aiosqlite_url_and_the_file_path(url: str, path: str) -> None:
    db = parse_database_url(url)
    assert db.backend is Backend.SQLITE
    assert db.sqlalchemy_url == f"sqlite+aiosqlite:///{path}"
    assert db.sqlite_path == Path(path)


def test_redacted_url_hides_the_password_but_keeps_user_and_host() -> None:
    url = "postgresql://solsignals:hunter2@db.local:5432/solsignals"
    assert redact(url) == "postgresql://solsignals:***@db.local:5432/solsignals"
    assert "hunter2" not in parse_database_url(url).redacted


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/solsignals",
        "postgresql://solsignals@db.local:5432/",
        "postgresql://solsignals@db.local:notaport/solsignals",
        "sqlite:///",
        "sqlite:///:memory:",
        "",
        "just some text",
    ],
)
def test_bad_url_names_database_url_and_gives_an_example(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_database_url(url)
    message = str(caught.value)
    assert caught.value.setting == "DATABASE_URL"
    assert "DATABASE_URL=postgresql://solsignals@127.0.0.1:5432/solsignals" in message


def test_bad_url_message_does_not_leak_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_database_url("mysql://root:hunter2@localhost/solsignals")
    assert "hunter2" not in str(caught.value)
