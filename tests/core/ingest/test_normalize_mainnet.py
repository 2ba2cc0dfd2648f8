"""Real mainnet transactions through decode + normalise: the records trader data rests on."""

from __future__ import annotations

from pathlib import Path

import orjson

from core.decode import decode_logs
from core.ingest.normalize import Normalizer
from core.programs import Program
from core.storage.records import MintRecord, TradeRecord

SIG = "3PDrzPNDBXNZDJyGvQGRhppZW16rHVUZi5mNjJs2aELydBiYLxtG7WD3JS5skFCGv36WseLzDib1KwayUZpgP3mC"
MINT = "DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump"
DEV = "EmLPb9Vpzj4NECQCR1nWShfxgeUjTXNzBjKXx6JiXLHp"


def test_launch_with_dev_buy_becomes_a_mint_and_a_trade(shared_fixtures: Path) -> None:
    frame = orjson.loads(
        (
            shared_fixtures
            / "mainnet"
            / "c1r5_logsNotification_pumpfun_create_buy_slot310199880.json"
        ).read_bytes()
    )
    value = frame["params"]["result"]["value"]
    events = decode_logs(value["logs"], signature=value["signature"], slot=310199880)
    mint, trade = Normalizer().records(events)

    assert isinstance(mint, MintRecord)
    assert (mint.mint, mint.name, mint.symbol, mint.creator) == (MINT, "44444", "44444", DEV)
    assert mint.bonding_curve == "Bignq1ctYYtmHdoi1MUGx6wT3pRxZXoE1TAXBqTEG9ZD"
    # The 2024 CreateEvent has no timestamp: it takes the dev buy's, same transaction.
    assert mint.created_at == 1735329249
    assert (mint.signature, mint.slot) == (SIG, 310199880)

    assert isinstance(trade, TradeRecord)
    assert trade.program is Program.PUMP
    assert (trade.mint, trade.trader, trade.is_buy) == (MINT, DEV, True)
    assert trade.sol_lamports == 2_400_000_000
    assert trade.token_amount_raw == 79_481_481_481_481
    assert trade.virtual_sol_reserves == 32_400_000_000
    assert trade.virtual_token_reserves == 993_518_518_518_519
    assert trade.real_token_reserves == 713_618_518_518_519
    assert trade.block_time == 1735329249
    assert trade.event_index == 1
    # 32.4 SOL / 993,518,518.518519 tokens
    assert abs(trade.price_sol - 32.4 / 993_518_518.518519) < 1e-15
