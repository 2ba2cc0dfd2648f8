"""The real bot with trading on, against local servers of every protocol it speaks: the Telegram
emulator, a LiteSVM chain over Solana JSON-RPC, a Jupiter swap API over a pool on that chain,
and PostgreSQL. Trading is built by ``BotServices.create`` from operator ``Settings`` exactly as
in production (keystore wallet, RiskService with the honeypot probe, liquidity from the stored
pool); the card's token is PEPE2, a mint with a 1M-token / 100-SOL pool on the chain.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram.fsm.storage.base import BaseStorage
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address

from bots.telegram.app import build_bot, build_dispatcher
from bots.telegram.config import BotSettings
from bots.telegram.services import BotServices
from core.trading.service import TradingService
from tests.bots.telegram.conftest import ANA, BotHarness, Clock, buttons
from tests.bots.telegram.data import ux_signal
from tests.core.trading.service_fixtures import store_market, trading_settings
from tests.jupiter_server import JupiterServer, Pool
from tests.svm_rpc import TOKEN_PROGRAM, SvmRpcServer, read_token_account
from tests.telegram_emulator import TelegramEmulator, User

SOL = 10**9
POOL_TOKENS = 1_000_000 * 10**6
POOL_SOL = 100 * SOL
FEE_BPS = 25
WALLET_SOL = 5 * SOL


@dataclass
class TradeBot:
    harness: BotHarness
    node: SvmRpcServer
    jup: JupiterServer
    mint: Pubkey
    pool: Pool

    @property
    def trading(self) -> TradingService:
        assert self.harness.services.trading is not None
        return self.harness.services.trading

    async def say(self, text: str, user: User = ANA, *, count: int = 1) -> list[dict[str, Any]]:
        return await self.harness.say(text, user, count=count)

    async def press(
        self, data: str, message: dict[str, Any], user: User = ANA, *, count: int = 1
    ) -> list[dict[str, Any]]:
        return await self.harness.press(data, message, user, count=count)

    async def user_id(self, user: User = ANA) -> int:
        profile = await self.harness.services.users.by_telegram(user.id)
        assert profile is not None
        return profile.id

    async def wallet(self, user: User = ANA) -> Pubkey:
        wallet = await self.trading.wallets.active(await self.user_id(user))
        assert wallet is not None
        return Pubkey.from_string(wallet.address)

    async def enable_trading(self, user: User = ANA, *, fund: bool = True) -> Pubkey:
        """/trading on, then the Confirm button; the new wallet gets WALLET_SOL."""
        (setup,) = await self.say("/trading on", user)
        await self.press(buttons(setup)["✅ Turn trading on"], setup, user)
        wallet = await self.wallet(user)
        if fund:
            self.node.airdrop(wallet, WALLET_SOL)
        return wallet

    async def card(self, user: User = ANA) -> dict[str, Any]:
        (card,) = await self.say(f"/signal {self.mint}", user)
        return card

    def tokens(self, wallet: Pubkey) -> int:
        ata = get_associated_token_address(wallet, self.mint, TOKEN_PROGRAM)
        account = self.node.svm.get_account(ata)
        view = read_token_account(bytes(account.data)) if account else None
        return view.amount_raw if view else 0

    def sol(self, wallet: Pubkey) -> int:
        return self.node.svm.get_balance(wallet) or 0

    def landed_swaps(self, wallet: Pubkey) -> int:
        """Transactions the wallet paid for that landed without error."""
        history = self.node._history
        sigs = self.node._signatures_of.get(str(wallet), [])
        return sum(
            1
            for s in sigs
            if history[s]["meta"]["err"] is None
            and history[s]["transaction"]["message"]["accountKeys"][0] == str(wallet)
        )

    async def edits(self, message_id: int, *, until: str, timeout_s: float = 20) -> list[str]:
        """The texts of every edit of one bot message, once one of them contains ``until``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            texts = [
                str(call["params"]["text"])
                for call in await self.harness.emulator.requests("editMessageText")
                if str(call["params"].get("message_id")) == str(message_id)
            ]
            if any(until in t for t in texts):
                return texts
            if loop.time() > deadline:
                raise AssertionError(f"message {message_id} never showed {until!r}: {texts}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def trade_bot(
    emulator: TelegramEmulator,
    db_url: str,
    tmp_path: Path,
    *,
    storage: BaseStorage | None = None,
    **overrides: Any,
) -> AsyncIterator[TradeBot]:
    """``storage``: where the dispatcher keeps conversation state (default: memory)."""
    async with SvmRpcServer() as node, JupiterServer(node) as jup:
        probe = Keypair().pubkey()
        node.airdrop(probe, SOL)
        mint = node.create_mint(6)
        pool = jup.add_pool(mint, POOL_TOKENS, POOL_SOL, FEE_BPS)
        node.revoke_mint_authority(mint)
        await store_market(db_url, mint, symbol="PEPE2", pool=(POOL_TOKENS, POOL_SOL))
        core_settings = trading_settings(
            rpc_url=node.url,
            jupiter_url=jup.url,
            probe=probe,
            keystore=tmp_path / "keystore.json",
            **{"jupiter_api": "v1", **overrides},  # the bot tests count Metis /swap calls
        )
        settings = BotSettings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=emulator.token,
            telegram_api_url=emulator.url,
            telegram_admin_ids=[9001],
            telegram_rate_per_min=600,
        )
        clock = Clock()
        services = BotServices.create(db_url, settings, clock=clock, core_settings=core_settings)
        await services.signals.save(
            [dataclasses.replace(ux_signal(), mint=str(mint), at=int(clock.now.timestamp()))]
        )
        bot = build_bot(emulator.token, emulator.url)
        dp = build_dispatcher(services, storage)
        polling = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, polling_timeout=1)
        )
        harness = BotHarness(emulator, services, bot, dp, clock)
        try:
            yield TradeBot(harness, node, jup, mint, pool)
        finally:
            await harness.dp.stop_polling()  # a test may have restarted the bot
            await polling
            await bot.session.close()
            await services.aclose()
