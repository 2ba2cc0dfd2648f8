"""Smart-money wallets: the registry (lists, import / export), their statistics, clusters."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "FileFormat": "core.wallets.csv_json",
    "WalletRow": "core.wallets.csv_json",
    "RowError": "core.wallets.csv_json",
    "ImportReport": "core.wallets.registry",
    "RankedWallet": "core.wallets.registry",
    "SortKey": "core.wallets.registry",
    "WalletEntry": "core.wallets.registry",
    "WalletFileError": "core.wallets.registry",
    "WalletRegistry": "core.wallets.registry",
    "WalletStats": "core.wallets.stats",
    "BuyerGroups": "core.wallets.clusters",
    "Cluster": "core.wallets.clusters",
    "ClusterIndex": "core.wallets.clusters",
    "ClusterParams": "core.wallets.clusters",
    "first_funder": "core.wallets.funding",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'core.wallets' has no attribute {name!r}")
    return getattr(import_module(module), name)
