"""JSON-RPC request handling of the replay server (HTTP methods and shared validation), no I/O.

Answers follow Solana's shapes and error codes: -32700 parse error, -32600 invalid request,
-32601 method not found, -32602 invalid params, -32015 unsupported transaction version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from solders.pubkey import Pubkey
from solders.signature import Signature

from core.replay.index import TxIndex
from core.replay.txjson import build_transaction

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
UNSUPPORTED_TX_VERSION = -32015
MAX_SIGNATURES_LIMIT = 1000
REPLAY_VERSION = {"solana-core": "2.2.0", "feature-set": 3294202862}


class RpcFault(Exception):
    """A JSON-RPC error answer (code, message) raised inside a method handler."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def error_response(code: int, message: str, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": request_id}


def result_response(result: Any, request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


def parse_pubkey(value: Any) -> str:
    if not isinstance(value, str):
        raise RpcFault(INVALID_PARAMS, "Invalid params: address must be a base58 string")
    try:
        Pubkey.from_string(value)
    except ValueError:
        raise RpcFault(INVALID_PARAMS, f"Invalid param: Invalid pubkey {value!r}") from None
    return value


def parse_signature(value: Any) -> str:
    if not isinstance(value, str):
        raise RpcFault(INVALID_PARAMS, "Invalid params: signature must be a base58 string")
    try:
        Signature.from_string(value)
    except ValueError:
        raise RpcFault(INVALID_PARAMS, "Invalid param: Invalid signature") from None
    return value


def _params(request: dict[str, Any]) -> list[Any]:
    params = request.get("params", [])
    if params is None:
        return []
    if not isinstance(params, list):
        raise RpcFault(INVALID_PARAMS, "Invalid params: expected an array")
    return params


def _config(params: list[Any], position: int) -> dict[str, Any]:
    if len(params) <= position or params[position] is None:
        return {}
    config = params[position]
    if not isinstance(config, dict):
        raise RpcFault(INVALID_PARAMS, "Invalid params: configuration must be an object")
    return config


class HttpRpc:
    """HTTP JSON-RPC methods answered from the ledger; ``slot`` reports the newest slot."""

    def __init__(self, index: TxIndex, slot: Callable[[], int]) -> None:
        self._index = index
        self._slot = slot
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            "getTransaction": self._get_transaction,
            "getSignaturesForAddress": self._get_signatures_for_address,
            "getSignatureStatuses": self._get_signature_statuses,
            "getSlot": lambda _params: self._slot(),
            "getHealth": lambda _params: "ok",
            "getVersion": lambda _params: REPLAY_VERSION,
        }

    def handle(self, request: Any) -> dict[str, Any]:
        """One request object → one response object (errors included, never raised)."""
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            request_id = request.get("id") if isinstance(request, dict) else None
            return error_response(INVALID_REQUEST, "Invalid Request", request_id)
        request_id = request.get("id")
        method = self._methods.get(request["method"])
        if method is None:
            return error_response(METHOD_NOT_FOUND, "Method not found", request_id)
        try:
            return result_response(method(_params(request)), request_id)
        except RpcFault as fault:
            return error_response(fault.code, fault.message, request_id)

    def handle_payload(self, payload: Any) -> Any:
        """A single request or a batch (JSON array) → the response(s)."""
        if isinstance(payload, list):
            if not payload:
                return error_response(INVALID_REQUEST, "Invalid Request")
            return [self.handle(item) for item in payload]
        return self.handle(payload)

    def _get_transaction(self, params: list[Any]) -> Any:
        if not params:
            raise RpcFault(INVALID_PARAMS, "Invalid params: missing signature")
        signature = parse_signature(params[0])
        config = _config(params, 1)
        encoding = config.get("encoding", "json")
        if encoding != "json":
            raise RpcFault(INVALID_PARAMS, f"Invalid params: encoding {encoding!r} not served")
        if config.get("commitment") == "processed":
            raise RpcFault(INVALID_PARAMS, "Method does not support commitment below `confirmed`")
        tx = self._index.get(signature)
        if tx is None:
            return None
        if config.get("maxSupportedTransactionVersion") is None:
            raise RpcFault(
                UNSUPPORTED_TX_VERSION,
                "Transaction version (0) is not supported by the requesting client. Please try "
                "the request again with the following configuration parameter: "
                '"maxSupportedTransactionVersion": 0',
            )
        return build_transaction(tx)

    def _get_signatures_for_address(self, params: list[Any]) -> Any:
        if not params:
            raise RpcFault(INVALID_PARAMS, "Invalid params: missing address")
        address = parse_pubkey(params[0])
        config = _config(params, 1)
        if config.get("commitment") == "processed":
            raise RpcFault(INVALID_PARAMS, "Method does not support commitment below `confirmed`")
        limit = config.get("limit", MAX_SIGNATURES_LIMIT)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
            raise RpcFault(INVALID_PARAMS, f"Invalid limit; max {MAX_SIGNATURES_LIMIT}")
        before = config.get("before")
        until = config.get("until")
        txs = self._index.signatures_for_address(
            address,
            limit=limit,
            before=None if before is None else parse_signature(before),
            until=None if until is None else parse_signature(until),
        )
        return [
            {
                "signature": tx.signature,
                "slot": tx.slot,
                "err": tx.err,
                "memo": None,
                "blockTime": tx.block_time,
                "confirmationStatus": "confirmed",
            }
            for tx in txs
        ]

    def _get_signature_statuses(self, params: list[Any]) -> Any:
        if not params or not isinstance(params[0], list) or len(params[0]) > 256:
            raise RpcFault(INVALID_PARAMS, "Invalid params: expected up to 256 signatures")
        value = []
        for raw in params[0]:
            tx = self._index.get(parse_signature(raw))
            value.append(
                None
                if tx is None
                else {
                    "slot": tx.slot,
                    "confirmations": 0,
                    "err": tx.err,
                    "status": {"Ok": None} if tx.err is None else {"Err": tx.err},
                    "confirmationStatus": "confirmed",
                }
            )
        return {"context": {"slot": self._slot()}, "value": value}
