"""Sign latency of the two wallet signers: the keystore and Vault Transit (local test server).

    .venv/bin/python bench/bench_signer.py [N]

Signs the serialized message of a SOL transfer N times (default 1,000) with each signer, one
at a time, and prints p50 / p95 / max per signature; then N Vault signatures with 8 in flight
(the hvac calls run in worker threads) and the throughput. Also prints the keystore unlock time
(scrypt n = 2**15, r = 8, p = 1). The Vault figures are for the local HTTP server in
tests/vault_server.py on 127.0.0.1 — a real Vault adds its own storage, audit and network
time. Prints, never asserts.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.system_program import TransferParams, transfer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.log import configure_logging
from core.trading.keystore import DEFAULT_SCRYPT_N, Keystore
from core.trading.signer import Signer, message_bytes
from core.trading.vault_signer import VaultAuth, VaultTransit
from tests.vault_server import SIGNER_RULES, VaultServer


def _message(payer: Keypair) -> bytes:
    ix = transfer(
        TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1)
    )
    return message_bytes(MessageV0.try_compile(payer.pubkey(), [ix], [], Hash.default()))


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _sequential(signer: Signer, message: bytes, n: int) -> list[float]:
    await signer.sign_message(message)  # warm-up (connection, first decrypt)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await signer.sign_message(message)
        samples.append(time.perf_counter() - started)
    return samples


def _report(name: str, samples: list[float]) -> None:
    print(
        f"{name:<34} n={len(samples):>5}  p50 {_pct(samples, 0.50) * 1e3:7.3f} ms  "
        f"p95 {_pct(samples, 0.95) * 1e3:7.3f} ms  max {max(samples) * 1e3:7.3f} ms  "
        f"mean {statistics.fmean(samples) * 1e3:7.3f} ms"
    )


async def main(n: int) -> None:
    message = _message(Keypair())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "keystore.json"
        address = Keystore.create(path, "bench passphrase").new_wallet()
        started = time.perf_counter()
        store = Keystore.open(path, "bench passphrase")
        unlock_s = time.perf_counter() - started
        print(
            f"keystore unlock (scrypt n=2**{DEFAULT_SCRYPT_N.bit_length() - 1}, r=8, p=1): "
            f"{unlock_s * 1e3:.1f} ms"
        )
        _report("keystore sign", await _sequential(store.signer(address), message, n))

    with VaultServer() as vault:
        token = vault.add_token(SIGNER_RULES)
        async with VaultTransit(vault.url, VaultAuth(token=SecretStr(token))) as transit:
            signer = await transit.wallet(user_id=1)
            _report("vault sign (local server, serial)", await _sequential(signer, message, n))

            in_flight = 8
            semaphore = asyncio.Semaphore(in_flight)

            async def one() -> None:
                async with semaphore:
                    await signer.sign_message(message)

            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            elapsed = time.perf_counter() - started
            print(
                f"vault sign, {in_flight} in flight: {n} signatures in {elapsed:.2f} s "
                f"= {n / elapsed:,.0f} signatures/s"
            )


if __name__ == "__main__":
    configure_logging("warning", "console")
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000))
