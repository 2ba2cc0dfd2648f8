"""Messages about a user's money that the workers report: an order that executed, failed or was
re-armed (``trading.out``), and an auto-trade rule's buy to confirm, then how it ended
(``autotrade.out``). Pure functions of core data::

    🎯 Take profit +50% hit on PEPE2: sold 30% (1.23M PEPE2) for 0.42 SOL · Solscan
    Price at the trigger: +52% vs your entry · position #12

    🤖 Auto-trade rule «fast» matched PEPE2 (Strength 2.3x, 3 smart buyers): buy 0.5 SOL?
    Why: Strength 2.30 ≥ 1.8 · 3 smart buyers ≥ 2
    <code>7xKX…pump</code>
    Expires in 4m (12:09 UTC) if you do not answer.
"""

from __future__ import annotations

from datetime import datetime

from bots.telegram.formatters.numbers import (
    clip,
    code_address,
    duration,
    esc,
    esc_attr,
    seconds_between,
)
from bots.telegram.formatters.trading import (
    SOLSCAN_TX,
    reason_text,
    sol_amount,
    token_amount,
    token_label,
)
from bots.telegram.i18n import Translator, translator
from core.trading.autotrade import RULE_REMOVED, AutoTradeRule, IntentState
from core.trading.notices import IntentNotice, NoticeKind, TradeNotice
from core.trading.orders import BPS, AmountBasis, LegKind
from core.trading.service import TokenInfo
from core.trading.trade_types import Side, TradeOutcome

RULE_NAME_MAX = 32
_ICONS = {
    LegKind.TAKE_PROFIT: "🎯",
    LegKind.STOP_LOSS: "🛑",
    LegKind.TRAILING_STOP: "📉",
    LegKind.TIME_EXIT: "⏰",
    LegKind.DCA_IN: "📥",
    LegKind.DCA_OUT: "📤",
}


def _pct_bps(bps: int) -> str:
    """Basis points as a percentage: 5_000 -> "50%", 1_250 -> "12.5%"."""
    return f"{bps / 100:.2f}".rstrip("0").rstrip(".") + "%"


def _solscan(signature: str | None) -> str:
    if not signature:
        return ""
    link = SOLSCAN_TX.format(signature=signature)
    return f' · <a href="{esc_attr(link)}">Solscan</a>'


def leg_name(notice: TradeNotice, _: Translator) -> str:
    """ "Take profit +50%", "Stop loss -30%", "Trailing stop 20%", "Time exit"..."""
    threshold = _pct_bps(notice.threshold_bps)
    match notice.leg:
        case LegKind.TAKE_PROFIT:
            return _("Take profit +{pct}").format(pct=threshold)
        case LegKind.STOP_LOSS:
            return _("Stop loss -{pct}").format(pct=threshold)
        case LegKind.TRAILING_STOP:
            return _("Trailing stop {pct}").format(pct=threshold)
        case LegKind.TIME_EXIT:
            return _("Time exit")
        case LegKind.DCA_IN:
            return _("DCA in -{pct}").format(pct=threshold)
        case LegKind.DCA_OUT:
            return _("DCA out")
    return notice.leg.value


def _share(notice: TradeNotice, _: Translator) -> str:
    """What the order sells: "30%" of the position, or "everything"."""
    if notice.amount_basis is AmountBasis.HELD and notice.amount >= BPS:
        return _("everything")
    return _pct_bps(notice.amount)


def order_notice(notice: TradeNotice, token: TokenInfo, lang: str) -> str:
    """The message of one finished attempt of an order (HTML)."""
    _ = translator(lang)
    icon = _ICONS.get(notice.leg, "•")
    name = leg_name(notice, _)
    symbol = token_label(token)
    lines: list[str] = []
    if notice.kind is NoticeKind.EXECUTED:
        tokens = abs(notice.token_delta_raw or 0)
        sol = sol_amount(abs(notice.sol_delta_lamports or 0))
        moved = f"{token_amount(tokens, token)} {symbol}"
        if notice.side is Side.BUY:
            head = _("{icon} {order} hit on {token}: bought {tokens} for {sol}").format(
                icon=icon, order=name, token=symbol, tokens=moved, sol=sol
            )
        else:
            head = _("{icon} {order} hit on {token}: sold {share} ({tokens}) for {sol}").format(
                icon=icon,
                order=name,
                token=symbol,
                share=_share(notice, _),
                tokens=moved,
                sol=sol,
            )
        lines.append(head + _solscan(notice.signature))
    else:
        why = reason_text(notice.reason, notice.detail, notice.side, token, _)
        if notice.kind is NoticeKind.FAILED:
            if notice.side is Side.BUY:
                head = _("❌ {order} on {token} could not buy: {reason}")
            else:
                head = _("❌ {order} on {token} could not sell: {reason}")
            lines.append(head.format(order=name, token=symbol, reason=why))
            lines.append(
                _(
                    "The order gave up after {attempts} attempts: see /positions to act yourself."
                ).format(attempts=notice.attempt + 1)
            )
        else:
            lines.append(
                _("⚠️ {order} on {token} did not execute (attempt {attempt}): {reason}").format(
                    order=name, token=symbol, attempt=notice.attempt + 1, reason=why
                )
            )
            lines.append(_("It is armed again and fires at the next trigger."))
    ratio = notice.trigger_ratio_bps
    if ratio is not None:
        change = ratio - BPS
        sign = "+" if change > 0 else "-" if change < 0 else ""
        lines.append(
            _("Price at the trigger: {change} vs your entry · position #{position}").format(
                change=sign + _pct_bps(abs(change)), position=notice.position_id
            )
        )
    else:
        lines.append(_("Position #{position}").format(position=notice.position_id))
    return "\n".join(lines)


# ---- auto-trade intents ------------------------------------------------------------------------


def _rule_name(notice: IntentNotice) -> str:
    return esc(clip(notice.rule or f"#{notice.rule_id}", RULE_NAME_MAX))


def _why(
    notice: IntentNotice, rule: AutoTradeRule | None, smart_buyers: int | None, _: Translator
) -> str:
    if rule is None:
        return esc(clip(notice.why, 200))
    parts = [
        _("Strength {strength} ≥ {minimum}").format(
            strength=f"{notice.strength:.2f}", minimum=f"{rule.min_strength:g}"
        )
    ]
    if smart_buyers is not None:
        if rule.tags:
            parts.append(
                _("{count} smart buyers tagged {tags} ≥ {minimum}").format(
                    count=smart_buyers,
                    tags=esc(", ".join(rule.tags)),
                    minimum=rule.min_smart_buyers,
                )
            )
        else:
            parts.append(
                _("{count} smart buyers ≥ {minimum}").format(
                    count=smart_buyers, minimum=rule.min_smart_buyers
                )
            )
    return " · ".join(parts)


def intent_prompt(
    notice: IntentNotice,
    token: TokenInfo,
    lang: str,
    *,
    now: datetime,
    rule: AutoTradeRule | None = None,
    smart_buyers: int | None = None,
) -> str:
    """A confirm-mode rule matched: the buy to confirm (the message carries the buttons)."""
    _ = translator(lang)
    symbol = token_label(token)
    if smart_buyers is not None:
        matched = _(
            "🤖 Auto-trade rule «{rule}» matched {token} (Strength {strength}x, "
            "{count} smart buyers): buy {amount}?"
        ).format(
            rule=_rule_name(notice),
            token=symbol,
            strength=f"{notice.strength:.1f}",
            count=smart_buyers,
            amount=sol_amount(notice.buy_lamports),
        )
    else:
        matched = _(
            "🤖 Auto-trade rule «{rule}» matched {token} (Strength {strength}x): buy {amount}?"
        ).format(
            rule=_rule_name(notice),
            token=symbol,
            strength=f"{notice.strength:.1f}",
            amount=sol_amount(notice.buy_lamports),
        )
    lines = [
        matched,
        _("Why: {why}").format(why=_why(notice, rule, smart_buyers, _)),
        code_address(notice.mint, short=False),
    ]
    if notice.expires_at is not None:
        left = seconds_between(now, notice.expires_at)
        if left > 0:
            lines.append(
                _("Expires in {left} ({time} UTC) if you do not answer.").format(
                    left=duration(left, _), time=notice.expires_at.strftime("%H:%M")
                )
            )
    lines.append(_("Your limits apply to the buy; the rule's TP/SL orders are armed after it."))
    return "\n".join(lines)


def intent_confirmed(notice: IntentNotice, token: TokenInfo, lang: str) -> str:
    """The user pressed Confirm: the worker buys next."""
    _ = translator(lang)
    return _("✅ Confirmed — buying {amount} of {token}… (auto-trade «{rule}»)").format(
        amount=sol_amount(notice.buy_lamports), token=token_label(token), rule=_rule_name(notice)
    )


def intent_outcome(
    notice: IntentNotice, token: TokenInfo, lang: str, *, outcome: TradeOutcome | None = None
) -> str:
    """How the auto-buy ended (``outcome``: its trade, when known), or why there was none."""
    _ = translator(lang)
    rule, symbol = _rule_name(notice), token_label(token)
    match notice.state:
        case IntentState.DONE:
            got = ""
            if outcome is not None and outcome.token_delta_raw:
                got = f"{token_amount(abs(outcome.token_delta_raw), token)} "
            spent = sol_amount(notice.buy_lamports)
            if outcome is not None and outcome.sol_delta_lamports:
                spent = sol_amount(abs(outcome.sol_delta_lamports))
            head = _("✅ Auto-trade «{rule}»: bought {tokens}{token} for {sol}").format(
                rule=rule, tokens=got, token=symbol, sol=spent
            ) + _solscan(outcome.signature if outcome else None)
            if notice.position_id is None:
                return head
            return (
                head
                + "\n"
                + _("Position #{position} · /positions").format(position=notice.position_id)
            )
        case IntentState.FAILED:
            detail = outcome.detail if outcome is not None else {}
            why = reason_text(notice.reason, detail, Side.BUY, token, _)
            return _("❌ Auto-trade «{rule}» did not buy {token}: {reason}").format(
                rule=rule, token=symbol, reason=why
            )
        case IntentState.EXPIRED:
            expired = _("⌛ Auto-trade «{rule}» on {token} expired: nothing was bought.")
            return expired.format(rule=rule, token=symbol)
        case IntentState.CANCELLED if notice.reason == RULE_REMOVED:
            removed = _(
                "✖ Auto-trade «{rule}» on {token} cancelled: rule removed, nothing was bought."
            )
            return removed.format(rule=rule, token=symbol)
        case IntentState.CANCELLED:
            return _("✖ Auto-trade «{rule}» on {token} cancelled: nothing was bought.").format(
                rule=rule, token=symbol
            )
    return _("Auto-trade «{rule}» on {token}: {state}").format(
        rule=rule, token=symbol, state=notice.state.value
    )


def intent_not_yours(lang: str) -> str:
    _ = translator(lang)
    return _("This auto-trade is not yours: only its rule's owner can answer it. Nothing changed.")


def intent_already(state: IntentState, lang: str, reason: str | None = None) -> str:
    """An answer to an intent that is no longer pending (plain text: a button's alert)."""
    _ = translator(lang)
    match state:
        case IntentState.EXPIRED:
            return _("Too late: this auto-buy expired. Nothing was bought.")
        case IntentState.CANCELLED if reason == RULE_REMOVED:
            return _("This auto-buy was cancelled when its rule was removed. Nothing was bought.")
        case IntentState.CANCELLED:
            return _("This auto-buy was cancelled already. Nothing was bought.")
        case IntentState.CONFIRMED | IntentState.EXECUTING:
            return _("This auto-buy is confirmed already: it is being bought.")
        case IntentState.DONE:
            return _("This auto-buy is done already.")
        case IntentState.FAILED:
            return _("This auto-buy was tried already and failed.")
    return _("This auto-buy cannot be answered any more.")
