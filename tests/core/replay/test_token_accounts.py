"""getTokenLargestAccounts / getTokenSupply: the risk service sees holder concentration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from core.chain.rpc_client import RpcClient
from core.errors import RpcError
from core.programs import WSOL_MINT
from core.replay.accounts import associated_token_address
from core.replay.ledger import ReplayTx
from core.replay.market import CURVE_RESERVED_RAW, SimulatedMarket
from core.replay.pricing import TOKEN_TOTAL_SUPPLY_RAW
from core.replay.rpc import ui_token_amount
from core.replay.server import ReplayServer
from core.risk.checks import RiskParams
from core.risk.report import Check, Verdict
from core.risk.service import RiskService
from core.risk.vaults import bonding_curve_vault

from .conftest import START_SLOT, START_TIME

UNKNOWN = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"


@pytest.fixture(scope="module")
def market_and_txs() -> tuple[SimulatedMarket, list[ReplayTx]]:
    market = SimulatedMarket(seed=5, preexisting_pools=2)
    return market, list(market.transactions(START_SLOT, START_TIME, limit=3000))


@pytest.fixture
async def server(
    market_and_txs: tuple[SimulatedMarket, list[ReplayTx]],
) -> AsyncIterator[ReplayServer]:
    market, txs = market_and_txs
    server = ReplayServer(
        txs, accounts=market.account, largest_accounts=market.largest_token_accounts
    )
    await server.start()
    await server.done.wait()
    try:
        yield server
    finally:
        await server.stop()


def _on_curve(market: SimulatedMarket) -> list[str]:
    """Launched mints still on the curve, in launch order."""
    tokens = market._tokens.values()
    return [t.mint for t in tokens if t.pool is None and t.regime is None]


def _migrated(market: SimulatedMarket) -> list[str]:
    return [m for m in market.completed if market._tokens[m].pool is not None]


async def _post(url: str, method: str, params: list[Any]) -> dict[str, Any]:
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, content=orjson.dumps(payload))
    return response.json()


# ---- the market ------------------------------------------------------------------------------


def test_launched_token_balances_add_up_to_the_supply(
    market_and_txs: tuple[SimulatedMarket, list[ReplayTx]],
) -> None:
    market, _ = market_and_txs
    checked = 0
    for mint in [*_on_curve(market), *_migrated(market)]:
        rows = market.largest_token_accounts(mint, limit=10_000)
        assert rows is not None
        assert sum(amount for _, amount in rows) == TOKEN_TOTAL_SUPPLY_RAW
        assert all(amount > 0 for _, amount in rows)
        assert len({address for address, _ in rows}) == len(rows)
        checked += 1
    assert checked > 50


def test_curve_vault_and_pool_vault(
    market_and_txs: tuple[SimulatedMarket, list[ReplayTx]],
) -> None:
    market, _ = market_and_txs
    mint = _on_curve(market)[-1]
    token = market._tokens[mint]
    rows = dict(market.largest_token_accounts(mint) or [])
    assert rows[bonding_curve_vault(mint)] == token.curve.real_token_reserves + CURVE_RESERVED_RAW
    creator_ata = associated_token_address(token.creator, mint)
    assert rows.get(creator_ata, 0) == token.special.get(token.creator, 0)

    migrated = _migrated(market)
    assert migrated, "seed 5 migrates a token within 3000 transactions"
    for mint in migrated:
        token = market._tokens[mint]
        assert token.pool is not None and token.pool_address is not None
        rows = dict(market.largest_token_accounts(mint) or [])
        assert bonding_curve_vault(mint) not in rows
        pool_vault = associated_token_address(token.pool_address, mint)
        assert rows[pool_vault] == token.pool.base_reserve_raw


def test_limit_order_and_unknown_mint(
    market_and_txs: tuple[SimulatedMarket, list[ReplayTx]],
) -> None:
    market, _ = market_and_txs
    busiest = max(market._tokens.values(), key=lambda t: len(t.holders))
    assert len(busiest.holders) > 20
    everything = market.largest_token_accounts(busiest.mint, limit=10_000)
    top = market.largest_token_accounts(busiest.mint)
    assert everything is not None and top is not None and len(top) == 20
    assert [a for _, a in top] == [a for _, a in everything[:20]]
    assert [a for _, a in everything] == sorted((a for _, a in everything), reverse=True)
    assert market.largest_token_accounts(UNKNOWN) is None
    assert market.largest_token_accounts(WSOL_MINT) is None


def test_ui_token_amount_matches_the_node() -> None:
    assert ui_token_amount(1000, 2) == {
        "amount": "1000",
        "decimals": 2,
        "uiAmount": 10.0,
        "uiAmountString": "10",
    }
    assert ui_token_amount(1_500_000, 6)["uiAmountString"] == "1.5"
    assert ui_token_amount(1, 6)["uiAmountString"] == "0.000001"
    assert ui_token_amount(0, 6)["uiAmountString"] == "0"
    assert ui_token_amount(7, 0)["uiAmountString"] == "7"


# ---- over the wire ---------------------------------------------------------------------------


async def test_rpc_client_reads_largest_accounts(
    server: ReplayServer, market_and_txs: tuple[SimulatedMarket, list[ReplayTx]]
) -> None:
    market, _ = market_and_txs
    mint = _on_curve(market)[-1]
    token = market._tokens[mint]
    async with RpcClient(server.http_url, max_retries=0) as client:
        rows = await client.get_token_largest_accounts(mint)
    assert 1 < len(rows) <= 20
    amounts = [row.amount_raw for row in rows]
    assert amounts == sorted(amounts, reverse=True)
    assert all(row.decimals == 6 for row in rows)
    vault = bonding_curve_vault(mint)
    by_address = {row.address: row.amount_raw for row in rows}
    assert by_address[vault] == token.curve.real_token_reserves + CURVE_RESERVED_RAW
    assert rows[0].address == vault  # most of the supply is still on the curve
    expected = market.largest_token_accounts(mint)
    assert [(row.address, row.amount_raw) for row in rows] == expected


async def test_largest_accounts_in_the_node_shape(
    server: ReplayServer, market_and_txs: tuple[SimulatedMarket, list[ReplayTx]]
) -> None:
    market, _ = market_and_txs
    mint = _on_curve(market)[0]
    answer = await _post(server.http_url, "getTokenLargestAccounts", [mint])
    result = answer["result"]
    assert result["context"] == {"slot": server.slot, "apiVersion": "2.2.0"}
    first = result["value"][0]
    assert set(first) == {"address", "amount", "decimals", "uiAmount", "uiAmountString"}
    assert isinstance(first["amount"], str) and first["decimals"] == 6
    assert first["uiAmount"] == int(first["amount"]) / 1e6

    missing = await _post(
        server.http_url, "getTokenLargestAccounts", [UNKNOWN, {"commitment": "confirmed"}]
    )
    assert missing["error"] == {"code": -32602, "message": "Invalid param: could not find mint"}
    bad = await _post(server.http_url, "getTokenLargestAccounts", ["not-a-key"])
    assert bad["error"]["code"] == -32602


async def test_no_source_means_no_mint(
    market_and_txs: tuple[SimulatedMarket, list[ReplayTx]],
) -> None:
    market, txs = market_and_txs
    server = ReplayServer(txs[:10], accounts=market.account)
    await server.start()
    try:
        async with RpcClient(server.http_url, max_retries=0) as client:
            with pytest.raises(RpcError) as caught:
                await client.get_token_largest_accounts(_on_curve(market)[0])
        assert caught.value.code == -32602
    finally:
        await server.stop()


async def test_token_supply(
    server: ReplayServer, market_and_txs: tuple[SimulatedMarket, list[ReplayTx]]
) -> None:
    market, _ = market_and_txs
    answer = await _post(server.http_url, "getTokenSupply", [_on_curve(market)[0]])
    assert answer["result"]["value"] == {
        "amount": str(TOKEN_TOTAL_SUPPLY_RAW),
        "decimals": 6,
        "uiAmount": 1e9,
        "uiAmountString": "1000000000",
    }
    wsol = await _post(server.http_url, "getTokenSupply", [WSOL_MINT])
    assert wsol["result"]["value"]["decimals"] == 9
    missing = await _post(server.http_url, "getTokenSupply", [UNKNOWN])
    assert missing["error"]["code"] == -32602
    pool = next(iter(market.preexisting_pool_mints))
    not_mint = await _post(server.http_url, "getTokenSupply", [pool])
    assert not_mint["error"] == {"code": -32602, "message": "Invalid param: not a Token mint"}


# ---- end to end: the risk service ------------------------------------------------------------


async def test_risk_service_decides_holder_checks(
    server: ReplayServer, market_and_txs: tuple[SimulatedMarket, list[ReplayTx]]
) -> None:
    market, _ = market_and_txs
    fresh = _on_curve(market)[-1]
    rug = next(m for m in _on_curve(market) if m in market.rugs)
    async with RpcClient(server.http_url, max_retries=0) as client:
        service = RiskService(client, RiskParams())
        for mint in (fresh, rug):
            report = await service.report(mint)
            verdicts = {r.check: r for r in report.results}
            for check in (Check.TOP_HOLDER, Check.TOP10):
                assert verdicts[check].verdict in (Verdict.PASS, Verdict.FAIL), verdicts[check]
            # the curve vault is excluded: the top holder is a real holder's share
            token = market._tokens[mint]
            books = [*token.holders.values(), *token.special.values()]
            top_pct = round(max(books) / TOKEN_TOTAL_SUPPLY_RAW * 100, 2)
            assert verdicts[Check.TOP_HOLDER].value == top_pct

        migrated = _migrated(market)[0]
        pool = market._tokens[migrated].pool_address
        report = await service.report(migrated, pool=pool)
        verdicts = {r.check: r for r in report.results}
        for check in (Check.TOP_HOLDER, Check.TOP10):
            assert verdicts[check].verdict in (Verdict.PASS, Verdict.FAIL), verdicts[check]
