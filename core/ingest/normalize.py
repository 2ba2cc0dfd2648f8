"""Decoded events → storage records. Pure: no I/O, only an in-memory registry of known pools.

What becomes a record:
- Pump.fun ``CreateEvent`` → ``MintRecord``; ``TradeEvent`` → ``TradeRecord`` (reserves after the
  trade are in the event); ``CompleteEvent`` → ``CurveCompleteRecord``.
- PumpSwap ``CreatePoolEvent`` → ``PoolRecord`` (and the pool is remembered); ``BuyEvent`` /
  ``SellEvent`` → ``TradeRecord`` when the pool's mints are known (from its CreatePoolEvent or
  ``resolve_pool``). With ``hold_unknown_pools`` the trades of an unknown pool wait (bounded)
  until the pool is resolved from chain; otherwise they are counted and skipped.
- Raydium AMM v4 ``ray_log`` swaps and CPMM ``SwapEvent`` carry no mint: they are decoded and
  counted, but stored as trades only once a pool registry maps them (a later issue).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.decode.events import DecodedEvent
from core.market import amm, curve
from core.programs import TOKEN_PROGRAM_ID, WSOL_MINT, Program
from core.storage.records import (
    CurveCompleteRecord,
    MintRecord,
    PoolRecord,
    Record,
    TradeRecord,
    new_trade_record,
)

PUMP_DECIMALS = 6
SOL_DECIMALS = 9

# Module constants: the hot path compares against these instead of looking up enum members.
_PUMP = Program.PUMP
_PUMP_AMM = Program.PUMP_AMM


@dataclass(frozen=True, slots=True)
class PoolMints:
    base_mint: str
    quote_mint: str
    base_decimals: int = PUMP_DECIMALS
    quote_decimals: int = SOL_DECIMALS


@dataclass(slots=True)
class Normalizer:
    """Turns each transaction's decoded events into records, in order."""

    pools: dict[str, PoolMints] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    hold_unknown_pools: bool = False
    max_held_events: int = 100_000
    _held: dict[str, list[tuple[DecodedEvent, int]]] = field(default_factory=dict)
    _held_count: int = 0
    _requested: set[str] = field(default_factory=set)

    def register_pool(self, pool: str, mints: PoolMints) -> None:
        self.pools[pool] = mints

    @property
    def held_events(self) -> int:
        return self._held_count

    def take_unrequested_pools(self) -> list[str]:
        """Unknown pools with held trades that nobody has been asked to resolve yet."""
        new = [pool for pool in self._held if pool not in self._requested]
        self._requested.update(new)
        return new

    def release_pool(self, pool: str) -> None:
        """Resolution failed for a passing reason: the pool may be requested again."""
        self._requested.discard(pool)

    def resolve_pool(self, pool: str, mints: PoolMints | None) -> list[Record]:
        """Register a pool found on chain and return its held trades as records.

        ``None`` means the address is not a pool we can price (not a PumpSwap pool, or gone):
        its held trades are counted as ``unresolvable_pool_trades`` and dropped.
        """
        held = self._held.pop(pool, [])
        self._requested.discard(pool)
        self._held_count -= len(held)
        if mints is None:
            self.skipped["unresolvable_pool_trades"] += len(held)
            return []
        self.pools[pool] = mints
        out: list[Record] = []
        for ev, index in held:
            rec = self._pump_amm_trade(ev, index, ev.signature or "", ev.slot or 0)
            if rec is not None:
                out.append(rec)
        return out

    def records(self, events: Sequence[DecodedEvent]) -> list[Record]:
        """Records of one transaction's events, in order.

        Events without a timestamp of their own (a 2024 CreateEvent) take the transaction's time:
        the first timestamp another event of the same transaction carries, else its block time.
        """
        out: list[Record] = []
        timed = False  # the transaction's time is looked up for the first event without one
        tx_time: int | None = None
        for index, ev in enumerate(events):
            if ev.block_time is None:
                if not timed:
                    tx_time, timed = _transaction_time(events), True
                ev.block_time = tx_time
            try:
                rec = self._one(ev, index)
            except (KeyError, TypeError, ValueError):
                # A prefix layout too short to carry the fields a record needs (e.g. a
                # TradeEvent cut after `mint`): decoded and counted, not stored.
                self.skipped[f"incomplete_{ev.event}"] += 1
                continue
            if rec is not None:
                out.append(rec)
        return out

    def _one(self, ev: DecodedEvent, index: int) -> Record | None:
        f = ev.fields
        sig = ev.signature or ""
        slot = ev.slot or 0
        program = ev.program
        if program is _PUMP:
            if ev.event == "TradeEvent":
                return _pump_trade(ev, index, sig, slot)
            if ev.event == "CreateEvent":
                return MintRecord(
                    mint=f["mint"],
                    name=f.get("name", ""),
                    symbol=f.get("symbol", ""),
                    uri=f.get("uri", ""),
                    creator=f.get("creator", f.get("user", "")),
                    bonding_curve=f.get("bonding_curve", ""),
                    created_at=int(f.get("timestamp", ev.block_time or 0)),
                    slot=slot,
                    signature=sig,
                    decimals=PUMP_DECIMALS,
                    supply_raw=f.get("token_total_supply"),
                    token_program=f.get("token_program", TOKEN_PROGRAM_ID),
                )
            if ev.event == "CompleteEvent":
                return CurveCompleteRecord(
                    mint=f["mint"],
                    bonding_curve=f.get("bonding_curve", ""),
                    completed_at=int(f.get("timestamp", ev.block_time or 0)),
                    slot=slot,
                    signature=sig,
                )
            return None
        if program is _PUMP_AMM:
            if ev.event == "CreatePoolEvent":
                mints = PoolMints(
                    base_mint=f["base_mint"],
                    quote_mint=f["quote_mint"],
                    base_decimals=int(f.get("base_mint_decimals", PUMP_DECIMALS)),
                    quote_decimals=int(f.get("quote_mint_decimals", SOL_DECIMALS)),
                )
                self.pools[f["pool"]] = mints
                return PoolRecord(
                    pool=f["pool"],
                    program=Program.PUMP_AMM,
                    base_mint=f["base_mint"],
                    quote_mint=f["quote_mint"],
                    created_at=int(f.get("timestamp", ev.block_time or 0)),
                    slot=slot,
                    signature=sig,
                    creator=f.get("creator"),
                    lp_mint=f.get("lp_mint"),
                    base_reserve_raw=f.get("pool_base_amount"),
                    quote_reserve_raw=f.get("pool_quote_amount"),
                )
            if ev.event in ("BuyEvent", "SellEvent"):
                return self._pump_amm_trade(ev, index, sig, slot)
            return None
        if ev.event in ("SwapBaseInLog", "SwapBaseOutLog", "SwapEvent"):
            self.skipped["unmapped_pool_swap"] += 1
        return None

    def _pump_amm_trade(
        self, ev: DecodedEvent, index: int, sig: str, slot: int
    ) -> TradeRecord | None:
        f = ev.fields
        mints = self.pools.get(f.get("pool", ""))
        if mints is None:
            pool = f.get("pool")
            if self.hold_unknown_pools and pool and self._held_count < self.max_held_events:
                self._held.setdefault(pool, []).append((ev, index))
                self._held_count += 1
            else:
                self.skipped["unresolved_pool_trades"] += 1
            return None
        # Integer fields are already ``int`` (DecodedEvent contract): no int() conversions.
        is_base_buy = ev.event == "BuyEvent"
        base_in_pool = f["pool_base_token_reserves"]
        quote_in_pool = f["pool_quote_token_reserves"]
        if is_base_buy:
            base_amount = f["base_amount_out"]
            quote_in = f["quote_amount_in"]
            quote_amount = f.get("user_quote_amount_in", quote_in)
            base_after = base_in_pool - base_amount
            quote_after = quote_in_pool + quote_in
        else:
            base_amount = f["base_amount_in"]
            quote_out = f["quote_amount_out"]
            quote_amount = f.get("user_quote_amount_out", quote_out)
            base_after = base_in_pool + base_amount
            quote_after = quote_in_pool - quote_out
        if mints.quote_mint == WSOL_MINT:
            token_mint, is_buy = mints.base_mint, is_base_buy
            token_amount, sol_amount = base_amount, quote_amount
            token_res, sol_res, token_dec = base_after, quote_after, mints.base_decimals
        elif mints.base_mint == WSOL_MINT:
            token_mint, is_buy = mints.quote_mint, not is_base_buy
            token_amount, sol_amount = quote_amount, base_amount
            token_res, sol_res, token_dec = quote_after, base_after, mints.quote_decimals
        else:
            self.skipped["non_sol_pool_trades"] += 1
            return None
        # Positional arguments in field order (see _pump_trade).
        return new_trade_record(
            sig,  # signature
            index,  # event_index
            slot,  # slot
            f.get("timestamp") or ev.block_time,  # block_time
            _PUMP_AMM,  # program
            token_mint,  # mint
            f.get("user", ""),  # trader
            is_buy,  # is_buy
            sol_amount,  # sol_lamports
            token_amount,  # token_amount_raw
            (
                amm.price_sol(token_res, sol_res, token_dec)
                if token_res > 0 and sol_res > 0
                else 0.0
            ),  # price_sol
            None,  # virtual_sol_reserves
            None,  # virtual_token_reserves
            max(sol_res, 0),  # real_sol_reserves
            max(token_res, 0),  # real_token_reserves
            f.get("pool"),  # pool
        )


def _transaction_time(events: Sequence[DecodedEvent]) -> int | None:
    for ev in events:
        ts = ev.fields.get("timestamp")
        if isinstance(ts, int) and ts > 0:
            return ts
    for ev in events:
        if ev.block_time:
            return ev.block_time
    return None


def _pump_trade(ev: DecodedEvent, index: int, sig: str, slot: int) -> TradeRecord:
    # Integer and bool fields are already ``int`` / ``bool`` (DecodedEvent contract): no
    # int() / bool() conversions; a missing timestamp or a zero one falls back to block time.
    f = ev.fields
    vsol = f["virtual_sol_reserves"]
    vtok = f["virtual_token_reserves"]
    # Positional arguments in field order: a call with 15 keywords costs ~0.4 us more per
    # record (CPython matches each keyword to its parameter by name). ``new_trade_record``
    # builds the same frozen TradeRecord ~1 us faster than its own __init__.
    return new_trade_record(
        sig,  # signature
        index,  # event_index
        slot,  # slot
        f.get("timestamp") or ev.block_time,  # block_time
        _PUMP,  # program
        f["mint"],  # mint
        f["user"],  # trader
        f["is_buy"],  # is_buy
        f["sol_amount"],  # sol_lamports
        f["token_amount"],  # token_amount_raw
        curve.price_sol(vsol, vtok, PUMP_DECIMALS) if vsol > 0 and vtok > 0 else 0.0,  # price_sol
        vsol,  # virtual_sol_reserves
        vtok,  # virtual_token_reserves
        f.get("real_sol_reserves"),  # real_sol_reserves
        f.get("real_token_reserves"),  # real_token_reserves
    )
