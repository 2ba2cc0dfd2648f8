"""A Solana RPC provider: one websocket (pubsub) URL and one HTTP JSON-RPC URL."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Provider:
    """One node or vendor endpoint. ``name`` labels logs, metrics and ``LogsNotice.provider``."""

    name: str
    ws_url: str
    http_url: str
