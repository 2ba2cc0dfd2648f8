"""The wallet list (/list)::

    My wallets · 12 · sorted by PnL
    1. whale1  <code>2vr5…Bkef</code>  312 SOL · PnL +84.0 SOL · hit 61% · 👁 37

PnL is realized + unrealized (``WalletStats.pnl_lamports``); the hit-rate is the 30-day one
("hit –" when no position closed in 30 days); the balance is left out when unknown.
"""

from __future__ import annotations

from collections.abc import Sequence

from bots.telegram.formatters.numbers import clip, code_address, esc, percent, sol_from_lamports
from bots.telegram.i18n import Translator, translator
from core.storage.models import ListKind
from core.wallets.registry import RankedWallet, SortKey

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
