"""TradingService built from Settings on the local chain + Jupiter servers + PostgreSQL: wallets
from the keystore, buys checked against the stored market and the risk service, sells by share,
positions valued by a sell quote, idempotent keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from core.errors import ConfigError, UserInputError
from core.market.amm import buy_quote, sell_quote
from core.storage.db import create_engine
from core.trading.service import NothingToSell, NoTradingWallet, TradingService
from core.trading.trade_types import RefusalReason, TradeState, TradeUpdate, UpdateKind
from core.trading.user_wallets import WalletBackend
from core.trading.vault_signer import wallet_key_name
from tests.core.trading.conftest import FEE_BPS, POOL_SOL, POOL_TOKENS, SOL, Desk
from tests.core.trading.service_fixtures import store_market, trading_settings
from tests.core.trading.test_user_wallets import audit_actions, new_user
from tests.vault_server import SIGNER_RULES, VaultServer

WALLET_SOL = 5 * SOL


class Bench:
    def __init__(self, desk: Desk, service: TradingService, user: int) -> None:
        self.desk, self.service, self.user = desk, service, user
        self.updates: list[TradeUpdate] = []

    async def funded_wallet(self) -> Pubkey:
        wallet = await self.service.create_wallet(self.user)
        await self.service.set_trading(self.user, True, expect_address=wallet.address)
        address = Pubkey.from_string(wallet.address)
        self.desk.node.airdrop(address, WALLET_SOL)
        return address

    def tokens(self, wallet: Pubkey, mint: Pubkey | None = None) -> int:
        desk = self.desk
        saved = desk.wallet
        desk.wallet = wallet
        try:
            return desk.tokens(mint)
        finally:
            desk.wallet = saved


@pytest.fixture
async def bench(desk: Desk, tmp_path: Path) -> AsyncIterator[Bench]:
    settings = trading_settings(
        rpc_url=desk.node.url,
        jupiter_url=desk.jup.url,
        probe=desk.probe,
        keystore=tmp_path / "service" / "keystore.json",
    )
    await store_market(desk.db_url, desk.mint, pool=(POOL_TOKENS, POOL_SOL))
    engine = create_engine(desk.db_url)
    service = TradingService.from_settings(settings, engine=engine)
    try:
        yield Bench(desk, service, await new_user(desk.db_url))
    finally:
        await service.aclose()
        await engine.dispose()


def test_trading_refuses_to_start_without_what_it_needs(tmp_path: Path) -> None:
    base: dict[str, Any] = {
        "rpc_url": "http://127.0.0.1:1",
        "jupiter_url": "http://127.0.0.1:2",
        "probe": Keypair().pubkey(),
        "keystore": tmp_path / "keystore.json",
    }
    missing = {
        "SOLANA_RPC_URLS": {"solana_rpc_urls": []},
        "JUPITER_BASE_URL": {"jupiter_base_url": None},
        "HONEYPOT_PROBE_WALLET": {"honeypot_probe_wallet": None},
        "KEYSTORE_PASSPHRASE": {"keystore_passphrase": None},
    }
    engine = create_engine("sqlite:///" + str(tmp_path / "unused.db"))
    for name, override in missing.items():
        with pytest.raises(ConfigError) as raised:
            TradingService.from_settings(trading_settings(**base, **override), engine=engine)
        assert raised.value.setting == name
    assert not (tmp_path / "keystore.json").exists()


async def test_a_buy_lands_and_the_position_is_valued_by_a_sell_quote(bench: Bench) -> None:
    desk, service = bench.desk, bench.service
    wallet = await bench.funded_wallet()
    expected = buy_quote(SOL // 2, POOL_TOKENS, POOL_SOL, FEE_BPS)

    outcome = await service.buy(
        bench.user, str(desk.mint), SOL // 2, "k-buy", bench.updates.append
    )

    assert outcome.state is TradeState.CONFIRMED, outcome.message
    assert bench.tokens(wallet) == expected == outcome.token_delta_raw
    assert [u.kind for u in bench.updates] == [
        UpdateKind.QUOTED,
        UpdateKind.SIMULATED,
        UpdateKind.SENT,
        UpdateKind.CONFIRMED,
    ]
    [valued] = await service.positions(bench.user)
    base, sol = desk.jup.reserves(desk.pool)
    worth = sell_quote(expected, base, sol, FEE_BPS)
    cost = SOL // 2 + (outcome.fee_lamports or 0)
    assert valued.position.holding.token_amount_raw == expected
    assert valued.value_lamports == worth
    assert valued.pnl_lamports == worth - cost < 0  # fee and price impact
    assert valued.pnl_pct == pytest.approx((worth - cost) / cost * 100)
    assert (valued.token.symbol, valued.token.decimals) == ("PEPE2", 6)


async def test_buys_are_checked_against_the_stored_liquidity_and_the_risk_report(
    bench: Bench,
) -> None:
    desk, service = bench.desk, bench.service
    await bench.funded_wallet()
    unknown = desk.new_mint()  # tradable on chain, but the stored market knows no pool
    shallow = desk.new_mint()
    await store_market(desk.db_url, shallow, symbol="SHAL", pool=(POOL_TOKENS, 4 * SOL))
    mintable = desk.new_mint(revoke=False)
    await store_market(desk.db_url, mintable, symbol="MINTY", pool=(POOL_TOKENS, POOL_SOL))

    no_pool = await service.buy(bench.user, str(unknown), SOL // 10, "k-unknown")
    too_thin = await service.buy(bench.user, str(shallow), SOL // 10, "k-thin")
    risky = await service.buy(bench.user, str(mintable), SOL // 10, "k-mint")

    assert no_pool.reason == RefusalReason.LIQUIDITY_UNKNOWN
    assert too_thin.reason == RefusalReason.LIQUIDITY_TOO_LOW
    assert too_thin.detail["liquidity_lamports"] == 4 * SOL
    assert too_thin.detail["limit_lamports"] == 10 * SOL
    assert risky.reason == RefusalReason.MINT_AUTHORITY_ACTIVE
    assert desk.node.calls_of("sendTransaction") == []


async def test_a_buy_over_the_operators_per_trade_limit_is_refused(bench: Bench) -> None:
    await bench.funded_wallet()
    outcome = await bench.service.buy(bench.user, str(bench.desk.mint), SOL, "k-big")
    assert outcome.state is TradeState.REFUSED and outcome.reason == RefusalReason.TRADE_LIMIT
    assert outcome.detail["limit_lamports"] == SOL // 2
    assert bench.desk.node.calls_of("sendTransaction") == []


async def test_a_user_who_did_not_enable_trading_is_refused_and_nothing_lands(
    bench: Bench,
) -> None:
    service, desk = bench.service, bench.desk
    with pytest.raises(NoTradingWallet):
        await service.buy(bench.user, str(desk.mint), SOL // 10, "k-none")
    wallet = await service.create_wallet(bench.user)
    desk.node.airdrop(Pubkey.from_string(wallet.address), WALLET_SOL)
    status = await service.status(bench.user)
    assert status.operator_enabled and not status.user_enabled and not status.enabled

    outcome = await service.buy(bench.user, str(desk.mint), SOL // 10, "k-off")

    assert outcome.reason == RefusalReason.TRADING_DISABLED
    assert desk.jup.calls_to("quote") == [] and desk.node.calls_of("sendTransaction") == []


async def test_a_sell_takes_a_share_of_the_wallet_and_its_key_replays(bench: Bench) -> None:
    service, desk = bench.service, bench.desk
    wallet = await bench.funded_wallet()
    mint = str(desk.mint)
    await service.buy(bench.user, mint, SOL // 2, "k-buy")
    held = bench.tokens(wallet)

    half = await service.sell(bench.user, mint, 50, "k-sell-50")
    assert half.state is TradeState.CONFIRMED, half.message
    assert bench.tokens(wallet) == held - held // 2
    sends = len(desk.node.calls_of("sendTransaction"))

    again = await service.sell(bench.user, mint, 50, "k-sell-50")  # a double tap
    assert again.replayed and again.signature == half.signature
    assert len(desk.node.calls_of("sendTransaction")) == sends
    assert bench.tokens(wallet) == held - held // 2

    rest = await service.sell(bench.user, mint, 100, "k-sell-100")
    assert rest.state is TradeState.CONFIRMED and bench.tokens(wallet) == 0
    assert await service.positions(bench.user) == []
    with pytest.raises(NothingToSell):
        await service.sell(bench.user, mint, 100, "k-sell-more")


async def test_an_imported_key_signs_and_exports_only_with_the_typed_confirmation(
    bench: Bench,
) -> None:
    service, desk = bench.service, bench.desk
    keypair = Keypair()
    desk.node.airdrop(keypair.pubkey(), WALLET_SOL)

    wallet = await service.import_wallet(bench.user, str(keypair))

    assert wallet.address == str(keypair.pubkey()) and wallet.backend is WalletBackend.KEYSTORE
    view = await service.wallet(bench.user)
    assert view is not None and view.balance_lamports == WALLET_SOL and view.exportable
    with pytest.raises(UserInputError, match="EXPORT"):
        await service.export_key(bench.user, "yes")
    phrase = service.export_phrase(wallet)
    assert phrase == f"EXPORT {wallet.address[:8]}"
    assert await service.export_key(bench.user, phrase) == str(keypair)

    other = await new_user(desk.db_url)
    with pytest.raises(UserInputError, match="another account"):
        await service.import_wallet(other, str(keypair))
    await service.set_trading(bench.user, True)
    outcome = await service.buy(bench.user, str(desk.mint), SOL // 10, "k-imported")
    assert outcome.state is TradeState.CONFIRMED, outcome.message
    actions = [a for a, _ in await audit_actions(desk.db_url)]
    assert actions[:3] == ["wallet.imported", "wallet.exported", "trading.enabled"]


async def test_creating_a_wallet_twice_keeps_the_first(bench: Bench) -> None:
    first = await bench.service.create_wallet(bench.user)
    second = await bench.service.create_wallet(bench.user)
    assert first.address == second.address
    keystore = bench.service.signers.keystore  # type: ignore[attr-defined]
    assert [str(e.address) for e in keystore.wallets()] == [first.address]


async def test_vault_wallets_sign_after_a_restart_and_never_export(
    desk: Desk, tmp_path: Path
) -> None:
    await store_market(desk.db_url, desk.mint, pool=(POOL_TOKENS, POOL_SOL))
    user = await new_user(desk.db_url)
    with VaultServer() as vault:
        settings = trading_settings(
            rpc_url=desk.node.url,
            jupiter_url=desk.jup.url,
            probe=desk.probe,
            keystore=tmp_path / "unused.json",
            signer_backend="vault",
            vault_addr=vault.url,
            vault_token=SecretStr(vault.add_token(SIGNER_RULES, ttl_s=3600)),
        )
        engine = create_engine(desk.db_url)
        try:
            first = TradingService.from_settings(settings, engine=engine)
            wallet = await first.create_wallet(user)
            await first.set_trading(user, True)
            await first.aclose()
            assert wallet.backend is WalletBackend.VAULT
            assert wallet.key_ref == wallet_key_name(user, 0)
            assert Pubkey.from_bytes(vault.public_key(wallet.key_ref)) == Pubkey.from_string(
                wallet.address
            )
            desk.node.airdrop(Pubkey.from_string(wallet.address), WALLET_SOL)

            service = TradingService.from_settings(settings, engine=engine)  # a restart
            try:
                outcome = await service.buy(user, str(desk.mint), SOL // 10, "k-vault")
                assert outcome.state is TradeState.CONFIRMED, outcome.message
                view = await service.wallet(user)
                assert view is not None and not view.exportable
                with pytest.raises(UserInputError, match="never leave Vault"):
                    await service.export_key(user, service.export_phrase(wallet))
                with pytest.raises(UserInputError, match="Vault"):
                    await service.import_wallet(user, str(Keypair()))
            finally:
                await service.aclose()
        finally:
            await engine.dispose()
    assert not (tmp_path / "unused.json").exists()
