"""When several of a signal's smart buyers are one entity, the signal and its "Why?" say so."""

from __future__ import annotations

from core.signals import SignalEngine, SignalParams, explain_text
from core.signals.codec import signal_from_dict, signal_to_dict
from core.signals.signal import Signal
from core.signals.stage import SignalStage
from tests.core.signals.factories import MINT, clean_report, launch, trade

VSOL, VTOK, REAL = 90_000_000_000, 700_000_000_000_000, 60_000_000_000
SMART = {f"smart{i}": frozenset({"smart"}) for i in range(4)}


def _curve_trade(**kw: object):  # type: ignore[no-untyped-def]
    return trade(vsol=VSOL, vtok=VTOK, real_sol=REAL, **kw)  # type: ignore[arg-type]


async def test_signal_names_the_cluster_among_its_smart_buyers() -> None:
    engine = SignalEngine(SignalParams(), SMART, lambda: 150.0)
    emitted: list[Signal] = []

    async def emit(signals):  # type: ignore[no-untyped-def]
        emitted.extend(signals)

    stage = SignalStage(engine, emit=emit, tracked=SMART.keys())
    # smart0 and smart1 co-buy three earlier mints within seconds of each other
    history = []
    for i, other in enumerate(("OtherMintA", "OtherMintB", "OtherMintC")):
        t = 1_000 + 100 * i
        history += [
            _curve_trade(t=t, trader="smart0", mint=other),
            _curve_trade(t=t + 2, trader="smart1", mint=other),
        ]
    await stage.add_many(history)
    engine.on_mint(launch())
    engine.set_risk(MINT, clean_report())
    t = 2_000
    await stage.add_many([_curve_trade(t=t + i, trader=f"smart{i}", mint=MINT) for i in range(3)])

    ours = [s for s in emitted if s.mint == MINT]
    assert ours, "three smart buyers should signal"
    signal = ours[0]
    # four co-bought mints (the three earlier ones and this one): strength 4 / (2 × 3)
    assert signal.clusters == (("smart0", ("smart0", "smart1"), "co-buy, strength 0.67"),)
    assert explain_text(signal).splitlines()[-1] == (
        "Cluster: 2 of 3 smart buyers are one entity (co-buy, strength 0.67)"
    )
    assert stage.stats.clustered_signals >= 1
    # the cluster survives storage and the signals.out stream
    assert signal_from_dict(signal_to_dict(signal)) == signal


async def test_independent_smart_buyers_carry_no_cluster() -> None:
    engine = SignalEngine(SignalParams(), SMART, lambda: 150.0)
    emitted: list[Signal] = []

    async def emit(signals):  # type: ignore[no-untyped-def]
        emitted.extend(signals)

    stage = SignalStage(engine, emit=emit, tracked=SMART.keys())
    engine.on_mint(launch())
    engine.set_risk(MINT, clean_report())
    await stage.add_many([_curve_trade(t=2_000 + i, trader=f"smart{i}") for i in range(3)])
    assert emitted and all(s.clusters == () for s in emitted)
    assert "Cluster" not in explain_text(emitted[0])
