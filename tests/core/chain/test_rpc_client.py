"""RpcClient against a scripted JSON-RPC node: request shapes, typed answers, retries, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.chain.rpc_client import RpcClient
from core.errors import RpcError, UpstreamError
from core.programs import PROGRAM_IDS, Program
from tests.core.chain.jsonrpc_transport import Error, Result, ScriptedNode

PUMP = PROGRAM_IDS[Program.PUMP]
CURVE_ACCOUNT = "mainnet/chainstack_raw_bondingCurve_from_getAccountInfo.json"
SIG = "5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv"


def load_result(shared_fixtures: Path, name: str) -> Any:
    return json.loads((shared_fixtures / name).read_text())["result"]


class Sleeps:
    """The client's injected clock: records the delays it asked for instead of waiting."""

    def __init__(self) -> None:
        self.delays_s: list[float] = []

    async def __call__(self, delay_s: float) -> None:
        self.delays_s.append(delay_s)


@pytest.fixture
def node() -> ScriptedNode:
    return ScriptedNode()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def rpc(node: ScriptedNode, sleeps: Sleeps):
    async with RpcClient(
        "https://rpc.example/", name="example", transport=node.transport(), sleep=sleeps
    ) as client:
        yield client


# ---- request shapes and typed answers ------------------------------------------------------


async def test_get_transaction_asks_for_v0_transactions_and_returns_the_result(
    rpc: RpcClient, node: ScriptedNode, shared_fixtures: Path
) -> None:
    tx = load_result(shared_fixtures, "mainnet/soltxs_pumpfun_buy_rpc.json")
    node.script("getTransaction", Result(tx))
    got = await rpc.get_transaction(SIG)
    assert node.calls_of("getTransaction") == [
        [SIG, {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}]
    ]
    assert got is not None
    assert got["slot"] == tx["slot"]
    assert got["meta"]["logMessages"] == tx["meta"]["logMessages"]


async def test_get_transaction_returns_none_when_the_node_does_not_know_it(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script("getTransaction", Result(None))
    assert await rpc.get_transaction(SIG, commitment="finalized") is None
    assert node.calls_of("getTransaction")[0][1]["commitment"] == "finalized"


async def test_get_account_info_base64_gives_raw_bytes_owner_and_slot(
    rpc: RpcClient, node: ScriptedNode, shared_fixtures: Path
) -> None:
    answer = load_result(shared_fixtures, CURVE_ACCOUNT)
    node.script("getAccountInfo", Result(answer))
    account = await rpc.get_account_info("curve111")
    assert node.calls_of("getAccountInfo") == [
        ["curve111", {"encoding": "base64", "commitment": "confirmed"}]
    ]
    assert account is not None
    assert isinstance(account.data, bytes)
    assert len(account.data) == 49
    assert account.owner == PUMP
    assert account.lamports == 73551852
    assert account.slot == 285247740
    assert account.executable is False


async def test_get_account_info_json_parsed_gives_the_parsed_dict(
    rpc: RpcClient, node: ScriptedNode, shared_fixtures: Path
) -> None:
    answer = load_result(shared_fixtures, "rpc_shapes/solnet_GetAccountInfoParsedResponse.json")
    node.script("getAccountInfo", Result(answer))
    account = await rpc.get_account_info("mint111", encoding="jsonParsed")
    assert node.calls_of("getAccountInfo")[0][1]["encoding"] == "jsonParsed"
    assert account is not None
    assert isinstance(account.data, dict)
    assert account.data["parsed"]["info"]["supply"] == "1"
    assert account.slot == 103659529


async def test_get_account_info_of_a_missing_account_is_none(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script("getAccountInfo", Result({"context": {"slot": 5}, "value": None}))
    assert await rpc.get_account_info("nobody") is None


def _accounts_answer(params: list[Any]) -> dict[str, Any]:
    keys = params[0]
    return {
        "context": {"slot": 7},
        "value": [
            None
            if key.startswith("missing")
            else {
                "data": ["AAEC", "base64"],
                "executable": False,
                "lamports": int(key.removeprefix("k")),
                "owner": "11111111111111111111111111111111",
                "rentEpoch": 0,
                "space": 3,
            }
            for key in keys
        ],
    }


async def test_get_multiple_accounts_chunks_by_100_and_keeps_order(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    keys = [f"k{i}" for i in range(1, 251)]
    keys[120] = "missing-120"
    node.script("getMultipleAccounts", _accounts_answer)
    accounts = await rpc.get_multiple_accounts(keys)
    assert [len(params[0]) for params in node.calls_of("getMultipleAccounts")] == [100, 100, 50]
    assert accounts[120] is None
    assert [a.lamports for a in accounts if a is not None] == [
        i for i in range(1, 251) if i != 121
    ]
    assert accounts[0] is not None and accounts[0].data == b"\x00\x01\x02"


async def test_get_balances_reads_lamports_in_one_call_per_hundred_and_zero_when_missing(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script("getMultipleAccounts", _accounts_answer)
    assert await rpc.get_balances(["k5", "missing", "k7"]) == [5, 0, 7]
    assert len(node.calls_of("getMultipleAccounts")) == 1


async def test_get_balance_returns_lamports(rpc: RpcClient, node: ScriptedNode) -> None:
    node.script("getBalance", Result({"context": {"slot": 1}, "value": 1_500_000_000}))
    assert await rpc.get_balance("wallet") == 1_500_000_000
    assert node.calls_of("getBalance") == [["wallet", {"commitment": "confirmed"}]]


async def test_get_token_largest_accounts_parses_raw_amounts(
    rpc: RpcClient, node: ScriptedNode, shared_fixtures: Path
) -> None:
    answer = load_result(shared_fixtures, "rpc_shapes/solnet_GetTokenLargestAccountsResponse.json")
    node.script("getTokenLargestAccounts", Result(answer))
    entries = await rpc.get_token_largest_accounts("mint111")
    assert node.calls_of("getTokenLargestAccounts") == [["mint111", {"commitment": "confirmed"}]]
    assert len(entries) == 1
    assert entries[0].address == "7247amxcSBamBSKZJrqbj373CiJSa1v21cRav56C3WfZ"
    assert entries[0].amount_raw == 1000
    assert entries[0].decimals == 2


class AddressHistory:
    """getSignaturesForAddress over a chain history, with the node's before/until/limit rules."""

    def __init__(self, count: int) -> None:
        self.newest_first = [f"sig{i:05d}" for i in range(count, 0, -1)]

    def __call__(self, params: list[Any]) -> list[dict[str, Any]]:
        config = params[1]
        sigs = self.newest_first
        if "before" in config:
            sigs = sigs[sigs.index(config["before"]) + 1 :]
        if "until" in config and config["until"] in sigs:
            sigs = sigs[: sigs.index(config["until"])]
        return [
            {
                "signature": s,
                "slot": int(s[3:]),
                "err": None,
                "memo": None,
                "blockTime": 1_700_000_000 + int(s[3:]),
                "confirmationStatus": "confirmed",
            }
            for s in sigs[: config["limit"]]
        ]


async def test_get_signatures_for_address_sends_before_until_limit_and_parses_rows(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script("getSignaturesForAddress", AddressHistory(10))
    rows = await rpc.get_signatures_for_address(PUMP, before="sig00009", until="sig00003", limit=4)
    assert node.calls_of("getSignaturesForAddress") == [
        [PUMP, {"commitment": "confirmed", "limit": 4, "before": "sig00009", "until": "sig00003"}]
    ]
    assert [r.signature for r in rows] == ["sig00008", "sig00007", "sig00006", "sig00005"]
    assert rows[0].slot == 8
    assert rows[0].block_time == 1_700_000_008
    assert rows[0].confirmation_status == "confirmed"


async def test_iter_signatures_until_pages_backwards_to_the_remembered_signature(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script("getSignaturesForAddress", AddressHistory(2500))
    got = [info.signature async for info in rpc.iter_signatures_until(PUMP, "sig00042")]
    assert got == [f"sig{i:05d}" for i in range(2500, 42, -1)]
    befores = [p[1].get("before") for p in node.calls_of("getSignaturesForAddress")]
    assert befores == [None, "sig01501", "sig00501"]


async def test_simulate_transaction_sends_base64_config_and_parses_logs(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script(
        "simulateTransaction",
        Result(
            {
                "context": {"slot": 218},
                "value": {
                    "err": None,
                    "accounts": None,
                    "logs": ["Program 11111111111111111111111111111111 invoke [1]"],
                    "returnData": None,
                    "unitsConsumed": 150,
                    "replacementBlockhash": {
                        "blockhash": "6oFLsE7kmgJx9PjR4R63VRNtpAVJ648gCTr3nq5Hihit",
                        "lastValidBlockHeight": 381186895,
                    },
                },
            }
        ),
    )
    sim = await rpc.simulate_transaction("AQID", replace_recent_blockhash=True)
    assert node.calls_of("simulateTransaction") == [
        [
            "AQID",
            {
                "encoding": "base64",
                "sigVerify": False,
                "replaceRecentBlockhash": True,
                "commitment": "confirmed",
            },
        ]
    ]
    assert sim.err is None
    assert sim.units_consumed == 150
    assert sim.logs == ("Program 11111111111111111111111111111111 invoke [1]",)
    assert sim.replacement_blockhash == "6oFLsE7kmgJx9PjR4R63VRNtpAVJ648gCTr3nq5Hihit"
    assert sim.slot == 218


async def test_send_transaction_returns_the_signature(rpc: RpcClient, node: ScriptedNode) -> None:
    node.script("sendTransaction", Result(SIG))
    assert await rpc.send_transaction("AQID", max_retries=0) == SIG
    assert node.calls_of("sendTransaction") == [
        [
            "AQID",
            {
                "encoding": "base64",
                "skipPreflight": False,
                "preflightCommitment": "confirmed",
                "maxRetries": 0,
            },
        ]
    ]


async def test_get_latest_blockhash_returns_hash_and_last_valid_height(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script(
        "getLatestBlockhash",
        Result(
            {
                "context": {"slot": 2792},
                "value": {
                    "blockhash": "EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N",
                    "lastValidBlockHeight": 3090,
                },
            }
        ),
    )
    assert await rpc.get_latest_blockhash() == (
        "EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N",
        3090,
    )
    assert node.calls_of("getLatestBlockhash") == [[{"commitment": "confirmed"}]]


async def test_get_signature_statuses_keeps_unknown_signatures_as_none(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script(
        "getSignatureStatuses",
        Result(
            {
                "context": {"slot": 82},
                "value": [
                    {
                        "slot": 48,
                        "confirmations": None,
                        "err": None,
                        "status": {"Ok": None},
                        "confirmationStatus": "finalized",
                    },
                    None,
                ],
            }
        ),
    )
    statuses = await rpc.get_signature_statuses(["a", "b"], search_transaction_history=True)
    assert node.calls_of("getSignatureStatuses") == [
        [["a", "b"], {"searchTransactionHistory": True}]
    ]
    assert statuses[1] is None
    assert statuses[0] is not None
    assert statuses[0].confirmation_status == "finalized"
    assert statuses[0].confirmations is None


async def test_get_signature_statuses_refuses_more_than_256(rpc: RpcClient) -> None:
    with pytest.raises(ValueError, match="256"):
        await rpc.get_signature_statuses([f"s{i}" for i in range(257)])


async def test_get_recent_prioritization_fees_in_micro_lamports_per_cu(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    rows = [{"slot": 348125, "prioritizationFee": 0}, {"slot": 348126, "prioritizationFee": 1000}]
    node.script("getRecentPrioritizationFees", Result(rows), Result(rows))
    fees = await rpc.get_recent_prioritization_fees([PUMP])
    await rpc.get_recent_prioritization_fees()
    assert node.calls_of("getRecentPrioritizationFees") == [[[PUMP]], []]
    assert [f.fee_micro_lamports_per_cu for f in fees] == [0, 1000]
    assert fees[1].slot == 348126


async def test_get_slot_and_block_height(rpc: RpcClient, node: ScriptedNode) -> None:
    node.script("getSlot", Result(1234))
    node.script("getBlockHeight", Result(1200))
    assert await rpc.get_slot() == 1234
    assert await rpc.get_block_height(commitment="finalized") == 1200
    assert node.calls_of("getBlockHeight") == [[{"commitment": "finalized"}]]


# ---- retries and errors --------------------------------------------------------------------


async def test_rate_limited_call_waits_retry_after_then_succeeds(
    rpc: RpcClient, node: ScriptedNode, sleeps: Sleeps
) -> None:
    node.script("getSlot", httpx.Response(429, headers={"Retry-After": "3"}), Result(99))
    assert await rpc.get_slot() == 99
    assert sleeps.delays_s == [3.0]
    assert len(node.calls_of("getSlot")) == 2


async def test_server_errors_are_retried_with_growing_backoff(
    node: ScriptedNode, sleeps: Sleeps
) -> None:
    node.script(
        "getSlot", httpx.Response(502), httpx.Response(503), httpx.Response(500), Result(7)
    )
    async with RpcClient(
        "https://rpc.example/",
        transport=node.transport(),
        sleep=sleeps,
        backoff_base_s=1.0,
        backoff_cap_s=100.0,
    ) as client:
        assert await client.get_slot() == 7
    assert len(sleeps.delays_s) == 3
    # full jitter: each delay lies within its doubling ceiling
    for attempt, delay_s in enumerate(sleeps.delays_s):
        assert 0.0 <= delay_s <= 2**attempt


async def test_node_unhealthy_is_retried_then_raised_as_retryable_rpc_error(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    behind = Error(-32005, "Node is behind by 42 slots", {"numSlotsBehind": 42})
    node.script("getSlot", behind, behind, behind, behind)
    with pytest.raises(RpcError) as caught:
        await rpc.get_slot()
    assert caught.value.code == -32005
    assert caught.value.retryable
    assert caught.value.data == {"numSlotsBehind": 42}
    assert len(node.calls_of("getSlot")) == 1 + rpc.max_retries


async def test_failed_preflight_is_not_retried_and_carries_the_simulation_logs(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    logs = [
        "Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P invoke [1]",
        "Program log: Error: slippage: Too much SOL required to buy the given amount of tokens.",
        "Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P failed: custom program error: 0x1772",
    ]
    data = {
        "err": {"InstructionError": [2, {"Custom": 6002}]},
        "logs": logs,
        "accounts": None,
        "unitsConsumed": 31000,
    }
    node.script(
        "sendTransaction",
        Error(-32002, "Transaction simulation failed: Error processing Instruction 2", data),
    )
    with pytest.raises(RpcError) as caught:
        await rpc.send_transaction("AQID")
    assert caught.value.code == -32002
    assert not caught.value.retryable
    assert caught.value.data["logs"] == logs
    assert len(node.calls_of("sendTransaction")) == 1


async def test_forbidden_is_not_retried_and_says_the_provider_refused(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script("getSlot", httpx.Response(403, text="Forbidden"))
    with pytest.raises(UpstreamError, match="refused") as caught:
        await rpc.get_slot()
    assert not caught.value.retryable
    assert caught.value.provider == "example"
    assert len(node.calls_of("getSlot")) == 1


async def test_timeouts_become_retryable_upstream_errors_after_the_last_retry(
    rpc: RpcClient, node: ScriptedNode
) -> None:
    node.script("getSlot", *[httpx.ReadTimeout("read timed out") for _ in range(4)])
    with pytest.raises(UpstreamError, match="timed out") as caught:
        await rpc.get_slot()
    assert caught.value.retryable
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(node.calls_of("getSlot")) == 4


async def test_a_timeout_then_an_answer_is_a_success(rpc: RpcClient, node: ScriptedNode) -> None:
    node.script("getSlot", httpx.ConnectError("connection refused"), Result(5))
    assert await rpc.get_slot() == 5


async def test_invalid_params_are_not_retried(rpc: RpcClient, node: ScriptedNode) -> None:
    node.script("getTransaction", Error(-32602, "Invalid params: invalid signature"))
    with pytest.raises(RpcError) as caught:
        await rpc.get_transaction("not-a-signature")
    assert not caught.value.retryable
    assert len(node.calls_of("getTransaction")) == 1
