"""Log-line templates of simulated transactions, shaped like real mainnet ``logMessages``.

Lines that never vary are module constants shared by every transaction (cheap in memory).
Event ``Program data:`` lines are logged while the emitting program is on top of the invoke
stack, after its self-CPI event instruction returned, as in real Pump.fun transactions.
"""

from __future__ import annotations

from core.programs import PROGRAM_IDS, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID, Program

COMPUTE_BUDGET_ID = "ComputeBudget111111111111111111111111111111"
ATA_PROGRAM_ID = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
METADATA_PROGRAM_ID = "metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s"
PUMP_ID = PROGRAM_IDS[Program.PUMP]
PUMP_AMM_ID = PROGRAM_IDS[Program.PUMP_AMM]

COMPUTE_BUDGET_LINES = (
    f"Program {COMPUTE_BUDGET_ID} invoke [1]",
    f"Program {COMPUTE_BUDGET_ID} success",
    f"Program {COMPUTE_BUDGET_ID} invoke [1]",
    f"Program {COMPUTE_BUDGET_ID} success",
)
COMPUTE_UNIT_LIMIT = 200_000


def _invoke(program_id: str, depth: int) -> str:
    return f"Program {program_id} invoke [{depth}]"


def _success(program_id: str) -> str:
    return f"Program {program_id} success"


def _consumed(program_id: str, used: int, limit: int) -> str:
    return f"Program {program_id} consumed {used} of {limit} compute units"


_SYSTEM_CPI = (_invoke(SYSTEM_PROGRAM_ID, 2), _success(SYSTEM_PROGRAM_ID))
_TOKEN_TRANSFER = (
    _invoke(TOKEN_PROGRAM_ID, 2),
    "Program log: Instruction: Transfer",
    _consumed(TOKEN_PROGRAM_ID, 4645, 15816),
    _success(TOKEN_PROGRAM_ID),
)
_PUMP_SELF_CPI = (
    _invoke(PUMP_ID, 2),
    _consumed(PUMP_ID, 2003, 3728),
    _success(PUMP_ID),
)
_AMM_SELF_CPI = (
    _invoke(PUMP_AMM_ID, 2),
    _consumed(PUMP_AMM_ID, 2003, 8201),
    _success(PUMP_AMM_ID),
)
_PUMP_INVOKE = _invoke(PUMP_ID, 1)
_PUMP_SUCCESS = _success(PUMP_ID)
_AMM_INVOKE = _invoke(PUMP_AMM_ID, 1)
_AMM_SUCCESS = _success(PUMP_AMM_ID)
_BUY = "Program log: Instruction: Buy"
_SELL = "Program log: Instruction: Sell"

_CREATE_BODY = (
    "Program log: Instruction: Create",
    *_SYSTEM_CPI,
    _invoke(TOKEN_PROGRAM_ID, 2),
    "Program log: Instruction: InitializeMint2",
    _consumed(TOKEN_PROGRAM_ID, 2780, 167434),
    _success(TOKEN_PROGRAM_ID),
    *_SYSTEM_CPI,
    _invoke(ATA_PROGRAM_ID, 2),
    "Program log: Create",
    _invoke(TOKEN_PROGRAM_ID, 3),
    "Program log: Instruction: InitializeAccount3",
    _consumed(TOKEN_PROGRAM_ID, 4214, 133041),
    _success(TOKEN_PROGRAM_ID),
    _consumed(ATA_PROGRAM_ID, 21990, 150513),
    _success(ATA_PROGRAM_ID),
    _invoke(METADATA_PROGRAM_ID, 2),
    "Program log: IX: Create Metadata Accounts v3",
    _consumed(METADATA_PROGRAM_ID, 35524, 113354),
    _success(METADATA_PROGRAM_ID),
    _invoke(TOKEN_PROGRAM_ID, 2),
    "Program log: Instruction: MintTo",
    _consumed(TOKEN_PROGRAM_ID, 4492, 75315),
    _success(TOKEN_PROGRAM_ID),
    *_PUMP_SELF_CPI,
)
_ATA_IDEMPOTENT = (
    _invoke(ATA_PROGRAM_ID, 1),
    "Program log: CreateIdempotent",
    _consumed(ATA_PROGRAM_ID, 21839, 57798),
    _success(ATA_PROGRAM_ID),
)

PUMP_TRADE_PROGRAMS = frozenset({COMPUTE_BUDGET_ID, PUMP_ID, TOKEN_PROGRAM_ID, SYSTEM_PROGRAM_ID})
PUMP_CREATE_PROGRAMS = PUMP_TRADE_PROGRAMS | {ATA_PROGRAM_ID, METADATA_PROGRAM_ID}
PUMP_MIGRATE_PROGRAMS = PUMP_TRADE_PROGRAMS | {PUMP_AMM_ID}
AMM_TRADE_PROGRAMS = frozenset({COMPUTE_BUDGET_ID, PUMP_AMM_ID, TOKEN_PROGRAM_ID})


def pump_trade_logs(is_buy: bool, data_lines: tuple[str, ...], used_cu: int) -> tuple[str, ...]:
    """A Pump.fun buy or sell: TradeEvent (and CompleteEvent on the last buy) at depth 1."""
    return (
        *COMPUTE_BUDGET_LINES,
        _PUMP_INVOKE,
        _BUY if is_buy else _SELL,
        *_TOKEN_TRANSFER,
        *_SYSTEM_CPI,
        *_PUMP_SELF_CPI,
        *data_lines,
        _consumed(PUMP_ID, used_cu, COMPUTE_UNIT_LIMIT - 600),
        _PUMP_SUCCESS,
    )


def pump_create_logs(
    create_line: str, buy_lines: tuple[str, ...], used_cu: int
) -> tuple[str, ...]:
    """Create (CreateEvent) then the developer's first buy (TradeEvent) in one transaction."""
    return (
        *COMPUTE_BUDGET_LINES,
        _PUMP_INVOKE,
        *_CREATE_BODY,
        create_line,
        _consumed(PUMP_ID, used_cu, COMPUTE_UNIT_LIMIT - 600),
        _PUMP_SUCCESS,
        *_ATA_IDEMPOTENT,
        _PUMP_INVOKE,
        _BUY,
        *_TOKEN_TRANSFER,
        *_SYSTEM_CPI,
        *_PUMP_SELF_CPI,
        *buy_lines,
        _consumed(PUMP_ID, 35959, 35959),
        _PUMP_SUCCESS,
    )


def pump_migrate_logs(create_pool_line: str, used_cu: int) -> tuple[str, ...]:
    """Pump.fun ``migrate`` CPI-ing PumpSwap ``create_pool``; CreatePoolEvent at depth 2."""
    return (
        *COMPUTE_BUDGET_LINES,
        _PUMP_INVOKE,
        "Program log: Instruction: Migrate",
        _invoke(PUMP_AMM_ID, 2),
        "Program log: Instruction: CreatePool",
        _invoke(TOKEN_PROGRAM_ID, 3),
        "Program log: Instruction: Transfer",
        _consumed(TOKEN_PROGRAM_ID, 4645, 120000),
        _success(TOKEN_PROGRAM_ID),
        _invoke(PUMP_AMM_ID, 3),
        _consumed(PUMP_AMM_ID, 2003, 90000),
        _success(PUMP_AMM_ID),
        create_pool_line,
        _consumed(PUMP_AMM_ID, used_cu // 2, 150000),
        _success(PUMP_AMM_ID),
        _consumed(PUMP_ID, used_cu, COMPUTE_UNIT_LIMIT - 600),
        _PUMP_SUCCESS,
    )


def amm_trade_logs(is_buy: bool, data_line: str, used_cu: int) -> tuple[str, ...]:
    """A PumpSwap buy or sell: BuyEvent / SellEvent at depth 1."""
    return (
        *COMPUTE_BUDGET_LINES,
        _AMM_INVOKE,
        _BUY if is_buy else _SELL,
        *_TOKEN_TRANSFER,
        *_TOKEN_TRANSFER,
        *_AMM_SELF_CPI,
        data_line,
        _consumed(PUMP_AMM_ID, used_cu, COMPUTE_UNIT_LIMIT - 600),
        _AMM_SUCCESS,
    )


def failed_logs(
    program_id: str, is_buy: bool, code: int, name: str, message: str, used_cu: int
) -> tuple[str, ...]:
    """An Anchor error thrown by a buy / sell: no event, ``failed: custom program error``."""
    return (
        *COMPUTE_BUDGET_LINES,
        _invoke(program_id, 1),
        _BUY if is_buy else _SELL,
        f"Program log: AnchorError occurred. Error Code: {name}. Error Number: {code}. "
        f"Error Message: {message}.",
        _consumed(program_id, used_cu, COMPUTE_UNIT_LIMIT - 600),
        f"Program {program_id} failed: custom program error: {code:#x}",
    )
