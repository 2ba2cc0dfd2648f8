"""Storage: tables, DATABASE_URL handling, migrations, the batched writer and the read side.

Names are imported lazily: importing ``core.storage.records`` (the hot-path records) must not
pull in SQLAlchemy's asyncio layer.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Backend": "core.storage.db",
    "DatabaseUrl": "core.storage.db",
    "create_engine": "core.storage.db",
    "parse_database_url": "core.storage.db",
    "redact": "core.storage.db",
    "upgrade": "core.storage.migrate",
    "upgrade_sync": "core.storage.migrate",
    "Repository": "core.storage.repository",
    "BatchWriter": "core.storage.writer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'core.storage' has no attribute {name!r}")
    return getattr(import_module(module), name)
