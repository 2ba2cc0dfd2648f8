"""A Smart Activity alert (``activity.out``) as a short Telegram HTML message::

    🐋 Smart activity · PEPE2 · 10m: 4 tracked wallets bought 62.5 SOL (sold 3.0 SOL)
    Wallets: whale1 (whale), kol_ana (kol), <code>2vr5…Bkef</code>, +1
    <code>7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU</code>

The most important fact first: the window's buys (its sells in brackets, when any), then the
wallets, most SOL traded first (alias, else the short address; their tags in brackets), then the
token's whole address (tap to copy). A global alert (every mint) reads "all tokens" and has no
address line. The symbol is the token's when known, else its short address.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bots.telegram.formatters.activity import window_label
from bots.telegram.formatters.numbers import (
    clip,
    code_address,
    esc,
    short_address,
    sol_from_lamports,
)
from bots.telegram.i18n import Translator, translator
from core.signals.activity_alerts import ActivityAlert

EMOJI = "🐋"
SYMBOL_MAX = 12
ALIAS_MAX = 16
NAMED_WALLETS = 3  # wallets named; the rest are "+N"
TAGS_SHOWN = 2  # tags named per wallet


@dataclass(frozen=True, slots=True)
class WalletLabel:
    """A tracked wallet as an alert names it."""

    alias: str | None
    tags: tuple[str, ...] = ()


def _subject(alert: ActivityAlert, symbol: str | None, _: Translator) -> str:
    if alert.mint is None:
        return _("all tokens")
    return esc(clip(symbol, SYMBOL_MAX)) if symbol else esc(short_address(alert.mint))


def _wallet(address: str, label: WalletLabel | None) -> str:
    if label is not None and label.alias:
        name = esc(clip(label.alias, ALIAS_MAX))
    else:
        name = code_address(address)
    tags = label.tags[:TAGS_SHOWN] if label is not None else ()
    return f"{name} ({esc(', '.join(tags))})" if tags else name


def _wallets_line(
    alert: ActivityAlert, wallets: Mapping[str, WalletLabel], _: Translator
) -> str | None:
    if not alert.wallets:
        return None
    names = [_wallet(a, wallets.get(a)) for a in alert.wallets[:NAMED_WALLETS]]
    if len(alert.wallets) > NAMED_WALLETS:
        names.append(f"+{len(alert.wallets) - NAMED_WALLETS}")
    return _("Wallets: {wallets}").format(wallets=", ".join(names))


def activity_alert(
    alert: ActivityAlert,
    lang: str,
    *,
    symbol: str | None = None,
    wallets: Mapping[str, WalletLabel] | None = None,
) -> str:
    """The alert's message in ``lang`` (Telegram HTML)."""
    _ = translator(lang)
    n = len(alert.wallets)
    what = _.ngettext(
        "{n} tracked wallet bought {sol}", "{n} tracked wallets bought {sol}", n
    ).format(n=n, sol=sol_from_lamports(alert.buy_lamports))
    if alert.sell_lamports > 0:
        sold = _("(sold {sol})").format(sol=sol_from_lamports(alert.sell_lamports))
        what = f"{what} {sold}"
    title = _("Smart activity · {subject} · {window}: {what}").format(
        subject=_subject(alert, symbol, _), window=window_label(alert.window_s, _), what=what
    )
    lines = [
        f"{EMOJI} {title}",
        _wallets_line(alert, wallets or {}, _),
        code_address(alert.mint, short=False) if alert.mint is not None else None,
    ]
    return "\n".join(line for line in lines if line)
