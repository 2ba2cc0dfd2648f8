"""A whole transaction (getTransaction result, blockSubscribe / geyser tx object) -> events.

Accepted shapes of ``result``:

- getTransaction with encoding "json": ``transaction.message.accountKeys`` are base58 strings and
  instructions carry ``programIdIndex`` / account indexes / base58 ``data``. Indexes resolve over
  the static keys ++ ``meta.loadedAddresses.writable`` ++ ``meta.loadedAddresses.readonly``
  (v0 transactions with address lookup tables);
- getTransaction with encoding "jsonParsed": keys are objects (already including lookup-table
  addresses) and instructions carry ``programId`` / account strings / base58 ``data`` (or a
  ``parsed`` body for well-known programs, which carries no events);
- a blockSubscribe-style object whose ``transaction`` is ``[<base64>, "base64"]`` (parsed with
  solders ``VersionedTransaction``);
- a Yellowstone-style update rendered as JSON (``{"transaction": {"signature", "transaction",
  "meta"}, "slot"}``).

Events come from ``meta.logMessages`` (``Program data:`` / ``ray_log`` lines) and from Anchor
self-CPI event instructions in ``meta.innerInstructions`` (data = ``EVENT_CPI_TAG`` + 8-byte
event discriminator + body), attributed to the instruction's program id.

One event, once: programs such as Pump.fun emit the same event both as a log line and as a
self-CPI. The log events are returned first, in log order (the same order and indexes the live
``logsNotification`` path sees); a CPI event is added after them only when no log event of the
same program carries the same bytes (a multiset match, so two identical trades stay two). So
truncated logs are completed from the CPI events without duplicating anything. Failures met
while decoding CPI data are counted too (a broken event seen both ways counts twice).

Raydium AMM v4 swap events also get ``amm`` (account 1 of the swap instruction, tags 9 / 11 /
16 / 17) and ``user_owner`` (its last account, the source owner in every swap variant), pairing
the n-th swap ray_log with the n-th swap instruction in execution order, only when the counts
agree.
"""

from __future__ import annotations

from binascii import a2b_base64
from collections import Counter
from dataclasses import dataclass
from typing import Any

from solders.transaction import VersionedTransaction

from core.decode.events import DecodedEvent, DecodeStats, FailureKind
from core.decode.idl import EVENT_CPI_TAG
from core.decode.logs import decode_event_data, walk_logs
from core.errors import DecodeError
from core.programs import PROGRAM_BY_ID, PROGRAM_IDS, Program

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_RAYDIUM_V4 = PROGRAM_IDS[Program.RAYDIUM_AMM_V4]
_RAYDIUM_SWAP_TAGS = frozenset({9, 11, 16, 17})
_RAYDIUM_SWAP_EVENTS = frozenset({"SwapBaseInLog", "SwapBaseOutLog"})


def b58decode(text: str) -> bytes:
    """Bytes of a base58 string. Raises DecodeError(BAD_BASE58) on a character outside it."""
    n = 0
    try:
        for ch in text:
            n = n * 58 + _B58_INDEX[ch]
    except KeyError as exc:
        raise DecodeError(FailureKind.BAD_BASE58.value, f"not base58: {exc.args[0]!r}") from exc
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + n.to_bytes((n.bit_length() + 7) // 8, "big")


@dataclass(frozen=True, slots=True)
class _Ix:
    program_id: str
    accounts: tuple[str, ...]
    data: bytes


@dataclass(frozen=True, slots=True)
class _Tx:
    signature: str | None
    slot: int | None
    block_time: int | None
    err: Any
    logs: tuple[str, ...]
    instructions: tuple[_Ix, ...]  # execution order: each top-level ix then its inner ixs


def _bad(reason: str) -> DecodeError:
    return DecodeError(FailureKind.BAD_FRAME.value, reason)


def _as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{what} is not an object")
    return value


def _ix_from_json(raw: Any, keys: list[str]) -> _Ix | None:
    """One instruction of json / jsonParsed encoding; None for a ``parsed`` one (no raw data)."""
    ix = _as_dict(raw, "instruction")
    data = ix.get("data")
    if not isinstance(data, str):
        return None
    if "programIdIndex" in ix:
        try:
            program_id = keys[ix["programIdIndex"]]
            accounts = tuple(keys[i] for i in ix.get("accounts") or ())
        except (IndexError, TypeError) as exc:
            raise _bad(f"account index outside the {len(keys)} account keys") from exc
    else:
        program_id = ix.get("programId")
        accounts = tuple(ix.get("accounts") or ())
        if not isinstance(program_id, str):
            raise _bad("instruction has neither programIdIndex nor programId")
    # Only our programs' data is ever read: skip base58-decoding everyone else's.
    if program_id not in PROGRAM_BY_ID:
        return _Ix(program_id, accounts, b"")
    return _Ix(program_id, accounts, b58decode(data))


def _keys_from_message(message: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    raw_keys = message.get("accountKeys")
    if not isinstance(raw_keys, list):
        raise _bad("transaction.message.accountKeys missing")
    if raw_keys and isinstance(raw_keys[0], dict):  # jsonParsed: lookup addresses included
        return [str(k.get("pubkey")) for k in raw_keys]
    keys = [str(k) for k in raw_keys]
    loaded = meta.get("loadedAddresses") or {}
    keys.extend(loaded.get("writable") or ())
    keys.extend(loaded.get("readonly") or ())
    return keys


def _instructions(
    top: list[tuple[str, tuple[str, ...], bytes]] | None,
    message: dict[str, Any] | None,
    meta: dict[str, Any],
    keys: list[str],
) -> tuple[_Ix, ...]:
    inner_by_index: dict[int, list[Any]] = {}
    for group in meta.get("innerInstructions") or ():
        group = _as_dict(group, "innerInstructions entry")
        inner_by_index[int(group.get("index", -1))] = list(group.get("instructions") or ())
    tops: list[_Ix | None]
    if top is not None:
        tops = [_Ix(p, a, d) for p, a, d in top]
    else:
        assert message is not None
        tops = [_ix_from_json(ix, keys) for ix in message.get("instructions") or ()]
    out: list[_Ix] = []
    for i, ix in enumerate(tops):
        if ix is not None:
            out.append(ix)
        for raw in inner_by_index.get(i, ()):
            inner = _ix_from_json(raw, keys)
            if inner is not None:
                out.append(inner)
    return tuple(out)


def _parse(result: dict[str, Any], slot_hint: Any = None) -> _Tx:
    nested = result.get("transaction")
    if "meta" not in result and isinstance(nested, dict) and "message" not in nested:
        # geyser-style wrapper(s): {"transaction": {"signature", "transaction", "meta"}, "slot"}
        inner = _parse(nested, result.get("slot", slot_hint))
        if inner.signature is None and isinstance(result.get("signature"), str):
            return _Tx(result["signature"], *_astuple_tail(inner))
        return inner
    meta = _as_dict(result.get("meta"), "meta")
    logs_raw = meta.get("logMessages")
    logs = tuple(str(x) for x in logs_raw) if isinstance(logs_raw, list) else ()
    tx = result.get("transaction")
    signature: str | None
    if isinstance(tx, list):
        if len(tx) != 2 or tx[1] != "base64" or not isinstance(tx[0], str):
            raise _bad("transaction list is not [<base64>, 'base64']")
        try:
            vtx = VersionedTransaction.from_bytes(a2b_base64(tx[0], strict_mode=True))
        except ValueError as exc:
            raise _bad(f"base64 transaction does not parse: {exc}") from exc
        msg = vtx.message
        keys = [str(k) for k in msg.account_keys]
        loaded = meta.get("loadedAddresses") or {}
        keys.extend(loaded.get("writable") or ())
        keys.extend(loaded.get("readonly") or ())
        try:
            top = [
                (keys[ci.program_id_index], tuple(keys[a] for a in ci.accounts), bytes(ci.data))
                for ci in msg.instructions
            ]
        except IndexError as exc:
            raise _bad("instruction account index outside the account keys") from exc
        signature = str(vtx.signatures[0]) if vtx.signatures else None
        instructions = _instructions(top, None, meta, keys)
    else:
        tx = _as_dict(tx, "transaction")
        message = _as_dict(tx.get("message"), "transaction.message")
        keys = _keys_from_message(message, meta)
        sigs = tx.get("signatures") or ()
        signature = str(sigs[0]) if sigs else None
        instructions = _instructions(None, message, meta, keys)
    slot = result.get("slot", slot_hint)
    block_time = result.get("blockTime")
    return _Tx(
        signature,
        int(slot) if isinstance(slot, int) else None,
        int(block_time) if isinstance(block_time, int) else None,
        meta.get("err"),
        logs,
        instructions,
    )


def _astuple_tail(tx: _Tx) -> tuple[Any, ...]:
    return (tx.slot, tx.block_time, tx.err, tx.logs, tx.instructions)


def _cpi_events(tx: _Tx, stats: DecodeStats) -> list[tuple[DecodedEvent, bytes]]:
    out = []
    for ix in tx.instructions:
        if not ix.data.startswith(EVENT_CPI_TAG):
            continue
        program = PROGRAM_BY_ID[ix.program_id]
        payload = ix.data[8:]
        event = decode_event_data(
            program,
            payload,
            stats,
            signature=tx.signature,
            slot=tx.slot,
            block_time=tx.block_time,
            source="cpi",
        )
        if event is not None:
            out.append((event, payload))
    return out


def _attach_raydium_accounts(tx: _Tx, events: list[DecodedEvent]) -> None:
    swaps = [
        ix
        for ix in tx.instructions
        if ix.program_id == _RAYDIUM_V4 and ix.data[:1] and ix.data[0] in _RAYDIUM_SWAP_TAGS
    ]
    swap_events = [
        e
        for e in events
        if e.program is Program.RAYDIUM_AMM_V4 and e.event in _RAYDIUM_SWAP_EVENTS
    ]
    if not swap_events or len(swaps) != len(swap_events):
        return
    for ix, event in zip(swaps, swap_events, strict=True):
        if len(ix.accounts) >= 2:
            event.fields["amm"] = ix.accounts[1]
            event.fields["user_owner"] = ix.accounts[-1]


def decode_transaction(
    result: dict[str, Any], *, stats: DecodeStats | None = None
) -> list[DecodedEvent]:
    """Every event of our programs in one transaction, each once (see the module docstring)."""
    stats = stats if stats is not None else DecodeStats()
    if not isinstance(result, dict):
        stats.fail(FailureKind.BAD_FRAME, "transaction result is not an object")
        return []
    try:
        tx = _parse(result)
    except DecodeError as exc:
        stats.fail(FailureKind(exc.kind), str(exc))
        return []
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        stats.fail(FailureKind.BAD_FRAME, f"malformed transaction: {exc!r}")
        return []
    if tx.err is not None:
        stats.fail(FailureKind.FAILED_TX, f"transaction failed: {tx.err!r}")
        return []
    raw_log: list[tuple[Program, bytes]] = []
    events = walk_logs(tx.logs, tx.signature, tx.slot, tx.block_time, stats, raw_log)
    seen = Counter(raw_log)
    for event, payload in _cpi_events(tx, stats):
        key = (event.program, payload)
        if seen[key] > 0:
            seen[key] -= 1
            stats.decoded -= 1  # the same event was already counted from the logs
            continue
        events.append(event)
    _attach_raydium_accounts(tx, events)
    return events
