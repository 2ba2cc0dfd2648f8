"""A network-edge fake: an httpx transport answering Solana JSON-RPC like a node would.

Each call is answered by the next scripted reply for its method: a JSON-RPC ``result``, a JSON-RPC
``error`` object, a raw ``httpx.Response`` (status / headers), an exception to raise (timeouts), or
a function of the params that answers every later call of that method.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Result:
    value: Any


@dataclass(frozen=True)
class Error:
    code: int
    message: str
    data: Any = None


Reply = Result | Error | httpx.Response | Exception | Callable[[list[Any]], Any]


class ScriptedNode:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._replies: dict[str, deque[Reply]] = defaultdict(deque)

    def script(self, method: str, *replies: Reply) -> None:
        self._replies[method].extend(replies)

    def calls_of(self, method: str) -> list[list[Any]]:
        return [c["params"] for c in self.calls if c["method"] == method]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append(body)
        method = body["method"]
        replies = self._replies[method]
        if not replies:
            raise AssertionError(f"no scripted reply left for {method}")
        reply = replies[0]
        if callable(reply):  # a handler function answers every later call of its method
            reply = Result(reply(body.get("params", [])))
        else:
            replies.popleft()
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        envelope: dict[str, Any] = {"jsonrpc": "2.0", "id": body["id"]}
        if isinstance(reply, Error):
            error: dict[str, Any] = {"code": reply.code, "message": reply.message}
            if reply.data is not None:
                error["data"] = reply.data
            envelope["error"] = error
        else:
            envelope["result"] = reply.value
        return httpx.Response(200, json=envelope)
