"""Every inline button's payload, as aiogram CallbackData factories (one prefix each).

Telegram allows 64 bytes of callback data; a mint (≤ 44 base58 characters) fits with the short
prefixes below. Packing a value that does not fit raises at build time, not at the user.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class CardAction(CallbackData, prefix="c"):
    """Buttons under a signal card: why | activity | watch | refresh."""

    action: str
    mint: str


class BuyAction(CallbackData, prefix="b"):
    """Buy <lamports> of <mint>; lamports 0 is "custom amount"."""

    mint: str
    lamports: int


class SignalsPage(CallbackData, prefix="s"):
    """/signals: the top mints by Strength, one page."""

    page: int


class ActivityView(CallbackData, prefix="a"):
    """/activity and the card's Smart activity button. ``mint`` empty: every mint."""

    mint: str
    tag: str
    window_s: int
    page: int


class WalletsPage(CallbackData, prefix="w"):
    """/list: ``kind`` mine | featured | community, ``sort`` a core SortKey value."""

    kind: str
    sort: str
    page: int


class ExportFormat(CallbackData, prefix="x"):
    fmt: str  # csv | json


class SettingsAction(CallbackData, prefix="st"):
    """/settings buttons: toggle a filter or pick a value (``value`` as text)."""

    name: str
    value: str


class LangChoice(CallbackData, prefix="l"):
    lang: str


class RuleAction(CallbackData, prefix="r"):
    """/rules buttons: enable | disable | remove."""

    action: str
    rule_id: int


class TpslChoice(CallbackData, prefix="tc"):
    """/tpsl <mint> … when the mint is open in several of the user's wallets: continue the typed
    action on the position picked. ``action`` show | set (``preset``) | tpl | off; for tpl the
    template text stays in the chat's FSM data under ``ref`` (a template does not fit here)."""

    action: str
    position_id: int
    preset: str = ""
    ref: str = ""


class RuleRemoval(CallbackData, prefix="atrm"):
    """/autotrade's "Remove rule …?" question: ``remove`` removes the rule, else it is kept."""

    rule_id: int
    remove: bool
