"""decode_transaction on real getTransaction / blockSubscribe / geyser samples."""

from __future__ import annotations

import copy

from core.decode import DecodeStats, decode_transaction
from core.programs import Program
from tests.core.decode._fixtures import load

BUY_SIG = (
    "33LHUzKfhBvU68kYib22oFx2XdQKQZ2sfvTmmdCFEr6YidyP8S3WwAurjz6Suewvr2WUByV79K3stNCZDe7wq3De"
)
SOLTXS_SIG = (
    "5zkqEKXPpLHXAg6zvEE3rDJhhYNeyBkLQkPzD5Petp8ABhmjwBsZxNyyj9yxRtXeeQJydjCdtTyfHcDRmnSYudP8"
)
SOLTXS_TRADE = {
    "mint": "9Tpa8ewVT3JaZgiSKoTHjcJj6NGRyF4bJT8CyXpxpump",
    "sol_amount": 689_364_052,
    "token_amount": 3_254_684_009_577,
    "is_buy": True,
    "user": "Geu1Jtgp2vkWmBq9KL4FozLFx1LAEjpntEfjFuWf6QW7",
    "timestamp": 1735634110,
    "virtual_sol_reserves": 82_916_942_422,
    "virtual_token_reserves": 388_219_814_786_378,
    "real_sol_reserves": 52_916_942_422,
    "real_token_reserves": 108_319_814_786_378,
}


def test_buy_and_sell_seen_in_logs_and_self_cpi_are_returned_once_each() -> None:
    result = load("chainstack_raw_buy_tx_from_getTransaction.json")["result"]
    stats = DecodeStats()
    buy, sell = decode_transaction(result, stats=stats)
    assert stats.decoded == 2 and stats.failed == 0
    assert (buy.signature, buy.slot, buy.block_time) == (BUY_SIG, 284677332, 1724126293)
    common = {
        "mint": "HfJVjBdkhAD2ynVM8PdTSii4ECZdsxNTCx5wpEqUpump",
        "token_amount": 605_426_095_720,
        "user": "2vr538qDgHCPYmr2mjt5LSjQ3kBYjtw3SDSveUKBVkef",
        "timestamp": 1724126293,
    }
    assert buy.fields == common | {
        "sol_amount": 24_080_282,
        "is_buy": True,
        "virtual_sol_reserves": 35_793_720_152,
        "virtual_token_reserves": 899_319_782_120_301,
        "real_sol_reserves": 5_793_720_152,
        "real_token_reserves": 619_419_782_120_301,
    }
    assert sell.fields == common | {
        "sol_amount": 24_080_281,
        "is_buy": False,
        "virtual_sol_reserves": 35_769_639_871,
        "virtual_token_reserves": 899_925_208_216_021,
        "real_sol_reserves": 5_769_639_871,
        "real_token_reserves": 620_025_208_216_021,
    }


def test_self_cpi_events_fill_in_when_the_logs_were_truncated() -> None:
    result = copy.deepcopy(load("chainstack_raw_buy_tx_from_getTransaction.json")["result"])
    logs = result["meta"]["logMessages"]
    result["meta"]["logMessages"] = [*logs[:10], "Log truncated"]
    events = decode_transaction(result)
    assert [(e.fields["is_buy"], e.source) for e in events] == [(True, "cpi"), (False, "cpi")]
    assert events[0].fields["sol_amount"] == 24_080_282


def test_create_transaction_yields_the_launch_then_the_dev_buy() -> None:
    result = load("chainstack_raw_create_tx_from_getTransaction.json")["result"]
    create, trade = decode_transaction(result)
    assert create.event == "CreateEvent"
    assert create.fields == {
        "name": "excited",
        "symbol": "excited",
        "uri": "https://cf-ipfs.com/ipfs/QmcDiP9wAZ8QeijrNrtwLeMGk46vKAAe8yvfWtumBZbURq",
        "mint": "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp",
        "bonding_curve": "FFzxakVNzpirwMFtLyD22UZ6UM3KLF2EAGC2RxNPaYoH",
        "user": "Fswrw3tgQL597kCexxLEhft6a7Su4CDoqwRMqqj4BEp5",
    }
    assert trade.fields["sol_amount"] == 1_100_000_000
    assert trade.fields["token_amount"] == 37_951_768_488_745
    assert trade.fields["virtual_token_reserves"] == 1_035_048_231_511_255
    assert create.slot == trade.slot == 284682639
    assert (
        create.signature
        == trade.signature
        == (
            "52ar89rghM8EwKZkxFnBMC4LaMReqtVdpxqXxGWBCMYV1DnYdLrdsqJo8Hbn9KjVpckAokqGNHzTSVfK5xuLepdC"
        )
    )


def test_json_encoded_buy_decodes_with_signature_slot_and_block_time() -> None:
    (trade,) = decode_transaction(load("soltxs_pumpfun_buy_rpc.json")["result"])
    assert trade.fields == SOLTXS_TRADE
    assert (trade.signature, trade.slot, trade.block_time) == (SOLTXS_SIG, 310945778, 1735634110)


def test_geyser_rendering_of_the_same_buy_gives_the_same_trade() -> None:
    (trade,) = decode_transaction(load("soltxs_pumpfun_buy_geyser.json"))
    assert trade.fields == SOLTXS_TRADE
    assert (trade.signature, trade.slot) == (SOLTXS_SIG, 310945778)


def test_block_subscribe_base64_transaction_with_routed_sixteen_field_trade() -> None:
    stats = DecodeStats()
    (trade,) = decode_transaction(
        load("chainstack_raw_tx_from_blockSubscribe_2025-05.json"), stats=stats
    )
    assert trade.signature == (
        "3mpAjSPh3w9RZpPZURbV2nxbrykLfEJfPCe4xL2Sba5vwUaHDPYh15ktY5BHY7zRMeoMGNNdQzCiDjy1XSACNSMY"
    )
    assert trade.fields == {
        "mint": "5eFg3giaX2c3RydHvx1S3yEKpYjBuwtLUsmbAAG9pump",
        "sol_amount": 297_300_000,
        "token_amount": 5_032_051_139_663,
        "is_buy": True,
        "user": "8ZZ97eWp2k8gfoK2Jk2WQcdofk9hyJpEGDPGiqFryH1S",
        "timestamp": 1747165626,
        "virtual_sol_reserves": 43_758_836_401,
        "virtual_token_reserves": 735_622_851_591_552,
        "real_sol_reserves": 13_758_836_401,
        "real_token_reserves": 455_722_851_591_552,
        "fee_recipient": "FWsW1xNtWscwNmKv6wVsU1iTzRN6wmmk3MjxRP5tT7hz",
        "fee_basis_points": 95,
        "fee": 2_824_350,
        "creator": "AjQw9LT4qLdhFSx5EpUnHtU5LwzCLtVjxx39VUpJsKAL",
        "creator_fee_basis_points": 5,
        "creator_fee": 148_650,
    }
    assert stats.decoded == 1  # the self-CPI copy (inner ix of the router) was matched


def test_raydium_swap_carries_pool_and_owner_from_its_instruction() -> None:
    (swap,) = decode_transaction(load("soltxs_raydium_amm_v4_rpc.json")["result"])
    assert (swap.program, swap.event) == (Program.RAYDIUM_AMM_V4, "SwapBaseInLog")
    assert swap.fields["amm"] == "6nnTjw6C37vDMsExuSX8y7wJrbybFb5SLXBzaDqfhaUd"
    assert swap.fields["user_owner"] == "CWE3HQZxPyNT9tuLCtBwYjC16oJz2fgkmRRR1vBJzkVL"
    assert swap.fields["out_amount"] == 92_529_930_455
    assert (swap.slot, swap.block_time) == (310919903, 1735623500)


def test_failed_transaction_is_counted_and_yields_nothing() -> None:
    result = copy.deepcopy(load("soltxs_pumpfun_buy_rpc.json")["result"])
    result["meta"]["err"] = {"InstructionError": [3, {"Custom": 6003}]}
    stats = DecodeStats()
    assert decode_transaction(result, stats=stats) == []
    assert stats.failures == {"failed_tx": 1}


def test_account_index_past_the_keys_is_a_bad_frame_not_a_crash() -> None:
    result = copy.deepcopy(load("soltxs_raydium_amm_v4_rpc.json")["result"])
    result["transaction"]["message"]["instructions"][4]["accounts"][1] = 99
    stats = DecodeStats()
    assert decode_transaction(result, stats=stats) == []
    assert stats.failures == {"bad_frame": 1}
