"""Who funded a wallet: the sender of the System transfer in the wallet's oldest transaction.

Used by clustering (wallets with one funder are one entity). Reads ``getSignaturesForAddress``
back to the oldest signature (bounded pages: a very old, busy wallet answers ``None`` rather than
scanning its whole history), then ``getTransaction`` of that signature (encoding "json") and
looks for a System Program ``Transfer`` (instruction index 2) whose destination is the wallet,
in the top-level and inner instructions.
"""

from __future__ import annotations

import struct
from typing import Any

import structlog

from core.chain.rpc_client import RpcClient
from core.decode.transaction import b58decode
from core.errors import DecodeError
from core.programs import SYSTEM_PROGRAM_ID

log = structlog.get_logger(__name__)

SYSTEM_TRANSFER = 2
MAX_PAGES = 5


def transfer_source(tx: dict[str, Any], wallet: str) -> str | None:
    """The sender of the first System transfer into ``wallet`` in a getTransaction result."""
    message = tx["transaction"]["message"]
    meta = tx.get("meta") or {}
    loaded = meta.get("loadedAddresses") or {}
    keys: list[str] = [
        *message["accountKeys"],
        *loaded.get("writable", []),
        *loaded.get("readonly", []),
    ]
    instructions = list(message.get("instructions", []))
    for inner in meta.get("innerInstructions") or []:
        instructions.extend(inner.get("instructions", []))
    for ix in instructions:
        if keys[ix["programIdIndex"]] != SYSTEM_PROGRAM_ID or len(ix["accounts"]) < 2:
            continue
        try:
            data = b58decode(ix["data"])
        except DecodeError:
            continue
        if len(data) >= 12 and struct.unpack_from("<I", data)[0] == SYSTEM_TRANSFER:
            source, dest = keys[ix["accounts"][0]], keys[ix["accounts"][1]]
            if dest == wallet and source != wallet:
                return source
    return None


async def first_funder(rpc: RpcClient, wallet: str, *, max_pages: int = MAX_PAGES) -> str | None:
    """The wallet's first funder, or None (no history, no transfer in, or history too long)."""
    before: str | None = None
    oldest: str | None = None
    for _page in range(max_pages):
        page = await rpc.get_signatures_for_address(wallet, before=before)
        if not page:
            break
        oldest = page[-1].signature
        if len(page) < 1000:
            break
        before = oldest
    else:
        log.info("funder_history_too_long", wallet=wallet, pages=max_pages)
        return None
    if oldest is None:
        return None
    tx = await rpc.get_transaction(oldest)
    if tx is None:
        return None
    return transfer_source(tx, wallet)
