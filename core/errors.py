"""The one error tree of Solsignals. Names say what the caller should do.

- ConfigError: fatal at start; names the setting and an example value.
- UpstreamError: a provider (RPC, websocket, Jupiter, Vault) failed; ``retryable`` says whether
  trying again can help.
- RiskRejection: a safety rule refused an action; ``reason`` is what the user sees.
- UserInputError: the user's input is wrong; the message says what and how to fix it.
- DecodeError: bytes or log lines that cannot be decoded; ``kind`` is the counted category.
"""

from __future__ import annotations


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
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class UserInputError(SolsignalsError):
    pass


class DecodeError(SolsignalsError):
    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(f"{kind}: {message}")
