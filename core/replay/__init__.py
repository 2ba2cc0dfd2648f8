"""The local market replay: a deterministic simulated market and a Solana-protocol server."""

from core.replay.encode import encode_event, program_data_line, ray_log_swap_base_in
from core.replay.ledger import ReplayTx
from core.replay.market import SimulatedMarket
from core.replay.recorded import read_recording
from core.replay.server import ReplayServer

__all__ = [
    "ReplayServer",
    "ReplayTx",
    "SimulatedMarket",
    "encode_event",
    "program_data_line",
    "ray_log_swap_base_in",
    "read_recording",
]
