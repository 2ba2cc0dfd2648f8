"""PubsubClient against a minimal pubsub websocket node (and a scripted JSON-RPC node for HTTP)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.chain.notices import LogsNotice
from core.chain.providers import Provider
from core.chain.pubsub import PubsubClient
from core.chain.rpc_client import RpcClient
from core.programs import PROGRAM_IDS, Program
from tests.core.chain.jsonrpc_transport import Result, ScriptedNode
from tests.core.chain.pubsub_node import PubsubNode

PUMP = PROGRAM_IDS[Program.PUMP]
PUMP_AMM = PROGRAM_IDS[Program.PUMP_AMM]


@pytest.fixture
async def node() -> AsyncIterator[PubsubNode]:
    server = PubsubNode()
    await server.start()
    yield server
    await server.stop()


def fast_client(
    providers: list[Provider],
    addresses: list[str],
    out: asyncio.Queue[LogsNotice],
    **kwargs: Any,
) -> PubsubClient:
    kwargs.setdefault("backoff_base_s", 0.01)
    kwargs.setdefault("backoff_cap_s", 0.05)
    kwargs.setdefault("rng", random.Random(7))
    kwargs.setdefault("gapfill", False)  # these nodes have no HTTP side unless a test adds one
    return PubsubClient(providers, addresses, out, **kwargs)


async def running(client: PubsubClient) -> asyncio.Task[None]:
    return asyncio.create_task(client.run())


async def finish(client: PubsubClient, task: asyncio.Task[None]) -> None:
    client.stop()
    await asyncio.wait_for(task, timeout=10)


def value_of(notification_file: Path) -> tuple[dict[str, Any], int]:
    message = json.loads(notification_file.read_text())
    result = message["params"]["result"]
    return result["value"], result["context"]["slot"]


async def test_each_address_gets_its_own_single_mention_subscription(node: PubsubNode) -> None:
    out: asyncio.Queue[LogsNotice] = asyncio.Queue()
    client = fast_client([Provider("a", node.ws_url, "http://unused")], [PUMP, PUMP_AMM], out)
    task = await running(client)
    await node.wait_subscribed(PUMP)
    await node.wait_subscribed(PUMP_AMM)
    await finish(client, task)
    logs_requests = [r for r in node.requests if r["method"] == "logsSubscribe"]
    assert [r["params"] for r in logs_requests] == [
        [{"mentions": [PUMP]}, {"commitment": "confirmed"}],
        [{"mentions": [PUMP_AMM]}, {"commitment": "confirmed"}],
    ]
    assert any(r["method"] == "slotSubscribe" for r in node.requests)


async def test_a_logs_notification_becomes_a_notice_with_slot_err_logs_and_provider(
    node: PubsubNode, shared_fixtures: Path
) -> None:
    ok_value, ok_slot = value_of(
        shared_fixtures / "mainnet/c1r5_logsNotification_pumpfun_create_buy_slot310199880.json"
    )
    failed_value, failed_slot = value_of(
        shared_fixtures / "rpc_shapes/solnet_LogsSubscribeNotificationWithError.json"
    )
    out: asyncio.Queue[LogsNotice] = asyncio.Queue()
    client = fast_client([Provider("primary", node.ws_url, "http://unused")], [PUMP], out)
    task = await running(client)
    await node.wait_subscribed(PUMP)
    await node.publish(PUMP, ok_value, ok_slot)
    await node.publish(PUMP, failed_value, failed_slot)
    first = await asyncio.wait_for(out.get(), timeout=10)
    second = await asyncio.wait_for(out.get(), timeout=10)
    await finish(client, task)

    assert first.signature == ok_value["signature"]
    assert first.slot == 310199880
    assert first.err is None
    assert first.logs == tuple(ok_value["logs"])
    assert first.provider == "primary"
    assert first.source == "ws"
    assert second.err == {"InstructionError": [1, {"Custom": 41}]}
    assert second.slot == failed_slot


async def test_a_transaction_mentioning_two_watched_programs_is_emitted_once(
    node: PubsubNode, shared_fixtures: Path
) -> None:
    value, slot = value_of(
        shared_fixtures / "mainnet/c1r5_logsNotification_pumpfun_create_buy_slot310199880.json"
    )
    out: asyncio.Queue[LogsNotice] = asyncio.Queue()
    client = fast_client([Provider("a", node.ws_url, "http://unused")], [PUMP, PUMP_AMM], out)
    task = await running(client)
    await node.wait_subscribed(PUMP)
    await node.wait_subscribed(PUMP_AMM)
    await node.publish(PUMP, value, slot)
    await node.publish(PUMP_AMM, value, slot)
    marker = dict(value, signature="marker-signature")
    await node.publish(PUMP_AMM, marker, slot + 1)
    received = [await asyncio.wait_for(out.get(), timeout=10) for _ in range(2)]
    await finish(client, task)
    assert [n.signature for n in received] == [value["signature"], "marker-signature"]
    assert client.state.duplicates == 1
    assert out.empty()


async def test_a_refused_subscription_fails_over_to_the_next_provider(
    shared_fixtures: Path,
) -> None:
    refusing = PubsubNode(reject_logs_subscribe=True)
    healthy = PubsubNode()
    await refusing.start()
    await healthy.start()
    try:
        out: asyncio.Queue[LogsNotice] = asyncio.Queue()
        providers = [
            Provider("refusing", refusing.ws_url, "http://unused"),
            Provider("healthy", healthy.ws_url, "http://unused"),
        ]
        client = fast_client(providers, [PUMP], out, error_threshold=2)
        task = await running(client)
        await asyncio.wait_for(healthy.wait_subscribed(PUMP), timeout=10)
        value, slot = value_of(
            shared_fixtures / "rpc_shapes/solnet_LogsSubscribeNotification.json"
        )
        await healthy.publish(PUMP, value, slot)
        notice = await asyncio.wait_for(out.get(), timeout=10)
        await finish(client, task)
    finally:
        await refusing.stop()
        await healthy.stop()
    assert notice.provider == "healthy"
    assert refusing.connections == 2
    assert client.state.subscribe_errors == 2
    assert client.state.failovers == 1
    assert client.current_provider == "healthy"


async def test_an_unreachable_first_provider_is_left_after_the_error_threshold(
    node: PubsubNode,
) -> None:
    out: asyncio.Queue[LogsNotice] = asyncio.Queue()
    providers = [
        Provider("down", "ws://127.0.0.1:9", "http://unused"),
        Provider("up", node.ws_url, "http://unused"),
    ]
    client = fast_client(providers, [PUMP], out, error_threshold=3)
    task = await running(client)
    await asyncio.wait_for(node.wait_subscribed(PUMP), timeout=10)
    await finish(client, task)
    assert client.current_provider == "up"
    assert client.state.reconnects == 3  # three failed sessions on "down", then "up"


class History:
    """The HTTP node's view of an address: signatures newest first, growing as the chain does."""

    def __init__(self) -> None:
        self.newest_first: list[str] = []

    def add(self, *signatures: str) -> None:
        for signature in signatures:
            self.newest_first.insert(0, signature)

    def __call__(self, params: list[Any]) -> list[dict[str, Any]]:
        config = params[1]
        sigs = self.newest_first
        if "until" in config and config["until"] in sigs:
            sigs = sigs[: sigs.index(config["until"])]
        return [
            {
                "signature": s,
                "slot": 1000 + int(s[1:]),
                "err": None,
                "memo": None,
                "blockTime": 1_700_000_000,
                "confirmationStatus": "confirmed",
            }
            for s in sigs[: config["limit"]]
        ]


def _transaction_for(params: list[Any]) -> dict[str, Any]:
    signature = params[0]
    return {
        "slot": 2000,
        "blockTime": 1_700_000_123,
        "version": 0,
        "transaction": {"signatures": [signature], "message": {}},
        "meta": {"err": None, "logMessages": [f"Program log: {signature}"]},
    }


async def test_after_a_dropped_connection_the_missed_transactions_are_gap_filled_once(
    node: PubsubNode,
) -> None:
    http = ScriptedNode()
    history = History()
    http.script("getSignaturesForAddress", history)
    http.script("getTransaction", _transaction_for)
    out: asyncio.Queue[LogsNotice] = asyncio.Queue()

    def rpc_factory(provider: Provider) -> RpcClient:
        return RpcClient(provider.http_url, name=provider.name, transport=http.transport())

    client = fast_client(
        [Provider("a", node.ws_url, "http://node.test/")],
        [PUMP],
        out,
        rpc_factory=rpc_factory,
        gapfill=True,
    )
    task = await running(client)
    await node.wait_subscribed(PUMP)
    history.add("s1")
    await node.publish(PUMP, {"signature": "s1", "err": None, "logs": []}, 1001)
    assert (await asyncio.wait_for(out.get(), timeout=10)).signature == "s1"

    history.add("s2", "s3", "s4")  # land on chain but never reach this websocket
    await node.drop_connections()
    await asyncio.wait_for(node.wait_subscribed(PUMP), timeout=10)
    history.add("s5")
    await node.publish(PUMP, {"signature": "s5", "err": None, "logs": []}, 1005)
    received = [await asyncio.wait_for(out.get(), timeout=10) for _ in range(4)]
    await finish(client, task)

    assert sorted(n.signature for n in received) == ["s2", "s3", "s4", "s5"]
    filled = [n for n in received if n.source == "gapfill"]
    # oldest first; s5 may come from either path (live or fill), but only once
    assert [n.signature for n in filled][:3] == ["s2", "s3", "s4"]
    assert filled[0].logs == ("Program log: s2",)
    assert filled[0].block_time == 1_700_000_123
    fills = [p for p in http.calls_of("getSignaturesForAddress") if "until" in p[1]]
    assert fills[0][1]["until"] == "s1"
    assert out.empty()
    assert client.state.reconnects == 1


async def test_a_provider_whose_slot_lags_the_others_is_left_for_the_next_one(
    node: PubsubNode,
) -> None:
    second = PubsubNode()
    await second.start()
    http = {"behind": ScriptedNode(), "ahead": ScriptedNode()}
    http["behind"].script("getSlot", Result(1_000))
    http["ahead"].script("getSlot", Result(10_000))  # answers every probe: the best known slot

    def rpc_factory(provider: Provider) -> RpcClient:
        return RpcClient(
            provider.http_url, name=provider.name, transport=http[provider.name].transport()
        )

    out: asyncio.Queue[LogsNotice] = asyncio.Queue()
    providers = [
        Provider("behind", node.ws_url, "http://behind.test/"),
        Provider("ahead", second.ws_url, "http://ahead.test/"),
    ]
    client = fast_client(
        providers, [PUMP], out, rpc_factory=rpc_factory, lag_check_s=0.02, max_slot_lag=150
    )
    task = await running(client)
    try:
        await node.wait_subscribed(PUMP)
        await node.publish_slot(9_800)  # 200 slots behind the best known slot
        await asyncio.wait_for(second.wait_subscribed(PUMP), timeout=10)
        await finish(client, task)
    finally:
        await second.stop()
    assert client.current_provider == "ahead"
    assert client.state.failovers == 1
