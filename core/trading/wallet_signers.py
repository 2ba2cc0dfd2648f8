"""Who signs for users' trading wallets: the embedded keystore or Vault Transit.

A ``SignerBackend`` creates a user's wallet, imports an existing key (keystore only), hands the
executor a ``Signer`` per address and exports a key (keystore only, with the typed
confirmation ``EXPORT <first 8 characters of the address>``). Vault signers are loaded
(``prepare``) before a trade: ``signer`` itself cannot wait for Vault.
"""

from __future__ import annotations

from typing import Protocol

from core.errors import UserInputError
from core.trading.keystore import Keystore, parse_keypair
from core.trading.signer import Signer
from core.trading.user_wallets import UserWallet, WalletBackend
from core.trading.vault_signer import VaultSigner, VaultTransit, wallet_key_name


class SignerBackend(Protocol):
    backend: WalletBackend

    async def new_wallet(self, user_id: int, n: int) -> tuple[str, str | None]: ...
    def import_key(self, text: str, user_id: int) -> str: ...
    async def prepare(self, wallet: UserWallet) -> None: ...
    def signer(self, address: str) -> Signer: ...
    def export(self, address: str, confirm: str) -> str: ...


class KeystoreBackend:
    """Wallets in the embedded keystore, labelled ``user:<id>``."""

    backend = WalletBackend.KEYSTORE

    def __init__(self, keystore: Keystore) -> None:
        self.keystore = keystore

    async def new_wallet(self, user_id: int, n: int) -> tuple[str, str | None]:
        return str(self.keystore.new_wallet(f"user:{user_id}")), None

    def import_key(self, text: str, user_id: int) -> str:
        address = parse_keypair(text).pubkey()
        if any(entry.address == address for entry in self.keystore.wallets()):
            return str(address)  # the user's own wallet, imported before (the caller checks)
        return str(self.keystore.import_keypair(text, f"user:{user_id}"))

    async def prepare(self, wallet: UserWallet) -> None:
        return None

    def signer(self, address: str) -> Signer:
        return self.keystore.signer(address)

    def export(self, address: str, confirm: str) -> str:
        return self.keystore.export(address, confirm=confirm)


class VaultBackend:
    """Wallets as Vault Transit keys (``solsignals-user-<id>-<n>``); keys never leave Vault."""

    backend = WalletBackend.VAULT

    def __init__(self, transit: VaultTransit) -> None:
        self.transit = transit
        self._signers: dict[str, VaultSigner] = {}

    async def new_wallet(self, user_id: int, n: int) -> tuple[str, str | None]:
        signer = await self.transit.wallet(user_id, n, create=True)
        address = str(await signer.address())
        self._signers[address] = signer
        return address, wallet_key_name(user_id, n)

    def import_key(self, text: str, user_id: int) -> str:
        raise UserInputError(
            "this bot keeps wallet keys in Vault, which cannot take an existing key: "
            "use /trading on for a new wallet"
        )

    async def prepare(self, wallet: UserWallet) -> None:
        if wallet.address in self._signers or wallet.key_ref is None:
            return
        key = await self.transit.read_key(wallet.key_ref)
        self._signers[str(key.address)] = self.transit.signer(key)

    def signer(self, address: str) -> Signer:
        found = self._signers.get(address)
        if found is None:
            raise UserInputError("no Vault key is loaded for wallet {address}", address=address)
        return found

    def export(self, address: str, confirm: str) -> str:
        raise UserInputError("keys in Vault cannot be exported: they never leave Vault")
