"""The wallet list (/list)::

    My wallets · 12 · sorted by PnL
    1. whale1  <code>2vr5…Bkef</code>  312 SOL · PnL +84.0 SOL · hit 61% · 👁 37

PnL is realized + unrealized (``WalletStats.pnl_lamports``); the hit-rate is the 30-day one
("hit –" when no position closed in 30 days); the balance is left out when unknown.

Also the answers of /watch, /unwatch, /feature and /unfeature (what happened first, then the
copyable address, alias and tags) and the labels of the /list buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bots.telegram.formatters.numbers import clip, code_address, esc, percent, sol_from_lamports
from bots.telegram.i18n import Translator, translator
from core.storage.models import ListKind
from core.wallets.registry import RankedWallet, SortKey, WalletEntry

ALIAS_MAX = 16
HIT_RATE_DAYS = 30


def _title(kind: ListKind | None, _: Translator) -> str:
    if kind is ListKind.MINE:
        return _("My wallets")
    if kind is ListKind.FEATURED:
        return _("Featured wallets")
    if kind is ListKind.COMMUNITY:
        return _("Community wallets")
    return _("Wallets")


def _sorted_by(sort: SortKey, _: Translator) -> str:
    if sort is SortKey.PNL:
        return _("sorted by PnL")
    if sort is SortKey.BALANCE:
        return _("sorted by balance")
    if sort is SortKey.HITRATE:
        return _("sorted by hit-rate 30d")
    if sort is SortKey.WATCHERS:
        return _("sorted by watchers")
    return _("sorted by trades")


def wallet_row(position: int, ranked: RankedWallet, _: Translator) -> str:
    entry, stats = ranked.entry, ranked.stats
    code = code_address(entry.address)
    if entry.alias:
        head = f"{position}. {esc(clip(entry.alias, ALIAS_MAX))}  {code}"
    else:
        head = f"{position}. {code}"
    facts = []
    if stats.balance_lamports is not None:
        facts.append(sol_from_lamports(stats.balance_lamports))
    facts.append(_("PnL {value}").format(value=sol_from_lamports(stats.pnl_lamports, signed=True)))
    rate = stats.hit_rate.get(HIT_RATE_DAYS)
    shown = percent(rate * 100, signed=False) if rate is not None else "–"
    facts.append(_("hit {rate}").format(rate=shown))
    facts.append(f"👁 {entry.monitor_count}")
    return f"{head}  {' · '.join(facts)}"


def wallet_list(
    wallets: Sequence[RankedWallet],
    lang: str,
    *,
    sort: SortKey = SortKey.PNL,
    kind: ListKind | None = ListKind.MINE,
    total: int | None = None,
    offset: int = 0,
) -> str:
    """One page of a wallet list; ``total`` is the list's size (default: ``len(wallets)``),
    ``offset`` the position of the first row minus one."""
    _ = translator(lang)
    count = total if total is not None else len(wallets)
    if count == 0 or not wallets:
        if kind is ListKind.MINE:
            return "\n".join(
                (
                    _("You watch no wallets yet."),
                    _("Add one: /watch &lt;address&gt; [alias] [tags], or import a CSV file."),
                )
            )
        return _("No wallets on this list yet.")
    title = f"{_title(kind, _)} · {count} · {_sorted_by(sort, _)}"
    rows = [wallet_row(offset + i, w, _) for i, w in enumerate(wallets, start=1)]
    return "\n".join([title, *rows])


# ---- /watch, /unwatch, /feature, /unfeature ---------------------------------------------------

NAME_MAX = 40


class Change(StrEnum):
    """What a /watch or /feature did to the list."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _details(entry: WalletEntry, _: Translator) -> list[str]:
    alias = esc(clip(entry.alias, NAME_MAX)) if entry.alias else "–"
    tags = esc(", ".join(entry.tags)) if entry.tags else "–"
    return [
        code_address(entry.address, short=False),
        _("Alias: {alias}").format(alias=alias),
        _("Tags: {tags}").format(tags=tags),
    ]


def watch_result(entry: WalletEntry, change: Change, lang: str) -> str:
    """/watch's answer: what happened first, then the copyable address, alias and tags::

    👁 Added to your list
    <code>2vr5nQYx…gBkef</code>
    Alias: whale1
    Tags: smart, kol
    See /list · stop with /unwatch
    """
    _ = translator(lang)
    if change is Change.ADDED:
        head = "👁 " + _("Added to your list")
    elif change is Change.UPDATED:
        head = "✏️ " + _("Updated on your list (alias and tags)")
    else:
        head = "👁 " + _("Already on your list; nothing changed")
    return "\n".join([head, *_details(entry, _), _("See /list · stop with /unwatch")])


def unwatch_result(entry: WalletEntry, lang: str) -> str:
    _ = translator(lang)
    return "\n".join(
        [
            "🗑 " + _("Removed from your list"),
            code_address(entry.address, short=False),
            _("See /list · add it back with /watch"),
        ]
    )


def feature_result(entry: WalletEntry, change: Change, lang: str) -> str:
    _ = translator(lang)
    if change is Change.ADDED:
        head = "⭐ " + _("Added to the featured list")
    elif change is Change.UPDATED:
        head = "✏️ " + _("Updated on the featured list")
    else:
        head = "⭐ " + _("Already on the featured list; nothing changed")
    return "\n".join([head, *_details(entry, _)])


def unfeature_result(address: str, lang: str) -> str:
    _ = translator(lang)
    return "\n".join(
        ["🗑 " + _("Removed from the featured list"), code_address(address, short=False)]
    )


def not_featured(address: str, lang: str) -> str:
    _ = translator(lang)
    return _("{address} is not on the featured list. See /list (Featured).").format(
        address=code_address(clip(address, 60), short=False)
    )


# ---- /list buttons ----------------------------------------------------------------------------


def kind_label(kind: ListKind, lang: str) -> str:
    _ = translator(lang)
    if kind is ListKind.MINE:
        return _("Mine")
    if kind is ListKind.FEATURED:
        return _("Featured")
    return _("Community")


def sort_label(sort: SortKey, lang: str) -> str:
    _ = translator(lang)
    if sort is SortKey.PNL:
        return _("PnL")
    if sort is SortKey.BALANCE:
        return _("Balance")
    if sort is SortKey.HITRATE:
        return _("Hit-rate")
    if sort is SortKey.WATCHERS:
        return _("Watchers")
    return _("Trades")


def list_action_label(action: str, lang: str) -> str:
    """The /list buttons under "My wallets": import | export."""
    _ = translator(lang)
    return _("Import CSV") if action == "import" else _("Export")
