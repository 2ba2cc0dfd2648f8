"""The boundary types of trade execution: what a caller asks for (``TradeRequest``), what it is
told while the trade moves (``TradeUpdate``) and how it ended (``TradeOutcome``). No I/O.

Amounts are integers: lamports for SOL, raw units for tokens. Reasons are ``str`` enums so a bot
can pick its own wording (and language) per reason; ``detail`` carries the figures a message
needs (``{"impact_pct": 7.2, "limit_pct": 5.0}``) and ``message`` is a plain English line for
logs and for callers without their own wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from solders.pubkey import Pubkey

from core.errors import Text, UserInputError

MAX_KEY_CHARS = 128
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces


class Side(StrEnum):
    BUY = "buy"  # SOL -> token; amount_raw = lamports to spend
    SELL = "sell"  # token -> SOL; amount_raw = raw token units to sell


class TradeState(StrEnum):
    """requested -> quoted -> simulated -> sent -> confirmed | failed | refused.

    ``sent`` -> ``quoted`` happens once: the blockhash expired with nothing landed, re-quote."""

    REQUESTED = "requested"
    QUOTED = "quoted"
    SIMULATED = "simulated"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REFUSED = "refused"

    @property
    def terminal(self) -> bool:
        return self in (TradeState.CONFIRMED, TradeState.FAILED, TradeState.REFUSED)


class RefusalReason(StrEnum):
    """Policy said no before anything was signed."""

    TRADING_DISABLED = "trading_disabled"
    TRADE_LIMIT = "trade_limit"
    DAILY_LIMIT = "daily_limit"
    NO_GO_MINT = "no_go_mint"
    LIQUIDITY_TOO_LOW = "liquidity_too_low"
    LIQUIDITY_UNKNOWN = "liquidity_unknown"
    PRICE_IMPACT_TOO_HIGH = "price_impact_too_high"
    SLIPPAGE_TOO_HIGH = "slippage_too_high"
    MINT_AUTHORITY_ACTIVE = "mint_authority_active"
    FREEZE_AUTHORITY_ACTIVE = "freeze_authority_active"
    HONEYPOT_FAILED = "honeypot_failed"
    HONEYPOT_UNKNOWN = "honeypot_unknown"
    RISK_UNKNOWN = "risk_unknown"
    PRIORITY_FEE_TOO_HIGH = "priority_fee_too_high"
    INSUFFICIENT_BALANCE = "insufficient_balance"


class FailureReason(StrEnum):
    """The trade was allowed but did not execute (zero executions, unless it says otherwise)."""

    NO_ROUTE = "no_route"
    NOT_TRADABLE = "not_tradable"
    SIMULATION_FAILED = "simulation_failed"
    SLIPPAGE_EXCEEDED = "slippage_exceeded"
    BLOCKHASH_EXPIRED = "blockhash_expired"
    TRANSACTION_FAILED = "transaction_failed"  # landed with an error: fee paid, nothing swapped
    SEND_REJECTED = "send_rejected"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    SIGNER_FAILED = "signer_failed"
    UNEXPECTED_TRANSACTION = "unexpected_transaction"


class UpdateKind(StrEnum):
    QUOTED = "quoted"
    SIMULATED = "simulated"
    SENT = "sent"
    REQUOTED = "requoted"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REFUSED = "refused"


def validate_key(key: str) -> str:
    if not _KEY.match(key):
        raise UserInputError(
            "idempotency key {key} is not 1-{max} printable characters without spaces",
            key=repr(key[:40]),
            max=MAX_KEY_CHARS,
        )
    return key


@dataclass(frozen=True, slots=True)
class TradeRequest:
    """One trade a user asked for. The same ``idempotency_key`` always means the same trade:
    asking again returns the first execution (or its progress), never a second one."""

    idempotency_key: str
    user_id: int
    wallet: str  # the signing wallet's address
    side: Side
    mint: str
    amount_raw: int
    slippage_bps: int | None = None  # None: the policy's default
    actor: str | None = None  # who asked, for the audit log; default "user:<id>"

    def __post_init__(self) -> None:
        validate_key(self.idempotency_key)
        if self.amount_raw <= 0:
            raise UserInputError("the amount must be positive, got {value}", value=self.amount_raw)
        for name, word in (("wallet", Text("wallet")), ("mint", Text("mint"))):
            try:
                Pubkey.from_string(getattr(self, name))
            except ValueError:
                raise UserInputError(
                    "{name} {value} is not a Solana address",
                    name=word,
                    value=repr(getattr(self, name)),
                ) from None
        if self.slippage_bps is not None and not 1 <= self.slippage_bps <= 10_000:
            raise UserInputError(
                "slippage must be 1-10000 bps, got {value}", value=self.slippage_bps
            )

    @property
    def audit_actor(self) -> str:
        return self.actor or f"user:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: RefusalReason
    message: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    """One step of a trade, for a message edited as it moves. Fields not relevant to ``kind``
    are None."""

    kind: UpdateKind
    idempotency_key: str
    side: Side
    mint: str
    in_amount_raw: int | None = None  # quoted: what goes in (lamports or raw tokens)
    out_amount_raw: int | None = None  # quoted: expected out, before slippage
    min_out_raw: int | None = None  # quoted: the least accepted (slippage applied)
    price_impact_pct: float | None = None
    network_fee_lamports: int | None = None  # quoted: base + priority fee of the transaction
    route: str | None = None
    compute_units: int | None = None  # simulated
    signature: str | None = None  # sent, confirmed
    token_delta_raw: int | None = None  # confirmed: signed change of the wallet's tokens
    sol_delta_lamports: int | None = None  # confirmed: signed SOL change, fees included
    seconds: float | None = None  # confirmed: from the request to the confirmation
    reason: str | None = None  # failed / refused: a FailureReason or RefusalReason value
    message: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TradeOutcome:
    """How a request ended — or where it stands when another executor holds it
    (``in_progress``). ``executed`` is True only for a confirmed swap."""

    idempotency_key: str
    state: TradeState
    side: Side
    mint: str
    reason: str | None = None
    message: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    signature: str | None = None
    token_delta_raw: int | None = None
    sol_delta_lamports: int | None = None
    fee_lamports: int | None = None
    position_id: int | None = None
    in_progress: bool = False
    replayed: bool = False  # this key had already finished: nothing was done now

    @property
    def executed(self) -> bool:
        return self.state is TradeState.CONFIRMED
