"""Pure renderers of core data as Telegram HTML messages (UX.md), in English and French.

Every function takes data, a language code and (where times are shown) ``now``, and returns a
string; user-controlled text (names, symbols, aliases, inputs) is HTML-escaped.
"""

from bots.telegram.formatters.activity import activity_table
from bots.telegram.formatters.card import CardView, Link, SmartBuy, risk_line, signal_card
from bots.telegram.formatters.errors import (
    internal_error,
    missing_argument,
    not_a_number,
    not_an_address,
    not_watched,
    out_of_range,
    unknown_command,
    user_input_error,
)
from bots.telegram.formatters.trade import trading_off
from bots.telegram.formatters.wallets import wallet_list
from bots.telegram.formatters.why import why_block, why_text

__all__ = [
    "CardView",
    "Link",
    "SmartBuy",
    "activity_table",
    "internal_error",
    "missing_argument",
    "not_a_number",
    "not_an_address",
    "not_watched",
    "out_of_range",
    "risk_line",
    "signal_card",
    "trading_off",
    "unknown_command",
    "user_input_error",
    "wallet_list",
    "why_block",
    "why_text",
]
