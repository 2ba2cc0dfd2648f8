"""Users who keep their own wallet (Phantom, Solflare, a hardware wallet): we never sign.

``prepare`` builds the transaction with the user's address as fee payer and answers it
*unsigned* (a placeholder — 64 zero bytes — in every signature slot), base64 as wallets and
``signTransaction`` adapters take it. The caller keeps ``PreparedTransaction.message_base64``
(the exact message bytes) until the user comes back. ``check_signed`` / ``submit`` take the
signed transaction (base64) and accept it only when its message is byte-for-byte the prepared
one and every required signature verifies; anything else is a ``UserInputError`` saying what
is wrong. ``submit`` then hands it to a sender (``RpcClient.send_transaction``).

A wallet that *changes* the transaction before signing it (adds instructions, moves the
compute budget) produces a different message: it is refused, on purpose — we submit only what
the user saw prepared.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import Instruction
from solders.message import MessageV0, VersionedMessage, from_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from core.errors import UserInputError
from core.trading.signer import message_bytes, missing_signatures, required_signers

MAX_TRANSACTION_BYTES = 1232  # a packet's payload: larger transactions are refused by the network


@dataclass(frozen=True, slots=True)
class PreparedTransaction:
    """An unsigned transaction for an external wallet, and what ``submit`` will check."""

    message_bytes: bytes
    transaction_base64: str  # unsigned: placeholders in the wallet's slots
    fee_payer: Pubkey
    signers: tuple[Pubkey, ...]  # required signers, slot order

    @property
    def message_base64(self) -> str:
        """What to store between prepare and submit (``from_message_base64`` rebuilds it)."""
        return base64.b64encode(self.message_bytes).decode()

    @classmethod
    def from_message_base64(cls, value: str) -> PreparedTransaction:
        return prepare_message(from_bytes_versioned(base64.b64decode(value, validate=True)))


class TransactionSender(Protocol):
    async def send_transaction(self, tx_base64: str) -> str: ...


def prepare(
    instructions: Sequence[Instruction],
    fee_payer: Pubkey,
    recent_blockhash: Hash,
    *,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
) -> PreparedTransaction:
    """A v0 transaction of ``instructions`` paid by ``fee_payer`` (the user's wallet), unsigned."""
    message = MessageV0.try_compile(
        fee_payer, list(instructions), list(lookup_tables), recent_blockhash
    )
    return prepare_message(message)


def prepare_message(
    message: VersionedMessage, signatures: Sequence[Signature] = ()
) -> PreparedTransaction:
    """An existing message (a Jupiter swap's, say) for an external wallet to sign.

    ``signatures`` keeps signatures other parties already made (same order as the slots);
    missing ones are placeholders.
    """
    signers = tuple(required_signers(message))
    slots = list(signatures) if len(signatures) == len(signers) else []
    slots = slots or [Signature.default()] * len(signers)
    tx = VersionedTransaction.populate(message, slots)
    raw = bytes(tx)
    if len(raw) > MAX_TRANSACTION_BYTES:
        raise UserInputError(
            "the transaction is {n} bytes; Solana accepts at most {max}: split it or use "
            "address lookup tables",
            n=len(raw),
            max=MAX_TRANSACTION_BYTES,
        )
    return PreparedTransaction(
        message_bytes=message_bytes(message),
        transaction_base64=base64.b64encode(raw).decode(),
        fee_payer=signers[0],
        signers=signers,
    )


def prepare_from_base64(transaction_base64: str) -> PreparedTransaction:
    """A transaction someone else built (Jupiter's ``swapTransaction``), for the user to sign."""
    tx = _decode(transaction_base64)
    return prepare_message(tx.message, list(tx.signatures))


def check_signed(prepared: PreparedTransaction, signed_base64: str) -> VersionedTransaction:
    """The signed transaction, if it is the prepared one and every signature verifies."""
    tx = _decode(signed_base64)
    if message_bytes(tx.message) != prepared.message_bytes:
        raise UserInputError(
            "this is not the transaction that was prepared: its content differs (another "
            "transaction, or the wallet changed it); prepare again and sign it unchanged"
        )
    signatures = list(tx.signatures)
    unsigned = [
        key
        for key, sig in zip(prepared.signers, signatures, strict=False)
        if sig == Signature.default()
    ]
    if len(signatures) != len(prepared.signers) or unsigned:
        missing = unsigned or list(prepared.signers)
        raise UserInputError(
            "the transaction is not signed by {signers}: sign it in your wallet, then send the "
            "signed transaction",
            signers=", ".join(str(k) for k in missing),
        )
    invalid = missing_signatures(tx)
    if invalid:
        raise UserInputError(
            "the signature of {signers} does not verify: sign the prepared transaction again "
            "with that wallet",
            signers=", ".join(str(k) for k in invalid),
        )
    return tx


async def submit(
    prepared: PreparedTransaction, signed_base64: str, sender: TransactionSender
) -> str:
    """Check ``signed_base64`` (``check_signed``), then send it; returns the signature."""
    tx = check_signed(prepared, signed_base64)
    return await sender.send_transaction(base64.b64encode(bytes(tx)).decode())


def _decode(value: str) -> VersionedTransaction:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise UserInputError("the transaction is not valid base64") from None
    try:
        return VersionedTransaction.from_bytes(raw)
    except ValueError:
        raise UserInputError("these bytes are not a Solana transaction") from None
