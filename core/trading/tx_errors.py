"""What a transaction error means for a trade: the ``FailureReason`` and a line a user reads.

Pure: takes the error object a node returns (``{"InstructionError": [index, {"Custom": n}]}``,
``"InsufficientFundsForRent"``, ...) and the message it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from solders.message import VersionedMessage

from core.programs import PROGRAM_IDS, Program
from core.trading.trade_types import FailureReason

JUPITER_PROGRAM_ID = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"

# Custom program errors that mean "the price moved past the slippage limit".
SLIPPAGE_ERRORS: dict[str, frozenset[int]] = {
    JUPITER_PROGRAM_ID: frozenset({6001}),  # SlippageToleranceExceeded [jup-ag/docs common-errors]
    PROGRAM_IDS[Program.PUMP]: frozenset({6002, 6003}),  # TooMuchSolRequired, TooLittleSolReceived
}
# The local Jupiter server refuses a /swap whose pool moved past the threshold with this code.
SLIPPAGE_CODES = frozenset({"SLIPPAGE_TOLERANCE_EXCEEDED", "0x1771", "6001"})
_TOKEN_ERRORS = {0: "NotRentExempt", 1: "InsufficientFunds", 17: "AccountFrozen"}
_TOKEN_PROGRAMS = (
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
)


def _program_of(message: VersionedMessage | None, index: int) -> str | None:
    if message is None or not 0 <= index < len(message.instructions):
        return None
    keys = message.account_keys
    program_index = message.instructions[index].program_id_index
    return str(keys[program_index]) if program_index < len(keys) else None


def describe_error(err: Any, message: VersionedMessage | None) -> tuple[bool, str]:
    """(is a slippage failure, a short description of ``err``)."""
    if isinstance(err, dict) and "InstructionError" in err:
        try:
            index, inner = err["InstructionError"]
        except (TypeError, ValueError):
            return False, str(err)
        program = _program_of(message, int(index))
        if isinstance(inner, dict) and "Custom" in inner:
            code = int(inner["Custom"])
            if program is not None and code in SLIPPAGE_ERRORS.get(program, frozenset()):
                return True, f"slippage limit exceeded (program error {code})"
            if program in _TOKEN_PROGRAMS and code in _TOKEN_ERRORS:
                return False, f"token program: {_TOKEN_ERRORS[code]}"
            return False, f"instruction {index} failed with program error {code}"
        return False, f"instruction {index} failed: {inner}"
    return False, str(err)


def failure_of(
    err: Any, message: VersionedMessage | None, *, landed: bool
) -> tuple[FailureReason, str]:
    """The reason and user line for a simulation (``landed`` False) or an on-chain failure."""
    slippage, what = describe_error(err, message)
    if slippage:
        tail = "the network fee was paid, " if landed else ""
        return (
            FailureReason.SLIPPAGE_EXCEEDED,
            f"the price moved past your slippage limit: {tail}nothing was traded",
        )
    if landed:
        return (
            FailureReason.TRANSACTION_FAILED,
            f"the transaction failed on chain ({what}): the network fee was paid, "
            "nothing was traded",
        )
    return FailureReason.SIMULATION_FAILED, f"the simulation failed ({what}): nothing was sent"


def log_tail(logs: Sequence[str], lines: int = 5) -> list[str]:
    return list(logs[-lines:])
