"""TradingService: what a chat bot (or any front end) uses to trade for its users.

Built from ``Settings`` (``from_settings``) exactly as production runs it: an ``RpcClient`` on
the first ``SOLANA_RPC_URLS`` entry, the Jupiter route (``JUPITER_BASE_URL``; ``JUPITER_API``
picks V2 ``/build`` or Metis v1; ``TRADING_PUMP_CURVE_ROUTE=fallback`` adds the Pump.fun curve
for mints Jupiter has no route for), the signer backend (``SIGNER_BACKEND``: the keystore unlocked
by ``KEYSTORE_PASSPHRASE``, or Vault Transit), each user's policy (``TRADING_*`` lowered by the
user's own limits) and the mint facts every buy is checked against: the ``RiskService`` report
(authorities; the honeypot probe through Jupiter and ``HONEYPOT_PROBE_WALLET``) and the SOL
liquidity of the token's curve or pool as the stored trades and pools tell it
(``TokenSnapshots``).

It answers with plain data (``TradingStatus``, ``WalletView``, ``PositionValue``,
``TradeOutcome``); wording is the caller's. Trades go through ``TradeExecutor`` with the
caller's idempotency key: asking again with a key already used replays the stored request (a
sell's size is fixed when it is first asked for), so a double tap never trades twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
import structlog
from prometheus_client import Counter
from solders.pubkey import Pubkey
from sqlalchemy.ext.asyncio import AsyncEngine

from core.chain.rpc_client import RpcClient
from core.config import EXAMPLES, Settings
from core.decode.accounts import decode_mint
from core.errors import (
    ConfigError,
    DecodeError,
    RpcError,
    Text,
    UpstreamError,
    UserInputError,
)
from core.market.snapshot import TokenSnapshots
from core.risk import CheckResult, RiskParams, RiskService
from core.risk.curve_sellability import check_curve_sellability
from core.risk.sellability import check_sellability
from core.storage.models import Token
from core.trading.audit import AuditTrail
from core.trading.confirm import TransactionLander
from core.trading.execution import ASSOCIATED_TOKEN_PROGRAM, outcome_of
from core.trading.executor import OnUpdate, TradeExecutor
from core.trading.jupiter_build_route import jupiter_route
from core.trading.jupiter_client import JupiterClient
from core.trading.keystore import Keystore, parse_keypair
from core.trading.policy import MintFacts, TradePolicy
from core.trading.positions import PositionBook, PositionView, unrealized_pnl_lamports
from core.trading.priority_fee import FeeBid, PriorityFeeEstimator
from core.trading.pump_curve_route import PumpCurveRoute
from core.trading.route_choice import trade_route
from core.trading.trade_requests import TradeRecord, TradeRequestStore
from core.trading.trade_types import Side, TradeOutcome, TradeRequest, TradeState
from core.trading.user_wallets import UserWallet, UserWallets, WalletBackend, WalletOrigin
from core.trading.vault_signer import VaultTransit
from core.trading.wallet_signers import KeystoreBackend, SignerBackend, VaultBackend

log = structlog.get_logger(__name__)

TOKENS: sa.Table = Token.__table__  # type: ignore[attr-defined]
WALLET_ACTIONS = Counter(
    "solsignals_trading_wallet_actions_total",
    "Trading wallet actions by action (created, imported, exported, enabled, disabled)",
    ["action"],
)
# "this wallet's key is held by {backend}", in words a user can translate
_HOLDERS: Mapping[WalletBackend, Text] = {
    WalletBackend.KEYSTORE: Text("the bot's keystore"),
    WalletBackend.VAULT: Text("Vault"),
    WalletBackend.EXTERNAL: Text("your own wallet app"),
}


class NoTradingWallet(UserInputError):
    """The user has no active trading wallet (``/trading on`` creates one)."""


class NothingToSell(UserInputError):
    """The wallet holds none of the token (or the share asked for is less than one unit)."""

    def __init__(self, mint: str) -> None:
        self.mint = mint
        super().__init__("the wallet holds none of {mint}: nothing to sell", mint=mint)


@dataclass(frozen=True, slots=True)
class TradingStatus:
    operator_enabled: bool
    user_enabled: bool
    wallet: UserWallet | None
    policy: TradePolicy  # the user's limits (the operator's, lowered by the user's own)
    spent_today_lamports: int

    @property
    def enabled(self) -> bool:
        return self.operator_enabled and self.user_enabled and self.wallet is not None


@dataclass(frozen=True, slots=True)
class WalletView:
    wallet: UserWallet
    balance_lamports: int | None  # None: the RPC node did not answer
    exportable: bool


@dataclass(frozen=True, slots=True)
class TokenInfo:
    mint: str
    symbol: str | None
    decimals: int | None


@dataclass(frozen=True, slots=True)
class PositionValue:
    position: PositionView
    token: TokenInfo
    value_lamports: int | None  # what selling the held tokens would pay now; None: no quote
    pnl_lamports: int | None

    @property
    def pnl_pct(self) -> float | None:
        cost = self.position.holding.cost_lamports
        if self.pnl_lamports is None or cost <= 0:
            return None
        return self.pnl_lamports / cost * 100


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _sellability(
    jupiter: JupiterClient, rpc: RpcClient, probe_wallet: str | None, *, curve_fallback: bool
) -> Callable[[str], Awaitable[CheckResult]] | None:
    """The honeypot probe (a simulated buy-then-sell for the probe wallet), when one is set;
    with ``curve_fallback`` (``TRADING_PUMP_CURVE_ROUTE=fallback``) on the Pump.fun curve of a
    mint Jupiter has no route for."""
    if probe_wallet is None:
        return None
    wallet = probe_wallet
    on_no_route = check_curve_sellability if curve_fallback else None

    async def probe(mint: str) -> CheckResult:
        return await check_sellability(
            jupiter, rpc, mint, probe_wallet=wallet, on_no_route=on_no_route
        )

    return probe


class TradingService:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: AsyncEngine,
        rpc: RpcClient,
        jupiter: JupiterClient,
        signers: SignerBackend,
        risk: RiskService,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.settings = settings
        self.rpc = rpc
        self.jupiter = jupiter
        self.signers = signers
        self.risk = risk
        self.route = trade_route(  # JUPITER_API, TRADING_PUMP_CURVE_ROUTE
            settings.trading_pump_curve_route,
            jupiter_route(settings.jupiter_api, jupiter, rpc),
            PumpCurveRoute(rpc),
        )
        self.wallets = UserWallets(engine=engine, clock=clock)
        self.store = TradeRequestStore(engine=engine, clock=clock)
        self.book = PositionBook(engine=engine, clock=clock)
        self.audit = AuditTrail(engine=engine, clock=clock)
        self.snapshots = TokenSnapshots(engine=engine, clock=clock)
        self._engine = engine
        self._decimals: dict[str, int] = {}
        self._user_locks: dict[int, asyncio.Lock] = {}
        self._running: set[str] = set()  # idempotency keys executing in this process
        self.executor = TradeExecutor(
            store=self.store,
            rpc=rpc,
            route=self.route,
            signer_for=signers.signer,
            policy_for=self.policy_for,
            fees=PriorityFeeEstimator(
                rpc,
                FeeBid(
                    settings.trading_priority_fee_percentile,
                    settings.trading_priority_fee_min_micro_lamports,
                    settings.trading_priority_fee_max_micro_lamports,
                ),
            ),
            lander=TransactionLander(
                rpc,
                poll_s=settings.trading_confirm_poll_ms / 1000,
                rebroadcast_s=settings.trading_rebroadcast_ms / 1000,
            ),
            facts=self.facts,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, engine: AsyncEngine) -> TradingService:
        """Everything from the settings; a missing or wrong one is a ``ConfigError``."""
        if not settings.solana_rpc_urls:
            raise ConfigError(
                "SOLANA_RPC_URLS",
                "not set: trading needs an RPC node",
                EXAMPLES["SOLANA_RPC_URLS"],
            )
        if not settings.jupiter_base_url:
            raise ConfigError(
                "JUPITER_BASE_URL",
                "not set: trades are routed by Jupiter",
                EXAMPLES["JUPITER_BASE_URL"],
            )
        probe = settings.honeypot_probe_wallet
        if probe is None and settings.trading_require_honeypot_check:
            raise ConfigError(
                "HONEYPOT_PROBE_WALLET",
                "not set: without the sellability check every buy would be refused "
                "(or set TRADING_REQUIRE_HONEYPOT_CHECK=false)",
                EXAMPLES["HONEYPOT_PROBE_WALLET"],
            )
        signers: SignerBackend
        if settings.signer_backend == "vault":
            signers = VaultBackend(VaultTransit.from_settings(settings))
        else:
            signers = KeystoreBackend(Keystore.from_settings(settings))
        rpc = RpcClient(settings.solana_rpc_urls[0])
        key = settings.jupiter_api_key.get_secret_value() if settings.jupiter_api_key else None
        jupiter = JupiterClient(settings.jupiter_base_url, api_key=key)
        curve_fallback = settings.trading_pump_curve_route == "fallback"
        sellability = _sellability(jupiter, rpc, probe, curve_fallback=curve_fallback)
        risk = RiskService(rpc, RiskParams(), sellability=sellability)
        return cls(
            settings=settings, engine=engine, rpc=rpc, jupiter=jupiter, signers=signers, risk=risk
        )

    async def aclose(self) -> None:
        await self.rpc.aclose()
        await self.jupiter.aclose()
        if isinstance(self.signers, VaultBackend):
            self.signers.transit.close()

    # ---- what the executor asks ---------------------------------------------------------------

    async def policy_for(self, user_id: int) -> TradePolicy:
        return TradePolicy.from_settings(self.settings, await self.wallets.settings_of(user_id))

    async def facts(self, mint: str) -> MintFacts:
        """The risk report and the SOL liquidity (curve or pool, from the stored market)."""
        snapshot, report = await asyncio.gather(
            self.snapshots.snapshot(mint), self.risk.report(mint, dev_sold=None)
        )
        return MintFacts(report, snapshot.liquidity_lamports)

    # ---- the user's set-up ----------------------------------------------------------------------

    async def status(self, user_id: int) -> TradingStatus:
        settings = await self.wallets.settings_of(user_id)
        return TradingStatus(
            operator_enabled=self.settings.trading_enabled,
            user_enabled=settings.trading_enabled,
            wallet=await self.wallets.active(user_id),
            policy=TradePolicy.from_settings(self.settings, settings),
            spent_today_lamports=await self.store.spent_today(user_id),
        )

    async def create_wallet(self, user_id: int) -> UserWallet:
        """The user's active wallet, created (by the signer backend) when they have none."""
        async with self._lock(user_id):
            current = await self.wallets.active(user_id)
            if current is not None:
                return current
            n = len(await self.wallets.of_user(user_id))
            address, key_ref = await self.signers.new_wallet(user_id, n)
            wallet = await self.wallets.activate(
                user_id,
                address,
                self.signers.backend,
                origin=WalletOrigin.CREATED,
                key_ref=key_ref,
            )
        WALLET_ACTIONS.labels("created").inc()
        log.info("trading_wallet_created", user_id=user_id, wallet=address)
        return wallet

    async def import_wallet(self, user_id: int, secret_key: str) -> UserWallet:
        """Make an existing keypair (base58 or JSON array) the user's wallet. Trading goes off
        when it replaces another wallet; the secret is never logged."""
        address = str(parse_keypair(secret_key).pubkey())
        owner = await self.wallets.by_address(address)
        if owner is not None and owner.user_id != user_id:
            raise UserInputError("this wallet is already the trading wallet of another account")
        async with self._lock(user_id):
            self.signers.import_key(secret_key, user_id)
            wallet = await self.wallets.activate(
                user_id, address, self.signers.backend, origin=WalletOrigin.IMPORTED
            )
        WALLET_ACTIONS.labels("imported").inc()
        log.info("trading_wallet_imported", user_id=user_id, wallet=address)
        return wallet

    async def set_trading(
        self, user_id: int, enabled: bool, *, expect_address: str | None = None
    ) -> TradingStatus:
        if enabled and not self.settings.trading_enabled:
            raise UserInputError("trading is not enabled on this bot")
        await self.wallets.set_trading(user_id, enabled, expect_address=expect_address)
        WALLET_ACTIONS.labels("enabled" if enabled else "disabled").inc()
        return await self.status(user_id)

    async def wallet(self, user_id: int) -> WalletView | None:
        wallet = await self.wallets.active(user_id)
        if wallet is None:
            return None
        try:
            balance: int | None = await self.rpc.get_balance(wallet.address)
        except UpstreamError as exc:
            log.warning(
                "trading_wallet_balance_unavailable", wallet=wallet.address, error=str(exc)
            )
            balance = None
        exportable = wallet.backend is WalletBackend.KEYSTORE and isinstance(
            self.signers, KeystoreBackend
        )
        return WalletView(wallet, balance, exportable)

    @staticmethod
    def export_phrase(wallet: UserWallet) -> str:
        """What the user types to confirm an export of ``wallet``'s key."""
        return f"EXPORT {wallet.address[:8]}"

    async def export_key(self, user_id: int, confirm: str) -> str:
        """The active wallet's secret key (base58), only with the typed confirmation."""
        wallet = await self._wallet(user_id)
        if wallet.backend is not self.signers.backend:
            raise UserInputError(
                "this wallet's key is held by {backend}", backend=_HOLDERS[wallet.backend]
            )
        secret = self.signers.export(wallet.address, confirm)
        await self.audit.append(
            actor=f"user:{user_id}", action="wallet.exported", subject=f"wallet:{wallet.address}"
        )
        WALLET_ACTIONS.labels("exported").inc()
        return secret

    # ---- trading ---------------------------------------------------------------------------

    async def buy(
        self, user_id: int, mint: str, lamports: int, key: str, on_update: OnUpdate | None = None
    ) -> TradeOutcome:
        """Spend ``lamports`` on ``mint`` from the user's wallet (once per ``key``)."""
        existing = await self.store.get(key)
        if existing is not None:
            return await self._replay(existing, user_id, on_update)
        wallet = await self._wallet(user_id)
        request = TradeRequest(key, user_id, wallet.address, Side.BUY, mint, lamports)
        await self.signers.prepare(wallet)
        return await self._execute(request, on_update)

    async def sell(
        self, user_id: int, mint: str, percent: int, key: str, on_update: OnUpdate | None = None
    ) -> TradeOutcome:
        """Sell ``percent`` (1-100) of the wallet's ``mint`` tokens (once per ``key``: the size
        is fixed the first time)."""
        if not 1 <= percent <= 100:
            raise UserInputError(
                "the share to sell must be 1-100 %, got {percent}", percent=percent
            )
        existing = await self.store.get(key)
        if existing is not None:
            return await self._replay(existing, user_id, on_update)
        wallet = await self._wallet(user_id)
        held = await self.token_balance(wallet.address, mint)
        amount = held if percent == 100 else held * percent // 100
        if amount <= 0:
            raise NothingToSell(mint)
        request = TradeRequest(key, user_id, wallet.address, Side.SELL, mint, amount)
        await self.signers.prepare(wallet)
        return await self._execute(request, on_update)

    async def trade_of(self, key: str) -> TradeRecord | None:
        return await self.store.get(key)

    async def positions(self, user_id: int) -> list[PositionValue]:
        """Open positions, newest first, valued by a sell quote of the tokens held."""
        views = await self.book.of_user(user_id)
        policy = await self.policy_for(user_id)

        async def value(view: PositionView) -> PositionValue:
            token = await self.token_info(view.mint)
            tokens = view.holding.token_amount_raw
            worth: int | None = None
            if tokens > 0:
                try:
                    quote = await self.route.quote(
                        Side.SELL, view.mint, tokens, slippage_bps=policy.default_slippage_bps
                    )
                    worth = quote.out_amount_raw
                except (UpstreamError, ValueError) as exc:
                    log.info("position_quote_unavailable", mint=view.mint, error=str(exc))
            pnl = unrealized_pnl_lamports(view.holding, worth) if worth is not None else None
            return PositionValue(view, token, worth, pnl)

        return list(await asyncio.gather(*(value(v) for v in views)))

    async def token_info(self, mint: str) -> TokenInfo:
        """Symbol (stored tokens) and decimals (stored, else the mint account on chain)."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(TOKENS.c.symbol, TOKENS.c.decimals).where(TOKENS.c.mint == mint)
                )
            ).first()
        symbol = row.symbol if row else None
        decimals = row.decimals if row and row.decimals is not None else self._decimals.get(mint)
        if decimals is None:
            try:
                account = await self.rpc.get_account_info(mint)
                if account is not None and isinstance(account.data, bytes):
                    decimals = decode_mint(account.data, account.owner).decimals
                    self._decimals[mint] = decimals
            except (UpstreamError, DecodeError) as exc:
                log.info("token_decimals_unavailable", mint=mint, error=str(exc))
        return TokenInfo(mint, symbol, decimals)

    async def token_balance(self, wallet: str, mint: str) -> int:
        """Raw units of ``mint`` in the wallet's associated token account (0 when none)."""
        account = await self.rpc.get_account_info(mint)
        if account is None:
            return 0
        ata, _ = Pubkey.find_program_address(
            [
                bytes(Pubkey.from_string(wallet)),
                bytes(Pubkey.from_string(account.owner)),
                bytes(Pubkey.from_string(mint)),
            ],
            ASSOCIATED_TOKEN_PROGRAM,
        )
        try:
            return (await self.rpc.get_token_account_balance(str(ata))).amount_raw
        except RpcError as exc:
            if exc.code == -32602:  # no such token account: the wallet never held the token
                return 0
            raise

    # ---- internals -------------------------------------------------------------------------

    async def _wallet(self, user_id: int) -> UserWallet:
        wallet = await self.wallets.active(user_id)
        if wallet is None:
            raise NoTradingWallet("no trading wallet yet: /trading on creates one")
        return wallet

    async def _replay(
        self, record: TradeRecord, user_id: int, on_update: OnUpdate | None
    ) -> TradeOutcome:
        """The stored request of a key, executed again: the first outcome, or a resume."""
        if record.user_id != user_id:
            raise UserInputError("this trade key belongs to another account")
        request = TradeRequest(
            record.idempotency_key,
            record.user_id,
            record.wallet,
            record.side,
            record.mint,
            record.amount_raw,
            slippage_bps=record.slippage_bps,
        )
        wallet = await self.wallets.by_address(record.wallet)
        if wallet is not None:
            await self.signers.prepare(wallet)
        return await self._execute(request, on_update)

    async def _execute(self, request: TradeRequest, on_update: OnUpdate | None) -> TradeOutcome:
        """One execution per key at a time in this process. (The executor's lease keeps other
        processes out, but one executor would lease a key to itself twice.) A second call
        while the first runs gets where the trade stands (``in_progress``), at once."""
        key = request.idempotency_key
        if key in self._running:
            record = await self.store.get(key)
            if record is not None and record.state.terminal:
                return outcome_of(record, replayed=True)
            if record is not None:
                return outcome_of(record, in_progress=True)
            return TradeOutcome(
                key, TradeState.REQUESTED, request.side, request.mint, in_progress=True
            )
        self._running.add(key)
        try:
            return await self.executor.execute(request, on_update)
        finally:
            self._running.discard(key)

    def _lock(self, user_id: int) -> asyncio.Lock:
        return self._user_locks.setdefault(user_id, asyncio.Lock())
