"""JSON-RPC request handling of the replay server (HTTP methods and shared validation), no I/O.

Answers follow Solana's shapes and error codes: -32700 parse error, -32600 invalid request,
-32601 method not found, -32602 invalid params, -32015 unsupported transaction version, -32016
minimum context slot not reached.

Accounts (``getAccountInfo``, ``getMultipleAccounts``) come from an ``AccountSource`` lookup
(``SimulatedMarket.account``); without one, no account exists. Encodings served: ``base64``
(``dataSlice`` applied) and ``jsonParsed``, which, as on a real node, parses SPL Token mints into
``{"program": "spl-token", "parsed": {"type": "mint", "info": ...}, "space": 82}`` and falls back
to the base64 form for every other account (and whenever ``dataSlice`` is given). ``base58`` (the
node's default when no encoding is given) and ``base64+zstd`` are refused with -32602.

Token balances: ``getTokenLargestAccounts`` answers from a ``LargestAccountsSource``
(``SimulatedMarket.largest_token_accounts``), at most 20 accounts, largest first; the decimals
are the mint account's (6 when ``accounts`` does not hold it). A mint the source does not know
(or no source) is -32602 ``Invalid param: could not find mint``, as a node answers a missing
mint. ``getTokenSupply`` answers from the mint account of ``accounts``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from solders.pubkey import Pubkey
from solders.signature import Signature

from core.decode.accounts import MINT_BASE_LEN, decode_mint
from core.errors import DecodeError
from core.programs import TOKEN_PROGRAM_ID
from core.replay.accounts import rent_exempt_lamports
from core.replay.index import TxIndex
from core.replay.pricing import TOKEN_DECIMALS
from core.replay.txjson import build_transaction

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
UNSUPPORTED_TX_VERSION = -32015
MIN_CONTEXT_SLOT_NOT_REACHED = -32016
MAX_SIGNATURES_LIMIT = 1000
MAX_MULTIPLE_ACCOUNTS = 100
MAX_LARGEST_ACCOUNTS = 20
RENT_EPOCH_EXEMPT = 2**64 - 1
"""``rentEpoch`` of every rent-exempt account (u64::MAX)."""
REPLAY_VERSION = {"solana-core": "2.2.0", "feature-set": 3294202862}
COMMITMENTS = frozenset({"processed", "confirmed", "finalized"})

AccountSource = Callable[[str], tuple[str, bytes] | None]
"""Address → ``(owner program id, data)`` of an existing account, or None."""

LargestAccountsSource = Callable[[str], list[tuple[str, int]] | None]
"""Mint → its largest token accounts as ``(address, raw balance)``, largest first; None when
the mint is unknown."""


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


def _parsed_mint(data: bytes) -> dict[str, Any] | None:
    """The ``jsonParsed`` data object of an SPL Token mint, None if ``data`` is not one."""
    if len(data) != MINT_BASE_LEN:
        return None
    try:
        mint = decode_mint(data, TOKEN_PROGRAM_ID)
    except DecodeError:
        return None
    info = {
        "decimals": mint.decimals,
        "freezeAuthority": mint.freeze_authority,
        "isInitialized": mint.is_initialized,
        "mintAuthority": mint.mint_authority,
        "supply": str(mint.supply_raw),
    }
    return {"parsed": {"info": info, "type": "mint"}, "program": "spl-token", "space": len(data)}


def ui_token_amount(amount_raw: int, decimals: int) -> dict[str, Any]:
    """``{amount, decimals, uiAmount, uiAmountString}`` as a node writes a token amount
    (``uiAmountString`` without trailing zeros: ``"10"``, ``"0.5"``)."""
    whole, frac = divmod(amount_raw, 10**decimals)
    text = str(whole)
    if decimals and frac:
        text += "." + f"{frac:0{decimals}d}".rstrip("0")
    return {
        "amount": str(amount_raw),
        "decimals": decimals,
        "uiAmount": amount_raw / 10**decimals,
        "uiAmountString": text,
    }


def ui_account(
    owner: str, data: bytes, encoding: str, data_slice: tuple[int, int] | None = None
) -> dict[str, Any]:
    """An account ``value`` object as a node answers it (rent-exempt balance, not executable)."""
    ui_data: Any = None
    if encoding == "jsonParsed" and data_slice is None and owner == TOKEN_PROGRAM_ID:
        ui_data = _parsed_mint(data)
    if ui_data is None:
        shown = data if data_slice is None else data[data_slice[0] : sum(data_slice)]
        ui_data = [base64.b64encode(shown).decode(), "base64"]
    return {
        "data": ui_data,
        "executable": False,
        "lamports": rent_exempt_lamports(len(data)),
        "owner": owner,
        "rentEpoch": RENT_EPOCH_EXEMPT,
        "space": len(data),
    }


def _account_options(config: dict[str, Any]) -> tuple[str, tuple[int, int] | None]:
    """``(encoding, dataSlice as (offset, length))`` of an account method's configuration."""
    encoding = config.get("encoding", "base58")
    if encoding not in ("base64", "jsonParsed"):
        raise RpcFault(
            INVALID_PARAMS,
            f"Invalid params: encoding {encoding!r} not served; ask for base64 or jsonParsed",
        )
    raw_slice = config.get("dataSlice")
    if raw_slice is None:
        return encoding, None
    if not isinstance(raw_slice, dict):
        raise RpcFault(INVALID_PARAMS, "Invalid params: dataSlice must be {offset, length}")
    bounds = (raw_slice.get("offset"), raw_slice.get("length"))
    offset, length = (v if isinstance(v, int) and not isinstance(v, bool) else -1 for v in bounds)
    if offset < 0 or length < 0:
        raise RpcFault(INVALID_PARAMS, "Invalid params: dataSlice must be {offset, length}")
    return encoding, (offset, length)


class HttpRpc:
    """HTTP JSON-RPC methods answered from the ledger and ``accounts``; ``slot`` reports the
    newest slot."""

    def __init__(
        self,
        index: TxIndex,
        slot: Callable[[], int],
        accounts: AccountSource | None = None,
        largest_accounts: LargestAccountsSource | None = None,
    ) -> None:
        self._index = index
        self._slot = slot
        self._accounts = accounts
        self._largest_accounts = largest_accounts
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            "getTransaction": self._get_transaction,
            "getSignaturesForAddress": self._get_signatures_for_address,
            "getSignatureStatuses": self._get_signature_statuses,
            "getAccountInfo": self._get_account_info,
            "getMultipleAccounts": self._get_multiple_accounts,
            "getTokenLargestAccounts": self._get_token_largest_accounts,
            "getTokenSupply": self._get_token_supply,
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

    def _context(self, config: dict[str, Any]) -> dict[str, Any]:
        """The answer's ``context``, after checking ``commitment`` and ``minContextSlot``."""
        commitment = config.get("commitment", "finalized")
        if commitment not in COMMITMENTS:
            raise RpcFault(INVALID_PARAMS, f"Invalid params: unknown commitment {commitment!r}")
        slot = self._slot()
        min_slot = config.get("minContextSlot")
        if min_slot is not None:
            if not isinstance(min_slot, int) or isinstance(min_slot, bool):
                raise RpcFault(INVALID_PARAMS, "Invalid params: minContextSlot must be a slot")
            if min_slot > slot:
                raise RpcFault(
                    MIN_CONTEXT_SLOT_NOT_REACHED, "Minimum context slot has not been reached"
                )
        return {"slot": slot, "apiVersion": REPLAY_VERSION["solana-core"]}

    def _account(
        self, address: str, encoding: str, data_slice: tuple[int, int] | None
    ) -> dict[str, Any] | None:
        found = None if self._accounts is None else self._accounts(address)
        if found is None:
            return None
        owner, data = found
        return ui_account(owner, data, encoding, data_slice)

    def _get_account_info(self, params: list[Any]) -> Any:
        if not params:
            raise RpcFault(INVALID_PARAMS, "Invalid params: missing address")
        address = parse_pubkey(params[0])
        config = _config(params, 1)
        encoding, data_slice = _account_options(config)
        context = self._context(config)
        return {"context": context, "value": self._account(address, encoding, data_slice)}

    def _get_multiple_accounts(self, params: list[Any]) -> Any:
        if not params or not isinstance(params[0], list):
            raise RpcFault(INVALID_PARAMS, "Invalid params: expected an array of addresses")
        if len(params[0]) > MAX_MULTIPLE_ACCOUNTS:
            raise RpcFault(
                INVALID_PARAMS, f"Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}"
            )
        addresses = [parse_pubkey(raw) for raw in params[0]]
        config = _config(params, 1)
        encoding, data_slice = _account_options(config)
        context = self._context(config)
        value = [self._account(address, encoding, data_slice) for address in addresses]
        return {"context": context, "value": value}

    def _mint_account(self, mint: str) -> tuple[str, bytes] | None:
        return None if self._accounts is None else self._accounts(mint)

    def _get_token_largest_accounts(self, params: list[Any]) -> Any:
        if not params:
            raise RpcFault(INVALID_PARAMS, "Invalid params: missing mint")
        mint = parse_pubkey(params[0])
        context = self._context(_config(params, 1))
        rows = None if self._largest_accounts is None else self._largest_accounts(mint)
        if rows is None:
            raise RpcFault(INVALID_PARAMS, "Invalid param: could not find mint")
        decimals = TOKEN_DECIMALS
        found = self._mint_account(mint)
        if found is not None:
            parsed = _parsed_mint(found[1])
            if parsed is not None:
                decimals = parsed["parsed"]["info"]["decimals"]
        value = [
            {"address": address, **ui_token_amount(amount, decimals)}
            for address, amount in rows[:MAX_LARGEST_ACCOUNTS]
        ]
        return {"context": context, "value": value}

    def _get_token_supply(self, params: list[Any]) -> Any:
        if not params:
            raise RpcFault(INVALID_PARAMS, "Invalid params: missing mint")
        mint = parse_pubkey(params[0])
        context = self._context(_config(params, 1))
        found = self._mint_account(mint)
        if found is None:
            raise RpcFault(INVALID_PARAMS, "Invalid param: could not find account")
        owner, data = found
        parsed = _parsed_mint(data) if owner == TOKEN_PROGRAM_ID else None
        if parsed is None:
            raise RpcFault(INVALID_PARAMS, "Invalid param: not a Token mint")
        info = parsed["parsed"]["info"]
        return {
            "context": context,
            "value": ui_token_amount(int(info["supply"]), info["decimals"]),
        }
