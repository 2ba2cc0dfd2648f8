"""Anchor IDL loading: event layouts (name, discriminator, typed fields) for decoder and encoder.

Only the subset of the Anchor type system that our events use is modelled: integers, bool,
pubkey, string, bytes, vec, option, fixed array, and defined structs / enums. Both the decoder
(``core.decode.borsh``) and the replay encoder compile these layouts; neither reads JSON itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from core.programs import Program

# A type is a primitive name ("u64", "pubkey", ...) or a tuple:
#   ("vec", T) | ("option", T) | ("array", T, n) | ("struct", (FieldSpec, ...))
#   | ("enum", ((variant_name, (FieldSpec, ...)), ...))
TypeSpec = str | tuple[Any, ...]

PRIMITIVES = frozenset(
    {
        "u8",
        "i8",
        "u16",
        "i16",
        "u32",
        "i32",
        "u64",
        "i64",
        "u128",
        "i128",
        "bool",
        "pubkey",
        "string",
        "bytes",
        "f32",
        "f64",
    }
)

FIXED_FORMATS: dict[str, str] = {
    "u8": "B", "i8": "b", "u16": "H", "i16": "h", "u32": "I", "i32": "i", "u64": "Q", "i64": "q",
    "u128": "16s", "i128": "16s", "bool": "?", "pubkey": "32s", "f32": "f", "f64": "d",
}  # fmt: skip
"""Little-endian ``struct`` formats of the fixed-size Borsh primitives (u128/i128 as raw bytes)."""

EVENT_CPI_TAG = bytes.fromhex("e445a52e51cb9a1d")
"""Prefix of an Anchor self-CPI event instruction (sha256("anchor:event")[:8])."""

IDL_FILES: dict[Program, str] = {
    Program.PUMP: "pump.json",
    Program.PUMP_AMM: "pump_amm.json",
    Program.RAYDIUM_CPMM: "raydium_cpmm.json",
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: TypeSpec


@dataclass(frozen=True, slots=True)
class EventLayout:
    program: Program
    name: str
    discriminator: bytes
    fields: tuple[FieldSpec, ...]


def _resolve(t: Any, types: dict[str, dict[str, Any]]) -> TypeSpec:
    if isinstance(t, str):
        name = "pubkey" if t == "publicKey" else t
        if name not in PRIMITIVES:
            raise ValueError(f"unsupported IDL primitive {t!r}")
        return name
    if "vec" in t:
        return ("vec", _resolve(t["vec"], types))
    if "option" in t:
        return ("option", _resolve(t["option"], types))
    if "array" in t:
        inner, n = t["array"]
        return ("array", _resolve(inner, types), int(n))
    if "defined" in t:
        ref = t["defined"]
        name = ref["name"] if isinstance(ref, dict) else ref
        td = types[name]["type"]
        if td["kind"] == "struct":
            return ("struct", parse_fields(td.get("fields", []), types))
        if td["kind"] == "enum":
            return (
                "enum",
                tuple(
                    (v["name"], parse_fields(v.get("fields", []), types)) for v in td["variants"]
                ),
            )
        raise ValueError(f"unsupported defined kind {td['kind']!r} for {name}")
    raise ValueError(f"unsupported IDL type {t!r}")


def parse_fields(raw: list[Any], types: dict[str, dict[str, Any]]) -> tuple[FieldSpec, ...]:
    out = []
    for i, f in enumerate(raw):
        if isinstance(f, dict):
            out.append(FieldSpec(f["name"], _resolve(f["type"], types)))
        else:  # tuple-struct field
            out.append(FieldSpec(f"_{i}", _resolve(f, types)))
    return tuple(out)


def parse_idl_events(program: Program, idl: dict[str, Any]) -> tuple[EventLayout, ...]:
    """Event layouts of an Anchor >= 0.30 IDL (discriminators on events, fields in ``types``)."""
    types = {t["name"]: t for t in idl.get("types", [])}
    layouts = []
    for ev in idl.get("events", []):
        td = types[ev["name"]]["type"]
        layouts.append(
            EventLayout(
                program=program,
                name=ev["name"],
                discriminator=bytes(ev["discriminator"]),
                fields=parse_fields(td.get("fields", []), types),
            )
        )
    return tuple(layouts)


@cache
def load_idl(program: Program) -> dict[str, Any]:
    text = resources.files("core.decode").joinpath("idl").joinpath(IDL_FILES[program]).read_text()
    return json.loads(text)  # type: ignore[no-any-return, unused-ignore]


@cache
def event_layouts(program: Program) -> tuple[EventLayout, ...]:
    """All event layouts of a program's bundled IDL (empty for programs without one)."""
    if program not in IDL_FILES:
        return ()
    return parse_idl_events(program, load_idl(program))


def event_layout(program: Program, name: str) -> EventLayout:
    for layout in event_layouts(program):
        if layout.name == name:
            return layout
    raise KeyError(f"{program.value} has no event {name!r}")
