"""Wallet keys in HashiCorp Vault Transit (through hvac): the private key never leaves Vault.

One ed25519 transit key per user wallet, named ``solsignals-user-<user id>-<n>``, created with
``exportable=false``. Its public key (``GET <mount>/keys/<name>``, base64 of 32 bytes) is the
wallet's Solana address. Signing sends the serialized message to ``<mount>/sign/<name>`` and
parses ``vault:v<version>:<base64 of 64 bytes>``; the signature is verified locally against
the address before it is returned.

The wallet is one key *version*: the first one unless another is given. A rotation adds a new
ed25519 key, i.e. a different address, so we keep signing with the version that *is* the
wallet (``key_version``) and a rotation never moves the wallet under the user's feet.

hvac is synchronous: every call runs in a worker thread (``asyncio.to_thread``) so the event
loop never blocks. Auth is a token or AppRole (``role_id`` + ``secret_id``); a renewable token
is renewed (``renew-self``) once two thirds of its TTL have passed; an AppRole logs in again
when its token cannot be renewed or Vault answers 403 (expired / revoked), once per call.

The one seam where hvac / requests errors become ours is ``VaultTransit._run``:

- unreachable (connection refused, DNS, TLS, timeout) → ``UpstreamError(retryable=True)``
  naming the address (never the token);
- 503 while sealed → ``UpstreamError(retryable=False)`` "Vault ... is sealed: unseal it";
  another 503, 429, 5xx → retryable;
- 403 → not retryable, naming the path and the capability its policy must grant;
- 400 / 404 → not retryable, with Vault's own message.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import hvac
import hvac.exceptions as hvac_errors
import requests
import structlog
from prometheus_client import Counter, Histogram
from pydantic import SecretStr
from solders.pubkey import Pubkey
from solders.signature import Signature

from core.config import EXAMPLES, redact_url
from core.errors import ConfigError, UpstreamError
from core.trading.signer import SIGN_LATENCY_S, SIGNATURES

if TYPE_CHECKING:
    from core.config import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")

KEY_PREFIX = "solsignals-user"
RENEW_FRACTION = 2 / 3  # renew a token once this share of its TTL has passed

VAULT_REQUESTS = Counter(
    "solsignals_vault_requests_total",
    "Vault HTTP calls by operation and outcome (ok, sealed, unreachable, denied, error)",
    ["op", "outcome"],
)
VAULT_REQUEST_S = Histogram(
    "solsignals_vault_request_seconds",
    "Latency of one Vault HTTP call (including the worker-thread hop), by operation",
    ["op"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def wallet_key_name(user_id: int, n: int = 0) -> str:
    """The transit key name of a user's ``n``-th wallet."""
    if user_id < 0 or n < 0:
        raise ValueError("user_id and n are non-negative")
    return f"{KEY_PREFIX}-{user_id}-{n}"


@dataclass(frozen=True, slots=True)
class VaultAuth:
    """A token, or an AppRole (``role_id`` + ``secret_id``); AppRole wins when both are set."""

    token: SecretStr | None = None
    role_id: str | None = None
    secret_id: SecretStr | None = None
    approle_mount: str = "approle"

    @property
    def method(self) -> str:
        return "approle" if self.role_id else "token"

    def __post_init__(self) -> None:
        if self.role_id and self.secret_id is None:
            raise ConfigError(
                "VAULT_SECRET_ID",
                "not set (needed with VAULT_ROLE_ID)",
                EXAMPLES["VAULT_SECRET_ID"],
            )
        if not self.role_id and self.token is None:
            raise ConfigError(
                "VAULT_TOKEN",
                "not set: give VAULT_TOKEN or VAULT_ROLE_ID + VAULT_SECRET_ID",
                EXAMPLES["VAULT_TOKEN"],
            )


@dataclass(frozen=True, slots=True)
class VaultKey:
    """One wallet key in Vault: its name, the version that is the wallet, and its address."""

    name: str
    version: int
    address: Pubkey
    exportable: bool


@dataclass(frozen=True, slots=True)
class VaultHealth:
    initialized: bool
    sealed: bool
    standby: bool
    version: str | None


@dataclass(slots=True)
class _TokenState:
    obtained: bool = False
    renewable: bool = False
    renew_at: float | None = None  # clock time; None = never (root token, unknown TTL)


class VaultTransit:
    """A Vault connection for wallet keys: auth and token upkeep, create / read keys, sign."""

    def __init__(
        self,
        addr: str,
        auth: VaultAuth,
        *,
        mount: str = "transit",
        namespace: str | None = None,
        timeout_s: float = 10.0,
        verify: bool | str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.addr = addr.rstrip("/")
        self.mount = mount.strip("/")
        self._shown = redact_url(self.addr)
        self._auth = auth
        self._clock = clock
        self._state = _TokenState()
        self._auth_lock = asyncio.Lock()
        kwargs: dict[str, Any] = {"url": self.addr, "namespace": namespace, "timeout": timeout_s}
        if verify is not None:
            kwargs["verify"] = verify
        # token="" (not None): hvac must not pick up VAULT_TOKEN / ~/.vault-token on its own.
        token = auth.token.get_secret_value() if auth.token and not auth.role_id else ""
        self._client = hvac.Client(token=token, **kwargs)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> VaultTransit:
        settings.require_signer("vault")
        assert settings.vault_addr is not None  # require_signer checked it
        auth = VaultAuth(
            token=settings.vault_token,
            role_id=settings.vault_role_id,
            secret_id=settings.vault_secret_id,
            approle_mount=settings.vault_approle_mount,
        )
        return cls(
            settings.vault_addr,
            auth,
            mount=settings.vault_transit_mount,
            namespace=settings.vault_namespace,
            **kwargs,
        )

    async def __aenter__(self) -> VaultTransit:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.adapter.close()

    # ---- connection and auth ---------------------------------------------------------------

    async def connect(self) -> VaultHealth:
        """Check Vault is up and unsealed, then authenticate. Call once at start."""
        health = await self.health()
        if not health.initialized:
            raise UpstreamError(
                f"Vault at {self._shown} is not initialized (vault operator init)",
                retryable=False,
                provider="vault",
            )
        if health.sealed:
            raise self._sealed_error()
        await self._ensure_token()
        return health

    async def health(self) -> VaultHealth:
        """``GET /v1/sys/health`` (unauthenticated): 200 active, 429 standby, 503 sealed."""

        def read() -> Any:
            return self._client.sys.read_health_status(method="GET")

        answer = await self._run("health", "sys/health", "read", read)
        if isinstance(answer, requests.Response):  # non-200: hvac hands back the response
            try:
                answer = answer.json()
            except ValueError:
                answer = {"initialized": answer.status_code != 501}
        return VaultHealth(
            initialized=bool(answer.get("initialized", True)),
            sealed=bool(answer.get("sealed", False)),
            standby=bool(answer.get("standby", False)),
            version=answer.get("version"),
        )

    async def _ensure_token(self) -> None:
        async with self._auth_lock:
            state = self._state
            if not state.obtained:
                await self._authenticate()
            elif state.renew_at is not None and self._clock() >= state.renew_at:
                await self._refresh()

    async def _authenticate(self) -> None:
        if self._auth.role_id:
            await self._approle_login()
            return
        path = "auth/token/lookup-self"
        try:
            answer = await self._run(
                "lookup_self", path, "read", self._client.auth.token.lookup_self
            )
        except _Denied:
            # A token may lack lookup-self; signing can still work. TTL unknown: no renewal.
            log.warning("vault_token_lookup_refused", addr=self._shown)
            self._state = _TokenState(obtained=True)
            return
        data = answer.get("data") or {}
        self._set_lease(int(data.get("ttl") or 0), bool(data.get("renewable")))
        log.info(
            "vault_authenticated",
            addr=self._shown,
            auth="token",
            ttl_s=int(data.get("ttl") or 0),
            renewable=self._state.renewable,
        )

    async def _approle_login(self) -> None:
        auth = self._auth
        assert auth.role_id is not None and auth.secret_id is not None
        role_id, secret_id = auth.role_id, auth.secret_id.get_secret_value()

        def login() -> Any:
            return self._client.auth.approle.login(
                role_id, secret_id=secret_id, use_token=True, mount_point=auth.approle_mount
            )

        path = f"auth/{auth.approle_mount}/login"
        try:
            answer = await self._run("approle_login", path, "update", login)
        except _Refused as exc:
            raise UpstreamError(
                f"Vault at {self._shown} refused the AppRole login at '{path}': check "
                "VAULT_ROLE_ID and VAULT_SECRET_ID (the secret id may have expired)",
                retryable=False,
                provider="vault",
            ) from exc
        block = answer.get("auth") or {}
        lease_s = int(block.get("lease_duration") or 0)
        self._set_lease(lease_s, bool(block.get("renewable")))
        log.info("vault_authenticated", addr=self._shown, auth="approle", ttl_s=lease_s)

    async def _refresh(self) -> None:
        """Renew the token, or log in again with AppRole when it cannot be renewed."""
        if self._state.renewable:
            try:
                renew = self._client.auth.token.renew_self
                answer = await self._run("renew_self", "auth/token/renew-self", "update", renew)
            except UpstreamError as exc:
                if exc.retryable:
                    raise
                log.warning("vault_token_renew_failed", addr=self._shown, auth=self._auth.method)
            else:
                block = answer.get("auth") or {}
                lease_s = int(block.get("lease_duration") or 0)
                self._set_lease(lease_s, bool(block.get("renewable")))
                log.info("vault_token_renewed", addr=self._shown, ttl_s=lease_s)
                if lease_s > 0:
                    return
        if self._auth.role_id:
            await self._approle_login()
        else:
            # A static token that cannot be renewed: it will expire; say so once.
            log.warning("vault_token_not_renewable", addr=self._shown)
            self._state.renew_at = None

    def _set_lease(self, ttl_s: int, renewable: bool) -> None:
        renew_at = self._clock() + ttl_s * RENEW_FRACTION if ttl_s > 0 else None
        self._state = _TokenState(obtained=True, renewable=renewable, renew_at=renew_at)

    # ---- keys and signing ------------------------------------------------------------------

    async def create_key(self, name: str) -> VaultKey:
        """Create the ed25519, non-exportable key ``name`` (no-op if it exists) and read it."""

        def create() -> Any:
            return self._client.secrets.transit.create_key(
                name, key_type="ed25519", exportable=False, mount_point=self.mount
            )

        await self._call("create_key", f"{self.mount}/keys/{name}", "create", create)
        key = await self.read_key(name)
        log.info("vault_key_ready", key=name, address=str(key.address), version=key.version)
        return key

    async def read_key(self, name: str, *, version: int | None = None) -> VaultKey:
        """The wallet of key ``name``: ``version`` or the key's first available version."""

        def read() -> Any:
            return self._client.secrets.transit.read_key(name, mount_point=self.mount)

        path = f"{self.mount}/keys/{name}"
        answer = await self._call("read_key", path, "read", read)
        return _parse_key(name, path, answer.get("data") or {}, version)

    async def sign(self, key: VaultKey, message: bytes) -> Signature:
        """Vault's ed25519 signature of ``message`` by ``key``, verified against its address."""
        encoded = base64.b64encode(message).decode()

        def sign() -> Any:
            return self._client.secrets.transit.sign_data(
                key.name, hash_input=encoded, key_version=key.version, mount_point=self.mount
            )

        path = f"{self.mount}/sign/{key.name}"
        answer = await self._call("sign", path, "update", sign)
        raw = _parse_signature(str((answer.get("data") or {}).get("signature", "")), key)
        signature = Signature.from_bytes(raw)
        if not signature.verify(key.address, message):
            raise UpstreamError(
                f"Vault returned a signature for key '{key.name}' v{key.version} that does not "
                f"verify against {key.address}; nothing was signed",
                retryable=False,
                provider="vault",
            )
        return signature

    def signer(self, key: VaultKey) -> VaultSigner:
        return VaultSigner(self, key)

    async def wallet(self, user_id: int, n: int = 0, *, create: bool = True) -> VaultSigner:
        """The signer of a user's ``n``-th wallet, creating its key when ``create``."""
        name = wallet_key_name(user_id, n)
        key = await (self.create_key(name) if create else self.read_key(name))
        return self.signer(key)

    # ---- the transport seam ----------------------------------------------------------------

    async def _call(self, op: str, path: str, capability: str, fn: Callable[[], T]) -> T:
        """An authenticated call; with AppRole, one fresh login and retry after a 403."""
        await self._ensure_token()
        try:
            return await self._run(op, path, capability, fn)
        except _Denied:
            if not self._auth.role_id:
                raise
            async with self._auth_lock:
                await self._approle_login()
            return await self._run(op, path, capability, fn)

    async def _run(self, op: str, path: str, capability: str, fn: Callable[[], T]) -> T:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await asyncio.to_thread(fn)
            outcome = "ok"
            return result
        except requests.RequestException as exc:
            outcome = "unreachable"
            raise UpstreamError(
                f"Vault unreachable at {self._shown} ({type(exc).__name__} during {op}); "
                "check VAULT_ADDR and that Vault is running",
                retryable=True,
                provider="vault",
            ) from exc
        except hvac_errors.VaultDown as exc:
            sealed = "sealed" in str(exc.errors or "").lower() or await self._is_sealed()
            outcome = "sealed" if sealed else "error"
            if sealed:
                raise self._sealed_error() from exc
            raise UpstreamError(
                f"Vault at {self._shown} is unavailable (503 during {op}); retry later",
                retryable=True,
                provider="vault",
            ) from exc
        except hvac_errors.Forbidden as exc:
            outcome = "denied"
            raise _Denied(
                f"Vault at {self._shown} denied {op} (permission denied): the token's policy "
                f'must grant "{capability}" on path "{path}" — or the token expired or was '
                "revoked",
                retryable=False,
                provider="vault",
            ) from exc
        except hvac_errors.InvalidPath as exc:
            if path.startswith("auth/"):
                fix = f"is the auth method of '{path}' enabled (vault auth list)?"
            else:
                fix = (
                    f"is the transit engine enabled at '{self.mount}' (vault secrets enable "
                    f"-path={self.mount} transit) and does the key exist?"
                )
            raise UpstreamError(
                f"Vault at {self._shown} has nothing at '{path}' during {op}: {fix}",
                retryable=False,
                provider="vault",
            ) from exc
        except (
            hvac_errors.RateLimitExceeded,
            hvac_errors.InternalServerError,
            hvac_errors.BadGateway,
        ) as exc:
            raise UpstreamError(
                f"Vault at {self._shown} failed {op} ({type(exc).__name__}); retry later",
                retryable=True,
                provider="vault",
            ) from exc
        except hvac_errors.VaultNotInitialized as exc:
            raise UpstreamError(
                f"Vault at {self._shown} is not initialized (vault operator init)",
                retryable=False,
                provider="vault",
            ) from exc
        except hvac_errors.VaultError as exc:
            reason = "; ".join(str(e) for e in (exc.errors or [])) or type(exc).__name__
            raise _Refused(
                f"Vault at {self._shown} refused {op} on '{path}': {reason[:200]}",
                retryable=False,
                provider="vault",
            ) from exc
        finally:
            VAULT_REQUESTS.labels(op, outcome).inc()
            VAULT_REQUEST_S.labels(op).observe(time.perf_counter() - started)
            if outcome != "ok":
                log.warning("vault_request_failed", op=op, path=path, outcome=outcome)

    async def _is_sealed(self) -> bool:
        try:
            return bool(await asyncio.to_thread(self._client.sys.is_sealed))
        except (requests.RequestException, hvac_errors.VaultError):
            return False

    def _sealed_error(self) -> UpstreamError:
        return UpstreamError(
            f"Vault is sealed: unseal it (vault operator unseal, or check auto-unseal) at "
            f"{self._shown}, then retry; nothing was signed",
            retryable=False,
            provider="vault",
        )


class _Denied(UpstreamError):
    """A 403 from Vault (kept distinct so an AppRole client can log in again once)."""


class _Refused(UpstreamError):
    """A 4xx other than 403 / 404: Vault understood and said no (bad input, bad credentials)."""


class VaultSigner:
    """``Signer`` of one wallet key held in Vault."""

    def __init__(self, transit: VaultTransit, key: VaultKey) -> None:
        self.transit = transit
        self.key = key

    async def address(self) -> Pubkey:
        return self.key.address

    async def sign_message(self, message: bytes) -> Signature:
        started = time.perf_counter()
        try:
            signature = await self.transit.sign(self.key, message)
        except Exception:
            SIGNATURES.labels("vault", "error").inc()
            raise
        SIGNATURES.labels("vault", "ok").inc()
        SIGN_LATENCY_S.labels("vault").observe(time.perf_counter() - started)
        return signature


def _parse_key(name: str, path: str, data: dict[str, Any], version: int | None) -> VaultKey:
    def bad(problem: str) -> UpstreamError:
        return UpstreamError(
            f"Vault key '{name}' ({path}) {problem}", retryable=False, provider="vault"
        )

    if data.get("type") != "ed25519":
        raise bad(f"is of type {data.get('type')!r}, not ed25519: it cannot be a Solana wallet")
    if data.get("exportable"):
        raise bad(
            "is exportable (its private key can leave Vault): refusing to use it as a wallet"
        )
    versions = data.get("keys") or {}
    if not isinstance(versions, dict) or not versions:
        raise bad("has no key versions")
    chosen = version if version is not None else min(int(v) for v in versions)
    entry = versions.get(str(chosen))
    if not isinstance(entry, dict):
        raise bad(f"has no version {chosen}")
    try:
        raw = base64.b64decode(str(entry.get("public_key", "")), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise bad(f"version {chosen} has no 32-byte ed25519 public key")
    return VaultKey(name=name, version=chosen, address=Pubkey.from_bytes(raw), exportable=False)


def _parse_signature(value: str, key: VaultKey) -> bytes:
    """The 64 raw bytes of ``vault:v<version>:<base64>``."""
    prefix, _, rest = value.partition(":")
    version, _, encoded = rest.partition(":")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if prefix != "vault" or version != f"v{key.version}" or len(raw) != 64:
        raise UpstreamError(
            f"Vault answered an unexpected signature for key '{key.name}' v{key.version} "
            f"(want vault:v{key.version}:<64 bytes base64>)",
            retryable=False,
            provider="vault",
        )
    return raw
