"""TP/SL messages: a template's orders, a position's stored orders with their state, what a
change did, and template mistakes in plain words. Pure functions of core data.

    <b>TP/SL · PEPE2</b> <code>7xKX…pump</code>
    🎯 +50% → sell 30% · armed
    🛑 -25% → sell all · armed
    ⏰ in 23h → sell all · armed

When the user holds the mint in several wallets, ``/tpsl <mint> …`` changes nothing and
``choose_position`` lists the positions (number as in /positions, wallet, size, entry, orders)
for a button each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bots.telegram.formatters.errors import core_message
from bots.telegram.formatters.numbers import (
    clip,
    code_address,
    duration,
    esc,
    price,
    short_address,
    sol_from_lamports,
)
from bots.telegram.formatters.trading import token_amount, token_label
from bots.telegram.i18n import Translator, translator
from core.trading.order_rows import OrderView
from core.trading.orders import BPS, AmountBasis, LegKind, OrderState
from core.trading.positions import PositionView
from core.trading.service import TokenInfo
from core.trading.template_text import (
    PRESET_TEXTS,
    TemplatePart,
    TemplateProblem,
    TemplateTextError,
    format_duration,
    format_percent,
)

USAGE = "/tpsl <mint|#n> <template|preset|off>"
EXAMPLE = "/tpsl 7xKX…pump tp 50:30 100:30 sl 25"
SYNTAX = "tp 50:30 100:30 sl 25 trail 20 from 30 time 24h dcain -20:0.1 dcaout 6h:25"
_ICONS = {
    LegKind.TAKE_PROFIT: "🎯",
    LegKind.STOP_LOSS: "🛑",
    LegKind.TRAILING_STOP: "📉",
    LegKind.TIME_EXIT: "⏰",
    LegKind.DCA_IN: "➕",
    LegKind.DCA_OUT: "➖",
}


def _pct(bps: int, sign: str = "") -> str:
    return f"{sign}{format_percent(bps)}%"


def _sell(share_bps: int | None, _: Translator) -> str:
    if share_bps is None or share_bps >= BPS:
        return _("sell all")
    return _("sell {share}").format(share=_pct(share_bps))


def part_line(part: TemplatePart, _: Translator, *, due_in_s: float | None = None) -> str:
    """One order: "🎯 +50% → sell 30%". ``due_in_s``: a stored time order's time left (shown
    "in 5h") instead of the template's delay ("after 6h")."""
    icon = _ICONS[part.kind]
    kind = part.kind
    if kind is LegKind.TAKE_PROFIT:
        trigger = _pct(part.trigger_bps or 0, "+")
    elif kind in (LegKind.STOP_LOSS, LegKind.DCA_IN):
        trigger = _pct(part.trigger_bps or 0, "-")
    elif kind is LegKind.TRAILING_STOP:
        trigger = _("trailing {distance} below the peak").format(
            distance=_pct(part.trigger_bps or 0)
        )
        if part.activation_bps is not None:
            trigger += " " + _("(from {gain})").format(gain=_pct(part.activation_bps, "+"))
    elif due_in_s is not None:
        trigger = _("in {duration}").format(duration=duration(due_in_s, _))
    else:
        trigger = _("after {duration}").format(duration=format_duration(part.after_s or 0))
    if kind is LegKind.DCA_IN:
        action = _("buy {sol}").format(sol=sol_from_lamports(part.buy_lamports or 0))
    else:
        action = _sell(part.sell_bps, _)
    return f"{icon} {trigger} → {action}"


def template_lines(parts: Sequence[TemplatePart], _: Translator) -> list[str]:
    return [part_line(p, _) for p in parts]


def _part_of(order: OrderView) -> TemplatePart:
    lamports = order.amount if order.amount_basis is AmountBasis.LAMPORTS else None
    share = None if lamports is not None else order.amount
    return TemplatePart(
        order.kind,
        trigger_bps=order.threshold_bps,
        sell_bps=share,
        activation_bps=order.activation_bps,
        buy_lamports=lamports,
    )


def state_text(order: OrderView, _: Translator) -> str:
    state = order.state
    if state is OrderState.ARMED:
        return _("armed")
    if state.in_flight:
        return _("⏳ executing")
    if state is OrderState.DONE:
        return _("✅ done")
    if state is OrderState.CANCELLED:
        return _("cancelled")
    return _("❌ failed ({reason})").format(reason=esc(order.reason or "?"))


def order_line(order: OrderView, now: datetime, _: Translator) -> str:
    due = (order.due_at - now).total_seconds() if order.due_at is not None else None
    return part_line(_part_of(order), _, due_in_s=due) + " · " + state_text(order, _)


def _header(token: TokenInfo, _: Translator, wallet: str | None = None) -> str:
    header = _("<b>TP/SL · {token}</b> {mint}").format(
        token=token_label(token), mint=code_address(token.mint)
    )
    if wallet is not None:
        header += " · " + _("wallet {wallet}").format(wallet=code_address(wallet))
    return header


def orders_view(
    token: TokenInfo,
    orders: Sequence[OrderView],
    now: datetime,
    lang: str,
    *,
    note: str | None = None,
    wallet: str | None = None,
) -> str:
    """A position's active orders (armed or executing) and what the buttons do. ``wallet``: the
    position's wallet, named when the user holds the mint in more than one."""
    _ = translator(lang)
    lines = [_header(token, _, wallet)]
    if note:
        lines.append(note)
    active = [o for o in orders if not o.state.terminal]
    if active:
        lines += [order_line(o, now, _) for o in active]
    else:
        lines.append(_("No armed orders on this position."))
    lines.append(
        _("Pick a preset, or Custom… to type a template like {example}.").format(
            example=f"<code>{esc(SYNTAX)}</code>"
        )
    )
    return "\n".join(lines)


def armed_note(armed: int, replaced: int, in_flight: int, lang: str) -> str:
    """What a new template did: armed N, replaced M, K still executing."""
    _ = translator(lang)
    parts = [_.ngettext("✅ {n} order armed.", "✅ {n} orders armed.", armed).format(n=armed)]
    if replaced:
        parts.append(
            _.ngettext(
                "It replaces {n} armed order.", "It replaces {n} armed orders.", replaced
            ).format(n=replaced)
        )
    if in_flight:
        parts.append(in_flight_note(in_flight, lang))
    return " ".join(parts)


def in_flight_note(in_flight: int, lang: str) -> str:
    _ = translator(lang)
    return _.ngettext(
        "{n} order already executing is left to finish.",
        "{n} orders already executing are left to finish.",
        in_flight,
    ).format(n=in_flight)


def cancelled_note(cancelled: int, in_flight: int, lang: str) -> str:
    _ = translator(lang)
    text = _.ngettext(
        "🗑 {n} armed order cancelled.", "🗑 {n} armed orders cancelled.", cancelled
    ).format(n=cancelled)
    if in_flight:
        text += " " + in_flight_note(in_flight, lang)
    return text


def custom_prompt(token: TokenInfo, lang: str) -> str:
    _ = translator(lang)
    return "\n".join(
        [
            _("Send the TP/SL template for {token} in your next message, e.g.").format(
                token=token_label(token)
            ),
            f"<code>{esc(SYNTAX)}</code>",
            syntax_help(lang),
        ]
    )


def syntax_help(lang: str) -> str:
    _ = translator(lang)
    presets = " · ".join(
        f"{esc(name)}: <code>{esc(text)}</code>" for name, text in PRESET_TEXTS.items()
    )
    return "\n".join(
        [
            _(
                "tp GAIN:SELL (take profit, % of the position) · sl LOSS · trail DIST [from GAIN]"
                " · time 30m|24h|2d · dcain DROP:SOL · dcaout AFTER:SELL"
            ),
            _("Presets: {presets}").format(presets=presets),
        ]
    )


def usage(lang: str) -> str:
    _ = translator(lang)
    return "\n".join(
        [
            _("Usage: {usage}. Example: {example}").format(usage=esc(USAGE), example=esc(EXAMPLE)),
            syntax_help(lang),
        ]
    )


def no_position(mint: str, lang: str) -> str:
    _ = translator(lang)
    return _("You have no open position in {mint}: /positions lists yours.").format(
        mint=code_address(mint)
    )


def no_position_number(number: str, lang: str) -> str:
    """``/tpsl #<number>`` with no such open position (``number`` as typed)."""
    _ = translator(lang)
    return _("You have no open position #{n}: /positions lists yours with their numbers.").format(
        n=esc(clip(number, 20))
    )


# ---- the mint is open in several wallets -------------------------------------------------------


class ChoiceAction(StrEnum):
    """What ``/tpsl <mint> …`` asked for, continued by the button of the position picked."""

    SHOW = "show"
    PRESET = "set"
    TEMPLATE = "tpl"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class PositionChoice:
    """One open position of the mint, as the choice lists it."""

    n: int  # its number in /positions
    position: PositionView
    armed: int  # orders armed on it
    executing: int  # orders executing now
    active_wallet: bool  # in the user's active trading wallet


def choice_button(choice: PositionChoice) -> str:
    return f"#{choice.n} · {short_address(choice.position.wallet)}"


def _orders_summary(choice: PositionChoice, _: Translator) -> str:
    parts = []
    if choice.armed:
        parts.append(
            _.ngettext("{n} order armed", "{n} orders armed", choice.armed).format(n=choice.armed)
        )
    if choice.executing:
        parts.append(
            _.ngettext("{n} order executing", "{n} orders executing", choice.executing).format(
                n=choice.executing
            )
        )
    return ", ".join(parts) if parts else _("no TP/SL")


def choice_line(choice: PositionChoice, token: TokenInfo, _: Translator) -> str:
    """ "#2 · wallet <code>AbCd…wxyz</code> (active) · 12.1M · entry 0.0000412 · no TP/SL"."""
    position = choice.position
    wallet = code_address(position.wallet)
    if choice.active_wallet:
        wallet += " " + _("(active)")
    entry = price(position.avg_price_sol) if position.avg_price_sol is not None else "?"
    return _("#{n} · wallet {wallet} · {size} · entry {entry} · {orders}").format(
        n=choice.n,
        wallet=wallet,
        size=token_amount(position.holding.token_amount_raw, token),
        entry=entry,
        orders=_orders_summary(choice, _),
    )


def choose_position(
    token: TokenInfo,
    choices: Sequence[PositionChoice],
    action: ChoiceAction,
    lang: str,
    *,
    template: str = "",
) -> str:
    """The mint is open in several wallets, or a /positions number was given with an action:
    nothing was changed; one line per position and what its button will do (``template``: the
    preset name or template text typed)."""
    _ = translator(lang)
    question = (
        _("Is this the position?")  # a /positions number: they shift as positions open, close
        if len(choices) == 1
        else _.ngettext(
            "You hold it in {n} wallet: which position?",
            "You hold it in {n} wallets: which position?",
            len(choices),
        ).format(n=len(choices))
    )
    lines = [
        _header(token, _),
        question,
        *(choice_line(c, token, _) for c in choices),
    ]
    if action in (ChoiceAction.PRESET, ChoiceAction.TEMPLATE):
        lines.append(
            _("Nothing is armed yet: the button arms {template} on that position only.").format(
                template=f"<code>{esc(clip(template, 80))}</code>"
            )
        )
    elif action is ChoiceAction.OFF:
        lines.append(
            _("Nothing is cancelled yet: the button cancels that position's armed orders only.")
        )
    else:
        lines.append(_("The button shows that position's orders."))
    return "\n".join(lines)


def choice_expired(lang: str) -> str:
    _ = translator(lang)
    return _("This choice has expired and nothing was changed: send the /tpsl command again.")


def position_closed(lang: str) -> str:
    _ = translator(lang)
    return _("This position is closed: /positions lists the open ones.")


def trading_needed(lang: str) -> str:
    _ = translator(lang)
    return _(
        "Trading is off for your account, so orders would never execute. Turn it on with "
        "/trading on, then set TP/SL."
    )


def template_error(error: TemplateTextError, lang: str) -> str:
    """A template mistake: the token and what was expected there."""
    _ = translator(lang)
    expected = {
        TemplateProblem.EMPTY: _("at least one order, e.g. tp 50:50 sl 25"),
        TemplateProblem.TOO_LONG: _("a shorter template (500 characters at most)"),
        TemplateProblem.UNKNOWN_WORD: _(
            "one of tp, sl, trail, time, dcain, dcaout, or a preset name"
        ),
        TemplateProblem.MISSING_VALUE: _("a value after it"),
        TemplateProblem.REPEATED: _("it only once"),
        TemplateProblem.PAIR: _("two values separated by “:”, e.g. 50:30"),
        TemplateProblem.PERCENT: _("a percentage such as 50 or 12.5% (two decimals at most)"),
        TemplateProblem.SIGN: _("no sign, or the one that fits (tp +50, sl -25)"),
        TemplateProblem.DURATION: _(
            "a duration such as 90s, 30m, 24h, 2d or 1h30m (365d at most)"
        ),
        TemplateProblem.SOL: _("an amount of SOL such as 0.1"),
    }
    if error.problem is TemplateProblem.INVALID:
        body = _("Template not accepted: {reason}").format(
            reason=esc(clip(core_message(error, lang), 200))
        )
    else:
        body = _('"{token}": expected {expected}.').format(
            token=esc(clip(error.token, 40)), expected=expected[error.problem]
        )
    return body + "\n" + _("Example: {example}").format(example=f"<code>{esc(SYNTAX)}</code>")
