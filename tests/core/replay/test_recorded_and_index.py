"""Recorded logsNotification files replay as transactions; the ledger forgets the oldest."""

from __future__ import annotations

from pathlib import Path

from core.replay.index import TxIndex
from core.replay.ledger import ReplayTx
from core.replay.recorded import RecordingStats, read_recording

C1R5 = "c1r5_logsNotification_pumpfun_create_buy_slot310199880.json"


def test_recording_replays_real_notifications_with_invoked_programs_as_mentions(
    shared_fixtures: Path, tmp_path: Path
) -> None:
    frame = (shared_fixtures / "mainnet" / C1R5).read_text().strip()
    recording = tmp_path / "recording.jsonl"
    recording.write_text(f'{frame}\n\nnot json\n{{"jsonrpc":"2.0","result":5,"id":1}}\n')
    stats = RecordingStats()
    (tx,) = list(read_recording(recording, start_time=1_735_000_000, stats=stats))
    assert tx.signature.startswith("3PDrzPNDBXNZ")
    assert tx.slot == 310199880
    assert tx.err is None
    assert tx.logs[4] == "Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P invoke [1]"
    assert {
        "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P",
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
        "metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s",
        "ComputeBudget111111111111111111111111111111",
    } <= tx.mentions
    assert (stats.replayed, stats.skipped) == (1, 2)


def _tx(n: int, mentions: set[str]) -> ReplayTx:
    return ReplayTx(f"sig{n}", n, 1000 + n, (), frozenset(mentions))


def test_ledger_beyond_its_bound_forgets_the_oldest_transactions() -> None:
    index = TxIndex(max_txs=5000)
    for n in range(12_000):
        index.add(_tx(n, {"A", "B" if n % 2 else "C"}))
    assert len(index) == 5000
    assert index.get("sig6999") is None
    assert index.get("sig7000") is not None
    newest_a = index.signatures_for_address("A", limit=1000)
    assert [t.signature for t in newest_a[:2]] == ["sig11999", "sig11998"]
    all_b = index.signatures_for_address("B", limit=1000, before="sig9001")
    assert len(all_b) == 1000 and all_b[-1].signature == "sig7001"
    oldest_b = index.signatures_for_address("B", limit=1000, before="sig7101")
    assert [t.signature for t in oldest_b] == [f"sig{n}" for n in range(7099, 6999, -2)]


def test_unknown_before_gives_nothing_and_unknown_until_does_not_bound() -> None:
    index = TxIndex()
    for n in range(10):
        index.add(_tx(n, {"A"}))
    assert index.signatures_for_address("A", limit=10, before="nope") == []
    assert len(index.signatures_for_address("A", limit=10, until="nope")) == 10
    assert index.signatures_for_address("Z", limit=10) == []
