"""The one error tree of Solsignals. Names say what the caller should do.

- ConfigError: fatal at start; names the setting and an example value.
- UpstreamError: a provider (RPC, websocket, Jupiter, Vault) failed; ``retryable`` says whether
  trying again can help.
- RiskRejection: a safety rule refused an action; ``reason`` is what the user sees.
- UserInputError: the user's input is wrong; the message says what and how to fix it.
- DecodeError: bytes or log lines that cannot be decoded; ``kind`` is the counted category.

The messages a user sees (RiskRejection, UserInputError) are translatable: each is an English
``str.format`` template written as a literal (a gettext msgid a front end may translate) and its
named params; ``str(exc)`` is the English text. A param may itself be a ``Text`` (a translatable
phrase). Only a template with params is formatted, so literal braces are doubled only there.
"""

from __future__ import annotations

from collections.abc import Mapping


def english(template: str, params: Mapping[str, object]) -> str:
    """The English text of a template and its params (formatted only when there are params)."""
    return template.format(**params) if params else template


class Text:
    """A translatable phrase: ``Text("{n} tokens", n=3)``; ``str()`` is the English text."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params: Mapping[str, object] = params

    def __str__(self) -> str:
        return english(self.template, self.params)

    def __repr__(self) -> str:
        return f"Text({self.template!r}, **{dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.template, self.params) == (
            other.template,
            other.params,
        )

    def __hash__(self) -> int:
        return hash(self.template)


class SolsignalsError(Exception):
    """Base of every error raised on purpose by Solsignals."""


class ConfigError(SolsignalsError):
    def __init__(self, setting: str, problem: str, example: str) -> None:
        self.setting = setting
        self.problem = problem
        self.example = example
        super().__init__(f"{setting}: {problem} (example: {setting}={example})")


class UpstreamError(SolsignalsError):
    def __init__(self, message: str, *, retryable: bool, provider: str | None = None) -> None:
        self.retryable = retryable
        self.provider = provider
        super().__init__(message)


class RpcError(UpstreamError):
    """A JSON-RPC error object returned by a Solana node (code, message, data)."""

    def __init__(
        self, code: int, message: str, data: object = None, *, provider: str | None = None
    ) -> None:
        self.code = code
        self.data = data
        # -32005 node unhealthy, -32004 block not available, -32014 status not yet available,
        # -32016 min context slot not reached: the same call may succeed later or elsewhere.
        retryable = code in (-32004, -32005, -32014, -32016, -32603)
        super().__init__(f"RPC error {code}: {message}", retryable=retryable, provider=provider)


class RiskRejection(SolsignalsError):
    """``RiskRejection("price impact {impact} > {limit}", impact=..., limit=...)``; ``reason`` is
    the English text, ``template`` and ``params`` let a front end translate it."""

    def __init__(self, reason: str, /, **params: object) -> None:
        self.template = reason
        self.params: Mapping[str, object] = params
        self.reason = english(reason, params)
        super().__init__(self.reason)


class UserInputError(SolsignalsError):
    """``UserInputError('"{value}" is not a valid amount', value=text)``: ``str(exc)`` is the
    English text, ``template`` and ``params`` let a front end translate it."""

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params: Mapping[str, object] = params
        super().__init__(english(template, params))


class DecodeError(SolsignalsError):
    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(f"{kind}: {message}")
