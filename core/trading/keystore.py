"""The embedded wallet keystore: a local JSON file of ed25519 keys, each encrypted at rest.

For the demo and small self-hosts (``SIGNER_BACKEND=keystore``). Each wallet's 32-byte secret
seed is encrypted with AES-256-GCM under a key derived with scrypt (``n`` = 2**15 by default,
``r`` = 8, ``p`` = 1) from a passphrase given at start. The file has one random 16-byte salt; each
wallet its own random 12-byte nonce, with ``solsignals-keystore-v1:<address bytes>`` as
associated data, so a ciphertext cannot be moved to another address. A ``check`` entry (a
known plaintext under the same key) tells a wrong passphrase from a damaged file even when the
keystore is empty. Opening decrypts every entry once: a wrong passphrase or one altered entry
fails the whole open — never a partial unlock. Secrets are never written or logged in plaintext.

The file is written atomically (temporary file + ``os.replace``) with mode 0600, under an
exclusive ``flock`` on ``<file>.lock``; a write re-reads the file and keeps wallets another
process added meanwhile.

Import takes a base58 64-byte secret key (Phantom / Solflare export) or a JSON array of 64
numbers (Solana CLI ``id.json``). Export shows a secret key only with
``confirm="EXPORT <first 8 characters of the address>"``.

File format (version 1)::

    {"format": "solsignals-keystore", "version": 1, "cipher": "aes-256-gcm",
     "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<base64>"},
     "check": {"nonce": "<base64>", "ciphertext": "<base64>"},
     "wallets": [{"address": "<base58>", "label": null, "origin": "created" | "imported",
                  "created_at": "<ISO 8601>", "nonce": "<base64>", "ciphertext": "<base64>"}]}
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import secrets
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import SecretStr
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from core.config import EXAMPLES
from core.errors import ConfigError, Text, UserInputError
from core.trading.signer import SIGN_LATENCY_S, SIGNATURES

if TYPE_CHECKING:
    from core.config import Settings

log = structlog.get_logger(__name__)

FORMAT = "solsignals-keystore"
VERSION = 1
DEFAULT_SCRYPT_N = 2**15
SCRYPT_R, SCRYPT_P = 8, 1
MIN_SCRYPT_N, MAX_SCRYPT_N = 2**10, 2**20
MIN_PASSPHRASE_CHARS = 8
_AD_PREFIX = b"solsignals-keystore-v1:"
_CHECK_AD = _AD_PREFIX + b"check"
_CHECK_PLAINTEXT = b"solsignals keystore passphrase check"
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58_ALPHABET)}
IMPORT_HELP = Text(
    "paste a base58 secret key (Phantom / Solflare: export private key) or the JSON array of "
    "64 numbers of a Solana CLI id.json"
)


class WrongPassphraseError(UserInputError):
    """The passphrase does not unlock the keystore (nothing was decrypted)."""


@dataclass(frozen=True, slots=True)
class WalletEntry:
    """A wallet of the keystore, without its secret."""

    address: Pubkey
    label: str | None
    origin: Literal["created", "imported"]
    created_at: str


@dataclass(frozen=True, slots=True)
class _Sealed:
    entry: WalletEntry
    nonce: bytes
    ciphertext: bytes


def parse_keypair(text: str) -> Keypair:
    """A keypair from base58 (64-byte secret key) or a JSON byte array; never echoes input."""
    value = text.strip()
    if not value:
        raise UserInputError("empty key: {help}", help=IMPORT_HELP)
    if value.startswith("["):
        try:
            numbers = json.loads(value)
        except json.JSONDecodeError:
            raise UserInputError("not a valid JSON array: {help}", help=IMPORT_HELP) from None
        if not isinstance(numbers, list) or not all(
            type(n) is int and 0 <= n <= 255 for n in numbers
        ):
            raise UserInputError("the JSON array must hold only numbers from 0 to 255")
        raw = bytes(numbers)
    else:
        raw = _b58decode(value)
    if len(raw) == 32:
        raise UserInputError(
            "this decodes to 32 bytes: that is an address (public key) or a bare seed, not a "
            "keypair; {help}",
            help=IMPORT_HELP,
        )
    if len(raw) != 64:
        raise UserInputError(
            "this decodes to {n} bytes; a Solana secret key is 64 bytes: {help}",
            n=len(raw),
            help=IMPORT_HELP,
        )
    try:
        return Keypair.from_bytes(raw)
    except ValueError:
        raise UserInputError(
            "the key's second half is not the public key of its first half: the key is damaged "
            "or was copied incompletely"
        ) from None


def _b58decode(value: str) -> bytes:
    number = 0
    for position, char in enumerate(value, start=1):
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise UserInputError(
                "not base58: character {position} is not in the base58 alphabet; {help}",
                position=position,
                help=IMPORT_HELP,
            )
        number = number * 58 + digit
    zeros = len(value) - len(value.lstrip("1"))
    return b"\x00" * zeros + (number.to_bytes((number.bit_length() + 7) // 8, "big"))


def _passphrase_bytes(passphrase: str | SecretStr) -> bytes:
    plain = passphrase.get_secret_value() if isinstance(passphrase, SecretStr) else passphrase
    return unicodedata.normalize("NFC", plain).encode()


def _derive(passphrase: bytes, salt: bytes, n: int) -> AESGCM:
    key = Scrypt(salt=salt, length=32, n=n, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase)
    return AESGCM(key)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(value: Any, what: str, path: Path) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise UserInputError(
            "keystore {path} is damaged: {what} is not base64", path=str(path), what=what
        ) from None


class Keystore:
    """An unlocked keystore file. Build with ``create``, ``open`` or ``open_or_create``."""

    def __init__(
        self, path: Path, cipher: AESGCM, kdf: dict[str, Any], check: dict[str, str]
    ) -> None:
        self.path = path
        self._cipher = cipher
        self._kdf = kdf
        self._check = check
        self._wallets: dict[Pubkey, _Sealed] = {}

    # ---- opening ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | Path, passphrase: str | SecretStr, *, scrypt_n: int = DEFAULT_SCRYPT_N
    ) -> Keystore:
        """A new, empty keystore at ``path`` (refused when the file exists)."""
        path = Path(path)
        if path.exists():
            raise UserInputError("keystore {path} already exists; open it instead", path=str(path))
        secret = _passphrase_bytes(passphrase)
        if len(secret.decode()) < MIN_PASSPHRASE_CHARS:
            raise UserInputError(
                "the keystore passphrase must have at least {n} characters",
                n=MIN_PASSPHRASE_CHARS,
            )
        if scrypt_n & (scrypt_n - 1) or not MIN_SCRYPT_N <= scrypt_n <= MAX_SCRYPT_N:
            raise ValueError(
                f"scrypt n must be a power of two in [{MIN_SCRYPT_N}, {MAX_SCRYPT_N}]"
            )
        salt = os.urandom(16)
        cipher = _derive(secret, salt, scrypt_n)
        nonce = os.urandom(12)
        check = {
            "nonce": _b64(nonce),
            "ciphertext": _b64(cipher.encrypt(nonce, _CHECK_PLAINTEXT, _CHECK_AD)),
        }
        kdf = {"name": "scrypt", "n": scrypt_n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)}
        keystore = cls(path, cipher, kdf, check)
        keystore._save()
        log.info("keystore_created", path=str(path))
        return keystore

    @classmethod
    def open(cls, path: str | Path, passphrase: str | SecretStr) -> Keystore:
        """Unlock ``path``: every wallet is decrypted once, or nothing is opened."""
        path = Path(path)
        document = _read(path)
        kdf = document["kdf"]
        salt = _unb64(kdf.get("salt"), "the salt", path)
        n = kdf.get("n")
        if (
            kdf.get("name") != "scrypt"
            or (kdf.get("r"), kdf.get("p")) != (SCRYPT_R, SCRYPT_P)
            or type(n) is not int
            or n & (n - 1)
            or not MIN_SCRYPT_N <= n <= MAX_SCRYPT_N
        ):
            raise UserInputError(
                "keystore {path} has unsupported key derivation settings", path=str(path)
            )
        cipher = _derive(_passphrase_bytes(passphrase), salt, n)
        check = document["check"]
        try:
            cipher.decrypt(
                _unb64(check.get("nonce"), "the check nonce", path),
                _unb64(check.get("ciphertext"), "the check", path),
                _CHECK_AD,
            )
        except InvalidTag:
            log.warning("keystore_unlock_failed", path=str(path))
            raise WrongPassphraseError(
                "wrong passphrase for keystore {path}: nothing was decrypted", path=str(path)
            ) from None
        keystore = cls(path, cipher, dict(kdf), dict(check))
        for sealed in _wallets_of(document, path):
            keystore._keypair_of(sealed)  # every entry must decrypt: no partial unlock
            keystore._wallets[sealed.entry.address] = sealed
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning("keystore_file_mode_too_open", path=str(path), mode=oct(mode))
        log.info("keystore_unlocked", path=str(path), wallets=len(keystore._wallets))
        return keystore

    @classmethod
    def open_or_create(
        cls, path: str | Path, passphrase: str | SecretStr, *, scrypt_n: int = DEFAULT_SCRYPT_N
    ) -> Keystore:
        path = Path(path)
        if path.exists():
            return cls.open(path, passphrase)
        return cls.create(path, passphrase, scrypt_n=scrypt_n)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> Keystore:
        """KEYSTORE_PATH unlocked with KEYSTORE_PASSPHRASE (created when missing)."""
        settings.require_signer("keystore")
        assert settings.keystore_passphrase is not None
        try:
            return cls.open_or_create(
                settings.keystore_path, settings.keystore_passphrase, **kwargs
            )
        except WrongPassphraseError:
            raise ConfigError(
                "KEYSTORE_PASSPHRASE",
                f"does not unlock the keystore {settings.keystore_path}",
                EXAMPLES["KEYSTORE_PASSPHRASE"],
            ) from None

    # ---- wallets ---------------------------------------------------------------------------

    def wallets(self) -> list[WalletEntry]:
        return [sealed.entry for sealed in self._wallets.values()]

    def new_wallet(self, label: str | None = None) -> Pubkey:
        """A new random keypair, stored encrypted; returns its address."""
        return self._add(Keypair(), label, "created")

    def import_keypair(self, text: str, label: str | None = None) -> Pubkey:
        """Store an existing keypair (base58 secret key or JSON byte array)."""
        keypair = parse_keypair(text)
        if keypair.pubkey() in self._wallets:
            raise UserInputError(
                "wallet {address} is already in the keystore", address=str(keypair.pubkey())
            )
        return self._add(keypair, label, "imported")

    def export(
        self, address: Pubkey | str, *, confirm: str, fmt: Literal["base58", "json"] = "base58"
    ) -> str:
        """The secret key of ``address`` — only with ``confirm="EXPORT <address[:8]>"``."""
        sealed = self._sealed(address)
        shown = str(sealed.entry.address)
        expected = f"EXPORT {shown[:8]}"
        if confirm.strip() != expected:
            raise UserInputError(
                "export refused: this reveals the secret key of {address}, which gives anyone "
                "holding it the wallet's funds; to confirm, type exactly: {expected}",
                address=shown,
                expected=expected,
            )
        keypair = self._keypair_of(sealed)
        log.warning("keystore_key_exported", address=shown, fmt=fmt)
        return keypair.to_json() if fmt == "json" else str(keypair)

    def signer(self, address: Pubkey | str) -> KeystoreSigner:
        return KeystoreSigner(self, self._sealed(address).entry.address)

    def sign(self, address: Pubkey, message: bytes) -> Signature:
        return self._keypair_of(self._sealed(address)).sign_message(message)

    # ---- internals -------------------------------------------------------------------------

    def _sealed(self, address: Pubkey | str) -> _Sealed:
        try:
            key = address if isinstance(address, Pubkey) else Pubkey.from_string(address)
        except ValueError:
            raise UserInputError("not a Solana address") from None
        sealed = self._wallets.get(key)
        if sealed is None:
            raise UserInputError(
                "wallet {address} is not in the keystore {path}",
                address=str(key),
                path=str(self.path),
            )
        return sealed

    def _keypair_of(self, sealed: _Sealed) -> Keypair:
        address = sealed.entry.address
        try:
            seed = self._cipher.decrypt(
                sealed.nonce, sealed.ciphertext, _AD_PREFIX + bytes(address)
            )
        except InvalidTag:
            raise UserInputError(
                "keystore {path} is damaged: wallet {address} does not decrypt "
                "(the file was altered?); nothing was opened",
                path=str(self.path),
                address=str(address),
            ) from None
        keypair = Keypair.from_seed(seed)
        if keypair.pubkey() != address:
            raise UserInputError(
                "keystore {path} is damaged: wallet {address} mismatch",
                path=str(self.path),
                address=str(address),
            )
        return keypair

    def _add(
        self, keypair: Keypair, label: str | None, origin: Literal["created", "imported"]
    ) -> Pubkey:
        address = keypair.pubkey()
        nonce = os.urandom(12)
        entry = WalletEntry(
            address=address,
            label=label,
            origin=origin,
            created_at=datetime.now(tz=UTC).isoformat(timespec="seconds"),
        )
        ciphertext = self._cipher.encrypt(nonce, keypair.secret(), _AD_PREFIX + bytes(address))
        self._save(_Sealed(entry, nonce, ciphertext))
        log.info("keystore_wallet_added", address=str(address), origin=origin)
        return address

    def _save(self, new: _Sealed | None = None) -> None:
        """Write the file with ``new`` added; memory changes only once the file is written."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(self.path):
            wallets = dict(self._wallets)
            if self.path.exists():  # keep wallets another process added meanwhile
                document = _read(self.path)
                if document["kdf"].get("salt") != self._kdf["salt"]:
                    raise UserInputError(
                        "keystore {path} was replaced by another keystore; reopen it",
                        path=str(self.path),
                    )
                for sealed in _wallets_of(document, self.path):
                    wallets.setdefault(sealed.entry.address, sealed)
            if new is not None:
                wallets[new.entry.address] = new
            document = {
                "format": FORMAT,
                "version": VERSION,
                "cipher": "aes-256-gcm",
                "kdf": self._kdf,
                "check": self._check,
                "wallets": [
                    {
                        "address": str(s.entry.address),
                        "label": s.entry.label,
                        "origin": s.entry.origin,
                        "created_at": s.entry.created_at,
                        "nonce": _b64(s.nonce),
                        "ciphertext": _b64(s.ciphertext),
                    }
                    for s in wallets.values()
                ],
            }
            _write_atomic(self.path, json.dumps(document, indent=2).encode() + b"\n")
            self._wallets = wallets


class KeystoreSigner:
    """``Signer`` of one keystore wallet (the seed is decrypted only to sign)."""

    def __init__(self, keystore: Keystore, address: Pubkey) -> None:
        self.keystore = keystore
        self._address = address

    async def address(self) -> Pubkey:
        return self._address

    async def sign_message(self, message: bytes) -> Signature:
        started = time.perf_counter()
        try:
            signature = self.keystore.sign(self._address, message)
        except Exception:
            SIGNATURES.labels("keystore", "error").inc()
            raise
        SIGNATURES.labels("keystore", "ok").inc()
        SIGN_LATENCY_S.labels("keystore").observe(time.perf_counter() - started)
        return signature


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise UserInputError("keystore {path} does not exist", path=str(path)) from None
    except (OSError, ValueError) as exc:
        raise UserInputError(
            "keystore {path} cannot be read: {error}", path=str(path), error=type(exc).__name__
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UserInputError("{path} is not a Solsignals keystore", path=str(path))
    if document.get("version") != VERSION:
        raise UserInputError(
            "keystore {path} has version {version}, not {expected}",
            path=str(path),
            version=document.get("version"),
            expected=VERSION,
        )
    if not isinstance(document.get("kdf"), dict) or not isinstance(document.get("check"), dict):
        raise UserInputError("keystore {path} is damaged: kdf / check missing", path=str(path))
    return document


def _wallets_of(document: dict[str, Any], path: Path) -> Iterator[_Sealed]:
    items = document.get("wallets")
    if not isinstance(items, list):
        raise UserInputError("keystore {path} is damaged: wallets missing", path=str(path))
    for item in items:
        try:
            address = Pubkey.from_string(str(item["address"]))
            origin = item.get("origin", "created")
            entry = WalletEntry(
                address=address,
                label=item.get("label"),
                origin="imported" if origin == "imported" else "created",
                created_at=str(item.get("created_at", "")),
            )
        except (KeyError, TypeError, ValueError):
            raise UserInputError(
                "keystore {path} is damaged: a wallet entry is invalid", path=str(path)
            ) from None
        yield _Sealed(
            entry,
            _unb64(item.get("nonce"), f"the nonce of {address}", path),
            _unb64(item.get("ciphertext"), f"the ciphertext of {address}", path),
        )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    """``data`` at ``path`` in one step, mode 0600: never a half-written keystore."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # whatever the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
