"""Pubsub subscriptions of the replay server: who gets which notification, framed once.

A notification's ``result`` is serialised once per transaction (orjson) and framed per
subscription by concatenation, so fan-out costs one ``bytes`` join per subscriber.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from core.replay.ledger import ReplayTx
from core.replay.rpc import INVALID_PARAMS, RpcFault, parse_pubkey

LOGS_PREFIX = b'{"jsonrpc":"2.0","method":"logsNotification","params":{"result":'
SLOT_PREFIX = b'{"jsonrpc":"2.0","method":"slotNotification","params":{"result":'
MAX_QUEUED_FRAMES = 200_000
"""A client further behind than this is disconnected (a provider drops slow consumers)."""


@dataclass(eq=False, slots=True)
class Client:
    """One websocket connection: its frame queue (drained by a sender task) and subscriptions."""

    ws: web.WebSocketResponse
    request: web.Request
    frames: deque[bytes] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    subscriptions: set[int] = field(default_factory=set)
    closed: bool = False

    def push(self, frame: bytes) -> bool:
        """Queue a frame; False when the client is too far behind (caller drops it)."""
        self.frames.append(frame)
        self.wakeup.set()
        return len(self.frames) <= MAX_QUEUED_FRAMES

    def abort(self) -> None:
        """Cut the TCP connection without a close frame, like a provider hiccup."""
        self.closed = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()


def parse_logs_filter(params: Any) -> str | None:
    """``logsSubscribe`` params → the mentioned address, or None for "all" / "allWithVotes"."""
    if not isinstance(params, list) or not 1 <= len(params) <= 2:
        raise RpcFault(INVALID_PARAMS, "Invalid params: expected [filter, config?]")
    if len(params) == 2 and params[1] is not None and not isinstance(params[1], dict):
        raise RpcFault(INVALID_PARAMS, "Invalid params: config must be an object")
    flt = params[0]
    if flt in ("all", "allWithVotes"):
        return None
    if not isinstance(flt, dict) or set(flt) != {"mentions"}:
        raise RpcFault(INVALID_PARAMS, "Invalid params: unknown logs filter")
    mentions = flt["mentions"]
    if not isinstance(mentions, list) or len(mentions) != 1:
        raise RpcFault(INVALID_PARAMS, "Invalid Request: Only 1 address supported")
    return parse_pubkey(mentions[0])


class Subscriptions:
    """Subscription ids → clients, indexed by mentioned address."""

    def __init__(self) -> None:
        self._next_id = 1
        self._owner: dict[int, tuple[str, str | None, Client]] = {}
        self._by_address: dict[str, dict[int, Client]] = {}
        self._all_logs: dict[int, Client] = {}
        self._slots: dict[int, Client] = {}

    def __len__(self) -> int:
        return len(self._owner)

    def add_logs(self, client: Client, address: str | None) -> int:
        sub_id = self._new_id(client, "logs", address)
        if address is None:
            self._all_logs[sub_id] = client
        else:
            self._by_address.setdefault(address, {})[sub_id] = client
        return sub_id

    def add_slot(self, client: Client) -> int:
        sub_id = self._new_id(client, "slot", None)
        self._slots[sub_id] = client
        return sub_id

    def _new_id(self, client: Client, kind: str, address: str | None) -> int:
        sub_id = self._next_id
        self._next_id += 1
        self._owner[sub_id] = (kind, address, client)
        client.subscriptions.add(sub_id)
        return sub_id

    def remove(self, client: Client, sub_id: Any, kind: str) -> bool:
        """Drop ``client``'s subscription ``sub_id`` of ``kind``; False if it has none such."""
        entry = self._owner.get(sub_id) if isinstance(sub_id, int) else None
        if entry is None or entry[0] != kind or entry[2] is not client:
            return False
        del self._owner[sub_id]
        client.subscriptions.discard(sub_id)
        address = entry[1]
        if kind == "slot":
            self._slots.pop(sub_id, None)
        elif address is None:
            self._all_logs.pop(sub_id, None)
        else:
            subs = self._by_address[address]
            subs.pop(sub_id, None)
            if not subs:
                del self._by_address[address]
        return True

    def remove_client(self, client: Client) -> None:
        for sub_id in list(client.subscriptions):
            kind = self._owner[sub_id][0]
            self.remove(client, sub_id, kind)

    def logs_targets(self, tx: ReplayTx) -> list[tuple[int, Client]]:
        targets = list(self._all_logs.items())
        by_address = self._by_address
        if by_address:
            for address in tx.mentions:
                subs = by_address.get(address)
                if subs:
                    targets.extend(subs.items())
        return targets

    def slot_targets(self) -> list[tuple[int, Client]]:
        return list(self._slots.items())


def logs_result(tx: ReplayTx) -> bytes:
    return orjson.dumps(
        {
            "context": {"slot": tx.slot},
            "value": {"signature": tx.signature, "err": tx.err, "logs": tx.logs},
        }
    )


def frame(prefix: bytes, result: bytes, sub_id: int) -> bytes:
    return b'%s%s,"subscription":%d}}' % (prefix, result, sub_id)


_SIGNATURE_KEY = b'"signature":"'


def logs_signature(data: bytes) -> str | None:
    """The transaction signature of a ``logsNotification`` frame (None for any other frame)."""
    if not data.startswith(LOGS_PREFIX):
        return None
    start = data.find(_SIGNATURE_KEY, len(LOGS_PREFIX))
    if start < 0:
        return None
    start += len(_SIGNATURE_KEY)
    return data[start : data.index(b'"', start)].decode()
