"""Trading notices: what a user is told about their money, published by the workers.

``trading.out`` carries one ``TradeNotice`` per finished attempt of an order (take profit, stop
loss, trailing stop, time exit, DCA leg): its trade ``executed`` (confirmed: signature, tokens,
SOL), ``failed`` (no attempt left: the reason) or the order was ``rearmed`` (this attempt did
not execute for a reason worth retrying: it fires again at the next trigger). The workers publish
it after the order's state is recorded (``workers.execute.run_order``); a failed publish is
logged and counted, never retried into a second trade.

``autotrade.out`` (``core.trading.autotrade.intent_to_stream_fields``) is read back here as an
``IntentNotice``: a pending confirmation to show with Confirm / Cancel, or how an auto-buy ended.

Both decoders raise ``DecodeError`` on a malformed entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import redis.asyncio as aioredis
import structlog
from prometheus_client import Counter

from core.bus.streams import StreamPublisher
from core.errors import DecodeError
from core.trading.autotrade import AutoTradeMode, IntentState
from core.trading.order_rows import OrderView
from core.trading.orders import AmountBasis, LegKind, OrderState, Price
from core.trading.trade_types import Side, TradeOutcome

log = structlog.get_logger(__name__)

E = TypeVar("E", bound=StrEnum)

STREAM = "trading.out"
MAXLEN = 100_000  # a capped stream: notices older than this are of no use to anyone
FORMAT_VERSION = 1
DECODE_KIND = "trade_notice"
INTENT_DECODE_KIND = "autotrade_intent"

NOTICES = Counter(
    "solsignals_trade_notices_total",
    "Trading notices for users on trading.out, by kind (executed, failed, rearmed), leg kind "
    "and result (published, failed)",
    ["kind", "leg", "result"],
)


class NoticeKind(StrEnum):
    EXECUTED = "executed"  # the order's trade confirmed: the order is done
    FAILED = "failed"  # the order's trade did not execute and no attempt is left
    REARMED = "rearmed"  # this attempt did not execute; the order is armed again


_KIND_OF_STATE = {
    OrderState.DONE: NoticeKind.EXECUTED,
    OrderState.FAILED: NoticeKind.FAILED,
    OrderState.ARMED: NoticeKind.REARMED,
}


@dataclass(frozen=True, slots=True)
class TradeNotice:
    """One finished attempt of an order, for its user."""

    kind: NoticeKind
    user_id: int  # core users.id
    order_id: int
    position_id: int
    mint: str
    leg: LegKind
    side: Side
    at: int  # unix s: when it was recorded
    threshold_bps: int  # the leg's threshold (take profit +gain, stop loss -loss, trail, drop)
    amount_basis: AmountBasis
    amount: int  # bps of the tokens (base / held), or lamports (a DCA-in buy)
    attempt: int  # the attempt that finished (0 = the first)
    amount_raw: int  # what this attempt traded: raw tokens sold, or lamports spent
    entry: Price  # the position's average entry price when the order was armed
    trigger: Price | None = None  # the mark price that fired it (None: a time leg)
    why: str = ""  # the monitor's plain-English trigger line (logs)
    signature: str | None = None
    token_delta_raw: int | None = None  # signed: negative for a sell
    sol_delta_lamports: int | None = None  # signed: positive for a sell, fees included
    reason: str | None = None  # a FailureReason / RefusalReason value
    detail: Mapping[str, Any] = field(default_factory=dict)  # the reason's figures

    @property
    def trigger_ratio_bps(self) -> int | None:
        """The trigger price relative to the entry (15_200 = 1.52x), or None."""
        return self.trigger.ratio_bps(self.entry) if self.trigger is not None else None


def notice_of(
    order: OrderView, finished: OrderView, outcome: TradeOutcome, at: int
) -> TradeNotice:
    """The notice of ``order``'s attempt (as claimed) that ``OrderStore.finish`` recorded as
    ``finished``."""
    kind = _KIND_OF_STATE.get(finished.state)
    if kind is None:
        raise ValueError(f"order {order.id} is {finished.state.value}: nothing to notify")
    trigger = None
    lamports, tokens = order.detail.get("price_lamports"), order.detail.get("price_tokens_raw")
    if lamports and tokens:
        trigger = Price(int(lamports), int(tokens))
    return TradeNotice(
        kind=kind,
        user_id=order.user_id,
        order_id=order.id,
        position_id=order.position_id,
        mint=order.mint,
        leg=order.kind,
        side=order.side,
        at=at,
        threshold_bps=order.threshold_bps,
        amount_basis=order.amount_basis,
        amount=order.amount,
        attempt=order.attempt,
        amount_raw=order.trade_amount_raw or 0,
        entry=order.ref,
        trigger=trigger,
        why=str(order.detail.get("why", "")),
        signature=outcome.signature,
        token_delta_raw=outcome.token_delta_raw,
        sol_delta_lamports=outcome.sol_delta_lamports,
        reason=outcome.reason,
        detail=dict(outcome.detail),
    )


def _opt(value: int | str | None) -> str:
    return "" if value is None else str(value)


def notice_to_stream_fields(notice: TradeNotice) -> dict[str, str]:
    """Flat string fields of one ``trading.out`` entry ("" for an absent value; ``detail`` is
    a JSON object)."""
    trigger = notice.trigger
    return {
        "v": str(FORMAT_VERSION),
        "kind": notice.kind.value,
        "user_id": str(notice.user_id),
        "order_id": str(notice.order_id),
        "position_id": str(notice.position_id),
        "mint": notice.mint,
        "leg": notice.leg.value,
        "side": notice.side.value,
        "at": str(notice.at),
        "threshold_bps": str(notice.threshold_bps),
        "amount_basis": notice.amount_basis.value,
        "amount": str(notice.amount),
        "attempt": str(notice.attempt),
        "amount_raw": str(notice.amount_raw),
        "entry_lamports": str(notice.entry.lamports),
        "entry_tokens_raw": str(notice.entry.tokens_raw),
        "trigger_lamports": _opt(trigger.lamports if trigger else None),
        "trigger_tokens_raw": _opt(trigger.tokens_raw if trigger else None),
        "why": notice.why,
        "signature": notice.signature or "",
        "token_delta_raw": _opt(notice.token_delta_raw),
        "sol_delta_lamports": _opt(notice.sol_delta_lamports),
        "reason": notice.reason or "",
        "detail": json.dumps(dict(notice.detail), separators=(",", ":"), default=str),
    }


def notice_from_stream_fields(fields: Mapping[str | bytes, str | bytes]) -> TradeNotice:
    """The notice of a ``trading.out`` entry; raises ``DecodeError`` when malformed."""
    text = {_text(k): _text(v) for k, v in fields.items()}
    version = text.get("v", "")
    if version != str(FORMAT_VERSION):
        raise DecodeError(DECODE_KIND, f"unsupported trade notice format v={version!r}")
    try:
        trigger_lamports = _opt_int(text["trigger_lamports"], "trigger_lamports")
        trigger_tokens = _opt_int(text["trigger_tokens_raw"], "trigger_tokens_raw")
        if (trigger_lamports is None) != (trigger_tokens is None):
            raise DecodeError(DECODE_KIND, "trigger: both amounts or neither")
        return TradeNotice(
            kind=_enum(NoticeKind, text["kind"], "kind", DECODE_KIND),
            user_id=_int(text["user_id"], "user_id"),
            order_id=_int(text["order_id"], "order_id"),
            position_id=_int(text["position_id"], "position_id"),
            mint=_required(text["mint"], "mint", DECODE_KIND),
            leg=_enum(LegKind, text["leg"], "leg", DECODE_KIND),
            side=_enum(Side, text["side"], "side", DECODE_KIND),
            at=_int(text["at"], "at"),
            threshold_bps=_int(text["threshold_bps"], "threshold_bps"),
            amount_basis=_enum(AmountBasis, text["amount_basis"], "amount_basis", DECODE_KIND),
            amount=_int(text["amount"], "amount"),
            attempt=_int(text["attempt"], "attempt"),
            amount_raw=_int(text["amount_raw"], "amount_raw"),
            entry=_price(text["entry_lamports"], text["entry_tokens_raw"], "entry"),
            trigger=(
                _price(text["trigger_lamports"], text["trigger_tokens_raw"], "trigger")
                if trigger_lamports is not None
                else None
            ),
            why=text["why"],
            signature=text["signature"] or None,
            token_delta_raw=_opt_int(text["token_delta_raw"], "token_delta_raw", signed=True),
            sol_delta_lamports=_opt_int(
                text["sol_delta_lamports"], "sol_delta_lamports", signed=True
            ),
            reason=text["reason"] or None,
            detail=_object(text["detail"], "detail"),
        )
    except KeyError as exc:
        raise DecodeError(DECODE_KIND, f"missing field {exc.args[0]!r}") from exc


class NoticePublisher:
    """Publishes notices on the capped ``trading.out``; never raises: a notice that cannot be
    published is logged and counted (the order's state is recorded already)."""

    def __init__(
        self, redis: aioredis.Redis, *, stream: str = STREAM, maxlen: int = MAXLEN
    ) -> None:
        self._publisher = StreamPublisher(redis, stream, maxlen=maxlen)

    async def publish(self, notice: TradeNotice) -> bool:
        try:
            await self._publisher.publish(notice_to_stream_fields(notice))
        except Exception as exc:  # Redis down, or a bug: the sell is recorded either way
            NOTICES.labels(notice.kind.value, notice.leg.value, "failed").inc()
            log.error(
                "trade_notice_publish_failed",
                order_id=notice.order_id,
                user_id=notice.user_id,
                kind=notice.kind.value,
                error=f"{type(exc).__name__}: {exc}",
            )
            return False
        NOTICES.labels(notice.kind.value, notice.leg.value, "published").inc()
        return True

    async def order_finished(
        self, order: OrderView, finished: OrderView, outcome: TradeOutcome, at: int
    ) -> bool:
        """Publish the notice of an attempt ``OrderStore.finish`` recorded (never raises)."""
        try:
            notice = notice_of(order, finished, outcome, at)
        except (ValueError, TypeError) as exc:
            NOTICES.labels("unknown", order.kind.value, "failed").inc()
            log.error("trade_notice_build_failed", order_id=order.id, error=str(exc))
            return False
        return await self.publish(notice)


# ---- autotrade.out, read back --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntentNotice:
    """One ``autotrade.out`` entry: ``state`` pending (ask the user), or how the buy ended."""

    state: IntentState
    intent_id: int
    rule_id: int
    rule: str  # the rule's name
    user_id: int
    mint: str
    buy_lamports: int
    mode: AutoTradeMode
    strength: float
    why: str
    reason: str | None = None
    position_id: int | None = None
    expires_at: datetime | None = None


def intent_notice_from_stream_fields(fields: Mapping[str | bytes, str | bytes]) -> IntentNotice:
    """The ``autotrade.out`` entry of ``intent_to_stream_fields``; ``DecodeError`` when
    malformed."""
    text = {_text(k): _text(v) for k, v in fields.items()}
    kind = INTENT_DECODE_KIND
    try:
        try:
            strength = float(text["strength"])
        except ValueError as exc:
            raise DecodeError(kind, f"strength: not a number: {text['strength']!r}") from exc
        expires = text["expires_at"]
        try:
            expires_at = datetime.fromisoformat(expires) if expires else None
        except ValueError as exc:
            raise DecodeError(kind, f"expires_at: not a time: {expires!r}") from exc
        position = text["position_id"]
        return IntentNotice(
            state=_enum(IntentState, text["kind"], "kind", kind),
            intent_id=_int(text["intent_id"], "intent_id", kind),
            rule_id=_int(text["rule_id"], "rule_id", kind),
            rule=text["rule"],
            user_id=_int(text["user_id"], "user_id", kind),
            mint=_required(text["mint"], "mint", kind),
            buy_lamports=_int(text["buy_lamports"], "buy_lamports", kind),
            mode=_enum(AutoTradeMode, text["mode"], "mode", kind),
            strength=strength,
            why=text["why"],
            reason=text["reason"] or None,
            position_id=_int(position, "position_id", kind) if position else None,
            expires_at=expires_at,
        )
    except KeyError as exc:
        raise DecodeError(kind, f"missing field {exc.args[0]!r}") from exc


# ---- field helpers ---------------------------------------------------------------------------


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _int(value: str, where: str, kind: str = DECODE_KIND, *, signed: bool = False) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise DecodeError(kind, f"{where}: expected an integer, got {value!r}") from exc
    if number < 0 and not signed:
        raise DecodeError(kind, f"{where}: expected a non-negative integer, got {number}")
    return number


def _opt_int(value: str, where: str, *, signed: bool = False) -> int | None:
    return None if value == "" else _int(value, where, signed=signed)


def _required(value: str, where: str, kind: str) -> str:
    if not value:
        raise DecodeError(kind, f"{where}: empty")
    return value


def _enum(enum: type[E], value: str, where: str, kind: str) -> E:
    try:
        return enum(value)
    except ValueError as exc:
        raise DecodeError(kind, f"{where}: unknown value {value!r}") from exc


def _price(lamports: str, tokens_raw: str, where: str) -> Price:
    try:
        return Price(_int(lamports, f"{where}_lamports"), _int(tokens_raw, f"{where}_tokens_raw"))
    except ValueError as exc:  # not positive
        raise DecodeError(DECODE_KIND, f"{where}: {exc}") from exc


def _object(value: str, where: str) -> dict[str, Any]:
    try:
        data: Any = json.loads(value)
    except ValueError as exc:
        raise DecodeError(DECODE_KIND, f"{where}: invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DecodeError(DECODE_KIND, f"{where}: expected a JSON object, got {value!r}")
    return data
