"""The operator's blocklist of mints and creators: addresses, each with an optional reason.

Text form (one entry a line): ``<base58 address> [reason...]``; ``#`` starts a comment.
Parsing is pure; ``Blocklist.from_file`` is the one convenience that reads a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from solders.pubkey import Pubkey

from core.errors import UserInputError


@dataclass(frozen=True, slots=True)
class Blocklist:
    """Blocked addresses → reason ("" when none was given)."""

    entries: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, addresses: Iterable[str], reason: str = "") -> Blocklist:
        return cls(MappingProxyType({_address(a, 0): reason for a in addresses}))

    @classmethod
    def parse(cls, text: str) -> Blocklist:
        """Parse the text form; a malformed address is a ``UserInputError`` naming its line."""
        entries: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            address, _, reason = line.partition(" ")
            entries[_address(address, number)] = reason.strip()
        return cls(MappingProxyType(entries))

    @classmethod
    def from_file(cls, path: Path) -> Blocklist:
        return cls.parse(path.read_text(encoding="utf-8"))

    def reason(self, address: str | None) -> str | None:
        """The reason ``address`` is blocked ("" if none given), or None if it is not."""
        if address is None:
            return None
        return self.entries.get(address)

    def __contains__(self, address: object) -> bool:
        return address in self.entries

    def __len__(self) -> int:
        return len(self.entries)


def _address(text: str, line: int) -> str:
    try:
        return str(Pubkey.from_string(text))
    except ValueError as exc:
        if line:
            raise UserInputError(
                "blocklist line {line}: {text} is not a base58 Solana address",
                line=line,
                text=repr(text),
            ) from exc
        raise UserInputError(
            "blocklist {text} is not a base58 Solana address", text=repr(text)
        ) from exc
