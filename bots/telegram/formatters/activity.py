"""The Smart activity table (/activity and its button) as Telegram HTML.

Seven columns do not fit a phone's 40 monospace characters, so each fill takes two lines in a
``<pre>`` block (widths counted in display cells: an emoji is two)::

    Smart activity · PEPE2 · last 10m
    <pre>Time  Wallet         Side       Value
          Price SOL     MC SOL    Amount
    12:04 whale1 🐋      BUY     10.0 SOL
          0.0000398      39.8k      251k
    </pre>
    Buys 13.0 SOL · Sells 0.0 SOL · Net +13.0 SOL · 2 wallets
    Fills 1–2 of 2

Tag emoji: 🐋 whale, ⭐ kol (one per row, whale first). Times are clock times in ``tz``
(UTC unless given). Without a mint filter the MC column shows the token's symbol instead.
Rows that would push the message past 4096 characters are left out ("…"). A tag filter is
named in the title ("Smart activity · all tokens · kol · last 1h").
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, tzinfo

from bots.telegram.formatters.numbers import (
    clip,
    compact,
    esc,
    price,
    short_address,
    sol_from_lamports,
    utf16_length,
    visible_length,
)
from bots.telegram.i18n import Translator, translator
from core.market.curve import TOKEN_DECIMALS
from core.signals.activity import ActivityPage, ActivityRow, Side

ROW_WIDTH = 40
MESSAGE_LIMIT = 4096
TAG_EMOJI = (("whale", "🐋"), ("kol", "⭐"))
_WALLET_W, _SIDE_W, _VALUE_W = 14, 5, 12
_PRICE_W, _MC_W, _AMOUNT_W = 12, 8, 10


def cell_width(text: str) -> int:
    """Monospace cells: wide (emoji, CJK) characters take two, combining marks none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch == "\ufe0f":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_width(text))


def _rjust(text: str, width: int) -> str:
    return " " * max(0, width - cell_width(text)) + text


def _fit(text: str, width: int) -> str:
    while cell_width(text) > width:
        text = text[:-2] + "…"
    return text


def window_label(window_s: int, _: Translator) -> str:
    """Exact and short: 90 -> "90s", 600 -> "10m", 5400 -> "90m", 3600 -> "1h", 86400 -> "24h",
    36 h -> "36h", 3 days -> "3d" (hours up to 48 h, days beyond when whole)."""
    if window_s > 48 * 3600 and window_s % 86_400 == 0:
        return _("{n}d").format(n=window_s // 86_400)
    if window_s >= 3600 and window_s % 3600 == 0:
        return _("{n}h").format(n=window_s // 3600)
    if window_s >= 60 and window_s % 60 == 0:
        return _("{n}m").format(n=window_s // 60)
    return _("{n}s").format(n=window_s)


def _wallet_cell(row: ActivityRow) -> str:
    emoji = next((e for tag, e in TAG_EMOJI if tag in row.tags), None)
    name = row.alias or short_address(row.wallet)
    room = _WALLET_W - (3 if emoji else 0)
    name = _fit(" ".join(name.split()), room)
    return f"{name} {emoji}" if emoji else name


def _side(side: Side, _: Translator) -> str:
    return _("BUY") if side is Side.BUY else _("SELL")


def _amount(row: ActivityRow) -> str:
    decimals = row.decimals if row.decimals is not None else TOKEN_DECIMALS
    return compact(row.token_amount_raw / 10**decimals)


def _row_lines(row: ActivityRow, tz: tzinfo, by_token: bool, _: Translator) -> str:
    clock = row.time.astimezone(tz).strftime("%H:%M")
    first = (
        f"{clock:<5} {_ljust(_wallet_cell(row), _WALLET_W)} "
        f"{_ljust(_side(row.side, _), _SIDE_W)}"
        f"{_rjust(sol_from_lamports(row.sol_lamports), _VALUE_W)}"
    )
    if by_token:
        middle = _fit(row.symbol or short_address(row.mint), _MC_W)
    else:
        middle = compact(row.market_cap_sol) if row.market_cap_sol is not None else "?"
    second = (
        f"{'':5} {_ljust(price(row.price_sol), _PRICE_W)}{_rjust(middle, _MC_W)}"
        f"{_rjust(_amount(row), _AMOUNT_W)}"
    )
    return f"{first.rstrip()}\n{second.rstrip()}"


def _header_lines(by_token: bool, _: Translator) -> str:
    first = (
        f"{_ljust(_('Time'), 5)} {_ljust(_('Wallet'), _WALLET_W)} "
        f"{_ljust(_('Side'), _SIDE_W)}{_rjust(_('Value'), _VALUE_W)}"
    )
    middle = _("Token") if by_token else _("MC SOL")
    second = (
        f"{'':5} {_ljust(_('Price SOL'), _PRICE_W)}{_rjust(middle, _MC_W)}"
        f"{_rjust(_('Amount'), _AMOUNT_W)}"
    )
    return f"{first.rstrip()}\n{second.rstrip()}"


def _subject(page: ActivityPage, symbol: str | None, _: Translator) -> str:
    if page.mint is None:
        return _("all tokens")
    shown = symbol or next((r.symbol for r in page.rows if r.symbol), None)
    return esc(clip(shown, 12)) if shown else esc(short_address(page.mint))


def _totals_line(page: ActivityPage, _: Translator) -> str:
    t = page.totals
    wallets = _.ngettext("{n} wallet", "{n} wallets", t.unique_wallets).format(n=t.unique_wallets)
    return _("Buys {buys} · Sells {sells} · Net {net} · {wallets}").format(
        buys=sol_from_lamports(t.buy_lamports),
        sells=sol_from_lamports(t.sell_lamports),
        net=sol_from_lamports(t.net_lamports, signed=True),
        wallets=wallets,
    )


def _title(page: ActivityPage, symbol: str | None, _: Translator) -> str:
    subject = _subject(page, symbol, _)
    if page.tags:
        subject = f"{subject} · {esc(', '.join(sorted(page.tags)))}"
    return _("Smart activity · {subject} · last {window}").format(
        subject=subject, window=window_label(page.window_s, _)
    )


def _empty_lines(
    page: ActivityPage, symbol: str | None, watch_hint: bool, _: Translator
) -> list[str]:
    window = window_label(page.window_s, _)
    if page.mint is None:
        nothing = _("No tracked wallet traded in the last {window}.").format(window=window)
    else:
        nothing = _("No tracked wallet traded {subject} in the last {window}.").format(
            subject=_subject(page, symbol, _), window=window
        )
    lines = [nothing, _("Try a longer window (1h, 24h) or all wallets.")]
    if watch_hint:
        lines.append(esc(_("Track more wallets: /watch <address> [alias] [tags].")))
    return lines


def activity_table(
    page: ActivityPage,
    lang: str,
    *,
    symbol: str | None = None,
    tz: tzinfo = UTC,
    watch_hint: bool = False,
) -> str:
    """The Smart activity message for one page (header, table, totals, paging).

    The title names the tag filter when there is one. An empty window says so; with
    ``watch_hint`` it also says how to track more wallets (/watch)."""
    _ = translator(lang)
    title = _title(page, symbol, _)
    if not page.rows:
        return "\n".join((title, *_empty_lines(page, symbol, watch_hint, _)))
    by_token = page.mint is None
    totals = _totals_line(page, _)
    first, last = page.offset + 1, page.offset + len(page.rows)
    paging = _("Fills {first}–{last} of {total}").format(
        first=first, last=last, total=page.totals.fills
    )
    blocks = [_header_lines(by_token, _)]
    budget = MESSAGE_LIMIT - visible_length(f"{title}\n\n{totals}\n{paging}") - 2
    used = utf16_length(blocks[0])
    for row in page.rows:
        lines = _row_lines(row, tz, by_token, _)
        if used + utf16_length(lines) + 1 > budget:
            blocks.append("…")
            break
        blocks.append(lines)
        used += utf16_length(lines) + 1
    table = esc("\n".join(blocks))
    return f"{title}\n<pre>{table}</pre>\n{totals}\n{paging}"
