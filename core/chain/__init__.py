"""Solana chain clients: HTTP JSON-RPC (``RpcClient``) and pubsub websocket (``PubsubClient``)."""

from core.chain.dedupe import SignatureDedupe
from core.chain.notices import LogsNotice
from core.chain.providers import Provider
from core.chain.pubsub import PubsubClient, PubsubState
from core.chain.rpc_client import RateLimitedError, RpcClient, RpcRequest, build_request
from core.chain.rpc_types import (
    AccountInfo,
    PrioritizationFee,
    SignatureInfo,
    SignatureStatus,
    SimulationResult,
    TokenAmountEntry,
)

__all__ = [
    "AccountInfo",
    "LogsNotice",
    "PrioritizationFee",
    "Provider",
    "PubsubClient",
    "PubsubState",
    "RateLimitedError",
    "RpcClient",
    "RpcRequest",
    "SignatureDedupe",
    "SignatureInfo",
    "SignatureStatus",
    "SimulationResult",
    "TokenAmountEntry",
    "build_request",
]
