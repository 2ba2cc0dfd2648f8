"""``getTransaction`` results (encoding "json", version 0) built on demand from a ``ReplayTx``.

Enough for a gap-fill client that reads ``meta.logMessages``: account keys are the
transaction's mentioned addresses (signer first, program ids last), one compiled instruction per
top-level ``invoke [1]`` in the logs, minimal balances, no inner instructions.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from solders.pubkey import Pubkey

from core.programs import PROGRAM_BY_ID, TOKEN_2022_PROGRAM_ID
from core.replay.ledger import ReplayTx
from core.replay.txlogs import ATA_PROGRAM_ID, COMPUTE_BUDGET_ID, METADATA_PROGRAM_ID

BASE_FEE_LAMPORTS = 5_000
PAYER_BALANCE_LAMPORTS = 10_000_000_000
_TOP_INVOKE = re.compile(r"^Program (\w+) invoke \[1\]$")
_CONSUMED = re.compile(r"^Program \w+ consumed (\d+) of \d+ compute units$")
_KNOWN_PROGRAMS = frozenset(PROGRAM_BY_ID) | {
    COMPUTE_BUDGET_ID,
    ATA_PROGRAM_ID,
    METADATA_PROGRAM_ID,
    "11111111111111111111111111111111",
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    TOKEN_2022_PROGRAM_ID,
}


def _invoked_programs(logs: tuple[str, ...]) -> list[str]:
    out = []
    for line in logs:
        match = _TOP_INVOKE.match(line)
        if match:
            out.append(match.group(1))
    return out


def build_transaction(tx: ReplayTx) -> dict[str, Any]:
    """The ``result`` object of ``getTransaction`` for ``tx``."""
    if tx.transaction is not None:
        return tx.transaction
    invoked = _invoked_programs(tx.logs)
    programs = sorted({*invoked, *(m for m in tx.mentions if m in _KNOWN_PROGRAMS)})
    accounts = sorted(m for m in tx.mentions if m not in _KNOWN_PROGRAMS)
    keys = accounts + programs
    position = {key: i for i, key in enumerate(keys)}
    priority_fee = (int.from_bytes(hashlib.sha256(tx.signature.encode()).digest()[:2]) % 50) * 1000
    fee = BASE_FEE_LAMPORTS + priority_fee
    pre = [PAYER_BALANCE_LAMPORTS] + [0] * (len(keys) - 1)
    post = [PAYER_BALANCE_LAMPORTS - fee] + [0] * (len(keys) - 1)
    consumed = sum(int(m.group(1)) for line in tx.logs if (m := _CONSUMED.match(line)))
    blockhash = str(Pubkey(hashlib.sha256(b"blockhash" + tx.signature.encode()).digest()))
    return {
        "slot": tx.slot,
        "blockTime": tx.block_time,
        "version": 0,
        "meta": {
            "err": tx.err,
            "status": {"Ok": None} if tx.err is None else {"Err": tx.err},
            "fee": fee,
            "preBalances": pre,
            "postBalances": post,
            "preTokenBalances": [],
            "postTokenBalances": [],
            "innerInstructions": [],
            "logMessages": list(tx.logs),
            "loadedAddresses": {"writable": [], "readonly": []},
            "rewards": [],
            "computeUnitsConsumed": consumed,
        },
        "transaction": {
            "signatures": [tx.signature],
            "message": {
                "accountKeys": keys,
                "header": {
                    "numRequiredSignatures": 1,
                    "numReadonlySignedAccounts": 0,
                    "numReadonlyUnsignedAccounts": len(programs),
                },
                "recentBlockhash": blockhash,
                "instructions": [
                    {
                        "programIdIndex": position[program],
                        "accounts": [],
                        "data": "",
                        "stackHeight": None,
                    }
                    for program in invoked
                ],
                "addressTableLookups": [],
            },
        },
    }
