"""The signal card (alerts and /signal), in UX.md's order::

    🟢 2.3x  PEPE2 · Pepe Two
    <code>7xKX…pump</code> · 4m old · curve 62%
    MC 41.2k USD · Price 0.0000412 · Liq 18.5k USD · Vol 5m 12.1 SOL
    Smart: 4 wallets bought 9.8 SOL in 3m (whale1, kol_ana, +2)
    Risk: ✅ no mint · ✅ no freeze · ⚠️ top10 38% · ✅ sellable
    "Launched 4m ago; buying accelerated after three tracked wallets entered…"
    Not financial advice.

Badge colour by the Strength as shown (one decimal): 🟢 >= 2.0, 🟡 >= 1.0, ⚪ below.
Lines without data are left out (no market figures yet, no smart buys). The mint is shown
short by default (as in UX.md; the Solscan / Pump.fun buttons carry the whole address) or whole
with ``CardView.full_mint``. Risk shows mint, freeze, top10 and sellable (honeypot) always (❔
when unknown), plus any other check that FAILED; ✅ pass, ⚠️ soft failure, ❌ hard failure
(someone can mint or freeze, cannot sell, blocklisted). As a photo caption (``as_caption``) the
card stays within 1024 characters: the narrative is shortened first, then dropped, then links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bots.telegram.formatters.numbers import (
    Instant,
    age,
    clip,
    code_address,
    duration,
    esc,
    esc_attr,
    percent,
    price,
    seconds_between,
    short_address,
    sol,
    usd,
    visible_length,
)
from bots.telegram.i18n import Translator, translator
from core.risk.report import Check, Verdict
from core.signals.risk import RiskBadge
from core.signals.signal import Signal

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
NARRATIVE_MAX = 400
NAME_MAX = 32
SYMBOL_MAX = 12
ALIAS_MAX = 16
NAMED_BUYERS = 2  # wallets named on the Smart line; the rest are "+N"

CORE_CHECKS = (Check.MINT_AUTHORITY, Check.FREEZE_AUTHORITY, Check.TOP10)
HARD_CHECKS = frozenset(
    {Check.MINT_AUTHORITY, Check.FREEZE_AUTHORITY, Check.HONEYPOT, Check.BLOCKLIST}
)
_PASS, _SOFT, _HARD, _UNKNOWN = "✅", "⚠️", "❌", "❔"


@dataclass(frozen=True, slots=True)
class SmartBuy:
    """A tracked wallet's buy as the card shows it."""

    wallet: str
    sol_amount: float
    at: Instant
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class CardView:
    """Everything a signal card shows. Market figures are None when unknown (left out).

    ``risk_badges`` None means the signal's own badges. ``narrative`` is plain text (escaped
    here), cut to 400 characters. ``links`` are rendered as a line of links only when given
    (the bot normally puts them on buttons).
    """

    signal: Signal
    symbol: str | None = None
    name: str | None = None
    created_at: Instant | None = None
    market_cap_usd: float | None = None
    price_sol: float | None = None
    liquidity_usd: float | None = None
    curve_progress_pct: float | None = None
    volume_5m_sol: float | None = None
    smart_buys: tuple[SmartBuy, ...] = ()
    risk_badges: tuple[RiskBadge, ...] | None = None
    narrative: str | None = None
    links: tuple[Link, ...] = ()
    full_mint: bool = False

    @property
    def mint(self) -> str:
        return self.signal.mint


def strength_badge(strength: float) -> str:
    """🟢 / 🟡 / ⚪ for the Strength rounded to one decimal, as it is shown."""
    shown = round(strength, 1)
    return "🟢" if shown >= 2.0 else "🟡" if shown >= 1.0 else "⚪"


def _title(view: CardView) -> str:
    strength = f"{view.signal.strength:.1f}x"
    symbol = esc(clip(view.symbol, SYMBOL_MAX)) if view.symbol else None
    name = esc(clip(view.name, NAME_MAX)) if view.name else None
    label = " · ".join(x for x in (symbol, name) if x) or esc(short_address(view.mint))
    return f"{strength_badge(view.signal.strength)} {strength}  {label}"


def _identity_line(view: CardView, now: Instant, _: Translator) -> str:
    parts = [code_address(view.mint, short=not view.full_mint)]
    if view.created_at is not None:
        parts.append(age(view.created_at, now, _))
    if view.curve_progress_pct is not None:
        pct = percent(view.curve_progress_pct, signed=False)
        parts.append(_("curve {pct}").format(pct=pct))
    return " · ".join(parts)


def _market_line(view: CardView, _: Translator) -> str | None:
    parts = []
    if view.market_cap_usd is not None:
        parts.append(_("MC {value}").format(value=usd(view.market_cap_usd)))
    if view.price_sol is not None:
        parts.append(_("Price {value}").format(value=price(view.price_sol)))
    if view.liquidity_usd is not None:
        parts.append(_("Liq {value}").format(value=usd(view.liquidity_usd)))
    if view.volume_5m_sol is not None:
        parts.append(_("Vol 5m {value}").format(value=sol(view.volume_5m_sol)))
    return " · ".join(parts) or None


def _wallet_label(buy: SmartBuy) -> str:
    return esc(clip(buy.alias, ALIAS_MAX)) if buy.alias else esc(short_address(buy.wallet))


def _smart_line(buys: Sequence[SmartBuy], now: Instant, _: Translator) -> str | None:
    """One entry per wallet (amounts summed), most SOL first."""
    if not buys:
        return None
    by_wallet: dict[str, SmartBuy] = {}
    for b in buys:
        seen = by_wallet.get(b.wallet)
        if seen is None:
            by_wallet[b.wallet] = b
        else:
            first = b.at if seconds_between(b.at, seen.at) > 0 else seen.at
            by_wallet[b.wallet] = SmartBuy(
                b.wallet, seen.sol_amount + b.sol_amount, first, seen.alias or b.alias
            )
    ranked = sorted(by_wallet.values(), key=lambda b: (-b.sol_amount, b.wallet))
    n = len(ranked)
    total = sum(b.sol_amount for b in ranked)
    span = max(max(seconds_between(b.at, now) for b in ranked), 60.0)
    names = [_wallet_label(b) for b in ranked[:NAMED_BUYERS]]
    if n > NAMED_BUYERS:
        names.append(f"+{n - NAMED_BUYERS}")
    text = _.ngettext(
        "Smart: {n} wallet bought {sol} in {duration}",
        "Smart: {n} wallets bought {sol} in {duration}",
        n,
    ).format(n=n, sol=sol(total), duration=duration(span, _))
    return f"{text} ({', '.join(names)})"


def _value_pct(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return percent(float(value), signed=False)
    return None


def _badge_text(badge: RiskBadge, _: Translator) -> str:
    check, verdict = badge.check, badge.verdict
    pct = _value_pct(badge.value)
    if verdict is Verdict.PASS:
        emoji = _PASS
    elif verdict is Verdict.FAIL:
        emoji = _HARD if check in HARD_CHECKS else _SOFT
    else:
        emoji = _UNKNOWN
    ok = verdict is not Verdict.FAIL  # unknown reads as the check's name: "❔ no mint"
    if check is Check.MINT_AUTHORITY:
        label = _("no mint") if ok else _("mint on")
    elif check is Check.FREEZE_AUTHORITY:
        label = _("no freeze") if ok else _("freeze on")
    elif check is Check.TOP10:
        label = _("top10 {pct}").format(pct=pct) if pct else _("top10")
    elif check is Check.TOP_HOLDER:
        label = _("top holder {pct}").format(pct=pct) if pct else _("top holder")
    elif check is Check.TRANSFER_TAX:
        label = _("tax {pct}").format(pct=pct) if pct else _("transfer tax")
    elif check is Check.DEV_SELLING:
        label = _("dev holds") if ok else _("dev sold")
    elif check is Check.LP_BURNT:
        label = _("LP burnt") if ok else _("LP not burnt")
    elif check is Check.HONEYPOT:
        label = _("sellable") if ok else _("not sellable")
    else:
        label = _("not blocklisted") if ok else _("blocklisted")
    return f"{emoji} {label}"


def risk_line(badges: Sequence[RiskBadge], _: Translator) -> str:
    """ "Risk: ✅ no mint · ✅ no freeze · ⚠️ top10 38% · ✅ sellable"."""
    by_check = {b.check: b for b in badges}

    def get(check: Check) -> RiskBadge:
        return by_check.get(check) or RiskBadge(check, Verdict.UNKNOWN)

    shown = [get(c) for c in CORE_CHECKS]
    shown += [
        b
        for b in badges
        if b.check not in CORE_CHECKS and b.check is not Check.HONEYPOT
        if b.verdict is Verdict.FAIL
    ]
    shown.append(get(Check.HONEYPOT))
    return _("Risk: {badges}").format(badges=" · ".join(_badge_text(b, _) for b in shown))


def _narrative_line(text: str, limit: int, _: Translator) -> str | None:
    body = clip(text, limit)
    if not body or body == "…":
        return None
    return _('"{text}"').format(text=esc(body))


def _links_line(links: Sequence[Link]) -> str | None:
    if not links:
        return None
    return " · ".join(f'<a href="{esc_attr(x.url)}">{esc(x.label)}</a>' for x in links)


def _assemble(
    view: CardView, now: Instant, _: Translator, narrative_max: int, with_links: bool
) -> str:
    badges = view.risk_badges if view.risk_badges is not None else view.signal.risk_badges
    lines = [
        _title(view),
        _identity_line(view, now, _),
        _market_line(view, _),
        _smart_line(view.smart_buys, now, _),
        risk_line(badges, _),
        _narrative_line(view.narrative, narrative_max, _) if view.narrative else None,
        _("Not financial advice."),
        _links_line(view.links) if with_links else None,
    ]
    return "\n".join(line for line in lines if line)


def signal_card(view: CardView, lang: str, now: Instant, *, as_caption: bool = False) -> str:
    """The card as Telegram HTML; within 1024 visible characters with ``as_caption``."""
    _ = translator(lang)
    limit = CAPTION_LIMIT if as_caption else MESSAGE_LIMIT
    text = _assemble(view, now, _, NARRATIVE_MAX, True)
    if visible_length(text) <= limit:
        return text
    over = visible_length(text) - limit
    if view.narrative:
        shown = len(clip(view.narrative, NARRATIVE_MAX))
        text = _assemble(view, now, _, max(0, shown - over - 1), True)
        if visible_length(text) <= limit:
            return text
    text = _assemble(view, now, _, 0, True)
    if visible_length(text) <= limit:
        return text
    return _assemble(view, now, _, 0, False)
