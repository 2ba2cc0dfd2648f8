"""The signing seam of trading: a ``Signer`` holds one wallet key and signs message bytes.

Backends: ``vault_signer.VaultSigner`` (HashiCorp Vault Transit, the key never leaves Vault),
``keystore.KeystoreSigner`` (the embedded encrypted keystore file). Users who keep their own
wallet sign outside (``external_wallet``).

What a Solana signer signs is the *serialized message*: ``to_bytes_versioned(message)``, which
for a v0 message includes the leading version byte — never ``bytes(tx)``. ``sign_transaction``
puts each signature in its slot: the index of the signer's address among the message's first
``header.num_required_signatures`` account keys (fee payer = slot 0). Other slots are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from prometheus_client import Counter, Histogram
from solders.message import VersionedMessage, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from core.errors import UpstreamError, UserInputError

SIGNATURES = Counter(
    "solsignals_signatures_total",
    "Messages signed, by signer backend (vault, keystore) and outcome (ok, error)",
    ["backend", "outcome"],
)
SIGN_LATENCY_S = Histogram(
    "solsignals_sign_seconds",
    "Time to sign one message, by signer backend",
    ["backend"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


@runtime_checkable
class Signer(Protocol):
    """One wallet key. ``address`` is the Solana address; ``sign_message`` a 64-byte ed25519
    signature of exactly ``message`` (the serialized transaction message)."""

    async def address(self) -> Pubkey: ...

    async def sign_message(self, message: bytes) -> Signature: ...


def message_bytes(message: VersionedMessage) -> bytes:
    """The bytes a wallet signs for ``message`` (v0: with the version prefix)."""
    return to_bytes_versioned(message)


def required_signers(message: VersionedMessage) -> list[Pubkey]:
    """The addresses whose signatures the message needs, in slot order (fee payer first)."""
    return list(message.account_keys[: message.header.num_required_signatures])


def signer_slot(message: VersionedMessage, address: Pubkey) -> int:
    """The signature slot of ``address``; UserInputError when the message does not need it."""
    signers = required_signers(message)
    try:
        return signers.index(address)
    except ValueError:
        raise UserInputError(
            "the transaction does not need a signature from {address}; its signers are {signers}",
            address=str(address),
            signers=", ".join(str(s) for s in signers),
        ) from None


def unsigned(message: VersionedMessage) -> VersionedTransaction:
    """A transaction of ``message`` with a placeholder (all-zero) signature in every slot."""
    return VersionedTransaction.populate(
        message, [Signature.default()] * message.header.num_required_signatures
    )


def missing_signatures(tx: VersionedTransaction) -> list[Pubkey]:
    """Required signers whose slot is empty or holds a signature that does not verify."""
    message = tx.message
    data = message_bytes(message)
    signers = required_signers(message)
    signatures = list(tx.signatures)
    if len(signatures) != len(signers):
        return signers
    return [key for key, sig in zip(signers, signatures, strict=True) if not sig.verify(key, data)]


async def sign_transaction(
    tx_or_message: VersionedTransaction | VersionedMessage, signers: Sequence[Signer]
) -> VersionedTransaction:
    """``tx_or_message`` signed by every signer, each signature in its slot.

    A transaction keeps the signatures it already has in the other slots (a partially signed
    Jupiter swap, say); a bare message starts from placeholders. Every signature is verified
    against the signer's address before it is attached: a backend answering a signature that
    does not verify is an ``UpstreamError`` (not retryable), never a transaction sent to fail.
    """
    if isinstance(tx_or_message, VersionedTransaction):
        message = tx_or_message.message
        signatures = list(tx_or_message.signatures)
    else:
        message = tx_or_message
        signatures = []
    needed = message.header.num_required_signatures
    if len(signatures) != needed:
        signatures = [Signature.default()] * needed
    data = message_bytes(message)
    for signer in signers:
        address = await signer.address()
        slot = signer_slot(message, address)
        signature = await signer.sign_message(data)
        if not signature.verify(address, data):
            raise UpstreamError(
                f"the {type(signer).__name__} for {address} returned a signature that does "
                "not verify; nothing was sent",
                retryable=False,
            )
        signatures[slot] = signature
    return VersionedTransaction.populate(message, signatures)
