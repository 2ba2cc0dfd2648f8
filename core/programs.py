"""The on-chain programs Solsignals listens to, and their ids."""

from __future__ import annotations

from enum import StrEnum


class Program(StrEnum):
    """A program whose events we decode. The value is the name used in output and storage."""

    PUMP = "pump"
    PUMP_AMM = "pump_amm"
    RAYDIUM_AMM_V4 = "raydium_amm_v4"
    RAYDIUM_CPMM = "raydium_cpmm"


PROGRAM_IDS: dict[Program, str] = {
    Program.PUMP: "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P",
    Program.PUMP_AMM: "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA",
    Program.RAYDIUM_AMM_V4: "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8",
    Program.RAYDIUM_CPMM: "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C",
}

PROGRAM_BY_ID: dict[str, Program] = {pid: prog for prog, pid in PROGRAM_IDS.items()}

# Well-known ids used when reading transactions and accounts.
SYSTEM_PROGRAM_ID = "11111111111111111111111111111111"
TOKEN_PROGRAM_ID = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM_ID = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
WSOL_MINT = "So11111111111111111111111111111111111111112"

LAMPORTS_PER_SOL = 1_000_000_000
