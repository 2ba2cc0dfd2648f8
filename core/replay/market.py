"""A deterministic simulated Pump.fun market: launches, curve trading, migrations, rugs.

Everything comes from one ``random.Random(seed)`` and the simulated clock: the same seed and
start give the same transactions, byte for byte. Simulated time advances with the events (no wall
clock); slots advance ``SLOTS_PER_S`` per simulated second.

Token kinds (ground truth in ``planted_winners``, ``rugs``, ``dead_tokens``):
- winner: 2-4 smart wallets buy in the first ~40 s, then strong buying follows (which usually
  completes the curve → CompleteEvent → PumpSwap pool → pool trading), then it fades.
- rug: a large developer buy and insider buys, organic buying, then the developer and insiders
  sell everything within seconds and the price crashes.
- dead: a developer buy and a handful of trades.
- normal: organic random trading that decays over a few minutes (smart wallets sometimes buy
  these too, so a smart buy alone is not a certain signal).

``preexisting_pools`` tokens migrated to PumpSwap before the stream starts (ground truth in
``preexisting_pool_mints``): no CreateEvent / CompleteEvent / CreatePoolEvent of theirs is ever
streamed, only steady pool Buy / SellEvents (about 0.5 a second per pool; sellers are holders
from before). With 3 such pools they carry about 3 % of the transactions and of the SOL volume of
a default market. Drawing them uses the generator only when ``preexisting_pools > 0``: with 0, a
seed gives the same transactions as it always did.

Account state (``account(address)``): every Pump.fun mint from the launch transaction on, every
PumpSwap pool from its migration transaction on (pre-existing ones from the start), and the WSOL
mint; see ``core.replay.accounts.AccountBook``.

Token accounts (``largest_token_accounts(mint)``, what ``getTokenLargestAccounts`` answers): each
holder's associated token account, the bonding curve's vault while the token is on the curve
(derived as ``core.risk.vaults.bonding_curve_vault`` derives it, so the risk service recognises
it) and the PumpSwap pool's base vault after migration. For a launched token the balances add up
to the supply: the vault holds the unsold ``real_token_reserves`` plus the part of the supply kept
back for the pool, which moves to the pool's base vault at migration.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from math import exp, inf, log, sqrt

from core.programs import LAMPORTS_PER_SOL, PROGRAM_IDS, Program
from core.replay import events, txlogs
from core.replay.accounts import Account, AccountBook, associated_token_address
from core.replay.ledger import ReplayTx
from core.replay.names import KeyMaker, token_identity
from core.replay.pricing import (
    INITIAL_REAL_TOKEN_RESERVES_RAW,
    MIGRATION_FEE_LAMPORTS,
    TOKEN_TOTAL_SUPPLY_RAW,
    CurveState,
    PoolState,
    initial_lp_supply,
)
from core.risk.vaults import bonding_curve_vault

SLOTS_PER_S = 2.5
PUMP_ID = PROGRAM_IDS[Program.PUMP]
PUMP_AMM_ID = PROGRAM_IDS[Program.PUMP_AMM]
CURVE_RESERVED_RAW = TOKEN_TOTAL_SUPPLY_RAW - INITIAL_REAL_TOKEN_RESERVES_RAW
"""Tokens the bonding curve vault holds beyond ``real_token_reserves``: kept back for the pool."""
ATA_CACHE_SIZE = 100_000
"""Associated token addresses kept (``(owner, mint)`` → address); the oldest go first."""


class TokenKind(StrEnum):
    WINNER = "winner"
    RUG = "rug"
    DEAD = "dead"
    NORMAL = "normal"


class _Act(IntEnum):
    ORGANIC = 0
    SPECIAL_BUY = 1  # smart wallet or insider buy
    SPECIAL_SELL = 2  # smart wallet or insider sells its whole position
    RUG = 3  # developer sells everything
    MIGRATE = 4


@dataclass(slots=True)
class _Token:
    mint: str
    bonding_curve: str
    creator: str
    kind: TokenKind
    created_at: float
    end_at: float
    curve: CurveState = field(default_factory=CurveState)
    holders: dict[str, int] = field(default_factory=dict)  # organic holders, raw tokens
    special: dict[str, int] = field(default_factory=dict)  # dev / insiders / smart wallets
    pool: PoolState | None = None
    pool_address: str | None = None
    migrating: bool = False
    boost_from: float = 0.0
    boost_until: float = 0.0
    rugged: bool = False
    peak_price: float = 0.0
    regime: _Regime | None = None  # fixed trading regime (pre-existing pools)
    curve_vault: str | None = None  # bonding curve token account, derived when first asked


@dataclass(frozen=True, slots=True)
class _Regime:
    rate_per_s: float
    buy_probability: float
    median_sol: float


class SimulatedMarket:
    """Seeded market simulation; iterate ``transactions()`` for ``ReplayTx`` in time order."""

    def __init__(
        self,
        seed: int,
        *,
        launches_per_min: float = 30.0,
        smart_wallets: int = 20,
        organic_traders: int = 2000,
        winner_share: float = 0.1,
        rug_share: float = 0.15,
        dead_share: float = 0.35,
        failed_share: float = 0.005,
        preexisting_pools: int = 0,
    ) -> None:
        if launches_per_min <= 0:
            raise ValueError("launches_per_min must be > 0")
        if preexisting_pools < 0:
            raise ValueError("preexisting_pools must be >= 0")
        self._rng = random.Random(seed)
        self._keys = KeyMaker(self._rng)
        self._launch_rate_per_s = launches_per_min / 60.0
        self._kind_weights = (
            winner_share,
            rug_share,
            dead_share,
            max(0.0, 1.0 - winner_share - rug_share - dead_share),
        )
        self._failed_share = failed_share
        self._smart = [self._keys.pubkey() for _ in range(smart_wallets)]
        self._traders = [self._keys.pubkey() for _ in range(max(1, organic_traders))]
        self._fee_recipients = [self._keys.pubkey() for _ in range(8)]
        self._migration_authority = self._keys.pubkey()
        self._amm_accounts = {
            "user_base": self._keys.pubkey(),
            "user_quote": self._keys.pubkey(),
            "fee_recipient": self._keys.pubkey(),
            "fee_recipient_ata": self._keys.pubkey(),
        }
        self.smart_wallets: set[str] = set(self._smart)
        self.planted_winners: set[str] = set()
        self.rugs: set[str] = set()
        self.dead_tokens: set[str] = set()
        self.completed: set[str] = set()
        self.winner_peaks: dict[str, int] = {}
        """Winner mint → block time of its highest price so far."""
        self.rug_times: dict[str, int] = {}
        """Rug mint → block time of the developer's dump."""
        self._heap: list[tuple[float, int, _Token, _Act, str]] = []
        self._seq = 0
        self._start_slot = 0
        self._start_time = 0
        self._accounts = AccountBook()
        self._tokens: dict[str, _Token] = {}
        self._atas: dict[tuple[str, str], str] = {}
        self.preexisting_pool_mints: dict[str, str] = {}
        """Pool address → base mint of every pool that existed before the stream started."""
        self._preexisting = [self._preexisting_pool() for _ in range(preexisting_pools)]

    def account(self, address: str) -> Account | None:
        """``(owner program id, data)`` of an account that exists by now, else None."""
        return self._accounts.get(address)

    def largest_token_accounts(self, mint: str, limit: int = 20) -> list[tuple[str, int]] | None:
        """The ``limit`` largest token accounts of ``mint`` by now as ``(address, raw balance)``,
        largest first (ties by owner); None for a mint not launched (yet). Empty accounts are
        left out. Only the ``limit`` largest owners' addresses are derived (and cached)."""
        token = self._tokens.get(mint)
        if token is None:
            return None
        balances = dict(token.holders)
        for owner, amount in token.special.items():
            balances[owner] = balances.get(owner, 0) + amount
        if token.pool is not None and token.pool_address is not None:
            # the pool's base vault: the ATA of the pool, as AccountBook writes it in the Pool
            balances[token.pool_address] = token.pool.base_reserve_raw
        top = heapq.nlargest(limit, ((a, o) for o, a in balances.items() if a > 0))
        rows = [(self._ata(owner, mint), amount) for amount, owner in top]
        if token.pool is None:  # on the curve (or migrating): the vault holds the unsold rest
            if token.curve_vault is None:
                token.curve_vault = bonding_curve_vault(mint)
            rows.append((token.curve_vault, token.curve.real_token_reserves + CURVE_RESERVED_RAW))
            rows.sort(key=lambda row: -row[1])
            del rows[limit:]
        return rows

    def _ata(self, owner: str, mint: str) -> str:
        key = (owner, mint)
        address = self._atas.get(key)
        if address is None:
            if len(self._atas) >= ATA_CACHE_SIZE:
                del self._atas[next(iter(self._atas))]
            address = self._atas[key] = associated_token_address(owner, mint)
        return address

    # -- driving --------------------------------------------------------------------------

    def transactions(
        self, start_slot: int, start_time: int, *, limit: int | None = None
    ) -> Iterator[ReplayTx]:
        """Transactions in simulated-time order; infinite unless ``limit`` is given."""
        self._start_slot, self._start_time = start_slot, start_time
        rng = self._rng
        next_launch = start_time + rng.expovariate(self._launch_rate_per_s)
        for token in self._preexisting:
            assert token.regime is not None
            token.created_at = start_time
            self._schedule(
                start_time + rng.expovariate(token.regime.rate_per_s), token, _Act.ORGANIC
            )
        self._preexisting = []
        produced = 0
        heap = self._heap
        while limit is None or produced < limit:
            if heap and heap[0][0] < next_launch:
                now, _, token, act, wallet = heapq.heappop(heap)
                tx = self._act(token, act, wallet, now)
            else:
                now = next_launch
                next_launch += rng.expovariate(self._launch_rate_per_s)
                tx = self._launch(now)
            if tx is not None:
                produced += 1
                yield tx

    def _schedule(self, when: float, token: _Token, act: _Act, wallet: str = "") -> None:
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, token, act, wallet))

    def _tx(
        self, now: float, logs: tuple[str, ...], mentions: frozenset[str], err: object = None
    ) -> ReplayTx:
        return ReplayTx(
            signature=self._keys.signature(),
            slot=self._start_slot + int((now - self._start_time) * SLOTS_PER_S),
            block_time=int(now),
            logs=logs,
            mentions=mentions,
            err=err,
        )

    def _sol(self, median_sol: float) -> int:
        return max(10_000_000, int(self._rng.lognormvariate(0.0, 0.8) * median_sol * 1e9))

    # -- launches -------------------------------------------------------------------------

    def _launch(self, now: float) -> ReplayTx:
        rng = self._rng
        keys = self._keys
        kind = rng.choices(list(TokenKind), weights=self._kind_weights)[0]
        mint, curve_addr, creator = keys.pubkey(), keys.pubkey(), keys.pubkey()
        life_s = {
            TokenKind.WINNER: 1200.0,
            TokenKind.RUG: 400.0,
            TokenKind.DEAD: rng.uniform(30, 180),
            TokenKind.NORMAL: rng.uniform(120, 600),
        }[kind]
        token = _Token(mint, curve_addr, creator, kind, now, now + life_s)
        dev_sol = {
            TokenKind.WINNER: rng.uniform(0.5, 2.0),
            TokenKind.RUG: rng.uniform(2.0, 5.0),
            TokenKind.DEAD: rng.uniform(0.05, 0.5),
            TokenKind.NORMAL: rng.uniform(0.1, 1.5),
        }[kind]
        self._plan(token, now)
        self._accounts.add_pump_mint(mint)
        self._tokens[mint] = token
        name, symbol, uri = token_identity(rng)
        ts = int(now)
        create = events.create_line(
            name=name,
            symbol=symbol,
            uri=uri,
            mint=mint,
            bonding_curve=curve_addr,
            creator=creator,
            ts=ts,
        )
        spent, tokens = token.curve.buy(int(dev_sol * LAMPORTS_PER_SOL))
        token.special[creator] = tokens
        buy = self._trade_line(token, creator, True, spent, tokens, ts)
        self._note_price(token, ts)
        logs = txlogs.pump_create_logs(create, (buy,), rng.randint(110_000, 130_000))
        mentions = txlogs.PUMP_CREATE_PROGRAMS | {mint, creator}
        self._schedule(now + rng.expovariate(1.0), token, _Act.ORGANIC)
        return self._tx(now, logs, mentions)

    def _preexisting_pool(self) -> _Token:
        """A token that completed its curve and migrated before the stream: its pool, holders
        and a steady trading regime (price already moved away from the migration price)."""
        rng, keys = self._rng, self._keys
        mint, creator, pool_address, lp_mint = (keys.pubkey() for _ in range(4))
        token = _Token(mint, keys.pubkey(), creator, TokenKind.NORMAL, 0.0, inf)
        token.curve.buy(TOKEN_TOTAL_SUPPLY_RAW)  # capped: exactly completes the curve
        base_raw = TOKEN_TOTAL_SUPPLY_RAW - INITIAL_REAL_TOKEN_RESERVES_RAW
        quote_lamports = token.curve.real_sol_reserves - MIGRATION_FEE_LAMPORTS
        moved = sqrt(rng.lognormvariate(0.5, 1.0))  # price multiple since migration, k kept
        token.pool = PoolState(int(base_raw / moved), int(quote_lamports * moved))
        token.pool_address = pool_address
        for _ in range(rng.randint(20, 60)):
            wallet = rng.choice(self._traders)
            held = int(TOKEN_TOTAL_SUPPLY_RAW * rng.uniform(0.0005, 0.01))
            token.holders[wallet] = token.holders.get(wallet, 0) + held
        token.regime = _Regime(
            rate_per_s=rng.lognormvariate(log(0.5), 0.5),
            buy_probability=rng.uniform(0.45, 0.6),
            median_sol=rng.uniform(0.3, 1.5),
        )
        self._accounts.add_pump_mint(mint)
        self._tokens[mint] = token
        self._accounts.add_pump_swap_pool(
            pool=pool_address,
            base_mint=mint,
            creator=self._migration_authority,
            lp_mint=lp_mint,
            lp_supply=initial_lp_supply(base_raw, quote_lamports),
            coin_creator=creator,
        )
        self.preexisting_pool_mints[pool_address] = mint
        return token

    def _plan(self, token: _Token, now: float) -> None:
        """Ground truth and scripted actions (smart buys, insider buys, the rug) of a launch."""
        rng = self._rng
        if token.kind is TokenKind.WINNER:
            self.planted_winners.add(token.mint)
            buyers = rng.sample(self._smart, min(len(self._smart), rng.randint(2, 4)))
            last = now
            for wallet in buyers:
                when = now + rng.uniform(3.0, 40.0)
                last = max(last, when)
                self._schedule(when, token, _Act.SPECIAL_BUY, wallet)
            token.boost_from = last + rng.uniform(2.0, 10.0)
            token.boost_until = token.boost_from + rng.uniform(90.0, 240.0)
            for wallet in buyers:
                self._schedule(
                    token.boost_until + rng.uniform(30.0, 180.0), token, _Act.SPECIAL_SELL, wallet
                )
        elif token.kind is TokenKind.RUG:
            self.rugs.add(token.mint)
            rug_at = now + rng.uniform(30.0, 150.0)
            token.end_at = rug_at + 240.0
            self._schedule(rug_at, token, _Act.RUG, token.creator)
            for _ in range(rng.randint(2, 4)):
                insider = self._keys.pubkey()
                self._schedule(now + rng.uniform(0.5, 8.0), token, _Act.SPECIAL_BUY, insider)
                self._schedule(rug_at + rng.uniform(0.5, 10.0), token, _Act.SPECIAL_SELL, insider)
        elif token.kind is TokenKind.DEAD:
            self.dead_tokens.add(token.mint)
        elif self._smart and rng.random() < 0.08:
            wallet = rng.choice(self._smart)
            self._schedule(now + rng.uniform(3.0, 60.0), token, _Act.SPECIAL_BUY, wallet)
            self._schedule(now + rng.uniform(120.0, 300.0), token, _Act.SPECIAL_SELL, wallet)

    # -- actions --------------------------------------------------------------------------

    def _regime(self, token: _Token, age_s: float, now: float) -> _Regime:
        if token.regime is not None:
            return token.regime
        kind = token.kind
        if kind is TokenKind.WINNER:
            if now < token.boost_from:
                return _Regime(0.4, 0.65, 0.3)
            if now < token.boost_until:
                return _Regime(3.0, 0.82, 1.2)
            return _Regime(0.02 + 1.0 * exp(-(now - token.boost_until) / 180.0), 0.42, 0.8)
        if kind is TokenKind.RUG:
            if not token.rugged:
                return _Regime(0.8, 0.75, 0.4)
            # holders panic-sell for a minute after the dump, then the token is dead
            return (
                _Regime(1.0, 0.1, 0.05) if now < token.end_at - 180.0 else _Regime(0.05, 0.2, 0.05)
            )
        if kind is TokenKind.DEAD:
            return _Regime(0.03, 0.5, 0.1)
        return _Regime(0.02 + 0.6 * exp(-age_s / 150.0), 0.55 if age_s < 60 else 0.45, 0.25)

    def _act(self, token: _Token, act: _Act, wallet: str, now: float) -> ReplayTx | None:
        if act is _Act.ORGANIC:
            return self._organic(token, now)
        if act is _Act.MIGRATE:
            return self._migrate(token, now)
        if token.migrating:  # the pool is not there yet: try again shortly
            self._schedule(now + 2.0, token, act, wallet)
            return None
        if act is _Act.SPECIAL_BUY:
            sol = self._rng.uniform(0.5, 3.0)
            return self._trade(token, wallet, True, int(sol * LAMPORTS_PER_SOL), now, True)
        if act is _Act.RUG:
            token.rugged = True
            self.rug_times[token.mint] = int(now)
        return self._trade(token, wallet, False, token.special.get(wallet, 0), now, True)

    def _organic(self, token: _Token, now: float) -> ReplayTx | None:
        if now >= token.end_at:
            return None
        rng = self._rng
        regime = self._regime(token, now - token.created_at, now)
        self._schedule(now + rng.expovariate(regime.rate_per_s), token, _Act.ORGANIC)
        if token.migrating:
            return None
        is_buy = rng.random() < regime.buy_probability or not token.holders
        if rng.random() < self._failed_share:
            return self._failed(token, is_buy, now)
        if is_buy:
            wallet = rng.choice(self._traders)
            return self._trade(token, wallet, True, self._sol(regime.median_sol), now, False)
        wallet = rng.choice(list(token.holders))
        amount = token.holders[wallet]
        if not token.rugged and rng.random() < 0.5:
            amount = int(amount * rng.uniform(0.2, 0.9))
        return self._trade(token, wallet, False, amount, now, False)

    def _trade(
        self, token: _Token, wallet: str, is_buy: bool, amount: int, now: float, special: bool
    ) -> ReplayTx | None:
        """A buy of ``amount`` lamports or a sell of ``amount`` raw tokens by ``wallet``."""
        if amount <= 0 or (token.curve.complete and token.pool is None):
            return None
        book = token.special if special else token.holders
        ts = int(now)
        used_cu = self._rng.randint(30_000, 80_000)
        if token.pool is not None:
            return self._pool_trade(token, wallet, is_buy, amount, now, book, used_cu)
        if is_buy:
            sol, tokens = token.curve.buy(amount)
            if tokens == 0:
                return None
            book[wallet] = book.get(wallet, 0) + tokens
        else:
            tokens = min(amount, book.get(wallet, 0))
            if tokens <= 0:
                return None
            sol = token.curve.sell(tokens)
            left = book[wallet] - tokens
            if left:
                book[wallet] = left
            else:
                del book[wallet]
        lines = [self._trade_line(token, wallet, is_buy, sol, tokens, ts)]
        if token.curve.complete:
            lines.append(
                events.complete_line(
                    user=wallet, mint=token.mint, bonding_curve=token.bonding_curve, ts=ts
                )
            )
            token.migrating = True
            self.completed.add(token.mint)
            self._schedule(now + self._rng.uniform(1.0, 4.0), token, _Act.MIGRATE)
        self._note_price(token, ts)
        logs = txlogs.pump_trade_logs(is_buy, tuple(lines), used_cu)
        return self._tx(now, logs, txlogs.PUMP_TRADE_PROGRAMS | {token.mint, wallet})

    def _pool_trade(
        self,
        token: _Token,
        wallet: str,
        is_buy: bool,
        amount: int,
        now: float,
        book: dict[str, int],
        used_cu: int,
    ) -> ReplayTx | None:
        pool = token.pool
        assert pool is not None and token.pool_address is not None
        base_before, quote_before = pool.base_reserve_raw, pool.quote_reserve_lamports
        held = book.get(wallet, 0)
        if is_buy:
            sol = amount
            tokens = pool.buy(sol)
            if tokens == 0:
                return None
            book[wallet] = held + tokens
        else:
            tokens = min(amount, held)
            if tokens <= 0:
                return None
            sol = pool.sell(tokens)
            if held - tokens:
                book[wallet] = held - tokens
            else:
                del book[wallet]
        line = events.amm_trade_line(
            is_buy=is_buy,
            ts=int(now),
            base_amount_raw=tokens,
            quote_amount_lamports=sol,
            pool_base_before_raw=base_before,
            pool_quote_before_lamports=quote_before,
            user_base_balance_raw=held,
            pool=token.pool_address,
            user=wallet,
            accounts=self._amm_accounts,
            coin_creator=token.creator,
        )
        self._note_price(token, int(now))
        logs = txlogs.amm_trade_logs(is_buy, line, used_cu)
        mentions = txlogs.AMM_TRADE_PROGRAMS | {token.mint, wallet, token.pool_address}
        return self._tx(now, logs, mentions)

    def _migrate(self, token: _Token, now: float) -> ReplayTx:
        keys = self._keys
        base_raw = TOKEN_TOTAL_SUPPLY_RAW - INITIAL_REAL_TOKEN_RESERVES_RAW
        quote_lamports = token.curve.real_sol_reserves - MIGRATION_FEE_LAMPORTS
        token.pool = PoolState(base_raw, quote_lamports)
        token.pool_address = keys.pubkey()
        token.migrating = False
        lp_mint = keys.pubkey()
        user_base_account, user_quote_account = keys.pubkey(), keys.pubkey()
        line = events.create_pool_line(
            ts=int(now),
            creator=self._migration_authority,
            mint=token.mint,
            base_in_raw=base_raw,
            quote_in_lamports=quote_lamports,
            pool=token.pool_address,
            lp_mint=lp_mint,
            user_base_account=user_base_account,
            user_quote_account=user_quote_account,
            coin_creator=token.creator,
        )
        self._accounts.add_pump_swap_pool(
            pool=token.pool_address,
            base_mint=token.mint,
            creator=self._migration_authority,
            lp_mint=lp_mint,
            lp_supply=initial_lp_supply(base_raw, quote_lamports),
            coin_creator=token.creator,
        )
        logs = txlogs.pump_migrate_logs(line, self._rng.randint(150_000, 190_000))
        mentions = txlogs.PUMP_MIGRATE_PROGRAMS | {
            token.mint,
            token.pool_address,
            self._migration_authority,
        }
        return self._tx(now, logs, mentions)

    def _failed(self, token: _Token, is_buy: bool, now: float) -> ReplayTx:
        """A slippage failure: logs end in ``failed``, no event, ``err`` set."""
        wallet = self._rng.choice(self._traders)
        if token.pool is not None:
            program_id, code, name, msg = (
                PUMP_AMM_ID,
                6004,
                "ExceededSlippage",
                "Exceeded slippage",
            )
        elif is_buy:
            program_id, code, name = PUMP_ID, 6002, "TooMuchSolRequired"
            msg = "slippage: Too much SOL required to buy the given amount of tokens"
        else:
            program_id, code, name = PUMP_ID, 6003, "TooLittleSolReceived"
            msg = "slippage: Too little SOL received to sell the given amount of tokens"
        logs = txlogs.failed_logs(
            program_id, is_buy, code, name, msg, self._rng.randint(20_000, 40_000)
        )
        err = {"InstructionError": [2, {"Custom": code}]}
        programs = txlogs.AMM_TRADE_PROGRAMS if token.pool else txlogs.PUMP_TRADE_PROGRAMS
        return self._tx(now, logs, programs | {token.mint, wallet}, err)

    # -- helpers --------------------------------------------------------------------------

    def _trade_line(
        self, token: _Token, wallet: str, is_buy: bool, sol: int, tokens: int, ts: int
    ) -> str:
        return events.trade_line(
            mint=token.mint,
            sol_lamports=sol,
            token_amount_raw=tokens,
            is_buy=is_buy,
            user=wallet,
            ts=ts,
            curve=token.curve,
            fee_recipient=self._rng.choice(self._fee_recipients),
            creator=token.creator,
        )

    def _note_price(self, token: _Token, ts: int) -> None:
        if token.kind is not TokenKind.WINNER:
            return
        holder = token.pool if token.pool is not None else token.curve
        price = holder.price_lamports_per_token_raw
        if price > token.peak_price:
            token.peak_price = price
            self.winner_peaks[token.mint] = ts
