"""Who funded a wallet: the sender of the System transfer in the wallet's oldest transaction.

Used by clustering (wallets with one funder are one entity). Reads ``getSignaturesForAddress``
back to the oldest signature (bounded pages: a very old, busy wallet answers ``TOO_LONG`` rather
than scanning its whole history), then ``getTransaction`` of that signature (encoding "json") and
looks for a System Program ``Transfer`` (instruction index 2) whose destination is the wallet,
in the top-level and inner instructions.

``find_funder`` says why there is no funder (``FunderOutcome``); an RPC failure is never an
outcome: it raises ``UpstreamError`` (the funder is unknown, ask again later). A listed signature
whose transaction the node does not return is such a failure too (a node without that history).
The provider must keep full history (an archival node): a pruned node's "oldest" signature is
not the wallet's first.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog

from core.chain.rpc_client import RpcClient
from core.decode.transaction import b58decode
from core.errors import DecodeError, UpstreamError
from core.programs import SYSTEM_PROGRAM_ID

log = structlog.get_logger(__name__)

SYSTEM_TRANSFER = 2
MAX_PAGES = 5


class FunderOutcome(StrEnum):
    FOUND = "found"  # the oldest transaction transfers SOL into the wallet: its sender
    NO_TRANSFER = "no_transfer"  # the oldest transaction moves no SOL into it (final)
    TOO_LONG = "too_long"  # more history than ``max_pages`` pages: not looked further (final)
    NO_HISTORY = "no_history"  # no transaction yet: the wallet may be funded later

    @property
    def final(self) -> bool:
        """True when asking again cannot change the answer."""
        return self is not FunderOutcome.NO_HISTORY


@dataclass(frozen=True, slots=True)
class FunderResult:
    wallet: str
    outcome: FunderOutcome
    funder: str | None = None  # set when outcome is FOUND


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


async def find_funder(rpc: RpcClient, wallet: str, *, max_pages: int = MAX_PAGES) -> FunderResult:
    """The wallet's first funder, or why there is none. Raises ``UpstreamError`` when the RPC
    fails or answers something unusable (unknown, not "no funder")."""
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
        return FunderResult(wallet, FunderOutcome.TOO_LONG)
    if oldest is None:
        return FunderResult(wallet, FunderOutcome.NO_HISTORY)
    tx = await rpc.get_transaction(oldest)
    if tx is None:
        raise UpstreamError(
            f"{rpc.name} getTransaction: no transaction for listed signature {oldest}",
            retryable=True,
            provider=rpc.name,
        )
    try:
        funder = transfer_source(tx, wallet)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise UpstreamError(
            f"{rpc.name} getTransaction: malformed transaction {oldest}: {exc!r}",
            retryable=False,
            provider=rpc.name,
        ) from exc
    if funder is None:
        return FunderResult(wallet, FunderOutcome.NO_TRANSFER)
    return FunderResult(wallet, FunderOutcome.FOUND, funder)


async def first_funder(rpc: RpcClient, wallet: str, *, max_pages: int = MAX_PAGES) -> str | None:
    """The wallet's first funder, or None (no history, no transfer in, or history too long).

    Raises ``UpstreamError`` when the RPC fails (see ``find_funder``)."""
    return (await find_funder(rpc, wallet, max_pages=max_pages)).funder
