"""Anchor instruction data -> ``DecodedInstruction``: IDL name, decoded args, named accounts.

An instruction of an Anchor program is ``discriminator (8 bytes) + Borsh args``. The
discriminator alone picks the IDL instruction (never the number of accounts: Pump.fun ``buy``
has had 12, 14 and 16 accounts over time). Args are decoded by the same compiled Borsh reader
as events (``core.decode.borsh``): an instruction's args layout has exactly the shape of an
event layout (program, name, discriminator, fields), so it is compiled as one.

Rules (see docs/architecture.md, "Decoding rules"):

- Prefix layouts: older clients send fewer trailing args (Pump.fun ``buy`` without
  ``track_volume``). Data ending on an arg boundary decodes to the args present; the missing
  ones are absent from ``args`` (not ``None``). Data ending inside an arg is TRUNCATED.
- Extra bytes after the last IDL arg are ignored (as Anchor's own deserializer does).
- Single-field tuple structs (newtypes such as ``OptionBool(bool)``) decode to their inner
  value: ``track_volume`` is ``True`` / ``False``, not ``{"_0": True}``. Their Borsh bytes are
  the inner value's bytes, so this only changes the Python shape.
- Accounts are named positionally by the IDL account list (composite account groups are
  flattened in order). Accounts beyond the IDL list go to ``accounts["remaining"]`` (a list);
  fewer accounts than the IDL lists name only those present.
- Anchor self-CPI event instructions (``EVENT_CPI_TAG`` prefix) are not instructions: they are
  decoded by ``core.decode.logs.decode_event_data`` and count here as unknown discriminators.

Nothing raises on bad input: failures are counted in ``DecodeStats`` by ``FailureKind`` and
``None`` is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from core.decode.borsh import EventBodyDecoder
from core.decode.events import DecodeStats, FailureKind
from core.decode.idl import IDL_FILES, EventLayout, FieldSpec, TypeSpec, load_idl, parse_fields
from core.errors import DecodeError
from core.programs import Program

__all__ = [
    "REMAINING_ACCOUNTS",
    "DecodedInstruction",
    "InstructionLayout",
    "decode_instruction",
    "instruction_layouts",
    "is_token_2022_create",
    "parse_idl_instructions",
]

REMAINING_ACCOUNTS = "remaining"
"""Key of ``DecodedInstruction.accounts`` holding the accounts beyond the IDL list."""

DISCRIMINATOR_SIZE = 8


@dataclass(frozen=True, slots=True)
class InstructionLayout:
    """One IDL instruction: discriminator, Borsh args in order, account names in order."""

    program: Program
    name: str
    discriminator: bytes
    args: tuple[FieldSpec, ...]
    account_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecodedInstruction:
    """An instruction as its program received it.

    ``name`` is the IDL snake_case name (``buy``, ``create_v2``). ``args`` maps IDL arg names
    to values: pubkeys as base58 ``str``, integers as ``int`` (raw units), bools, strings.
    ``accounts`` maps IDL account names to base58 pubkeys, plus ``"remaining"`` (a list) when
    more accounts were passed than the IDL lists.
    """

    program: Program
    name: str
    args: dict[str, Any]
    accounts: dict[str, Any]

    def account(self, name: str) -> str | None:
        """The pubkey passed as IDL account ``name``; None when the instruction had fewer."""
        value = self.accounts.get(name)
        return value if isinstance(value, str) else None

    @property
    def remaining_accounts(self) -> list[str]:
        return list(self.accounts.get(REMAINING_ACCOUNTS, ()))


def is_token_2022_create(ix: DecodedInstruction) -> bool:
    """True for a Pump.fun ``create_v2``: its mint is a Token-2022 mint (legacy ``create`` is
    SPL Token with Metaplex metadata). Read the new mint's account with the Token-2022 program.
    """
    return ix.program is Program.PUMP and ix.name == "create_v2"


# --- IDL -> layouts ------------------------------------------------------------------------------


def _unwrap_newtypes(t: TypeSpec) -> TypeSpec:
    """Replace single-field tuple structs (``OptionBool(bool)``) by their inner type."""
    if isinstance(t, str):
        return t
    tag = t[0]
    if tag == "struct":
        fields: tuple[FieldSpec, ...] = t[1]
        if len(fields) == 1 and fields[0].name == "_0":
            return _unwrap_newtypes(fields[0].type)
        return ("struct", tuple(FieldSpec(f.name, _unwrap_newtypes(f.type)) for f in fields))
    if tag in ("vec", "option"):
        return (tag, _unwrap_newtypes(t[1]))
    if tag == "array":
        return ("array", _unwrap_newtypes(t[1]), t[2])
    if tag == "enum":
        return (
            "enum",
            tuple(
                (name, tuple(FieldSpec(f.name, _unwrap_newtypes(f.type)) for f in fields))
                for name, fields in t[1]
            ),
        )
    return t


def _account_names(raw: list[dict[str, Any]]) -> tuple[str, ...]:
    names: list[str] = []
    for acc in raw:
        if "accounts" in acc:  # composite account group: its accounts, in order
            names.extend(_account_names(acc["accounts"]))
        else:
            names.append(acc["name"])
    return tuple(names)


def parse_idl_instructions(program: Program, idl: dict[str, Any]) -> tuple[InstructionLayout, ...]:
    """Instruction layouts of an Anchor >= 0.30 IDL (instructions carry discriminators)."""
    types = {t["name"]: t for t in idl.get("types", [])}
    layouts = []
    for ix in idl.get("instructions", []):
        args = tuple(
            FieldSpec(f.name, _unwrap_newtypes(f.type))
            for f in parse_fields(ix.get("args", []), types)
        )
        layouts.append(
            InstructionLayout(
                program=program,
                name=ix["name"],
                discriminator=bytes(ix["discriminator"]),
                args=args,
                account_names=_account_names(ix.get("accounts", [])),
            )
        )
    return tuple(layouts)


@cache
def instruction_layouts(program: Program) -> tuple[InstructionLayout, ...]:
    """All instruction layouts of a program's bundled IDL (empty for programs without one)."""
    if program not in IDL_FILES:
        return ()
    return parse_idl_instructions(program, load_idl(program))


@dataclass(frozen=True, slots=True)
class _Compiled:
    layout: InstructionLayout
    body: EventBodyDecoder


@cache
def _decoders_for(program: Program) -> dict[bytes, _Compiled]:
    out: dict[bytes, _Compiled] = {}
    for layout in instruction_layouts(program):
        as_body = EventLayout(program, layout.name, layout.discriminator, layout.args)
        out[layout.discriminator] = _Compiled(layout, EventBodyDecoder(as_body))
    return out


# --- decoding ------------------------------------------------------------------------------------


def _name_accounts(names: tuple[str, ...], accounts: Sequence[str]) -> dict[str, Any]:
    named: dict[str, Any] = dict(zip(names, accounts, strict=False))
    if len(accounts) > len(names):
        named[REMAINING_ACCOUNTS] = list(accounts[len(names) :])
    return named


def decode_instruction(
    program: Program,
    data: bytes,
    accounts: Sequence[str] = (),
    stats: DecodeStats | None = None,
) -> DecodedInstruction | None:
    """Decode one instruction of ``program`` (8-byte discriminator + Borsh args).

    ``accounts`` are the instruction's account pubkeys (base58) in order. Returns None, and
    counts UNKNOWN_DISCRIMINATOR or TRUNCATED in ``stats``, when the data cannot be decoded.
    """
    compiled = _decoders_for(program).get(bytes(data[:DISCRIMINATOR_SIZE]))
    if compiled is None:
        if stats is not None:
            stats.fail(
                FailureKind.UNKNOWN_DISCRIMINATOR,
                f"instruction {bytes(data[:DISCRIMINATOR_SIZE]).hex()} not in IDL",
                program,
            )
        return None
    try:
        args = compiled.body.decode(data, DISCRIMINATOR_SIZE)
    except DecodeError as exc:
        if stats is not None:
            stats.fail(FailureKind(exc.kind), str(exc), program)
        return None
    if stats is not None:
        stats.decoded += 1
    named = _name_accounts(compiled.layout.account_names, accounts)
    return DecodedInstruction(program, compiled.layout.name, args, named)
