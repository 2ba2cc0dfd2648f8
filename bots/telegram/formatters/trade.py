"""Replies of the trade buttons. While trading is not enabled for a user, a Buy button answers
that no order was sent, and how trading gets enabled: never a quote or a pretend fill."""

from __future__ import annotations

from bots.telegram.formatters.numbers import clip, esc, short_address, sol
from bots.telegram.i18n import translator


def trading_off(
    amount_sol: float | None,
    symbol: str | None,
    mint: str,
    lang: str,
    *,
    setup_command: str | None = None,
) -> str:
    """The reply of a Buy button while trading is off for the user.

    ``setup_command`` is the command that enables trading for an account (e.g. "/trading");
    without one (the trading set-up does not exist yet) the reply says the bot does not offer
    trading yet. ``amount_sol`` None: the custom-amount button (no amount chosen).
    """
    _ = translator(lang)
    token = esc(clip(symbol, 12)) if symbol else esc(short_address(mint))
    if setup_command:
        how = _(
            "run {command} to connect a wallet and set your limits (trading is off by default)"
        ).format(command=esc(setup_command))
    else:
        how = _("this bot does not offer trading yet (it is off by default)")
    if amount_sol is None:
        return _("Trading is off for your account: {how} — no order was sent for {token}.").format(
            how=how, token=token
        )
    return _(
        "Trading is off for your account: {how} — no order was sent for {amount} of {token}."
    ).format(how=how, amount=sol(amount_sol), token=token)
