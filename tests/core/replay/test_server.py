"""The replay server speaks Solana pubsub and JSON-RPC well enough for the production client."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from core.replay.ledger import ReplayTx
from core.replay.market import SimulatedMarket
from core.replay.server import ReplayServer

from .conftest import START_SLOT, START_TIME, logs_subscribe, rpc

PUMP_ID = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"


def _busiest_mint(txs: list[ReplayTx]) -> str:
    counts = Counter(m for tx in txs for m in tx.mentions if m not in ("", PUMP_ID))
    programs = {m for tx in txs for m in tx.mentions if "111111" in m or m.startswith("Token")}
    for address, _ in counts.most_common():
        if address not in programs and counts[address] < len(txs) // 3:
            return address
    raise AssertionError("no mint found")


async def _post(url: str, payload: object) -> object:
    async with httpx.AsyncClient() as client:
        response = await client.post(url, content=orjson.dumps(payload))
    return response.json()


async def test_subscription_receives_exactly_the_transactions_mentioning_its_address(
    paused_server: ReplayServer, market_txs: list[ReplayTx]
) -> None:
    mint = _busiest_mint(market_txs)
    expected = [tx.signature for tx in market_txs if mint in tx.mentions]
    async with connect(paused_server.ws_url, max_queue=None) as ws:
        answer = await rpc(ws, logs_subscribe(mint, request_id=7))
        assert answer["id"] == 7 and isinstance(answer["result"], int)
        paused_server.resume()
        got = []
        for _ in expected:
            note = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert note["method"] == "logsNotification"
            assert note["params"]["subscription"] == answer["result"]
            got.append(note["params"]["result"]["value"]["signature"])
        await paused_server.done.wait()
        # nothing else arrives: the next message is the answer to a later request
        sentinel = await rpc(
            ws, {"jsonrpc": "2.0", "id": 99, "method": "slotUnsubscribe", "params": [12345]}
        )
        assert sentinel["id"] == 99
    assert got == expected


async def test_notification_carries_slot_err_and_logs(
    paused_server: ReplayServer, market_txs: list[ReplayTx]
) -> None:
    async with connect(paused_server.ws_url, max_queue=None) as ws:
        await rpc(ws, {"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe", "params": ["all"]})
        paused_server.resume()
        for tx in market_txs[:50]:
            note = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            result = note["params"]["result"]
            assert result["context"]["slot"] == tx.slot
            assert result["value"] == {
                "signature": tx.signature,
                "err": tx.err,
                "logs": list(tx.logs),
            }


async def test_unsubscribe_stops_delivery(paused_server: ReplayServer) -> None:
    async with connect(paused_server.ws_url, max_queue=None) as ws:
        sub = await rpc(ws, logs_subscribe(PUMP_ID))
        paused_server.resume()
        await asyncio.wait_for(ws.recv(), 10)
        paused_server.pause()
        await ws.send(
            orjson.dumps(
                {"jsonrpc": "2.0", "id": 2, "method": "logsUnsubscribe", "params": [sub["result"]]}
            ).decode()
        )
        while True:  # notifications queued before the unsubscribe may still arrive first
            message = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            if message.get("id") == 2:
                assert message["result"] is True
                break
        paused_server.resume()
        await paused_server.done.wait()
        sentinel = await rpc(
            ws, {"jsonrpc": "2.0", "id": 3, "method": "logsUnsubscribe", "params": [sub["result"]]}
        )
    assert sentinel["id"] == 3
    assert sentinel["error"]["code"] == -32602  # already gone


@pytest.mark.parametrize(
    ("raw", "code", "request_id"),
    [
        ("{not json", -32700, None),
        ('{"jsonrpc":"2.0","id":4,"method":"accountSubscribeX","params":[]}', -32601, 4),
        (
            orjson.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 5,
                    "method": "logsSubscribe",
                    "params": [{"mentions": [PUMP_ID, "11111111111111111111111111111111"]}],
                }
            ).decode(),
            -32602,
            5,
        ),
        (
            '{"jsonrpc":"2.0","id":6,"method":"logsSubscribe","params":[{"mentions":["not-base58!"]}]}',
            -32602,
            6,
        ),
        (
            '{"jsonrpc":"2.0","id":"x","method":"logsSubscribe","params":[{"program":"a"}]}',
            -32602,
            "x",
        ),
        ('{"jsonrpc":"2.0","id":8,"method":"logsSubscribe","params":"all"}', -32602, 8),
    ],
)
async def test_bad_websocket_requests_get_the_json_rpc_error_code(
    paused_server: ReplayServer, raw: str, code: int, request_id: object
) -> None:
    async with connect(paused_server.ws_url, max_queue=None) as ws:
        await ws.send(raw)
        answer = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    assert answer["error"]["code"] == code
    assert answer["id"] == request_id


async def test_bad_http_requests_get_the_json_rpc_error_code(paused_server: ReplayServer) -> None:
    async with httpx.AsyncClient() as client:
        parse = (await client.post(paused_server.http_url, content=b"{oops")).json()
    unknown = await _post(paused_server.http_url, {"jsonrpc": "2.0", "id": 1, "method": "nope"})
    too_many = await _post(
        paused_server.http_url,
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "getSignaturesForAddress",
            "params": [PUMP_ID, {"limit": 1001}],
        },
    )
    assert parse == {
        "jsonrpc": "2.0",
        "error": {"code": -32700, "message": "Parse error"},
        "id": None,
    }
    assert unknown["error"]["code"] == -32601 and unknown["id"] == 1
    assert too_many["error"]["code"] == -32602 and too_many["id"] == 2


async def test_batch_requests_are_answered_in_order(paused_server: ReplayServer) -> None:
    answer = await _post(
        paused_server.http_url,
        [
            {"jsonrpc": "2.0", "id": 1, "method": "getHealth"},
            {"jsonrpc": "2.0", "id": 2, "method": "getSlot"},
            {"jsonrpc": "2.0", "id": 3, "method": "nope"},
        ],
    )
    assert [a["id"] for a in answer] == [1, 2, 3]
    assert answer[0]["result"] == "ok"
    assert answer[2]["error"]["code"] == -32601


async def test_signatures_for_address_pages_newest_first_with_before_and_until(
    paused_server: ReplayServer, market_txs: list[ReplayTx]
) -> None:
    paused_server.resume()
    await paused_server.done.wait()
    expected = [tx.signature for tx in reversed(market_txs) if PUMP_ID in tx.mentions]
    pages, before = [], None
    while True:
        config: dict[str, object] = {"limit": 400, "commitment": "confirmed"}
        if before:
            config["before"] = before
        page = (
            await _post(
                paused_server.http_url,
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "getSignaturesForAddress",
                    "params": [PUMP_ID, config],
                },
            )
        )["result"]
        pages.extend(item["signature"] for item in page)
        if len(page) < 400:
            break
        before = page[-1]["signature"]
    assert pages == expected
    until = expected[25]
    newer = (
        await _post(
            paused_server.http_url,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "getSignaturesForAddress",
                "params": [PUMP_ID, {"until": until}],
            },
        )
    )["result"]
    assert [item["signature"] for item in newer] == expected[:25]
    first = newer[0]
    tx = next(t for t in market_txs if t.signature == first["signature"])
    assert first == {
        "signature": tx.signature,
        "slot": tx.slot,
        "err": tx.err,
        "memo": None,
        "blockTime": tx.block_time,
        "confirmationStatus": "confirmed",
    }


async def test_get_transaction_returns_the_notified_logs(
    paused_server: ReplayServer, market_txs: list[ReplayTx]
) -> None:
    async with connect(paused_server.ws_url, max_queue=None) as ws:
        await rpc(ws, logs_subscribe(PUMP_ID))
        paused_server.resume()
        note = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    value = note["params"]["result"]["value"]
    params = [
        value["signature"],
        {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"},
    ]
    answer = await _post(
        paused_server.http_url,
        {"jsonrpc": "2.0", "id": 1, "method": "getTransaction", "params": params},
    )
    result = answer["result"]
    assert result["meta"]["logMessages"] == value["logs"]
    assert result["meta"]["err"] == value["err"]
    assert result["slot"] == note["params"]["result"]["context"]["slot"]
    assert result["transaction"]["signatures"] == [value["signature"]]
    assert PUMP_ID in result["transaction"]["message"]["accountKeys"]
    assert result["version"] == 0
    missing = await _post(
        paused_server.http_url,
        {"jsonrpc": "2.0", "id": 2, "method": "getTransaction", "params": ["1" * 64, params[1]]},
    )
    assert missing["result"] is None
    legacy_only = await _post(
        paused_server.http_url,
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "getTransaction",
            "params": [value["signature"], {"encoding": "json"}],
        },
    )
    assert legacy_only["error"]["code"] == -32015


async def test_drop_connections_closes_open_websockets(paused_server: ReplayServer) -> None:
    async with connect(paused_server.ws_url, max_queue=None) as ws:
        await rpc(ws, logs_subscribe(PUMP_ID))
        await paused_server.drop_connections()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    async with connect(paused_server.ws_url, max_queue=None) as again:  # still listening
        assert "result" in await rpc(again, logs_subscribe(PUMP_ID))


async def test_drop_every_n_closes_the_socket_after_n_published(
    market_txs: list[ReplayTx],
) -> None:
    server = ReplayServer(market_txs[:500], drop_every_n=100)
    server.pause()
    await server.start()
    try:
        received = 0
        async with connect(server.ws_url, max_queue=None) as ws:
            await rpc(
                ws, {"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe", "params": ["all"]}
            )
            server.resume()
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
                    received += 1
        assert received <= 100
    finally:
        await server.stop()


async def test_restart_listens_on_the_same_port_and_keeps_what_was_published_while_down() -> None:
    market = SimulatedMarket(seed=3)
    server = ReplayServer(market.transactions(START_SLOT, START_TIME), rate_per_s=2000)
    await server.start()
    try:
        port = server.port
        await server.wait_published(20)
        async with connect(server.ws_url, max_queue=None) as ws:
            await rpc(ws, logs_subscribe(PUMP_ID))
            await server.kill()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
        with pytest.raises(OSError):
            async with connect(server.ws_url, open_timeout=5):
                pass
        at_kill = len(server.published)
        await server.wait_published(at_kill + 50)
        await server.restart()
        assert server.port == port
        during_downtime = server.published[at_kill : at_kill + 50]
        async with connect(server.ws_url, max_queue=None) as ws:
            assert "result" in await rpc(ws, logs_subscribe(PUMP_ID))
        found = set()
        for signature in during_downtime:
            answer = await _post(
                server.http_url,
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "getTransaction",
                    "params": [
                        signature,
                        {"encoding": "json", "maxSupportedTransactionVersion": 0},
                    ],
                },
            )
            if answer["result"] is not None:
                found.add(signature)
        assert found == set(during_downtime)
    finally:
        await server.stop()


async def test_slot_subscription_reports_advancing_slots(paused_server: ReplayServer) -> None:
    async with connect(paused_server.ws_url, max_queue=None) as ws:
        sub = await rpc(ws, {"jsonrpc": "2.0", "id": 1, "method": "slotSubscribe"})
        paused_server.resume()
        slots = []
        for _ in range(3):
            note = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert note["method"] == "slotNotification"
            assert note["params"]["subscription"] == sub["result"]
            slots.append(note["params"]["result"]["slot"])
    assert slots == sorted(slots) and len(set(slots)) == 3
