"""A network-edge fake: a minimal Solana pubsub websocket endpoint speaking the real protocol.

It answers ``logsSubscribe`` (one address per ``mentions`` filter, as Solana requires) and
``slotSubscribe``, and pushes ``logsNotification`` messages for the addresses a test publishes to.
The end-to-end behaviour (kill, restart, gap fill) is tested against core.replay's server.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve


class PubsubNode:
    def __init__(self, *, reject_logs_subscribe: bool = False) -> None:
        self.reject_logs_subscribe = reject_logs_subscribe
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        self._ids = itertools.count(100)
        self._subs: dict[ServerConnection, dict[str, int]] = {}
        self._subscribed = asyncio.Condition()
        self._server: Server | None = None

    async def start(self) -> None:
        self._server = await serve(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def ws_url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    async def wait_subscribed(self, address: str, connections: int = 1) -> None:
        """Wait until ``address`` has a subscription on ``connections`` distinct connections."""

        def ready() -> bool:
            return sum(address in subs for subs in self._subs.values()) >= connections

        async with self._subscribed:
            await self._subscribed.wait_for(ready)

    async def drop_connections(self) -> None:
        for ws in list(self._subs):
            await ws.close(code=1011, reason="test drop")

    async def publish(self, address: str, value: dict[str, Any], slot: int) -> None:
        for ws, subs in list(self._subs.items()):
            if address in subs:
                message = {
                    "jsonrpc": "2.0",
                    "method": "logsNotification",
                    "params": {
                        "result": {"context": {"slot": slot}, "value": value},
                        "subscription": subs[address],
                    },
                }
                await ws.send(json.dumps(message))

    async def publish_slot(self, slot: int) -> None:
        for ws, subs in list(self._subs.items()):
            if "<slot>" in subs:
                message = {
                    "jsonrpc": "2.0",
                    "method": "slotNotification",
                    "params": {
                        "result": {"parent": slot - 1, "root": slot - 32, "slot": slot},
                        "subscription": subs["<slot>"],
                    },
                }
                await ws.send(json.dumps(message))

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        self._subs[ws] = {}
        try:
            async for raw in ws:
                request = json.loads(raw)
                self.requests.append(request)
                await self._answer(ws, request)
        finally:
            del self._subs[ws]

    async def _answer(self, ws: ServerConnection, request: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request["id"]}
        if request["method"] == "slotSubscribe":
            reply["result"] = sub_id = next(self._ids)
            self._subs[ws]["<slot>"] = sub_id
        elif request["method"] == "logsSubscribe":
            mentions = request["params"][0]["mentions"]
            if self.reject_logs_subscribe or len(mentions) != 1:
                reply["error"] = {"code": -32602, "message": "Invalid params"}
            else:
                sub_id = next(self._ids)
                reply["result"] = sub_id
                self._subs[ws][mentions[0]] = sub_id
        else:
            reply["error"] = {"code": -32601, "message": "Method not found"}
        await ws.send(json.dumps(reply))
        async with self._subscribed:
            self._subscribed.notify_all()
