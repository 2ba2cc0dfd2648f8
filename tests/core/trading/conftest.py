"""A trading desk on local servers of the real protocols, for the executor tests.

``desk`` wires the production ``TradeExecutor`` to: a LiteSVM chain served over Solana JSON-RPC
(``SvmRpcServer``), a Jupiter swap API over pools on that chain (``JupiterServer``), an embedded
keystore wallet (real AES-GCM/scrypt, real ed25519 signatures checked by the runtime), a
migrated PostgreSQL database, and the production ``RiskService`` + sellability check as the
mint facts. Only two things are test-side: the liquidity figure (the pool's SOL reserve, read
from the chain) and the lander's ``sleep``, which moves the chain on by blocks instead of
waiting (so blockhash expiry happens at the height the client was told, without real time).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address

from core.chain.rpc_client import RpcClient
from core.risk.checks import RiskParams
from core.risk.sellability import check_sellability
from core.risk.service import RiskService
from core.storage.db import create_engine
from core.storage.models import User
from core.trading.audit import AuditTrail
from core.trading.confirm import TransactionLander
from core.trading.executor import OnUpdate, TradeExecutor
from core.trading.jupiter_client import JupiterClient
from core.trading.keystore import Keystore
from core.trading.policy import MintFacts, TradePolicy
from core.trading.positions import PositionBook
from core.trading.priority_fee import FeeBid, PriorityFeeEstimator
from core.trading.routes import JupiterRoute
from core.trading.trade_requests import TradeRequestStore
from core.trading.trade_types import Side, TradeOutcome, TradeRequest, TradeUpdate
from tests.jupiter_server import JupiterServer, Pool
from tests.svm_rpc import TOKEN_PROGRAM, SvmRpcServer, read_token_account

SOL = 10**9
POOL_TOKENS = 1_000_000 * 10**6
POOL_SOL = 100 * SOL
FEE_BPS = 25
WALLET_SOL = 10 * SOL
PROBE_SOL = SOL

OPEN_POLICY = TradePolicy(
    trading_enabled=True,
    max_trade_lamports=2 * SOL,
    daily_limit_lamports=5 * SOL,
    default_slippage_bps=100,
    max_slippage_bps=1_000,
    max_price_impact_pct=5.0,
    min_liquidity_lamports=10 * SOL,
    max_priority_fee_lamports=5_000_000,
)


@dataclass
class Desk:
    node: SvmRpcServer
    jup: JupiterServer
    rpc: RpcClient
    jupiter: JupiterClient
    store: TradeRequestStore
    audit: AuditTrail
    book: PositionBook
    keystore: Keystore
    wallet: Pubkey
    user_id: int
    mint: Pubkey
    pool: Pool
    db_url: str
    policy: TradePolicy = OPEN_POLICY
    updates: list[TradeUpdate] = field(default_factory=list)
    executors: list[TradeExecutor] = field(default_factory=list)
    _keys: int = 0
    now: float = 0.0

    def executor(self, **overrides: Any) -> TradeExecutor:
        risk = RiskService(
            self.rpc,
            RiskParams(),
            ttl_s=0,
            sellability=lambda mint: check_sellability(
                self.jupiter, self.rpc, mint, probe_wallet=str(self.probe)
            ),
        )

        async def facts(mint: str) -> MintFacts:
            pool = self.jup.pools.get(Pubkey.from_string(mint))
            liquidity = self.jup.reserves(pool)[1] if pool else None
            return MintFacts(await risk.report(mint), liquidity)

        async def policy_for(_user_id: int) -> TradePolicy:
            return self.policy

        async def advance(seconds: float) -> None:  # ~400 ms per block, as on mainnet
            self.now += seconds
            self.node.advance_blocks(max(1, round(seconds / 0.4)))

        options: dict[str, Any] = {
            "store": self.store,
            "rpc": self.rpc,
            "route": JupiterRoute(self.jupiter),
            "signer_for": self.keystore.signer,
            "policy_for": policy_for,
            "fees": PriorityFeeEstimator(self.rpc, FeeBid(75, 1_000, 100_000), ttl_s=0),
            "lander": TransactionLander(
                self.rpc, poll_s=0.4, rebroadcast_s=2.0, sleep=advance, clock=self.clock
            ),
            "facts": facts,
        }
        options.update(overrides)
        executor = TradeExecutor(**options)
        self.executors.append(executor)
        return executor

    def clock(self) -> float:
        """The chain's time: moves only when the lander sleeps (and the chain with it)."""
        return self.now

    @property
    def probe(self) -> Pubkey:
        return self._probe

    def request(
        self,
        side: Side,
        amount_raw: int,
        *,
        key: str | None = None,
        mint: Pubkey | None = None,
        **extra: Any,
    ) -> TradeRequest:
        self._keys += 1
        return TradeRequest(
            idempotency_key=key or f"tap-{self._keys}",
            user_id=self.user_id,
            wallet=str(self.wallet),
            side=side,
            mint=str(mint or self.mint),
            amount_raw=amount_raw,
            **extra,
        )

    async def execute(
        self, request: TradeRequest, executor: TradeExecutor | None = None
    ) -> TradeOutcome:
        on_update: OnUpdate = self.updates.append
        return await (executor or self.executors[0]).execute(request, on_update)

    def sol(self) -> int:
        return self.node.svm.get_balance(self.wallet) or 0

    def tokens(self, mint: Pubkey | None = None) -> int:
        ata = get_associated_token_address(self.wallet, mint or self.mint, TOKEN_PROGRAM)
        account = self.node.svm.get_account(ata)
        view = read_token_account(bytes(account.data)) if account else None
        return view.amount_raw if view else 0

    def landed_swaps(self) -> int:
        """Transactions the wallet signed that landed without error ("executions")."""
        wallet = str(self.wallet)
        landed = [self.node._history[s] for s in self.node._signatures_of.get(wallet, [])]
        return sum(
            1
            for tx in landed
            if tx["meta"]["err"] is None
            and tx["transaction"]["message"]["accountKeys"][0] == wallet
        )

    def wallet_swaps(self) -> list[dict[str, Any]]:
        """/swap requests for the trading wallet (the honeypot check builds its own for a
        probe wallet)."""
        return [
            c for c in self.jup.calls_to("swap") if c["json"]["userPublicKey"] == str(self.wallet)
        ]

    def with_policy(self, **changes: Any) -> None:
        self.policy = dataclasses.replace(self.policy, **changes)

    def new_mint(self, *, freeze_authority: Pubkey | None = None, revoke: bool = True) -> Pubkey:
        mint = self.node.create_mint(6, freeze_authority=freeze_authority)
        self.jup.add_pool(
            mint,
            POOL_TOKENS,
            POOL_SOL,
            FEE_BPS,
            freeze_user_accounts=freeze_authority == self.jup.authority.pubkey(),
        )
        if revoke:
            self.node.revoke_mint_authority(mint)
        return mint

    _probe: Pubkey = field(default_factory=lambda: Keypair().pubkey())


async def make_user(db_url: str) -> int:
    engine = create_engine(db_url)
    users: sa.Table = User.__table__  # type: ignore[attr-defined]
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                users.insert()
                .values(language="en", role="registered", settings={"trading_enabled": True})
                .returning(users.c.id)
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


@pytest.fixture
async def desk(migrated_pg_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    db_url = migrated_pg_url
    async with SvmRpcServer() as node, JupiterServer(node) as jup:
        rpc = RpcClient(node.url, max_retries=0, timeout_s=5)
        jupiter = JupiterClient(jup.url, max_retries=0)
        store = TradeRequestStore(db_url)
        keystore = Keystore.create(
            tmp_path / "keystore.json", "correct horse battery", scrypt_n=2**10
        )
        wallet = keystore.new_wallet("trading")
        node.airdrop(wallet, WALLET_SOL)
        probe = Keypair().pubkey()
        node.airdrop(probe, PROBE_SOL)
        mint = node.create_mint(6)
        pool = jup.add_pool(mint, POOL_TOKENS, POOL_SOL, FEE_BPS)
        node.revoke_mint_authority(mint)
        desk = Desk(
            node=node,
            jup=jup,
            rpc=rpc,
            jupiter=jupiter,
            store=store,
            audit=AuditTrail(db_url),
            book=PositionBook(db_url),
            keystore=keystore,
            wallet=wallet,
            user_id=await make_user(db_url),
            mint=mint,
            pool=pool,
            db_url=db_url,
            _probe=probe,
        )
        desk.executor()
        try:
            yield desk
        finally:
            await rpc.aclose()
            await jupiter.aclose()
            await store.aclose()
            await desk.audit.aclose()
            await desk.book.aclose()
