"""The local Vault server speaks Vault's HTTP protocol: driven by plain hvac, as against Vault."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import hvac
import hvac.exceptions
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.vault_server import SIGNER_RULES, VaultServer


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def vault(clock: Clock) -> Iterator[VaultServer]:
    with VaultServer(clock=clock) as server:
        yield server


def client(vault: VaultServer, token: str | None = None) -> hvac.Client:
    return hvac.Client(url=vault.url, token=token if token is not None else vault.root_token)


def test_ed25519_key_is_created_non_exportable_and_its_public_key_verifies_signatures(
    vault: VaultServer,
) -> None:
    root = client(vault)
    root.secrets.transit.create_key("solsignals-user-1-0", key_type="ed25519", exportable=False)

    data = root.secrets.transit.read_key("solsignals-user-1-0")["data"]
    signed = root.secrets.transit.sign_data(
        "solsignals-user-1-0", hash_input=base64.b64encode(b"hello solana").decode()
    )["data"]["signature"]

    assert data["type"] == "ed25519" and data["exportable"] is False
    assert data["latest_version"] == 1 and data["supports_signing"] is True
    public = base64.b64decode(data["keys"]["1"]["public_key"])
    assert len(public) == 32 and data["keys"]["1"]["name"] == "ed25519"
    prefix, version, b64 = signed.split(":", 2)
    assert (prefix, version) == ("vault", "v1")
    Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(b64), b"hello solana")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="not exportable"):
        root.secrets.transit.export_key("solsignals-user-1-0", key_type="signing-key")


def test_rotation_adds_a_new_keypair_and_old_versions_still_sign(vault: VaultServer) -> None:
    root = client(vault)
    root.secrets.transit.create_key("k", key_type="ed25519")
    root.secrets.transit.rotate_key("k")

    keys = root.secrets.transit.read_key("k")["data"]["keys"]
    old = root.secrets.transit.sign_data("k", hash_input="aGk=", key_version=1)["data"]
    new = root.secrets.transit.sign_data("k", hash_input="aGk=")["data"]

    assert keys["1"]["public_key"] != keys["2"]["public_key"]
    assert old["signature"].startswith("vault:v1:") and new["signature"].startswith("vault:v2:")


def test_token_without_the_policy_gets_vaults_permission_denied(vault: VaultServer) -> None:
    client(vault).secrets.transit.create_key("solsignals-user-1-0", key_type="ed25519")
    reader = vault.add_token({"transit/keys/solsignals-user-*": ["read"]})

    client(vault, reader).secrets.transit.read_key("solsignals-user-1-0")  # allowed
    with pytest.raises(hvac.exceptions.Forbidden) as err:
        client(vault, reader).secrets.transit.sign_data("solsignals-user-1-0", hash_input="aGk=")
    with pytest.raises(hvac.exceptions.Forbidden):
        client(vault, "hvs.not-a-token").secrets.transit.read_key("solsignals-user-1-0")

    assert err.value.errors == ["1 error occurred:\n\t* permission denied\n\n"]


def test_sealed_vault_answers_503_everywhere_but_health(vault: VaultServer) -> None:
    root = client(vault)
    vault.seal()

    health = requests.get(f"{vault.url}/v1/sys/health", timeout=5)
    assert health.status_code == 503 and health.json()["sealed"] is True
    assert root.sys.is_sealed() is True
    with pytest.raises(hvac.exceptions.VaultDown, match="Vault is sealed"):
        root.secrets.transit.read_key("anything")

    vault.unseal()
    assert root.sys.read_health_status(method="GET")["sealed"] is False


def test_approle_login_gives_a_renewable_token_that_expires_unless_renewed(
    vault: VaultServer, clock: Clock
) -> None:
    role_id, secret_id = vault.add_approle("solsignals", SIGNER_RULES, token_ttl_s=60)
    app = hvac.Client(url=vault.url, token="")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid role or secret ID"):
        app.auth.approle.login(role_id, secret_id="wrong")

    login = app.auth.approle.login(role_id, secret_id=secret_id)
    assert login["auth"]["renewable"] is True and login["auth"]["lease_duration"] == 60
    assert app.auth.token.lookup_self()["data"]["ttl"] == 60

    clock.now += 50
    renewed = app.auth.token.renew_self()
    assert renewed["auth"]["lease_duration"] == 60
    clock.now += 50  # 100 s after login: alive only because it was renewed
    app.secrets.transit.create_key("solsignals-user-7-0", key_type="ed25519")
    clock.now += 61
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.transit.read_key("solsignals-user-7-0")


def test_unknown_mount_is_vaults_no_handler_404(vault: VaultServer) -> None:
    with pytest.raises(hvac.exceptions.InvalidPath, match="no handler for route"):
        client(vault).secrets.transit.read_key("k", mount_point="nope")
