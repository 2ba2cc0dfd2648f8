"""`solsignals demo` as a user runs it: the console script, a SQLite file, a JSON summary."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from core.storage.repository import Repository

ROOT = Path(__file__).resolve().parents[3]


def _solsignals() -> list[str]:
    script = Path(sys.executable).with_name("solsignals")
    return [str(script)] if script.exists() else [sys.executable, "-m", "core.cli.main"]


@pytest.mark.slow
def test_demo_json_summary_reports_trades_and_no_decode_errors(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    proc = subprocess.run(
        [*_solsignals(), "demo", "--seconds", "5", "--json", "--db", str(db)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    summary = orjson.loads(lines[-1])
    for key in ("events", "decoded", "decode_errors", "trades", "mints", "events_per_s", "db"):
        assert key in summary, key
    assert summary["trades"] > 0
    assert summary["mints"] > 0
    assert summary["decode_errors"] == 0
    assert summary["events"] > 0 and summary["decoded"] >= summary["trades"]
    assert summary["db"] == str(db)
    # Scoring ran on the simulated market, whose smart wallets were put on the featured list.
    assert summary["tracked_wallets"] > 0
    for key in ("signals", "planted_winners", "planted_winners_signalled", "rugs", "rugs_flagged"):
        assert key in summary, key
    assert summary["planted_winners_signalled"] <= summary["planted_winners"]
    assert summary["rugs_flagged"] <= summary["rugs"]
    # The live feed came before the summary.
    assert any(" NEW " in line for line in lines[:-1])

    async def stored() -> dict[str, int]:
        async with Repository(f"sqlite:///{db}") as repo:
            return await repo.counts()

    counts = asyncio.run(stored())
    assert counts["trades"] == summary["trades"]
    assert counts["signals"] == summary["signals"]  # every signal was stored
    assert counts["tokens"] >= summary["mints"]


@pytest.mark.slow
def test_demo_with_dropped_connections_reconnects_and_misses_nothing(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            *_solsignals(),
            "demo",
            "--seconds",
            "4",
            "--rate",
            "1000",
            "--drop-every",
            "700",
            "--json",
            "--quiet",
            "--db",
            str(tmp_path / "d.db"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr
    summary = orjson.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["reconnects"] >= 3
    assert summary["gap_filled"] > 0
    assert summary["published"] > 3000
    assert summary["missed"] == 0
    assert summary["events"] == summary["published"]


def _frame(signature: str, slot: int, logs: list[str], err: object = None) -> bytes:
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "method": "logsNotification",
            "params": {
                "result": {
                    "context": {"slot": slot},
                    "value": {"signature": signature, "err": err, "logs": logs},
                },
                "subscription": 1,
            },
        }
    )


def test_demo_replays_a_recording_of_real_mainnet_notifications(
    tmp_path: Path, shared_fixtures: Path
) -> None:
    mainnet = shared_fixtures / "mainnet"
    frames = [
        (mainnet / "c1r5_logsNotification_pumpfun_create_buy_slot310199880.json")
        .read_bytes()
        .strip()
    ]
    for name in (
        "chainstack_raw_create_tx_from_getTransaction.json",
        "chainstack_raw_buy_tx_from_getTransaction.json",
        "soltxs_raydium_amm_v4_rpc.json",
    ):
        doc = orjson.loads((mainnet / name).read_bytes())
        tx = doc.get("result", doc)
        sig = tx["transaction"]["signatures"][0]
        frames.append(_frame(sig, tx["slot"], tx["meta"]["logMessages"]))
    recording = tmp_path / "recording.jsonl"
    recording.write_bytes(b"\n".join(frames) + b"\n")

    proc = subprocess.run(
        [
            *_solsignals(),
            "demo",
            "--replay",
            str(recording),
            "--seconds",
            "3",
            "--json",
            "--db",
            str(tmp_path / "r.db"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr
    summary = orjson.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["published"] == 4 and summary["events"] == 4 and summary["missed"] == 0
    assert summary["decode_errors"] == 0
    # c1r5: create + dev buy; chainstack create: create + dev buy; chainstack buy: buy + sell;
    # the Raydium v4 swap is decoded but carries no mint in its logs, so it is not a trade.
    assert summary["mints"] == 2
    assert summary["trades"] == 4
    assert summary["events_by_name"]["raydium_amm_v4.SwapBaseInLog"] == 1


def test_demo_replay_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*_solsignals(), "demo", "--replay", "nope.jsonl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "nope.jsonl: no such file" in proc.stderr


def test_demo_rejects_a_non_positive_duration(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*_solsignals(), "demo", "--seconds", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--seconds" in proc.stderr and "must be > 0" in proc.stderr
