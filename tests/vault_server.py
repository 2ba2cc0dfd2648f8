"""A local HashiCorp Vault for tests: the HTTP API subset our signer uses, with real ed25519.

``VaultServer`` is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (random port) in a thread, so
``hvac`` (synchronous ``requests``) talks HTTP to it exactly as to Vault, from a worker thread
or from plain synchronous code. Shapes follow the Vault 1.20 API docs and the transit source
(see /work/shared/reference/vault-transit.md):

- ``GET|HEAD /v1/sys/health`` — 200 active, 503 sealed (``sealedcode`` / ``activecode`` query
  parameters honoured), body ``{initialized, sealed, standby, ...}``; unauthenticated.
- ``GET /v1/sys/seal-status`` — ``{type, initialized, sealed, t, n, progress, ...}``.
- ``POST /v1/auth/<approle mount>/login`` ``{role_id, secret_id}`` — ``auth.client_token``,
  ``lease_duration``, ``renewable``, ``policies``; 400 ``invalid role or secret ID``.
- ``GET /v1/auth/token/lookup-self``, ``POST /v1/auth/token/renew-self`` (``increment``),
  allowed to every valid token (Vault's ``default`` policy); renewal capped by ``max_ttl``.
- ``POST /v1/<mount>/keys/<name>`` ``{type, exportable}`` — create (204); an existing key is
  left unchanged. ``GET`` — the ed25519 read shape: ``keys: {"1": {"public_key": <base64 of 32
  bytes>, "name": "ed25519", "creation_time", "certificate_chain": ""}}``, ``latest_version``,
  ``exportable``, ``supports_signing``... ``POST .../keys/<name>/rotate`` adds a version.
- ``POST /v1/<mount>/sign/<name>`` ``{input: base64, key_version?}`` —
  ``{"data": {"signature": "vault:v<n>:<base64 of 64 bytes>", "key_version": n}}``.
- ``GET /v1/<mount>/export/signing-key/<name>`` — 400 for a non-exportable key.

Errors are Vault's: ``{"errors": [...]}`` with ``Content-Type: application/json`` (exactly —
hvac only reads ``errors`` for that header): 403 ``permission denied`` for a missing, unknown,
expired token or a path its policy does not grant; 503 ``Vault is sealed`` for everything but
health / seal-status while sealed; 404 ``no handler for route`` for an unknown mount.

Policies are ``{path pattern: [capabilities]}`` as in Vault HCL: a trailing ``*`` is a prefix
glob, ``+`` matches one path segment. POST to a key that does not exist needs ``create``, other
writes ``update``, GET ``read``.

Private keys are ``cryptography`` ``Ed25519PrivateKey`` objects that live only inside the
server. Test hooks: ``seal()`` / ``unseal()``, ``tamper_signatures`` (flip a bit of every
signature), ``add_token``, ``add_approle``, ``revoke``, ``public_key``, ``verify``, ``requests``
(method, path, body — the X-Vault-Token header is not recorded), ``calls_to(path_suffix)``.
``clock`` (seconds, monotonic) drives token TTLs; pass a shared fake clock to move time in tests.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PERMISSION_DENIED = "1 error occurred:\n\t* permission denied\n\n"
ROOT_RULES: dict[str, list[str]] = {"*": ["create", "read", "update", "delete", "list", "sudo"]}
DEFAULT_RULES: dict[str, list[str]] = {
    "auth/token/lookup-self": ["read"],
    "auth/token/renew-self": ["update"],
}
# What our signer needs, as an operator would write it in HCL.
SIGNER_RULES: dict[str, list[str]] = {
    "transit/keys/solsignals-user-*": ["create", "read", "update"],
    "transit/sign/solsignals-user-*": ["update"],
}


class VaultApiError(Exception):
    def __init__(self, status: int, *errors: str) -> None:
        super().__init__(", ".join(errors))
        self.status, self.errors = status, list(errors)


@dataclass
class Token:
    secret: str
    accessor: str
    rules: dict[str, list[str]]
    policies: list[str]
    ttl_s: int  # 0 = never expires (root)
    renewable: bool
    max_ttl_s: int
    issued_at: float
    expires_at: float | None
    display_name: str = "token"
    role_name: str | None = None


@dataclass
class AppRole:
    role_name: str
    role_id: str
    secret_id: str
    rules: dict[str, list[str]]
    token_ttl_s: int
    token_max_ttl_s: int
    renewable: bool = True


@dataclass
class TransitKey:
    name: str
    exportable: bool
    versions: dict[int, Ed25519PrivateKey] = field(default_factory=dict)
    created: dict[int, str] = field(default_factory=dict)

    @property
    def latest(self) -> int:
        return max(self.versions)


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _matches(pattern: str, path: str) -> bool:
    if pattern.endswith("*"):
        pattern, prefix = pattern[:-1], True
    else:
        prefix = False
    want, have = pattern.split("/"), path.split("/")
    if prefix:
        if len(have) < len(want):
            return False
        head, last = want[:-1], want[-1]
        if not all(w in ("+", h) for w, h in zip(head, have, strict=False)):
            return False
        return have[len(want) - 1].startswith(last)
    return len(want) == len(have) and all(w in ("+", h) for w, h in zip(want, have, strict=True))


class VaultServer:
    """``start()`` (or ``with``), point ``hvac.Client(url=server.url)`` at it, ``stop()``."""

    def __init__(
        self,
        *,
        mounts: tuple[str, ...] = ("transit",),
        approle_mount: str = "approle",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mounts = set(mounts)
        self.approle_mount = approle_mount
        self.clock = clock
        self.sealed = False
        self.tamper_signatures = False  # answer signatures with one bit flipped (a faulty Vault)
        self.keys: dict[tuple[str, str], TransitKey] = {}
        self.tokens: dict[str, Token] = {}
        self.approles: dict[str, AppRole] = {}
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.root_token = self.add_token(ROOT_RULES, ttl_s=0, renewable=False, policies=["root"])

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        server = self

        class Handler(_Handler):
            vault = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> VaultServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- test hooks ------------------------------------------------------------------------

    def seal(self) -> None:
        self.sealed = True

    def unseal(self) -> None:
        self.sealed = False

    def add_token(
        self,
        rules: dict[str, list[str]],
        *,
        ttl_s: int = 3600,
        renewable: bool = True,
        max_ttl_s: int = 86_400,
        policies: list[str] | None = None,
        role_name: str | None = None,
    ) -> str:
        """A new service token (``hvs.`` + random) granting ``rules`` plus Vault's default."""
        with self._lock:
            secret = "hvs." + secrets.token_urlsafe(24)
            now = self.clock()
            self.tokens[secret] = Token(
                secret=secret,
                accessor=secrets.token_urlsafe(18),
                rules={**DEFAULT_RULES, **rules},
                policies=policies or ["default", "solsignals-signer"],
                ttl_s=ttl_s,
                renewable=renewable,
                max_ttl_s=max_ttl_s,
                issued_at=now,
                expires_at=now + ttl_s if ttl_s else None,
                display_name=f"approle-{role_name}" if role_name else "token",
                role_name=role_name,
            )
            return secret

    def add_approle(
        self,
        role_name: str,
        rules: dict[str, list[str]],
        *,
        token_ttl_s: int = 3600,
        token_max_ttl_s: int = 86_400,
        renewable: bool = True,
    ) -> tuple[str, str]:
        """(role_id, secret_id) of a new AppRole whose tokens grant ``rules``."""
        with self._lock:
            role = AppRole(
                role_name,
                role_id=secrets.token_hex(16),
                secret_id=secrets.token_hex(16),
                rules=rules,
                token_ttl_s=token_ttl_s,
                token_max_ttl_s=token_max_ttl_s,
                renewable=renewable,
            )
            self.approles[role.role_id] = role
            return role.role_id, role.secret_id

    def revoke(self, token: str) -> None:
        with self._lock:
            self.tokens.pop(token, None)

    def public_key(
        self, name: str, *, mount: str = "transit", version: int | None = None
    ) -> bytes:
        key = self.keys[(mount, name)]
        return _raw_public(key.versions[version or key.latest])

    def verify(
        self, name: str, message: bytes, signature: bytes, *, mount: str = "transit"
    ) -> bool:
        key = self.keys[(mount, name)]
        for private in key.versions.values():
            try:
                private.public_key().verify(signature, message)
            except InvalidSignature:
                continue
            return True
        return False

    def calls_to(self, path_suffix: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith(path_suffix)]

    # ---- routing ---------------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, body: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any] | None]:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path.removeprefix("/v1/").strip("/")
        with self._lock:
            self.requests.append({"method": method, "path": path, "query": query, "json": body})
            if path == "sys/health":
                return self._health(query)
            if path == "sys/seal-status":
                return 200, self._seal_status()
            if self.sealed:
                raise VaultApiError(503, "Vault is sealed")
            if path == f"auth/{self.approle_mount}/login" and method == "POST":
                return 200, self._approle_login(body)
            caller = self._authenticate(token)
            mount, _, rest = path.partition("/")
            if path.startswith("auth/token/"):
                return self._token_route(method, path, rest, body, caller)
            if mount not in self.mounts:
                raise VaultApiError(404, f'no handler for route "{path}". route entry not found.')
            return self._transit_route(method, mount, rest, body, caller)

    def _authenticate(self, token: str | None) -> Token:
        found = self.tokens.get(token or "")
        if found is None:
            raise VaultApiError(403, "permission denied")
        if found.expires_at is not None and self.clock() >= found.expires_at:
            del self.tokens[found.secret]
            raise VaultApiError(403, "permission denied")
        return found

    def _authorize(self, token: Token, path: str, capability: str) -> None:
        for pattern, caps in token.rules.items():
            if _matches(pattern, path) and (capability in caps or "sudo" in caps):
                return
        raise VaultApiError(403, PERMISSION_DENIED)

    # ---- sys -------------------------------------------------------------------------------

    def _health(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        body = {
            "initialized": True,
            "sealed": self.sealed,
            "standby": False,
            "performance_standby": False,
            "replication_performance_mode": "disabled",
            "replication_dr_mode": "disabled",
            "server_time_utc": int(time.time()),
            "version": "1.20.0",
            "cluster_name": "vault-cluster-local",
            "cluster_id": "00000000-0000-0000-0000-000000000000",
        }
        if self.sealed:
            return int(query.get("sealedcode", 503)), body
        return int(query.get("activecode", 200)), body

    def _seal_status(self) -> dict[str, Any]:
        return {
            "type": "shamir",
            "initialized": True,
            "sealed": self.sealed,
            "t": 3,
            "n": 5,
            "progress": 0,
            "nonce": "",
            "version": "1.20.0",
            "migration": False,
            "recovery_seal": False,
            "storage_type": "inmem",
        }

    # ---- auth ------------------------------------------------------------------------------

    def _approle_login(self, body: dict[str, Any]) -> dict[str, Any]:
        role = self.approles.get(str(body.get("role_id") or ""))
        if role is None or body.get("secret_id") != role.secret_id:
            raise VaultApiError(400, "invalid role or secret ID")
        secret = self.add_token(
            role.rules,
            ttl_s=role.token_ttl_s,
            renewable=role.renewable,
            max_ttl_s=role.token_max_ttl_s,
            policies=["default", role.role_name],
            role_name=role.role_name,
        )
        return _envelope(auth=self._auth_block(self.tokens[secret]))

    def _auth_block(self, token: Token) -> dict[str, Any]:
        remaining = self._remaining(token)
        return {
            "client_token": token.secret,
            "accessor": token.accessor,
            "policies": token.policies,
            "token_policies": token.policies,
            "metadata": {"role_name": token.role_name} if token.role_name else None,
            "lease_duration": remaining,
            "renewable": token.renewable,
            "entity_id": "",
            "token_type": "service",
            "orphan": True,
        }

    def _remaining(self, token: Token) -> int:
        if token.expires_at is None:
            return 0
        return max(0, int(token.expires_at - self.clock()))

    def _token_route(
        self, method: str, path: str, rest: str, body: dict[str, Any], token: Token
    ) -> tuple[int, dict[str, Any]]:
        if path == "auth/token/lookup-self" and method == "GET":
            self._authorize(token, path, "read")
            return 200, _envelope(data=self._lookup(token))
        if path == "auth/token/renew-self" and method in ("POST", "PUT"):
            self._authorize(token, path, "update")
            if not token.renewable or token.expires_at is None:
                raise VaultApiError(400, "lease is not renewable")
            increment = int(body.get("increment") or token.ttl_s)
            now = self.clock()
            token.expires_at = min(now + increment, token.issued_at + token.max_ttl_s)
            return 200, _envelope(auth=self._auth_block(token))
        raise VaultApiError(405, "unsupported operation")

    def _lookup(self, token: Token) -> dict[str, Any]:
        expire = None
        if token.expires_at is not None:
            expire = datetime.fromtimestamp(
                time.time() + self._remaining(token), tz=UTC
            ).isoformat()
        return {
            "accessor": token.accessor,
            "creation_time": int(time.time()),
            "creation_ttl": token.ttl_s,
            "display_name": token.display_name,
            "entity_id": "",
            "expire_time": expire,
            "explicit_max_ttl": 0,
            "id": token.secret,  # Vault does echo the token here: clients must not log this
            "meta": {"role_name": token.role_name} if token.role_name else None,
            "num_uses": 0,
            "orphan": True,
            "path": "auth/approle/login" if token.role_name else "auth/token/create",
            "policies": token.policies,
            "renewable": token.renewable and token.expires_at is not None,
            "ttl": self._remaining(token),
            "type": "service",
        }

    # ---- transit ---------------------------------------------------------------------------

    def _transit_route(
        self, method: str, mount: str, rest: str, body: dict[str, Any], token: Token
    ) -> tuple[int, dict[str, Any] | None]:
        segments = rest.split("/")
        full = f"{mount}/{rest}"
        if len(segments) == 2 and segments[0] == "keys":
            name = segments[1]
            if method == "GET":
                self._authorize(token, full, "read")
                return 200, _envelope(data=self._read_key(mount, name))
            if method in ("POST", "PUT"):
                exists = (mount, name) in self.keys
                self._authorize(token, full, "update" if exists else "create")
                self._create_key(mount, name, body)
                return 204, None
        rotate = len(segments) == 3 and segments[0] == "keys" and segments[2] == "rotate"
        if rotate and method in ("POST", "PUT"):
            self._authorize(token, full, "update")
            key = self._key(mount, segments[1])
            version = key.latest + 1
            key.versions[version] = Ed25519PrivateKey.generate()
            key.created[version] = _now_rfc3339()
            return 200, _envelope(data=self._read_key(mount, key.name))
        if len(segments) == 2 and segments[0] == "sign" and method in ("POST", "PUT"):
            self._authorize(token, full, "update")
            return 200, _envelope(data=self._sign(mount, segments[1], body))
        if len(segments) == 3 and segments[:2] == ["export", "signing-key"] and method == "GET":
            self._authorize(token, full, "read")
            key = self._key(mount, segments[2])
            if not key.exportable:
                raise VaultApiError(400, "private key is not exportable")
            raise VaultApiError(400, "export of exportable keys is not modelled by this server")
        raise VaultApiError(405, "unsupported operation")

    def _key(self, mount: str, name: str) -> TransitKey:
        key = self.keys.get((mount, name))
        if key is None:
            raise VaultApiError(400, "signing key not found")
        return key

    def _create_key(self, mount: str, name: str, body: dict[str, Any]) -> None:
        if (mount, name) in self.keys:
            return
        key_type = body.get("type", "aes256-gcm96")
        if key_type != "ed25519":
            raise VaultApiError(400, f"this test server only creates ed25519 keys, not {key_type}")
        if body.get("derived"):
            raise VaultApiError(400, "derived keys are not modelled by this server")
        key = TransitKey(name, exportable=bool(body.get("exportable", False)))
        key.versions[1] = Ed25519PrivateKey.generate()
        key.created[1] = _now_rfc3339()
        self.keys[(mount, name)] = key

    def _read_key(self, mount: str, name: str) -> dict[str, Any]:
        key = self.keys.get((mount, name))
        if key is None:
            raise VaultApiError(404)
        return {
            "name": key.name,
            "type": "ed25519",
            "latest_version": key.latest,
            "min_available_version": 0,
            "min_decryption_version": 1,
            "min_encryption_version": 0,
            "exportable": key.exportable,
            "allow_plaintext_backup": False,
            "deletion_allowed": False,
            "derived": False,
            "imported_key": False,
            "auto_rotate_period": 0,
            "supports_signing": True,
            "supports_encryption": False,
            "supports_decryption": False,
            "supports_derivation": True,
            "keys": {
                str(version): {
                    "public_key": base64.b64encode(_raw_public(private)).decode(),
                    "name": "ed25519",
                    "creation_time": key.created[version],
                    "certificate_chain": "",
                }
                for version, private in sorted(key.versions.items())
            },
        }

    def _sign(self, mount: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        key = self._key(mount, name)
        if "input" not in body:
            raise VaultApiError(400, "missing input to process")
        try:
            message = base64.b64decode(str(body["input"]), validate=True)
        except (binascii.Error, ValueError):
            raise VaultApiError(400, "unable to decode input as base64") from None
        if body.get("prehashed") or body.get("hash_algorithm") not in (None, "", "sha2-256"):
            raise VaultApiError(400, "prehashed / hash_algorithm are Ed25519ph (Enterprise only)")
        version = int(body.get("key_version") or key.latest)
        private = key.versions.get(version)
        if private is None:
            raise VaultApiError(400, "requested version for signing does not exist")
        raw = bytearray(private.sign(message))
        if self.tamper_signatures:
            raw[0] ^= 0x01
        signature = base64.b64encode(bytes(raw)).decode()
        return {"signature": f"vault:v{version}:{signature}", "key_version": version}


def _now_rfc3339() -> str:
    return datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")


def _envelope(
    *, data: dict[str, Any] | None = None, auth: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "request_id": secrets.token_hex(8),
        "lease_id": "",
        "renewable": False,
        "lease_duration": 0,
        "data": data,
        "wrap_info": None,
        "warnings": None,
        "auth": auth,
        "mount_type": "",
    }


class _Handler(BaseHTTPRequestHandler):
    vault: VaultServer
    protocol_version = "HTTP/1.1"  # keep-alive, as Vault: hvac reuses its connection
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise VaultApiError(400, "failed to parse JSON input: not an object")
            status, answer = self.vault.handle(
                method, self.path, body, self.headers.get("X-Vault-Token")
            )
        except json.JSONDecodeError:
            status, answer = 400, {"errors": ["failed to parse JSON input"]}
        except VaultApiError as exc:
            status, answer = exc.status, {"errors": exc.errors}
        payload = b"" if answer is None or method == "HEAD" else json.dumps(answer).encode()
        self.send_response(status)
        if answer is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")
