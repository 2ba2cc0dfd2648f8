"""Pure decoders: log lines, event bytes and transactions -> ``DecodedEvent`` (no I/O)."""

from core.decode.events import DecodedEvent, DecodeStats, FailureKind
from core.decode.frames import InputItem, decode_frame, split_input
from core.decode.instructions import DecodedInstruction, decode_instruction, is_token_2022_create
from core.decode.logs import decode_event_data, decode_logs
from core.decode.transaction import decode_transaction

__all__ = [
    "DecodeStats",
    "DecodedEvent",
    "DecodedInstruction",
    "FailureKind",
    "InputItem",
    "decode_event_data",
    "decode_frame",
    "decode_instruction",
    "decode_logs",
    "decode_transaction",
    "is_token_2022_create",
    "split_input",
]
