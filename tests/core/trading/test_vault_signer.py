"""VaultSigner through hvac over HTTP to the local Vault server; the LiteSVM runtime checks the
signatures (every transaction is sent to the local Solana node through the production RpcClient).
"""

from __future__ import annotations

import base64
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import hvac
import pytest
import structlog
from pydantic import SecretStr
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from structlog.testing import capture_logs

from core.chain.rpc_client import RpcClient
from core.config import load_settings
from core.errors import ConfigError, RpcError, UpstreamError
from core.trading.signer import message_bytes, sign_transaction
from core.trading.vault_signer import VaultAuth, VaultSigner, VaultTransit, wallet_key_name
from tests.svm_rpc import SvmRpcServer
from tests.vault_server import SIGNER_RULES, VaultServer

SOL = 10**9
FEE = 5_000  # lamports per signature on the local runtime


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def plain_structlog() -> Iterator[None]:
    """Default structlog config (no level filter, no logger cache) so capture_logs sees all."""
    saved = structlog.get_config()
    structlog.reset_defaults()
    yield
    structlog.configure(**saved)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def vault(clock: Clock) -> Iterator[VaultServer]:
    with VaultServer(clock=clock) as server:
        yield server


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def rpc(node: SvmRpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(node.url, max_retries=0) as client:
        yield client


@pytest.fixture
async def transit(vault: VaultServer, clock: Clock) -> AsyncIterator[VaultTransit]:
    token = vault.add_token(SIGNER_RULES, ttl_s=3600)
    async with VaultTransit(
        vault.url, VaultAuth(token=SecretStr(token)), timeout_s=5, clock=clock
    ) as client:
        yield client


async def transfer_message(rpc: RpcClient, source: Pubkey, to: Pubkey, lamports: int) -> MessageV0:
    blockhash, _ = await rpc.get_latest_blockhash()
    ix = transfer(TransferParams(from_pubkey=source, to_pubkey=to, lamports=lamports))
    return MessageV0.try_compile(source, [ix], [], Hash.from_string(blockhash))


def b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_wallet_key_is_created_non_exportable_and_its_address_is_vaults_public_key(
    vault: VaultServer, transit: VaultTransit
) -> None:
    signer = await transit.wallet(user_id=42, n=0)

    name = wallet_key_name(42, 0)
    assert name == "solsignals-user-42-0"
    assert vault.keys[("transit", name)].exportable is False
    assert await signer.address() == Pubkey.from_bytes(vault.public_key(name))
    again = await transit.wallet(user_id=42, n=0)  # creating twice keeps the same wallet
    assert await again.address() == await signer.address()
    assert len(vault.keys) == 1


async def test_transfer_signed_in_vault_is_accepted_by_the_runtime(
    node: SvmRpcServer, rpc: RpcClient, vault: VaultServer, transit: VaultTransit
) -> None:
    signer = await transit.wallet(user_id=1)
    address = await signer.address()
    node.airdrop(address, 2 * SOL)
    recipient = Keypair().pubkey()

    message = await transfer_message(rpc, address, recipient, SOL // 2)
    tx = await sign_transaction(message, [signer])
    await rpc.send_transaction(b64(tx))

    assert await rpc.get_balance(str(recipient)) == SOL // 2
    assert await rpc.get_balance(str(address)) == 2 * SOL - SOL // 2 - FEE
    assert vault.verify(wallet_key_name(1, 0), message_bytes(message), bytes(tx.signatures[0]))
    assert len(vault.calls_to("/sign/solsignals-user-1-0")) == 1


async def test_tampered_signature_or_message_is_rejected_by_the_runtime(
    node: SvmRpcServer, rpc: RpcClient, transit: VaultTransit
) -> None:
    signer = await transit.wallet(user_id=2)
    address = await signer.address()
    node.airdrop(address, SOL)
    recipient = Keypair().pubkey()
    message = await transfer_message(rpc, address, recipient, SOL // 10)
    tx = await sign_transaction(message, [signer])

    bad_sig = bytearray(bytes(tx.signatures[0]))
    bad_sig[10] ^= 0x01
    tampered_sig = VersionedTransaction.populate(message, [Signature.from_bytes(bytes(bad_sig))])
    bigger = await transfer_message(rpc, address, recipient, SOL // 5)
    tampered_msg = VersionedTransaction.populate(bigger, list(tx.signatures))

    with pytest.raises(RpcError) as preflight:
        await rpc.send_transaction(b64(tampered_sig))
    with pytest.raises(RpcError) as runtime:  # skip preflight: the runtime itself refuses it
        await rpc.send_transaction(b64(tampered_msg), skip_preflight=True)

    assert preflight.value.code == -32003
    assert "SignatureFailure" in str(runtime.value)
    assert await rpc.get_balance(str(recipient)) == 0
    assert await rpc.get_balance(str(address)) == SOL


async def test_approle_login_then_signing_lands_a_transfer(
    node: SvmRpcServer, rpc: RpcClient, vault: VaultServer, clock: Clock
) -> None:
    role_id, secret_id = vault.add_approle("solsignals", SIGNER_RULES)
    auth = VaultAuth(role_id=role_id, secret_id=SecretStr(secret_id))

    async with VaultTransit(vault.url, auth, timeout_s=5, clock=clock) as transit:
        signer = await transit.wallet(user_id=3)
        address = await signer.address()
        node.airdrop(address, SOL)
        tx = await sign_transaction(
            await transfer_message(rpc, address, Keypair().pubkey(), SOL // 10), [signer]
        )
        await rpc.send_transaction(b64(tx))

    assert len(vault.calls_to("auth/approle/login")) == 1
    assert await rpc.get_balance(str(address)) == SOL - SOL // 10 - FEE


@pytest.mark.parametrize("method", ["token", "approle"])
async def test_token_is_renewed_before_it_expires_so_signing_keeps_working(
    vault: VaultServer, clock: Clock, method: str
) -> None:
    if method == "approle":
        role_id, secret_id = vault.add_approle("solsignals", SIGNER_RULES, token_ttl_s=60)
        auth = VaultAuth(role_id=role_id, secret_id=SecretStr(secret_id))
    else:
        auth = VaultAuth(token=SecretStr(vault.add_token(SIGNER_RULES, ttl_s=60)))
    async with VaultTransit(vault.url, auth, timeout_s=5, clock=clock) as transit:
        signer = await transit.wallet(user_id=4)
        address = await signer.address()

        clock.now += 45  # past two thirds of the 60 s TTL: renew before the call
        first = await signer.sign_message(b"one")
        clock.now += 45  # 90 s after login: the original token would be dead
        second = await signer.sign_message(b"two")

    assert first.verify(address, b"one") and second.verify(address, b"two")
    assert len(vault.calls_to("auth/token/renew-self")) == 2
    logins = 1 if method == "approle" else 0
    assert len(vault.calls_to("auth/approle/login")) == logins  # renewed, no new login


async def test_approle_logs_in_again_when_its_token_cannot_be_renewed(
    vault: VaultServer, clock: Clock
) -> None:
    role_id, secret_id = vault.add_approle(
        "solsignals", SIGNER_RULES, token_ttl_s=60, renewable=False
    )
    auth = VaultAuth(role_id=role_id, secret_id=SecretStr(secret_id))
    async with VaultTransit(vault.url, auth, timeout_s=5, clock=clock) as transit:
        signer = await transit.wallet(user_id=5)
        clock.now += 120
        signature = await signer.sign_message(b"later")

    assert signature.verify(await signer.address(), b"later")
    assert len(vault.calls_to("auth/approle/login")) == 2


async def test_sealed_vault_is_a_clear_non_retryable_error(
    vault: VaultServer, transit: VaultTransit, clock: Clock
) -> None:
    signer = await transit.wallet(user_id=6)
    vault.seal()

    with pytest.raises(UpstreamError) as while_running:
        await signer.sign_message(b"x")
    token = vault.add_token(SIGNER_RULES)
    with pytest.raises(UpstreamError) as at_start:
        await VaultTransit(vault.url, VaultAuth(token=SecretStr(token)), clock=clock).connect()

    for err in (while_running.value, at_start.value):
        assert "Vault is sealed: unseal it" in str(err)
        assert err.retryable is False
        assert vault.url in str(err)


async def test_unreachable_vault_is_retryable_and_names_the_address_not_the_token() -> None:
    addr = f"http://127.0.0.1:{free_port()}"
    token = "hvs.super-secret-token-value"
    transit = VaultTransit(addr, VaultAuth(token=SecretStr(token)), timeout_s=2)

    with pytest.raises(UpstreamError) as err:
        await transit.connect()

    assert err.value.retryable is True
    assert addr in str(err.value) and "unreachable" in str(err.value)
    assert token not in str(err.value)


async def test_permission_denied_names_the_path_and_the_missing_capability(
    vault: VaultServer, clock: Clock
) -> None:
    vault.add_token(SIGNER_RULES)
    admin = VaultTransit(vault.url, VaultAuth(token=SecretStr(vault.root_token)), clock=clock)
    await admin.create_key("solsignals-user-8-0")
    reader = vault.add_token({"transit/keys/solsignals-user-*": ["read"]})

    async with VaultTransit(vault.url, VaultAuth(token=SecretStr(reader)), clock=clock) as t:
        signer = await t.wallet(user_id=8, create=False)
        with pytest.raises(UpstreamError) as err:
            await signer.sign_message(b"x")

    assert "permission denied" in str(err.value)
    assert '"update" on path "transit/sign/solsignals-user-8-0"' in str(err.value)
    assert err.value.retryable is False


async def test_rotating_the_vault_key_does_not_move_the_wallet(
    node: SvmRpcServer, rpc: RpcClient, vault: VaultServer, transit: VaultTransit
) -> None:
    signer = await transit.wallet(user_id=9)
    address = await signer.address()
    root = hvac.Client(url=vault.url, token=vault.root_token)
    root.secrets.transit.rotate_key(wallet_key_name(9, 0))  # version 2 = another keypair

    reloaded = await transit.wallet(user_id=9)
    node.airdrop(address, SOL)
    tx = await sign_transaction(
        await transfer_message(rpc, address, Keypair().pubkey(), SOL // 10), [reloaded]
    )
    await rpc.send_transaction(b64(tx))

    assert await reloaded.address() == address
    assert vault.keys[("transit", wallet_key_name(9, 0))].latest == 2
    assert await rpc.get_balance(str(address)) == SOL - SOL // 10 - FEE


async def test_an_exportable_key_or_a_missing_engine_is_refused_with_the_fix(
    vault: VaultServer, transit: VaultTransit, clock: Clock
) -> None:
    hvac.Client(url=vault.url, token=vault.root_token).secrets.transit.create_key(
        "solsignals-user-10-0", key_type="ed25519", exportable=True
    )
    with pytest.raises(UpstreamError) as exportable:
        await transit.wallet(user_id=10)
    elsewhere = VaultTransit(
        vault.url, VaultAuth(token=SecretStr(vault.root_token)), mount="kv", clock=clock
    )
    with pytest.raises(UpstreamError) as no_engine:
        await elsewhere.wallet(user_id=10)

    assert "is exportable" in str(exportable.value)
    assert "vault secrets enable -path=kv transit" in str(no_engine.value)


async def test_settings_build_a_working_vault_signer(
    vault: VaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    role_id, secret_id = vault.add_approle("solsignals", SIGNER_RULES)
    settings = load_settings(
        None,
        signer_backend="vault",
        vault_addr=vault.url,
        vault_role_id=role_id,
        vault_secret_id=secret_id,
    )
    async with VaultTransit.from_settings(settings, timeout_s=5) as transit:
        signer = await transit.wallet(user_id=11)
        signature = await signer.sign_message(b"from settings")

    assert isinstance(signer, VaultSigner)
    assert signature.verify(await signer.address(), b"from settings")
    assert secret_id not in str(settings.redacted())


async def test_no_secret_reaches_logs_or_error_messages(
    vault: VaultServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # hvac, requests and urllib3 log through stdlib logging
    role_id, secret_id = vault.add_approle("solsignals", SIGNER_RULES, token_ttl_s=60)
    token = vault.add_token(SIGNER_RULES)
    reader = vault.add_token({"transit/keys/*": ["read"]})
    errors: list[str] = []

    with capture_logs() as logs:
        auth = VaultAuth(role_id=role_id, secret_id=SecretStr(secret_id))
        async with VaultTransit(vault.url, auth, timeout_s=5, clock=clock) as transit:
            signer = await transit.wallet(user_id=12)
            clock.now += 50
            await signer.sign_message(b"renewed")
            issued = [t for t in vault.tokens if vault.tokens[t].role_name]
        async with VaultTransit(
            vault.url, VaultAuth(token=SecretStr(token)), timeout_s=5, clock=clock
        ) as by_token:
            await by_token.wallet(user_id=12)
        async with VaultTransit(
            vault.url, VaultAuth(token=SecretStr(reader)), timeout_s=5, clock=clock
        ) as denied:
            try:
                await (await denied.wallet(user_id=12, create=False)).sign_message(b"x")
            except UpstreamError as exc:
                errors.append(repr(exc) + str(exc))
        vault.seal()
        try:
            await signer.sign_message(b"sealed")
        except UpstreamError as exc:
            errors.append(repr(exc) + str(exc))
        try:
            await VaultTransit(
                vault.url, VaultAuth(role_id=role_id, secret_id=SecretStr(secret_id))
            ).connect()
        except UpstreamError as exc:
            errors.append(repr(exc) + str(exc))

    events = {entry["event"] for entry in logs}
    assert {"vault_authenticated", "vault_token_renewed", "vault_request_failed"} <= events
    assert len(errors) == 3
    text = repr(logs) + caplog.text + "".join(errors)
    for secret in [token, reader, secret_id, *issued]:
        assert secret not in text


async def test_a_signature_from_vault_that_does_not_verify_is_never_returned(
    node: SvmRpcServer, rpc: RpcClient, vault: VaultServer, transit: VaultTransit
) -> None:
    signer = await transit.wallet(user_id=13)
    address = await signer.address()
    node.airdrop(address, SOL)
    vault.tamper_signatures = True  # a faulty Vault, or a man in the middle

    with pytest.raises(UpstreamError, match="does not verify") as err:
        await sign_transaction(
            await transfer_message(rpc, address, Keypair().pubkey(), SOL // 10), [signer]
        )

    assert err.value.retryable is False
    assert len(node.calls_of("sendTransaction")) == 0


def test_vault_settings_name_what_is_missing_and_never_show_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_ROLE_ID", "VAULT_SECRET_ID"):
        monkeypatch.delenv(name, raising=False)
    missing: list[str] = []
    for overrides in (
        {},
        {"vault_addr": "https://vault.example:8200"},
        {"vault_addr": "https://vault.example:8200", "vault_role_id": "role"},
    ):
        with pytest.raises(ConfigError) as err:
            VaultTransit.from_settings(load_settings(None, signer_backend="vault", **overrides))
        missing.append(err.value.setting)
    with pytest.raises(ConfigError) as bad_url:
        load_settings(None, vault_addr="vault.example:8200")
    with pytest.raises(ConfigError) as bad_backend:
        load_settings(None, signer_backend="hsm")
    shown = str(
        load_settings(
            None,
            vault_addr="https://vault.example:8200",
            vault_token="hvs.TOKEN-VALUE",
            keystore_passphrase="PASSPHRASE-VALUE",
        ).redacted()
    )

    assert missing == ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_SECRET_ID"]
    assert bad_url.value.setting == "VAULT_ADDR"
    assert bad_backend.value.setting == "SIGNER_BACKEND" and "vault" in str(bad_backend.value)
    assert "TOKEN-VALUE" not in shown and "PASSPHRASE-VALUE" not in shown
    assert "https://vault.example:8200" in shown
