"""Deterministic addresses, signatures and token names for the simulated market.

Everything derives from the caller's ``random.Random``: the same seed gives the same keys.
Pubkeys are random 32 bytes (valid base58 pubkeys; on- or off-curve does not matter to logs).
"""

from __future__ import annotations

import random

from solders.pubkey import Pubkey
from solders.signature import Signature

_ADJECTIVES = (
    "Based",
    "Giga",
    "Tiny",
    "Angry",
    "Sleepy",
    "Golden",
    "Cosmic",
    "Turbo",
    "Baby",
    "Super",
    "Dark",
    "Happy",
    "Frozen",
    "Lucky",
    "Mad",
    "Shiny",
    "Wild",
    "Retro",
    "Pixel",
    "Moon",
)
_NOUNS = (
    "Frog",
    "Cat",
    "Dog",
    "Pepe",
    "Hamster",
    "Wizard",
    "Penguin",
    "Goblin",
    "Shiba",
    "Monkey",
    "Duck",
    "Otter",
    "Banana",
    "Rocket",
    "Whale",
    "Bonk",
    "Chad",
    "Ape",
    "Toad",
    "Fart",
)


class KeyMaker:
    """Random pubkeys / signatures drawn from one seeded generator."""

    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def pubkey(self) -> str:
        return str(Pubkey(self._rng.randbytes(32)))

    def signature(self) -> str:
        return str(Signature(self._rng.randbytes(64)))

    def blockhash(self) -> str:
        return self.pubkey()


def token_identity(rng: random.Random) -> tuple[str, str, str]:
    """A plausible ``(name, symbol, uri)`` for a new Pump.fun token."""
    name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    symbol = "".join(w[:3] for w in name.split()).upper()[:6]
    cid = "bafkrei" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(52))
    return name, symbol, f"https://ipfs.io/ipfs/{cid}"
