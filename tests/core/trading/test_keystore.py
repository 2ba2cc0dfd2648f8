"""The embedded encrypted keystore: files on disk, real AES-GCM / scrypt, LiteSVM checks the
signatures of what it signs."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from structlog.testing import capture_logs

from core.chain.rpc_client import RpcClient
from core.config import load_settings
from core.errors import ConfigError, UserInputError
from core.trading.keystore import Keystore, WrongPassphraseError
from core.trading.signer import sign_transaction
from tests.svm_rpc import SvmRpcServer

SOL = 10**9
FEE = 5_000
N = 2**10  # fast scrypt for tests; the default is 2**15
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def plain_structlog() -> Iterator[None]:
    """Default structlog config (no level filter, no logger cache) so capture_logs sees all."""
    saved = structlog.get_config()
    structlog.reset_defaults()
    yield
    structlog.configure(**saved)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "keystore.json"


@pytest.fixture
async def node() -> AsyncIterator[SvmRpcServer]:
    async with SvmRpcServer() as server:
        yield server


@pytest.fixture
async def rpc(node: SvmRpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(node.url, max_retries=0) as client:
        yield client


def secret_forms(keypair: Keypair) -> list[bytes]:
    """Every way the secret could appear in a file: raw, base58, base64, hex, JSON."""
    raw64, seed = bytes(keypair), keypair.secret()
    return [
        seed,
        raw64,
        str(keypair).encode(),
        base64.b64encode(seed),
        base64.b64encode(raw64),
        seed.hex().encode(),
        keypair.to_json().encode(),
        json.dumps(list(seed)).encode(),
    ]


def test_created_keystore_unlocks_with_its_passphrase_and_lists_its_wallets(path: Path) -> None:
    store = Keystore.create(path, PASSPHRASE, scrypt_n=N)
    first = store.new_wallet(label="main")
    second = store.new_wallet()

    reopened = Keystore.open(path, SecretStr(PASSPHRASE))

    assert [w.address for w in reopened.wallets()] == [first, second]
    assert reopened.wallets()[0].label == "main"
    assert reopened.wallets()[0].origin == "created"


def test_wrong_passphrase_is_a_clear_error_and_decrypts_nothing(path: Path) -> None:
    Keystore.create(path, PASSPHRASE, scrypt_n=N).new_wallet()
    empty = path.with_name("empty.json")
    Keystore.create(empty, PASSPHRASE, scrypt_n=N)

    for target in (path, empty):
        with pytest.raises(WrongPassphraseError) as err:
            Keystore.open(target, "correct horse battery stapler")
        assert "wrong passphrase" in str(err.value)
        assert "stapler" not in str(err.value)


def test_an_altered_wallet_entry_fails_the_whole_unlock(path: Path) -> None:
    store = Keystore.create(path, PASSPHRASE, scrypt_n=N)
    store.new_wallet()
    victim = store.new_wallet()
    document = json.loads(path.read_text())
    entry = next(w for w in document["wallets"] if w["address"] == str(victim))
    ciphertext = bytearray(base64.b64decode(entry["ciphertext"]))
    ciphertext[0] ^= 1
    entry["ciphertext"] = base64.b64encode(bytes(ciphertext)).decode()
    path.write_text(json.dumps(document))

    with pytest.raises(UserInputError, match=f"wallet {victim} does not decrypt"):
        Keystore.open(path, PASSPHRASE)


def test_file_is_mode_0600_and_never_holds_a_secret_in_plaintext(path: Path) -> None:
    store = Keystore.create(path, PASSPHRASE, scrypt_n=N)
    imported = Keypair()
    store.import_keypair(str(imported))
    created = store.export(
        store.new_wallet(), confirm=f"EXPORT {str(store.wallets()[1].address)[:8]}"
    )

    content = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for keypair in (imported, Keypair.from_base58_string(created)):
        for form in secret_forms(keypair):
            assert form not in content
    assert PASSPHRASE.encode() not in content
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_import_accepts_base58_and_the_solana_cli_json_array(path: Path) -> None:
    store = Keystore.create(path, PASSPHRASE, scrypt_n=N)
    phantom, cli = Keypair(), Keypair()

    from_b58 = store.import_keypair(f"  {phantom}\n", label="phantom")
    from_json = store.import_keypair(cli.to_json())

    assert (from_b58, from_json) == (phantom.pubkey(), cli.pubkey())
    reopened = Keystore.open(path, PASSPHRASE)
    assert {w.address for w in reopened.wallets()} == {phantom.pubkey(), cli.pubkey()}
    assert {w.origin for w in reopened.wallets()} == {"imported"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty key"),
        ("0OIl" * 20, "not base58"),
        (str(Keypair().pubkey()), "32 bytes: that is an address"),
        ("[1, 2, 3", "not a valid JSON array"),
        (json.dumps([256] * 64), "numbers from 0 to 255"),
        (json.dumps(list(range(63))), "63 bytes"),
        (json.dumps(list(bytes(Keypair())[:32] + bytes(Keypair().pubkey()))), "second half"),
    ],
    ids=["empty", "bad-base58", "address", "broken-json", "byte-range", "short", "mismatch"],
)
def test_bad_import_input_is_refused_with_a_clear_reason(path: Path, text: str, says: str) -> None:
    store = Keystore.create(path, PASSPHRASE, scrypt_n=N)

    with pytest.raises(UserInputError, match=says) as err:
        store.import_keypair(text)

    assert store.wallets() == []
    if len(text) > 20:
        assert text not in str(err.value)


def test_importing_the_same_wallet_twice_is_refused(path: Path) -> None:
    store = Keystore.create(path, PASSPHRASE, scrypt_n=N)
    keypair = Keypair()
    store.import_keypair(str(keypair))

    with pytest.raises(UserInputError, match="already in the keystore"):
        store.import_keypair(keypair.to_json())


def test_export_is_refused_without_the_exact_confirmation(path: Path) -> None:
    store = Keystore.create(path, PASSPHRASE, scrypt_n=N)
    keypair = Keypair()
    address = store.import_keypair(keypair.to_json())
    phrase = f"EXPORT {str(address)[:8]}"

    for wrong in ("", "yes", "EXPORT", f"EXPORT {str(Keypair().pubkey())[:8]}"):
        with pytest.raises(UserInputError) as err:
            store.export(address, confirm=wrong)
        assert phrase in str(err.value)
        assert str(keypair) not in str(err.value)

    assert store.export(address, confirm=phrase) == str(keypair)
    assert store.export(address, confirm=phrase, fmt="json") == keypair.to_json()


def test_a_second_process_adding_a_wallet_is_kept_on_the_next_write(path: Path) -> None:
    bot = Keystore.create(path, PASSPHRASE, scrypt_n=N)
    cli = Keystore.open(path, PASSPHRASE)
    from_cli = cli.new_wallet()

    from_bot = bot.new_wallet()

    assert {w.address for w in Keystore.open(path, PASSPHRASE).wallets()} == {from_cli, from_bot}


def test_short_passphrase_is_refused_at_creation(path: Path) -> None:
    with pytest.raises(UserInputError, match="at least 8 characters"):
        Keystore.create(path, "short", scrypt_n=N)
    assert not path.exists()


async def test_keystore_signed_transfer_is_accepted_by_the_runtime(
    node: SvmRpcServer, rpc: RpcClient, path: Path
) -> None:
    created = Keystore.create(path, PASSPHRASE, scrypt_n=N).new_wallet()
    signer = Keystore.open(path, PASSPHRASE).signer(created)  # as after a restart
    address = await signer.address()
    node.airdrop(address, SOL)
    recipient = Keypair().pubkey()
    blockhash, _ = await rpc.get_latest_blockhash()
    ix = transfer(TransferParams(from_pubkey=address, to_pubkey=recipient, lamports=SOL // 4))
    message = MessageV0.try_compile(address, [ix], [], Hash.from_string(blockhash))

    tx = await sign_transaction(message, [signer])
    await rpc.send_transaction(base64.b64encode(bytes(tx)).decode())

    assert await rpc.get_balance(str(recipient)) == SOL // 4
    assert await rpc.get_balance(str(address)) == SOL - SOL // 4 - FEE


def test_settings_unlock_the_keystore_and_a_wrong_passphrase_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Keystore.create(tmp_path / "var" / "keystore.json", PASSPHRASE, scrypt_n=N).new_wallet()

    store = Keystore.from_settings(load_settings(None, keystore_passphrase=PASSPHRASE))
    with pytest.raises(ConfigError) as wrong:
        Keystore.from_settings(load_settings(None, keystore_passphrase="not the passphrase"))
    with pytest.raises(ConfigError) as missing:
        Keystore.from_settings(load_settings(None))

    assert len(store.wallets()) == 1
    assert wrong.value.setting == "KEYSTORE_PASSPHRASE" and "does not unlock" in str(wrong.value)
    assert "not the passphrase" not in str(wrong.value)
    assert missing.value.setting == "KEYSTORE_PASSPHRASE"


def test_no_secret_reaches_the_logs(path: Path) -> None:
    keypair = Keypair()
    with capture_logs() as logs:
        store = Keystore.create(path, PASSPHRASE, scrypt_n=N)
        address = store.import_keypair(str(keypair))
        store.export(address, confirm=f"EXPORT {str(address)[:8]}")
        with pytest.raises(WrongPassphraseError):
            Keystore.open(path, "a wrong passphrase")

    events = [entry["event"] for entry in logs]
    assert {"keystore_created", "keystore_key_exported", "keystore_unlock_failed"} <= set(events)
    text = repr(logs)
    assert PASSPHRASE not in text and "a wrong passphrase" not in text
    for form in secret_forms(keypair):
        assert form.decode("latin-1") not in text


async def test_two_keystore_wallets_sign_their_own_slots_and_a_stranger_is_refused(
    node: SvmRpcServer, rpc: RpcClient, path: Path
) -> None:
    store = Keystore.create(path, PASSPHRASE, scrypt_n=N)
    payer, new_account, stranger = (store.signer(store.new_wallet()) for _ in range(3))
    payer_key, new_key = await payer.address(), await new_account.address()
    node.airdrop(payer_key, SOL)
    rent = node.svm.minimum_balance_for_rent_exemption(0)
    blockhash, _ = await rpc.get_latest_blockhash()
    ix = create_account(
        CreateAccountParams(
            from_pubkey=payer_key,
            to_pubkey=new_key,
            lamports=rent,
            space=0,
            owner=Pubkey.default(),
        )
    )
    message = MessageV0.try_compile(payer_key, [ix], [], Hash.from_string(blockhash))

    with pytest.raises(UserInputError, match="does not need a signature from"):
        await sign_transaction(message, [payer, stranger])
    tx = await sign_transaction(message, [new_account, payer])  # order of signers is irrelevant
    await rpc.send_transaction(base64.b64encode(bytes(tx)).decode())

    assert await rpc.get_balance(str(new_key)) == rent
    assert await rpc.get_balance(str(payer_key)) == SOL - rent - 2 * FEE
