"""Smart Activity alerts as a process raises them: fills of tracked wallets reach Scoring, the
window's smart buys cross V_min, and the alert lands on the ``activity.out`` Redis stream for the
chat fan-out. Users' private watches never raise an alert sent to everyone."""

from __future__ import annotations

import redis.asyncio as aioredis

from core.bus import StreamConsumer
from core.ingest.scoring import Scoring
from core.signals import SignalParams
from core.signals.activity_alerts import STREAM, ActivityAlert, activity_alert_from_stream_fields
from core.signals.params_store import ParamsStore
from core.storage.migrate import upgrade
from core.storage.models import ListKind
from core.wallets.csv_json import WalletRow
from core.wallets.registry import WalletRegistry
from tests.core.signals.factories import SOL, trade
from tests.core.wallets.factories import address, create_users

MINT_A = "MintA111111111111111111111111111111111pump"
MINT_B = "MintB111111111111111111111111111111111pump"
T = 1_754_000_000


async def _read_alerts(redis_url: str) -> list[ActivityAlert]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        consumer = StreamConsumer(client, STREAM, "telegram", "fanout-1")
        await consumer.ensure_group()
        entries = await consumer.read(count=100, block_ms=None)
    finally:
        await client.aclose()
    return [activity_alert_from_stream_fields(e.fields) for e in entries]


async def test_smart_buys_crossing_v_min_publish_one_alert_on_the_stream(
    db_url: str, redis_url: str
) -> None:
    kol, smart, private = address(1), address(2), address(3)
    await create_users(db_url, 7)
    async with WalletRegistry(db_url) as registry:
        await registry.store(
            [WalletRow(kol, "Ana", ("kol",)), WalletRow(smart, None, ("smart",))],
            kind=ListKind.FEATURED,
        )
        await registry.store([WalletRow(private, None, ())], kind=ListKind.MINE, user_id=7)
    async with ParamsStore(db_url) as store:  # V_min 50 SOL per mint, 10 minutes
        await store.save(
            {
                **SignalParams().to_dict(),
                "activity_window_s": 600,
                "activity_v_min_lamports": 50 * SOL,
                "activity_global_v_min_lamports": 0,
            },
            updated_by="admin",
        )
    scoring = await Scoring.create(
        db_url, sol_usd=lambda: 150.0, risk=None, emit=None, redis_url=redis_url
    )
    try:
        await scoring.stage.add_many(
            [
                trade(t=T, trader=kol, sol=30, mint=MINT_A),
                trade(t=T + 5, trader="SomeoneElse", sol=500, mint=MINT_A),  # not tracked
                trade(t=T + 10, trader=private, sol=100, mint=MINT_B),  # a user's own watch
                trade(t=T + 20, trader=smart, sol=4, buy=False, mint=MINT_A),
            ]
        )
        await scoring.stage.add_many([trade(t=T + 60, trader=smart, sol=25, mint=MINT_A)])
        await scoring.stage.add_many([trade(t=T + 90, trader=kol, sol=10, mint=MINT_A)])
    finally:
        await scoring.aclose()

    assert await _read_alerts(redis_url) == [
        ActivityAlert(
            at=T + 60,
            mint=MINT_A,
            window_s=600,
            total_lamports=59 * SOL,  # 30 + 25 bought, 4 sold
            buy_lamports=55 * SOL,
            sell_lamports=4 * SOL,
            wallets=(kol, smart),  # 30 SOL traded, then 29
            tags=("kol", "smart"),
        )
    ]
    summary = scoring.summary()
    assert summary["activity_alerts"] == 1 and summary["activity_alerts_published"] == 1


async def test_without_redis_alerts_are_counted_and_scoring_goes_on(sqlite_url: str) -> None:
    await upgrade(sqlite_url)
    kol = address(1)
    async with WalletRegistry(sqlite_url) as registry:
        await registry.store([WalletRow(kol, None, ("kol",))], kind=ListKind.COMMUNITY)
    scoring = await Scoring.create(sqlite_url, sol_usd=lambda: 150.0, risk=None, emit=None)
    try:
        await scoring.stage.add_many([trade(t=T, trader=kol, sol=60, mint=MINT_A)])
    finally:
        await scoring.aclose()
    summary = scoring.summary()
    assert summary["activity_alerts"] == 1 and summary["activity_alerts_published"] == 0
