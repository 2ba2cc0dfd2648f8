"""A local Solana JSON-RPC node for tests: aiohttp over a real ``solders.litesvm.LiteSVM``.

``SvmRpcServer`` listens on 127.0.0.1 (random port) and answers the HTTP JSON-RPC methods our
production ``RpcClient`` calls, in the shapes a real node (Agave) sends: ``{"jsonrpc", "id",
"result"}`` with ``{"context": {"slot"}, "value"}`` where the node wraps, and JSON-RPC ``error``
objects with the node's codes (-32002 preflight failure with ``data = {err, logs, ...}``,
-32003 signature verification failure, -32602 invalid params, -32601 unknown method).

Chain state lives in the LiteSVM (``.svm``), which runs the real SPL Token, Token-2022, ATA and
System programs and verifies signatures. The helper methods (``create_mint``, ``mint_to``,
``create_token_account`` ...) change state only through signed transactions paid by
``.payer``, exactly as a client would; ``send`` takes any instructions, so later tests (swaps on a
local chain) can load a program with ``svm.add_program`` and drive it the same way.

Methods: getAccountInfo, getMultipleAccounts (base64; jsonParsed for SPL Token / Token-2022 mints
and token accounts, base64 for anything it cannot parse — as a node does), getBalance,
getTokenLargestAccounts, getTokenAccountBalance, getTokenSupply, getLatestBlockhash,
simulateTransaction, sendTransaction, getSignatureStatuses, getSlot, getBlockHeight, getHealth,
getMinimumBalanceForRentExemption, getSignaturesForAddress and getTransaction (encoding "json",
for transactions landed through this server, with pre/postTokenBalances),
getRecentPrioritizationFees (``prioritization_fees``). JSON-RPC batches are answered too.

Blocks and blockhashes: block height = slot. Slots move only through ``advance_blocks(n)``. A
blockhash stays the latest for ``LAST_VALID_BLOCKS`` blocks after it was issued (its
``lastValidBlockHeight``); once the chain passes that height it expires and a transaction
signed over it fails with ``BlockhashNotFound`` — coarser than a cluster (one blockhash per
window, not per block), but expiry happens at the height a client was told.

Test hooks: ``requests`` (every call received, in order), ``calls_of(method)`` and
``fail(method, code, message)`` to make a method answer a JSON-RPC error (``"*"`` = every
method) until ``clear_failures()``. Faults of sending: ``drop_sends(times)`` answers the next
sendTransaction calls with the signature but never lands them (a leader that dropped the
transaction); ``stall(method, seconds, times)`` handles the call (a sent transaction lands)
but answers only after ``seconds`` (a client times out first). Not modelled: commitment
levels (everything is confirmed at once), slots advancing on their own, websockets,
``minContextSlot``; in getTransaction, rewards and address-table lookups (``loadedAddresses``
is always empty); history of what ``svm.airdrop`` or direct ``svm`` calls did.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from solders.account import Account
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import Transaction, VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata
from spl.token.instructions import (
    create_idempotent_associated_token_account,
    get_associated_token_address,
)

from tests.factories import b58encode

TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
TOKEN_PROGRAMS = {TOKEN_PROGRAM: "spl-token", TOKEN_2022_PROGRAM: "spl-token-2022"}
U64_MAX = 2**64 - 1
LAST_VALID_BLOCKS = 150  # a blockhash's validity window, as on a real cluster

_MINT_LEN = 82
_ACCOUNT_LEN = 165  # SPL token account; Token-2022 base length of every extended account
_ACCOUNT_TYPE_MINT, _ACCOUNT_TYPE_ACCOUNT = 1, 2
_EXT_TRANSFER_FEE_CONFIG, _EXT_TRANSFER_FEE_AMOUNT = 1, 2
_MINT_WITH_TRANSFER_FEE_LEN = _ACCOUNT_LEN + 1 + 4 + 108  # 278
_ACCOUNT_WITH_TRANSFER_FEE_LEN = _ACCOUNT_LEN + 1 + 4 + 8  # 178
_ACCOUNT_STATES = {0: "uninitialized", 1: "initialized", 2: "frozen"}


class RpcFailure(Exception):
    """A JSON-RPC error answer (code, message, data) raised by a method handler."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


@dataclass(frozen=True)
class Landed:
    slot: int
    err: Any


# ---- account encodings (independent of core.decode on purpose) ----------------------------


def _option_key(key: Pubkey | None) -> bytes:
    return b"\x01" + bytes(key) if key is not None else b"\x00"


def _coption(tag: int, key: bytes) -> str | None:
    return str(Pubkey.from_bytes(key)) if tag == 1 else None


def _nonzero(key: bytes) -> str | None:
    return None if key == bytes(32) else str(Pubkey.from_bytes(key))


def ui_amount_string(amount_raw: int, decimals: int) -> str:
    """The node's ``uiAmountString``: the decimal amount without trailing zeros ("10", "0.5")."""
    if decimals == 0:
        return str(amount_raw)
    whole, frac = divmod(amount_raw, 10**decimals)
    frac_str = str(frac).rjust(decimals, "0").rstrip("0")
    return f"{whole}.{frac_str}" if frac_str else str(whole)


def token_amount(amount_raw: int, decimals: int) -> dict[str, Any]:
    return {
        "amount": str(amount_raw),
        "decimals": decimals,
        "uiAmount": amount_raw / 10**decimals,
        "uiAmountString": ui_amount_string(amount_raw, decimals),
    }


def _extensions(data: bytes) -> list[tuple[int, bytes]] | None:
    """TLV entries of a Token-2022 account after byte 165, or None when malformed."""
    entries: list[tuple[int, bytes]] = []
    offset = _ACCOUNT_LEN + 1
    while offset + 4 <= len(data):
        ext_type, length = struct.unpack_from("<HH", data, offset)
        if ext_type == 0:
            break
        if offset + 4 + length > len(data):
            return None
        entries.append((ext_type, data[offset + 4 : offset + 4 + length]))
        offset += 4 + length
    return entries


def _fee(raw: bytes) -> dict[str, int]:
    epoch, maximum, bps = struct.unpack("<QQH", raw)
    return {"epoch": epoch, "maximumFee": maximum, "transferFeeBasisPoints": bps}


def _parse_mint(data: bytes) -> dict[str, Any] | None:
    if len(data) < _MINT_LEN:
        return None
    mint_tag, mint_key, supply, decimals, initialized, freeze_tag, freeze_key = struct.unpack_from(
        "<I32sQBBI32s", data
    )
    info: dict[str, Any] = {
        "decimals": decimals,
        "freezeAuthority": _coption(freeze_tag, freeze_key),
        "isInitialized": bool(initialized),
        "mintAuthority": _coption(mint_tag, mint_key),
        "supply": str(supply),
    }
    if len(data) > _MINT_LEN:
        entries = _extensions(data)
        if entries is None:
            return None
        info["extensions"] = []
        for ext_type, value in entries:
            if ext_type != _EXT_TRANSFER_FEE_CONFIG:
                return None  # a node we imitate falls back to base64 when it cannot parse
            info["extensions"].append(
                {
                    "extension": "transferFeeConfig",
                    "state": {
                        "transferFeeConfigAuthority": _nonzero(value[0:32]),
                        "withdrawWithheldAuthority": _nonzero(value[32:64]),
                        "withheldAmount": struct.unpack_from("<Q", value, 64)[0],
                        "olderTransferFee": _fee(value[72:90]),
                        "newerTransferFee": _fee(value[90:108]),
                    },
                }
            )
    return {"type": "mint", "info": info}


@dataclass(frozen=True)
class TokenAccountView:
    mint: Pubkey
    owner: Pubkey
    amount_raw: int
    state: int
    is_native: bool


def read_token_account(data: bytes) -> TokenAccountView | None:
    """The base fields of an SPL / Token-2022 token account, or None if ``data`` is not one."""
    if len(data) < _ACCOUNT_LEN:
        return None
    if len(data) > _ACCOUNT_LEN and data[_ACCOUNT_LEN] != _ACCOUNT_TYPE_ACCOUNT:
        return None  # a Token-2022 mint or multisig, or an SPL multisig (355 bytes)
    mint, owner, amount = struct.unpack_from("<32s32sQ", data)
    native_tag = struct.unpack_from("<I", data, 109)[0]
    return TokenAccountView(
        Pubkey.from_bytes(mint), Pubkey.from_bytes(owner), amount, data[108], native_tag == 1
    )


def is_mint(data: bytes) -> bool:
    return len(data) == _MINT_LEN or (
        len(data) > _ACCOUNT_LEN and data[_ACCOUNT_LEN] == _ACCOUNT_TYPE_MINT
    )


# ---- the server ------------------------------------------------------------------------------


class SvmRpcServer:
    """HTTP JSON-RPC over a LiteSVM. ``await start()``, use ``.url``, ``await stop()``."""

    def __init__(self, svm: LiteSVM | None = None, *, payer_lamports: int = 1_000 * 10**9) -> None:
        self.svm = svm if svm is not None else LiteSVM()
        self.payer = Keypair()
        self.svm.airdrop(self.payer.pubkey(), payer_lamports)
        self.requests: list[dict[str, Any]] = []
        self.mint_authorities: dict[Pubkey, Keypair] = {}
        self._landed: dict[str, Landed] = {}
        self._history: dict[str, dict[str, Any]] = {}  # signature -> getTransaction result
        self._signatures_of: dict[str, list[str]] = {}  # address -> signatures, oldest first
        self._failures: dict[str, tuple[int, str]] = {}
        self._drop_sends = 0
        self._stalls: dict[str, list[float]] = {}
        self._blockhash_slot = self.slot  # when the latest blockhash was issued
        self.prioritization_fees: list[int] = []  # per recent slot, oldest first (micro-lamports)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/", self._handle_http)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SvmRpcServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- test hooks ------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[list[Any]]:
        return [r.get("params", []) for r in self.requests if r.get("method") == method]

    def fail(self, method: str, code: int = -32005, message: str = "Node is unhealthy") -> None:
        """Answer ``method`` (``"*"``: every method) with this JSON-RPC error from now on."""
        self._failures[method] = (code, message)

    def clear_failures(self) -> None:
        """Stop every injected fault: failures, dropped sends and stalls."""
        self._failures.clear()
        self._drop_sends = 0
        self._stalls.clear()

    def drop_sends(self, times: int = 1) -> None:
        """The next ``times`` sendTransaction calls answer the signature but nothing lands."""
        self._drop_sends += times

    def stall(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Handle the next ``times`` calls of ``method`` but answer each after ``seconds``."""
        self._stalls.setdefault(method, []).extend([seconds] * times)

    def advance_blocks(self, blocks: int) -> None:
        """Move the chain ``blocks`` blocks on; the latest blockhash expires once the height
        passes its ``lastValidBlockHeight`` (then a new one is issued)."""
        self.svm.warp_to_slot(self.slot + blocks)
        if self.slot > self.last_valid_block_height():
            self.svm.expire_blockhash()
            self._blockhash_slot = self.slot

    def last_valid_block_height(self) -> int:
        """The last block height at which the latest blockhash is still valid."""
        return self._blockhash_slot + LAST_VALID_BLOCKS

    @property
    def slot(self) -> int:
        return int(self.svm.get_clock().slot)

    # ---- chain helpers: every change is a signed transaction --------------------------------

    def send(self, instructions: Sequence[Instruction], *signers: Keypair) -> Signature:
        """Sign with ``payer`` and ``signers``, land on the SVM; raise if the runtime refuses."""
        message = Message(list(instructions), self.payer.pubkey())
        tx = Transaction([self.payer, *signers], message, self.svm.latest_blockhash())
        pre, pre_tokens = self._balances(tx), self._token_balances(tx)
        result = self.svm.send_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            raise RuntimeError(f"transaction failed: {result.err()} {result.meta().logs()}")
        self._landed[str(result.signature())] = Landed(self.slot, None)
        self._remember(tx, result, None, pre, pre_tokens)
        return result.signature()

    def airdrop(self, pubkey: Pubkey, lamports: int) -> None:
        result = self.svm.airdrop(pubkey, lamports)
        if isinstance(result, FailedTransactionMetadata):
            raise RuntimeError(f"airdrop failed: {result.err()}")

    def _create_account_ix(self, new: Pubkey, space: int, owner: Pubkey) -> Instruction:
        return create_account(
            CreateAccountParams(
                from_pubkey=self.payer.pubkey(),
                to_pubkey=new,
                lamports=self.svm.minimum_balance_for_rent_exemption(space),
                space=space,
                owner=owner,
            )
        )

    def create_mint(
        self,
        decimals: int = 6,
        mint_authority: Keypair | None = None,
        freeze_authority: Pubkey | None = None,
        *,
        token_2022: bool = False,
        transfer_fee_bps: int | None = None,
        max_fee: int = U64_MAX,
        transfer_fee_authority: Pubkey | None = None,
    ) -> Pubkey:
        """A new initialized mint; its authority keypair is kept in ``mint_authorities``.

        ``transfer_fee_bps`` (Token-2022 only) adds the TransferFeeConfig extension.
        """
        if transfer_fee_bps is not None and not token_2022:
            raise ValueError("a transfer fee needs token_2022=True")
        program = TOKEN_2022_PROGRAM if token_2022 else TOKEN_PROGRAM
        authority = mint_authority or Keypair()
        mint = Keypair()
        meta = [AccountMeta(mint.pubkey(), is_signer=False, is_writable=True)]
        space = _MINT_LEN if transfer_fee_bps is None else _MINT_WITH_TRANSFER_FEE_LEN
        ixs = [self._create_account_ix(mint.pubkey(), space, program)]
        if transfer_fee_bps is not None:
            # TransferFeeExtension (26) / InitializeTransferFeeConfig (0), before InitializeMint
            data = (
                bytes([26, 0])
                + _option_key(transfer_fee_authority)
                + _option_key(transfer_fee_authority)
                + struct.pack("<HQ", transfer_fee_bps, max_fee)
            )
            ixs.append(Instruction(program, data, meta))
        # InitializeMint2 (20): decimals, mint authority, COption freeze authority
        data = bytes([20, decimals]) + bytes(authority.pubkey()) + _option_key(freeze_authority)
        ixs.append(Instruction(program, data, meta))
        self.send(ixs, mint)
        self.mint_authorities[mint.pubkey()] = authority
        return mint.pubkey()

    def token_program_of(self, mint: Pubkey) -> Pubkey:
        account = self.svm.get_account(mint)
        if account is None or account.owner not in TOKEN_PROGRAMS:
            raise ValueError(f"{mint} is not a mint on this chain")
        return account.owner

    def create_token_account(
        self, owner: Pubkey, mint: Pubkey, *, associated: bool = True
    ) -> Pubkey:
        """The owner's associated token account (idempotent; owner may be a PDA), or with
        ``associated=False`` a fresh keypair account (any number per owner)."""
        program = self.token_program_of(mint)
        if associated:
            ix = create_idempotent_associated_token_account(
                self.payer.pubkey(), owner, mint, program
            )
            self.send([ix])
            return get_associated_token_address(owner, mint, program)
        account = Keypair()
        mint_data = bytes(self.svm.get_account(mint).data)  # type: ignore[union-attr]
        space = _ACCOUNT_LEN
        if len(mint_data) > _MINT_LEN:  # extensions: a transfer fee needs TransferFeeAmount
            entries = _extensions(mint_data) or []
            if any(t == _EXT_TRANSFER_FEE_CONFIG for t, _ in entries):
                space = _ACCOUNT_WITH_TRANSFER_FEE_LEN
        # InitializeAccount3 (18): owner
        init = Instruction(
            program,
            bytes([18]) + bytes(owner),
            [AccountMeta(account.pubkey(), False, True), AccountMeta(mint, False, False)],
        )
        self.send([self._create_account_ix(account.pubkey(), space, program), init], account)
        return account.pubkey()

    def mint_to(
        self, mint: Pubkey, account: Pubkey, amount_raw: int, *, authority: Keypair | None = None
    ) -> None:
        """MintTo (7), signed by the mint authority (``create_mint``'s unless given)."""
        signer = authority or self.mint_authorities[mint]
        ix = Instruction(
            self.token_program_of(mint),
            bytes([7]) + struct.pack("<Q", amount_raw),
            [
                AccountMeta(mint, False, True),
                AccountMeta(account, False, True),
                AccountMeta(signer.pubkey(), True, False),
            ],
        )
        self.send([ix], signer)

    def set_authority(
        self,
        target: Pubkey,
        authority_type: int,
        new_authority: Pubkey | None,
        *,
        authority: Keypair,
    ) -> None:
        """SetAuthority (6): type 0 MintTokens, 1 FreezeAccount, 2 AccountOwner, 3 CloseAccount."""
        target_account = self.svm.get_account(target)
        if target_account is None or target_account.owner not in TOKEN_PROGRAMS:
            raise ValueError(f"{target} is not a mint or token account on this chain")
        ix = Instruction(
            target_account.owner,
            bytes([6, authority_type]) + _option_key(new_authority),
            [AccountMeta(target, False, True), AccountMeta(authority.pubkey(), True, False)],
        )
        self.send([ix], authority)

    def revoke_mint_authority(self, mint: Pubkey) -> None:
        self.set_authority(mint, 0, None, authority=self.mint_authorities[mint])

    def burn(self, account: Pubkey, mint: Pubkey, amount_raw: int, *, owner: Keypair) -> None:
        """Burn (8) from a token account, signed by its owner (the supply shrinks)."""
        ix = Instruction(
            self.token_program_of(mint),
            bytes([8]) + struct.pack("<Q", amount_raw),
            [
                AccountMeta(account, False, True),
                AccountMeta(mint, False, True),
                AccountMeta(owner.pubkey(), True, False),
            ],
        )
        self.send([ix], owner)

    def set_account(self, pubkey: Pubkey, owner: Pubkey, data: bytes, lamports: int = 0) -> None:
        """Place an account written by a program this SVM does not run (a Pump.fun curve, a
        PumpSwap pool). Rent-exempt lamports by default."""
        lamports = lamports or self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(
            pubkey, Account(lamports=lamports, data=data, owner=owner, executable=False)
        )

    # ---- HTTP / JSON-RPC ---------------------------------------------------------------------

    async def _handle_http(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response(_error(None, -32700, "Parse error"))
        if isinstance(body, list):
            return web.json_response([self._answer(item) for item in body])
        answer = self._answer(body)
        stalls = self._stalls.get(str(body.get("method"))) if isinstance(body, dict) else None
        if stalls:
            await asyncio.sleep(stalls.pop(0))
        return web.json_response(answer)

    def _answer(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or "method" not in body:
            return _error(None, -32600, "Invalid request")
        self.requests.append(body)
        request_id = body.get("id")
        method = str(body["method"])
        failure = self._failures.get(method) or self._failures.get("*")
        if failure is not None:
            return _error(request_id, *failure)
        handler = getattr(self, f"_rpc_{method}", None)
        if handler is None:
            return _error(request_id, -32601, "Method not found")
        try:
            result = handler(*(body.get("params") or []))
        except RpcFailure as exc:
            return _error(request_id, exc.code, exc.message, exc.data)
        except (TypeError, ValueError, binascii.Error) as exc:
            return _error(request_id, -32602, f"Invalid params: {exc}")
        return {"jsonrpc": "2.0", "result": result, "id": request_id}

    def _context(self, value: Any) -> dict[str, Any]:
        return {"context": {"apiVersion": "2.2.0", "slot": self.slot}, "value": value}

    # ---- accounts ----------------------------------------------------------------------------

    def _account_json(self, address: str, encoding: str) -> dict[str, Any] | None:
        account = self.svm.get_account(_pubkey(address))
        if account is None:
            return None
        data = bytes(account.data)
        encoded: Any = [base64.b64encode(data).decode(), "base64"]
        if encoding == "jsonParsed" and account.owner in TOKEN_PROGRAMS:
            parsed = self._parse_token_program_account(data)
            if parsed is not None:
                encoded = {
                    "parsed": parsed,
                    "program": TOKEN_PROGRAMS[account.owner],
                    "space": len(data),
                }
        elif encoding not in ("base64", "jsonParsed"):
            raise RpcFailure(-32602, f"Invalid params: unsupported encoding {encoding}")
        return {
            "data": encoded,
            "executable": account.executable,
            "lamports": account.lamports,
            "owner": str(account.owner),
            "rentEpoch": U64_MAX,
            "space": len(data),
        }

    def _parse_token_program_account(self, data: bytes) -> dict[str, Any] | None:
        if is_mint(data):
            return _parse_mint(data)
        view = read_token_account(data)
        if view is None:
            return None
        decimals = self._decimals(view.mint)
        info: dict[str, Any] = {
            "isNative": view.is_native,
            "mint": str(view.mint),
            "owner": str(view.owner),
            "state": _ACCOUNT_STATES.get(view.state, "uninitialized"),
            "tokenAmount": token_amount(view.amount_raw, decimals),
        }
        return {"type": "account", "info": info}

    def _decimals(self, mint: Pubkey) -> int:
        account = self.svm.get_account(mint)
        if account is None or not is_mint(bytes(account.data)):
            raise RpcFailure(-32602, "Invalid param: could not find mint")
        return bytes(account.data)[44]

    def _rpc_getAccountInfo(self, address: str, config: dict[str, Any] | None = None) -> Any:
        encoding = (config or {}).get("encoding", "base64")
        return self._context(self._account_json(address, encoding))

    def _rpc_getMultipleAccounts(
        self, addresses: list[str], config: dict[str, Any] | None = None
    ) -> Any:
        if len(addresses) > 100:
            raise RpcFailure(-32602, "Too many inputs provided; max 100")
        encoding = (config or {}).get("encoding", "base64")
        return self._context([self._account_json(a, encoding) for a in addresses])

    def _rpc_getBalance(self, address: str, config: dict[str, Any] | None = None) -> Any:
        return self._context(self.svm.get_balance(_pubkey(address)) or 0)

    def _rpc_getMinimumBalanceForRentExemption(
        self, space: int, config: dict[str, Any] | None = None
    ) -> int:
        return int(self.svm.minimum_balance_for_rent_exemption(int(space)))

    # ---- tokens ------------------------------------------------------------------------------

    def token_accounts_of(self, mint: Pubkey) -> list[tuple[Pubkey, TokenAccountView]]:
        """Every token account of ``mint`` on the chain (scanned via the token program)."""
        program = self.token_program_of(mint)
        found = []
        for address, account in self.svm.get_program_accounts(program):
            view = read_token_account(bytes(account.data))
            if view is not None and view.mint == mint:
                found.append((address, view))
        return found

    def _rpc_getTokenLargestAccounts(self, mint: str, config: dict[str, Any] | None = None) -> Any:
        key = _pubkey(mint)
        account = self.svm.get_account(key)
        if account is None or account.owner not in TOKEN_PROGRAMS:
            raise RpcFailure(-32602, "Invalid param: not a Token mint")
        decimals = self._decimals(key)
        holders = sorted(
            self.token_accounts_of(key), key=lambda item: (-item[1].amount_raw, str(item[0]))
        )[:20]
        return self._context(
            [
                {"address": str(address), **token_amount(view.amount_raw, decimals)}
                for address, view in holders
            ]
        )

    def _rpc_getTokenAccountBalance(
        self, address: str, config: dict[str, Any] | None = None
    ) -> Any:
        account = self.svm.get_account(_pubkey(address))
        view = None if account is None else read_token_account(bytes(account.data))
        if account is None or account.owner not in TOKEN_PROGRAMS or view is None:
            raise RpcFailure(-32602, "Invalid param: not a Token account")
        return self._context(token_amount(view.amount_raw, self._decimals(view.mint)))

    def _rpc_getTokenSupply(self, mint: str, config: dict[str, Any] | None = None) -> Any:
        account = self.svm.get_account(_pubkey(mint))
        if account is None or account.owner not in TOKEN_PROGRAMS:
            raise RpcFailure(-32602, "Invalid param: not a Token mint")
        supply = struct.unpack_from("<Q", bytes(account.data), 36)[0]
        return self._context(token_amount(supply, self._decimals(_pubkey(mint))))

    # ---- transactions ------------------------------------------------------------------------

    def _rpc_getLatestBlockhash(self, config: dict[str, Any] | None = None) -> Any:
        return self._context(
            {
                "blockhash": str(self.svm.latest_blockhash()),
                "lastValidBlockHeight": self.last_valid_block_height(),
            }
        )

    def _rpc_simulateTransaction(self, tx_b64: str, config: dict[str, Any] | None = None) -> Any:
        config = config or {}
        if config.get("encoding", "base58") != "base64":
            raise RpcFailure(-32602, "Invalid params: this test node only decodes base64")
        if config.get("sigVerify") and config.get("replaceRecentBlockhash"):
            raise RpcFailure(-32602, "sigVerify may not be used with replaceRecentBlockhash")
        tx = _decode_tx(tx_b64)
        replacement = None
        if config.get("replaceRecentBlockhash"):
            tx = _with_blockhash(tx, self.svm.latest_blockhash())
            replacement = {
                "blockhash": str(self.svm.latest_blockhash()),
                "lastValidBlockHeight": self.last_valid_block_height(),
            }
        value = self._simulate(tx, sig_verify=bool(config.get("sigVerify", False)))
        value["replacementBlockhash"] = replacement
        return self._context(value)

    def _simulate(self, tx: VersionedTransaction, *, sig_verify: bool) -> dict[str, Any]:
        previous = self.svm.get_sigverify()
        self.svm.with_sigverify(sig_verify)
        try:
            result = self.svm.simulate_transaction(tx)
        finally:
            self.svm.with_sigverify(previous)
        if isinstance(result, FailedTransactionMetadata):
            err, meta = json.loads(result.to_json())["err"], result.meta()
        else:
            err, meta = None, result.meta()
        return {
            "err": err,
            "logs": list(meta.logs()),
            "accounts": None,
            "unitsConsumed": meta.compute_units_consumed(),
            "returnData": None,
            "fee": meta.fee(),
        }

    def _rpc_sendTransaction(self, tx_b64: str, config: dict[str, Any] | None = None) -> str:
        config = config or {}
        if config.get("encoding", "base58") != "base64":
            raise RpcFailure(-32602, "Invalid params: this test node only decodes base64")
        tx = _decode_tx(tx_b64)
        signature = str(tx.signatures[0])
        if not config.get("skipPreflight", False):
            preflight = self._simulate(tx, sig_verify=True)
            if preflight["err"] == "SignatureFailure":
                raise RpcFailure(-32003, "Transaction signature verification failure")
            if preflight["err"] is not None:
                raise RpcFailure(
                    -32002,
                    f"Transaction simulation failed: {preflight['err']}",
                    preflight,
                )
        if self._drop_sends > 0:
            self._drop_sends -= 1
            return signature  # accepted, then lost on the way to the leader
        pre, pre_tokens = self._balances(tx), self._token_balances(tx)
        result = self.svm.send_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            err = json.loads(result.to_json())["err"]
            if err in ("SignatureFailure", "AlreadyProcessed", "BlockhashNotFound"):
                raise RpcFailure(-32002, f"Transaction simulation failed: {err}", {"err": err})
            self._landed[signature] = Landed(self.slot, err)  # landed, failed, fee charged
            self._remember(tx, result.meta(), err, pre, pre_tokens)
        else:
            self._landed[signature] = Landed(self.slot, None)
            self._remember(tx, result, None, pre, pre_tokens)
        return signature

    # ---- history: what landed through this server --------------------------------------------

    def _balances(self, tx: Transaction | VersionedTransaction) -> list[int]:
        return [self.svm.get_balance(key) or 0 for key in tx.message.account_keys]

    def _token_balances(self, tx: Transaction | VersionedTransaction) -> list[dict[str, Any]]:
        """pre/postTokenBalances as a node gives them: the token accounts among the keys."""
        out = []
        for index, key in enumerate(tx.message.account_keys):
            account = self.svm.get_account(key)
            if account is None or account.owner not in TOKEN_PROGRAMS:
                continue
            view = read_token_account(bytes(account.data))
            if view is None:
                continue
            out.append(
                {
                    "accountIndex": index,
                    "mint": str(view.mint),
                    "owner": str(view.owner),
                    "programId": str(account.owner),
                    "uiTokenAmount": token_amount(view.amount_raw, self._decimals(view.mint)),
                }
            )
        return out

    def _remember(
        self,
        tx: Transaction | VersionedTransaction,
        meta: TransactionMetadata,
        err: Any,
        pre_balances: list[int],
        pre_token_balances: list[dict[str, Any]] | None = None,
    ) -> None:
        """Keep a landed transaction as getTransaction ("json") answers it, indexed by every
        account key for getSignaturesForAddress."""
        msg = tx.message
        signature = str(tx.signatures[0])

        def compiled(ix: Any) -> dict[str, Any]:
            return {
                "programIdIndex": ix.program_id_index,
                "accounts": list(ix.accounts),
                "data": b58encode(bytes(ix.data)),
            }

        inner = [
            {
                "index": index,
                "instructions": [
                    {**compiled(i.instruction()), "stackHeight": i.stack_height()} for i in group
                ],
            }
            for index, group in enumerate(meta.inner_instructions())
            if group
        ]
        header = msg.header
        self._history[signature] = {
            "slot": self.slot,
            "blockTime": int(self.svm.get_clock().unix_timestamp),
            "version": 0 if isinstance(msg, MessageV0) else "legacy",
            "meta": {
                "err": err,
                "status": {"Ok": None} if err is None else {"Err": err},
                "fee": meta.fee(),
                "preBalances": pre_balances,
                "postBalances": self._balances(tx),
                "preTokenBalances": pre_token_balances or [],
                "postTokenBalances": self._token_balances(tx),
                "innerInstructions": inner,
                "logMessages": list(meta.logs()),
                "loadedAddresses": {"writable": [], "readonly": []},
                "computeUnitsConsumed": meta.compute_units_consumed(),
            },
            "transaction": {
                "signatures": [str(s) for s in tx.signatures],
                "message": {
                    "accountKeys": [str(k) for k in msg.account_keys],
                    "header": {
                        "numRequiredSignatures": header.num_required_signatures,
                        "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
                        "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
                    },
                    "recentBlockhash": str(msg.recent_blockhash),
                    "instructions": [compiled(ix) for ix in msg.instructions],
                },
            },
        }
        for key in {str(k) for k in msg.account_keys}:
            self._signatures_of.setdefault(key, []).append(signature)

    def _rpc_getSignaturesForAddress(
        self, address: str, config: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        config = config or {}
        limit = config.get("limit", 1000)
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise RpcFailure(-32602, "Invalid limit; max 1000")
        newest_first = list(reversed(self._signatures_of.get(str(_pubkey(address)), [])))
        before, until = config.get("before"), config.get("until")
        if before is not None:
            at = newest_first.index(before) + 1 if before in newest_first else len(newest_first)
            newest_first = newest_first[at:]
        if until is not None and until in newest_first:
            newest_first = newest_first[: newest_first.index(until)]
        out = []
        for sig in newest_first[:limit]:
            tx = self._history[sig]
            out.append(
                {
                    "signature": sig,
                    "slot": tx["slot"],
                    "err": tx["meta"]["err"],
                    "memo": None,
                    "blockTime": tx["blockTime"],
                    "confirmationStatus": "confirmed",
                }
            )
        return out

    def _rpc_getTransaction(
        self, signature: str, config: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        encoding = (config or {}).get("encoding", "json")
        if encoding != "json":
            raise RpcFailure(-32602, "Invalid params: this test node serves encoding json only")
        return self._history.get(signature)

    def _rpc_getSignatureStatuses(
        self, signatures: list[str], config: dict[str, Any] | None = None
    ) -> Any:
        if len(signatures) > 256:
            raise RpcFailure(-32602, "Too many inputs provided; max 256")
        statuses: list[dict[str, Any] | None] = []
        for sig in signatures:
            landed = self._landed.get(sig)
            if landed is None:
                statuses.append(None)
                continue
            statuses.append(
                {
                    "slot": landed.slot,
                    "confirmations": 1,
                    "err": landed.err,
                    "status": {"Ok": None} if landed.err is None else {"Err": landed.err},
                    "confirmationStatus": "confirmed",
                }
            )
        return self._context(statuses)

    def _rpc_getSlot(self, config: dict[str, Any] | None = None) -> int:
        return self.slot

    def _rpc_getRecentPrioritizationFees(self, addresses: list[str] | None = None) -> Any:
        if addresses is not None and len(addresses) > 128:
            raise RpcFailure(-32602, "Too many inputs provided; max 128")
        fees = self.prioritization_fees[-150:]
        first = self.slot - len(fees) + 1
        return [{"slot": first + i, "prioritizationFee": fee} for i, fee in enumerate(fees)]

    def _rpc_getBlockHeight(self, config: dict[str, Any] | None = None) -> int:
        return self.slot

    def _rpc_getHealth(self) -> str:
        return "ok"


def _error(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": request_id}


def _pubkey(address: str) -> Pubkey:
    try:
        return Pubkey.from_string(address)
    except ValueError as exc:
        raise RpcFailure(-32602, f"Invalid param: Invalid pubkey {address!r}") from exc


def _decode_tx(tx_b64: str) -> VersionedTransaction:
    try:
        return VersionedTransaction.from_bytes(base64.b64decode(tx_b64, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise RpcFailure(
            -32602, f"Invalid params: failed to deserialize transaction: {exc}"
        ) from exc


def _with_blockhash(tx: VersionedTransaction, blockhash: Hash) -> VersionedTransaction:
    """The same transaction over ``blockhash`` (its signatures no longer verify)."""
    msg = tx.message
    if isinstance(msg, MessageV0):
        new: Message | MessageV0 = MessageV0(
            msg.header, msg.account_keys, blockhash, msg.instructions, msg.address_table_lookups
        )
    else:
        new = Message.new_with_compiled_instructions(
            msg.header.num_required_signatures,
            msg.header.num_readonly_signed_accounts,
            msg.header.num_readonly_unsigned_accounts,
            msg.account_keys,
            blockhash,
            msg.instructions,
        )
    return VersionedTransaction.populate(new, tx.signatures)
