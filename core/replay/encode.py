"""Anchor event encoder: the inverse of decoding, compiled from the same ``EventLayout`` model.

An encoded event is the 8-byte discriminator followed by the Borsh body of its fields in IDL
order. ``upto`` emits only the first N fields, as older on-chain program versions did (their
layouts are prefixes of the newest IDL). Pubkeys are accepted as base58 ``str`` (or raw 32
``bytes``) and written as 32 bytes; integers as ``int``; ``string`` as UTF-8 with a u32 length.

Field values follow the decoder's output shapes, so ``encode(decode(x)) == x``:
vec / array → list (``bytes`` also accepted for u8 elements), option → value or ``None``,
struct → dict by field name, enum → variant name (unit variant), ``{name: fields_dict}`` or
``{"variant": name, ...fields}``.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from core.decode.idl import FIXED_FORMATS, EventLayout, FieldSpec, TypeSpec, event_layout
from core.programs import Program

Writer = Callable[[Any], bytes]

_INT_STRUCTS: dict[str, struct.Struct] = {
    "u8": struct.Struct("<B"),
    "i8": struct.Struct("<b"),
    "u16": struct.Struct("<H"),
    "i16": struct.Struct("<h"),
    "u32": struct.Struct("<I"),
    "i32": struct.Struct("<i"),
    "u64": struct.Struct("<Q"),
    "i64": struct.Struct("<q"),
    "f32": struct.Struct("<f"),
    "f64": struct.Struct("<d"),
}
_U32 = _INT_STRUCTS["u32"].pack
_RAY_LOG_SWAP_BASE_IN = struct.Struct("<B7Q")
RAY_LOG_SWAP_BASE_IN_TYPE = 3
"""``LogType::SwapBaseIn`` in raydium-amm ``program/src/log.rs``."""


def pubkey_bytes(value: str | bytes) -> bytes:
    """32 raw bytes of a pubkey given as base58 text or bytes."""
    if isinstance(value, bytes | bytearray):
        if len(value) != 32:
            raise ValueError(f"pubkey must be 32 bytes, got {len(value)}")
        return bytes(value)
    return bytes(Pubkey.from_string(value))


def _write_bool(value: Any) -> bytes:
    return b"\x01" if value else b"\x00"


def _write_string(value: Any) -> bytes:
    raw = value.encode() if isinstance(value, str) else bytes(value)
    return _U32(len(raw)) + raw


def _write_bytes(value: Any) -> bytes:
    raw = bytes(value)
    return _U32(len(raw)) + raw


def _int128(signed: bool) -> Writer:
    def write(value: Any) -> bytes:
        return int(value).to_bytes(16, "little", signed=signed)

    return write


def _primitive(name: str) -> Writer:
    if name in _INT_STRUCTS:
        return _INT_STRUCTS[name].pack
    if name == "bool":
        return _write_bool
    if name == "pubkey":
        return pubkey_bytes
    if name == "string":
        return _write_string
    if name == "bytes":
        return _write_bytes
    if name in ("u128", "i128"):
        return _int128(name == "i128")
    raise ValueError(f"unsupported primitive {name!r}")


def _sequence_writer(inner: TypeSpec) -> Writer:
    write_item = compile_type(inner)

    def write(items: Any) -> bytes:
        if inner == "u8" and isinstance(items, bytes | bytearray):
            return bytes(items)
        return b"".join(write_item(item) for item in items)

    return write


def _vec(inner: TypeSpec) -> Writer:
    write_items = _sequence_writer(inner)

    def write(items: Any) -> bytes:
        return _U32(len(items)) + write_items(items)

    return write


def _option(inner: TypeSpec) -> Writer:
    write_inner = compile_type(inner)

    def write(value: Any) -> bytes:
        return b"\x00" if value is None else b"\x01" + write_inner(value)

    return write


def _array(inner: TypeSpec, length: int) -> Writer:
    write_items = _sequence_writer(inner)

    def write(items: Any) -> bytes:
        if len(items) != length:
            raise ValueError(f"array needs {length} items, got {len(items)}")
        return write_items(items)

    return write


def _struct(fields: tuple[FieldSpec, ...]) -> Writer:
    writers = [(f.name, compile_type(f.type)) for f in fields]

    def write(value: Any) -> bytes:
        return b"".join(w(value[name]) for name, w in writers)

    return write


def _enum(variants: tuple[tuple[str, tuple[FieldSpec, ...]], ...]) -> Writer:
    index = {name: i for i, (name, _) in enumerate(variants)}
    bodies = [_struct(fields) for _, fields in variants]

    def write(value: Any) -> bytes:
        body: Any
        if isinstance(value, int):
            name, body = variants[value][0], {}
        elif isinstance(value, str):
            name, body = value, {}
        elif "variant" in value:
            name, body = value["variant"], value
        else:
            ((name, body),) = value.items()
        i = index[name]
        return bytes([i]) + bodies[i](body or {})

    return write


def compile_type(spec: TypeSpec) -> Writer:
    """A function writing one value of ``spec`` as Borsh bytes."""
    if isinstance(spec, str):
        return _primitive(spec)
    kind = spec[0]
    if kind == "vec":
        return _vec(spec[1])
    if kind == "option":
        return _option(spec[1])
    if kind == "array":
        return _array(spec[1], int(spec[2]))
    if kind == "struct":
        return _struct(spec[1])
    if kind == "enum":
        return _enum(spec[1])
    raise ValueError(f"unsupported type spec {spec!r}")


# u128 / i128 are written by their own writer (ints, not raw bytes).
_FIXED_FORMATS = {k: v for k, v in FIXED_FORMATS.items() if k not in ("u128", "i128")}
_PUBKEY_CACHE: dict[str, bytes] = {}
_PUBKEY_CACHE_MAX = 500_000


def _cached_pubkey_bytes(value: str | bytes) -> bytes:
    raw = _PUBKEY_CACHE.get(value) if isinstance(value, str) else None
    if raw is None:
        raw = pubkey_bytes(value)
        if isinstance(value, str):
            if len(_PUBKEY_CACHE) >= _PUBKEY_CACHE_MAX:
                _PUBKEY_CACHE.clear()
            _PUBKEY_CACHE[value] = raw
    return raw


@dataclass(frozen=True, slots=True)
class _FixedRun:
    """Consecutive fixed-size primitive fields, packed by one ``struct`` call."""

    packer: struct.Struct
    names: tuple[str, ...]
    pubkeys: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class _Variable:
    name: str
    write: Writer


def _segments(fields: tuple[FieldSpec, ...]) -> tuple[_FixedRun | _Variable, ...]:
    out: list[_FixedRun | _Variable] = []
    run: list[FieldSpec] = []

    def flush() -> None:
        if run:
            fmt = "<" + "".join(_FIXED_FORMATS[str(f.type)] for f in run)
            out.append(
                _FixedRun(
                    struct.Struct(fmt),
                    tuple(f.name for f in run),
                    tuple(f.type == "pubkey" for f in run),
                )
            )
            run.clear()

    for spec in fields:
        if isinstance(spec.type, str) and spec.type in _FIXED_FORMATS:
            run.append(spec)
        else:
            flush()
            out.append(_Variable(spec.name, compile_type(spec.type)))
    flush()
    return tuple(out)


class EventEncoder:
    """A compiled encoder for one event layout (compile once, encode many times)."""

    __slots__ = ("_by_upto", "layout")

    def __init__(self, layout: EventLayout) -> None:
        self.layout = layout
        self._by_upto: dict[int | None, tuple[_FixedRun | _Variable, ...]] = {}

    def _plan(self, upto: int | None) -> tuple[_FixedRun | _Variable, ...]:
        plan = self._by_upto.get(upto)
        if plan is None:
            fields = self.layout.fields if upto is None else self.layout.fields[:upto]
            plan = self._by_upto[upto] = _segments(fields)
        return plan

    def encode(self, fields: Mapping[str, Any], *, upto: int | None = None) -> bytes:
        parts = [self.layout.discriminator]
        try:
            for seg in self._plan(upto):
                if isinstance(seg, _FixedRun):
                    values = [fields[name] for name in seg.names]
                    for i, is_pubkey in enumerate(seg.pubkeys):
                        if is_pubkey:
                            values[i] = _cached_pubkey_bytes(values[i])
                    parts.append(seg.packer.pack(*values))
                else:
                    parts.append(seg.write(fields[seg.name]))
        except KeyError as exc:
            raise ValueError(f"{self.layout.name} needs field {exc.args[0]!r}") from None
        except struct.error as exc:
            raise ValueError(f"{self.layout.name}: value out of range ({exc})") from None
        return b"".join(parts)


_ENCODERS: dict[int, tuple[EventLayout, EventEncoder]] = {}


def encoder_for(layout: EventLayout) -> EventEncoder:
    """The compiled encoder of ``layout`` (cached per layout object)."""
    entry = _ENCODERS.get(id(layout))
    if entry is None or entry[0] is not layout:
        entry = (layout, EventEncoder(layout))
        _ENCODERS[id(layout)] = entry
    return entry[1]


def encode_event(
    layout: EventLayout, fields: Mapping[str, Any], *, upto: int | None = None
) -> bytes:
    """Discriminator + Borsh body of an event; ``upto`` keeps only the first N fields."""
    return encoder_for(layout).encode(fields, upto=upto)


def program_data_line(
    program: Program, event_name: str, fields: Mapping[str, Any], *, upto: int | None = None
) -> str:
    """The ``Program data: <base64>`` log line an Anchor program emits for this event."""
    raw = encode_event(event_layout(program, event_name), fields, upto=upto)
    return "Program data: " + base64.b64encode(raw).decode()


def ray_log_swap_base_in(
    amount_in: int,
    minimum_out: int,
    direction: int,
    user_source: int,
    pool_coin: int,
    pool_pc: int,
    out_amount: int,
) -> str:
    """A Raydium AMM v4 ``SwapBaseIn`` ``ray_log`` line (u8 log type 3, then 7 u64 LE).

    ``direction`` 1 = pc → coin, 2 = coin → pc (raydium-amm ``SwapDirection``).
    """
    raw = _RAY_LOG_SWAP_BASE_IN.pack(
        RAY_LOG_SWAP_BASE_IN_TYPE,
        amount_in,
        minimum_out,
        direction,
        user_source,
        pool_coin,
        pool_pc,
        out_amount,
    )
    return "Program log: ray_log: " + base64.b64encode(raw).decode()
