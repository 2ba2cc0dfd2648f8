"""User-facing error lines: what was wrong (with the input), and how to fix it, in one or two
lines. Inputs are clipped to 40 characters and escaped.

Core's messages (``UserInputError``, ``RiskRejection``, a ``Text`` param) are English templates
with params: ``core_message`` translates the template through the catalogs (``core_errors.po``),
then formats it with the params, each ``Text`` param translated the same way."""

from __future__ import annotations

from bots.telegram.formatters.numbers import clip, esc
from bots.telegram.i18n import translator
from core.errors import RiskRejection, Text, UserInputError

INPUT_MAX = 40
EXAMPLE_ADDRESS = "7xKX…pump"


def _shown(text: str) -> str:
    return esc(clip(text, INPUT_MAX))


def not_an_address(text: str, lang: str, *, example: str = "/watch 7xKX…pump whale1 smart") -> str:
    """``"abc" is not a Solana address (base58, 32–44 characters). Example: /watch …``."""
    _ = translator(lang)
    return _(
        '"{text}" is not a Solana address (base58, 32–44 characters). Example: {example}'
    ).format(text=_shown(text), example=esc(example))


def missing_argument(usage: str, lang: str) -> str:
    """``Missing argument. Usage: /watch <address> [alias] [tags]``."""
    _ = translator(lang)
    return _("Missing argument. Usage: {usage}").format(usage=esc(usage))


def not_a_number(text: str, what: str, lang: str, *, example: str) -> str:
    """``"abc" is not a number for amount. Example: /buy 7xKX…pump 0.5``."""
    _ = translator(lang)
    return _('"{text}" is not a number for {what}. Example: {example}').format(
        text=_shown(text), what=esc(what), example=esc(example)
    )


def out_of_range(what: str, value: str, allowed: str, lang: str) -> str:
    """``slippage 80% is out of range (allowed: 0.1–50%).``"""
    _ = translator(lang)
    return _("{what} {value} is out of range (allowed: {allowed}).").format(
        what=esc(what), value=_shown(value), allowed=esc(allowed)
    )


def unknown_command(command: str, lang: str) -> str:
    _ = translator(lang)
    return _("Unknown command {command}. Send /help for the list.").format(command=_shown(command))


def not_watched(address: str, lang: str) -> str:
    """``2vr5…Bkef is not on your list. See /list, or add it with /watch <address>``."""
    _ = translator(lang)
    return _("{address} is not on your list. See /list, or add it with /watch.").format(
        address=f"<code>{_shown(address)}</code>"
    )


def core_message(message: UserInputError | RiskRejection | Text, lang: str) -> str:
    """A core message in ``lang``, as plain text (escape it to show it in HTML). A message the
    bot raised itself (already translated, no params) is returned as it is."""
    template = translator(lang).gettext(message.template)  # a msgid of core_errors.po
    if not message.params:
        return template
    params = {
        name: core_message(value, lang) if isinstance(value, Text) else value
        for name, value in message.params.items()
    }
    return template.format(**params)


def user_input_error(error: UserInputError, lang: str) -> str:
    """``Not accepted: <the reason>``: a ``UserInputError`` in ``lang``, escaped for HTML (the
    params carry the user's input); it names the field and the allowed range."""
    _ = translator(lang)
    return _("Not accepted: {message}").format(message=esc(clip(core_message(error, lang), 300)))


def internal_error(reference: str, lang: str) -> str:
    """Our fault, not the user's: nothing changed, a reference for the operator's logs."""
    _ = translator(lang)
    return _("Something went wrong on our side; nothing was changed. Reference: {ref}").format(
        ref=f"<code>{esc(reference)}</code>"
    )
