"""Pure decoders: log lines, event bytes and transactions -> ``DecodedEvent`` (no I/O)."""

from core.decode.events import DecodedEvent, DecodeStats, FailureKind
from core.decode.frames import InputItem, decode_frame, split_input
from core.decode.logs import decode_event_data, decode_logs
from core.decode.transaction import decode_transaction

__all__ = [
    "DecodeStats",
    "DecodedEvent",
    "FailureKind",
    "InputItem",
    "decode_event_data",
    "decode_frame",
    "decode_logs",
    "decode_transaction",
    "split_input",
]
