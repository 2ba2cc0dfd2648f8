"""Auto-trade rules: "if Strength >= S and SmartBuy >= N (tags) then buy Q SOL with this TP/SL
template". Pure: a rule, a ``Signal`` and the smart buyers' tags in, a match (or None) out.

SmartBuy counts the signal's smart buyers that carry one of the rule's tags (any tracked smart
buyer when the rule names none), and counts a cluster of wallets that are one entity (co-buying,
a common funder: ``Signal.clusters``) once — three wallets of one trader are one SmartBuy.

A match becomes an ``Intent`` (``core.trading.autotrade_store``), one per rule and mint, ever:
its trade's idempotency key is ``auto-<rule>-<mint>``, so a rule buys a token at most once
however many signals the token gets. Modes:

- ``confirm``: the intent waits (``pending``) for the user's Confirm / Cancel, until it expires;
  the bot shows it (``autotrade.out`` stream, ``intent_to_stream_fields``) and calls
  ``AutoTradeStore.confirm`` / ``cancel``;
- ``direct``: the intent is ``confirmed`` at once and the worker executes it.

Either way the buy goes through ``TradeExecutor``: the user's and the operator's limits (trading
enabled, per-trade and daily SOL, no-go list, mint authorities, honeypot, liquidity, price
impact, priority fee) always apply; a refused buy is recorded with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from solders.pubkey import Pubkey

from core.errors import UserInputError
from core.signals.signal import Signal
from core.trading.orders import OrderTemplate
from core.trading.trade_types import Side, TradeRequest

STREAM = "autotrade.out"
TAG = re.compile(r"^[a-z0-9_-]{1,24}$")
MAX_STRENGTH = 3.0
MAX_SMART_BUYERS = 100
RULE_REMOVED = "rule_removed"  # the reason of the pending intents a rule's removal cancelled


class AutoTradeMode(StrEnum):
    CONFIRM = "confirm"
    DIRECT = "direct"


class IntentState(StrEnum):
    """pending (confirm mode) -> confirmed -> executing -> done | failed; pending -> cancelled |
    expired. Direct mode starts at confirmed."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    EXECUTING = "executing"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self in (
            IntentState.DONE,
            IntentState.FAILED,
            IntentState.CANCELLED,
            IntentState.EXPIRED,
        )


@dataclass(frozen=True, slots=True)
class AutoTradeRule:
    """A user's rule. Validated on construction (``UserInputError`` names the field)."""

    user_id: int
    name: str
    mode: AutoTradeMode
    min_strength: float
    min_smart_buyers: int
    wallet: str  # the user's trading wallet that buys
    buy_lamports: int
    tags: tuple[str, ...] = ()
    template: OrderTemplate | None = None  # attached to the position once the buy confirms
    slippage_bps: int | None = None  # None: the user's default
    enabled: bool = True
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 64:
            raise UserInputError("the rule needs a name of 1-64 characters")
        if not 0.0 <= self.min_strength <= MAX_STRENGTH:
            raise UserInputError(
                "minimum Strength must be 0 to {max}, got {value}",
                max=f"{MAX_STRENGTH:g}",
                value=self.min_strength,
            )
        if not 0 <= self.min_smart_buyers <= MAX_SMART_BUYERS:
            raise UserInputError(
                "minimum smart buyers must be 0 to {max}, got {value}",
                max=MAX_SMART_BUYERS,
                value=self.min_smart_buyers,
            )
        if self.buy_lamports <= 0:
            raise UserInputError(
                "the buy amount must be positive, got {value}", value=self.buy_lamports
            )
        try:
            Pubkey.from_string(self.wallet)
        except ValueError:
            raise UserInputError(
                "wallet {wallet} is not a Solana address", wallet=repr(self.wallet)
            ) from None
        for tag in self.tags:
            if not TAG.match(tag):
                raise UserInputError(
                    "tag {tag}: lowercase letters, digits, _ or -, 1-24", tag=repr(tag)
                )
        if self.slippage_bps is not None and not 1 <= self.slippage_bps <= 10_000:
            raise UserInputError(
                "slippage must be 1-10000 bps, got {value}", value=self.slippage_bps
            )


@dataclass(frozen=True, slots=True)
class RuleMatch:
    rule: AutoTradeRule
    mint: str
    signal_at: int
    strength: float
    smart_buyers: int  # entities counted (clusters once)
    wallets: tuple[str, ...]  # the smart buyers that counted
    why: str


def smart_buys(
    signal: Signal, tags: tuple[str, ...], tags_of: Mapping[str, frozenset[str]]
) -> tuple[int, tuple[str, ...]]:
    """How many entities among the signal's smart buyers carry one of ``tags`` (any when
    empty), a cluster counting once; and those buyers' addresses."""
    wanted = frozenset(tags)
    wallets = tuple(
        address
        for address, _sol in signal.smart_buyers
        if not wanted or tags_of.get(address, frozenset()) & wanted
    )
    entity = {
        member: cluster_id for cluster_id, members, _ in signal.clusters for member in members
    }
    return len({entity.get(address, address) for address in wallets}), wallets


def match(
    rule: AutoTradeRule, signal: Signal, tags_of: Mapping[str, frozenset[str]]
) -> RuleMatch | None:
    """The rule's match with ``signal``, or None (disabled, Strength or SmartBuy too low)."""
    if not rule.enabled or signal.strength < rule.min_strength:
        return None
    count, wallets = smart_buys(signal, rule.tags, tags_of)
    if count < rule.min_smart_buyers:
        return None
    tagged = f" tagged {', '.join(rule.tags)}" if rule.tags else ""
    why = (
        f"Strength {signal.strength:.2f} >= {rule.min_strength:g} and {count} smart buyers"
        f"{tagged} >= {rule.min_smart_buyers}"
    )
    return RuleMatch(rule, signal.mint, signal.at, signal.strength, count, wallets, why)


def intent_key(rule_id: int, mint: str) -> str:
    """The idempotency key of a rule's buy of ``mint`` (one per rule and mint)."""
    return f"auto-{rule_id}-{mint}"


@dataclass(frozen=True, slots=True)
class Intent:
    """A buy decided by a rule (an ``autotrade_intents`` row)."""

    id: int
    rule_id: int
    user_id: int
    mint: str
    wallet: str
    buy_lamports: int
    mode: AutoTradeMode
    state: IntentState
    trade_key: str
    signal_at: int
    strength: float
    detail: dict[str, Any] = field(default_factory=dict)
    position_id: int | None = None
    reason: str | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None

    def trade_request(self) -> TradeRequest:
        slippage = self.detail.get("slippage_bps")
        return TradeRequest(
            idempotency_key=self.trade_key,
            user_id=self.user_id,
            wallet=self.wallet,
            side=Side.BUY,
            mint=self.mint,
            amount_raw=self.buy_lamports,
            slippage_bps=int(slippage) if slippage is not None else None,
            actor=f"autotrade:{self.rule_id}",
        )


def intent_to_stream_fields(intent: Intent) -> dict[str, str]:
    """Flat fields of one ``autotrade.out`` entry: a pending confirmation to show (``kind`` =
    the intent's state), or how an auto-buy ended."""
    return {
        "kind": intent.state.value,
        "intent_id": str(intent.id),
        "rule_id": str(intent.rule_id),
        "rule": str(intent.detail.get("rule", "")),
        "user_id": str(intent.user_id),
        "mint": intent.mint,
        "buy_lamports": str(intent.buy_lamports),
        "mode": intent.mode.value,
        "strength": repr(intent.strength),
        "why": str(intent.detail.get("why", "")),
        "reason": intent.reason or "",
        "position_id": "" if intent.position_id is None else str(intent.position_id),
        "expires_at": intent.expires_at.isoformat() if intent.expires_at else "",
    }
