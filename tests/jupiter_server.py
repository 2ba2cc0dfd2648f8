"""A local Jupiter swap API for tests: aiohttp speaking Jupiter's HTTP protocol over pools that
live on an ``SvmRpcServer``'s LiteSVM chain.

Protocol (as ``core.trading.JupiterClient`` speaks it, shapes from jup-ag/docs): ``GET
{prefix}/quote`` → ``QuoteResponse`` (amounts as decimal strings, ``routePlan[].swapInfo``), and
``POST {prefix}/swap`` with ``{userPublicKey, quoteResponse, ...}`` → ``{swapTransaction,
lastValidBlockHeight, computeUnitLimit, prioritizationFeeLamports, ...}``. ``prefix`` defaults to
``/swap/v1``. Errors are HTTP 400 ``{"error": <message>, "errorCode": <CODE>}`` with Jupiter's
routing codes (``TOKEN_NOT_TRADABLE`` for a mint the chain does not know,
``COULD_NOT_FIND_ANY_ROUTE`` for a mint without a pool or an amount too small to receive one raw
unit, ``NOT_SUPPORTED`` for ExactOut).

Pools (``add_pool``) are constant-product (``core.market.amm``) between an SPL token and native
SOL. There is no AMM program on the test chain, so a swap is a REAL v0 transaction of plain
transfers: the user pays its input (user signs) and the pool pays the output (the server
partially signs as the pool: ``authority`` owns the token vault; a per-pool ``sol_vault``
keypair holds the SOL side as native lamports — not wrapped SOL, so ``wrapAndUnwrapSol`` is
accepted and ignored). The user's associated token account is created (idempotently) in the same
transaction. The blockhash is the SVM's latest; the user signs its slot (``sign_as_user``) and
sends it to the ``SvmRpcServer``; balances move for real. Reserves are read from the chain, so
every landed swap moves the price. Unlike a real AMM, the amounts are fixed when the
transaction is built: ``/swap`` refuses (400, ``SLIPPAGE_TOLERANCE_EXCEEDED``) when the pool
moved below the quote's ``otherAmountThreshold``.

Swap API V2 (always served, under ``v2_prefix``, default ``/swap/v2``): ``GET /order`` without
``taker`` is a quote (the quote's fields plus ``priceImpact`` in percent points, ``router``,
``mode``, ``requestId``, ``transaction: null``); with a taker it is refused (400
``NOT_SUPPORTED``: this server has no ``/execute``). ``GET /build`` answers as the OpenAPI spec
of jup-ag/docs says (quote fields, ``computeBudgetInstructions`` = a SetComputeUnitPrice of
``JUPITER_CU_PRICE`` and no limit, ``setupInstructions``, ``swapInstruction``,
``cleanupInstruction``, ``otherInstructions``, ``tipInstruction: null``,
``addressesByLookupTableAddress``, ``blockhashWithMetadata{blockhash: [32 bytes],
lastValidBlockHeight, fetchedAt}``). The taker must be the only signer, so the pool pays
through SPL Token delegation: when answering, the server (on chain, as the pool's authority)
approves the taker as delegate of the pool's vault for exactly the output, and the swap
instruction is a Transfer the taker signs as that delegate. SOL moves as wrapped SOL, as
Jupiter's does: the taker's wSOL account is created in the setup (a buy also wraps its lamports
and pays them into the pool's wSOL vault), and closed by the cleanup instruction, so the taker
ends with native SOL. The pool's SOL side is its ``sol_vault`` lamports plus its wSOL vault
(topped up from ``sol_vault`` before a sell is answered). Each pool gets a real address lookup
table account on the chain (its vaults and mints), named in ``addressesByLookupTableAddress``.
Limits: one delegate per vault, so two ``/build`` answers of the same pool in flight at once
leave only the latest one valid; ``freeze_user_accounts`` pools and
``wrapAndUnwrapSol=false`` are refused (400 ``NOT_SUPPORTED``).

Honeypot knob: ``add_pool(..., freeze_user_accounts=True)`` needs a mint whose freeze authority
is ``authority``; every buy transaction then ends with FreezeAccount on the buyer's token
account, so the tokens can never be sold (a sell's transfer fails with ``AccountFrozen``).

Test hooks: ``requests`` (every request: method, path, query, json, headers), ``fail(status,
body, headers, times)`` to answer the next ``times`` requests with an error (e.g. 429 with
``Retry-After``, 503), and ``before_next_swap(action, user=None)`` to run ``action`` (e.g. a
competing trade that moves the pool) when the next ``/swap`` request (of ``user``, if given)
arrives, before it is answered (a V2 ``/build`` counts as a swap request; its user is the
``taker``).
"""

from __future__ import annotations

import base64
import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from solders.address_lookup_table_account import ID as LOOKUP_TABLE_PROGRAM
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction, VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata
from spl.token.instructions import (
    create_idempotent_associated_token_account,
    get_associated_token_address,
)

from core.market.amm import buy_quote, sell_quote
from tests.svm_rpc import TOKEN_PROGRAM, SvmRpcServer, read_token_account

WSOL_MINT = "So11111111111111111111111111111111111111112"
POOL_LABEL = "LocalCPMM"
COMPUTE_UNIT_LIMIT = 200_000
NATIVE_MINT = Pubkey.from_string(WSOL_MINT)
JUPITER_CU_PRICE = 777  # /build's own SetComputeUnitPrice: a route must use its own bid


@dataclass
class Pool:
    mint: Pubkey
    token_vault: Pubkey  # ATA of the server's authority
    sol_vault: Keypair  # system account holding the SOL side as lamports
    fee_bps: int
    freeze_user_accounts: bool = False
    amm_key: Pubkey = field(default_factory=lambda: Keypair().pubkey())
    wsol_vault: Pubkey | None = None  # the authority's wSOL account (V2 swaps), made on demand
    lookup_table: Pubkey | None = None  # its address lookup table (V2 swaps), made on demand


class JupiterApiError(Exception):
    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def sign_as_user(tx_base64: str, user: Keypair) -> str:
    """``tx_base64`` with ``user``'s signature in its slot (other signatures kept)."""
    tx = VersionedTransaction.from_bytes(base64.b64decode(tx_base64))
    signed = _with_signature(tx, user)
    return base64.b64encode(bytes(signed)).decode()


def _with_signature(tx: VersionedTransaction, signer: Keypair) -> VersionedTransaction:
    message = tx.message
    keys = list(message.account_keys)
    index = keys.index(signer.pubkey())
    signatures = list(tx.signatures)
    signatures[index] = signer.sign_message(to_bytes_versioned(message))
    return VersionedTransaction.populate(message, signatures)


def _token_transfer(source: Pubkey, dest: Pubkey, owner: Pubkey, amount: int) -> Instruction:
    """SPL Token Transfer (3)."""
    return Instruction(
        TOKEN_PROGRAM,
        bytes([3]) + struct.pack("<Q", amount),
        [
            AccountMeta(source, False, True),
            AccountMeta(dest, False, True),
            AccountMeta(owner, True, False),
        ],
    )


def _freeze(account: Pubkey, mint: Pubkey, authority: Pubkey) -> Instruction:
    """SPL Token FreezeAccount (10)."""
    return Instruction(
        TOKEN_PROGRAM,
        bytes([10]),
        [
            AccountMeta(account, False, True),
            AccountMeta(mint, False, False),
            AccountMeta(authority, True, False),
        ],
    )


def _approve(account: Pubkey, delegate: Pubkey, owner: Pubkey, amount: int) -> Instruction:
    """SPL Token Approve (4)."""
    return Instruction(
        TOKEN_PROGRAM,
        bytes([4]) + struct.pack("<Q", amount),
        [
            AccountMeta(account, False, True),
            AccountMeta(delegate, False, False),
            AccountMeta(owner, True, False),
        ],
    )


def _sync_native(account: Pubkey) -> Instruction:
    """SPL Token SyncNative (17)."""
    return Instruction(TOKEN_PROGRAM, bytes([17]), [AccountMeta(account, False, True)])


def _close(account: Pubkey, destination: Pubkey, owner: Pubkey) -> Instruction:
    """SPL Token CloseAccount (9)."""
    return Instruction(
        TOKEN_PROGRAM,
        bytes([9]),
        [
            AccountMeta(account, False, True),
            AccountMeta(destination, False, True),
            AccountMeta(owner, True, False),
        ],
    )


def _instruction_json(ix: Instruction) -> dict[str, Any]:
    """An instruction as /build sends it (OpenAPI ``Instruction``: data base64)."""
    return {
        "programId": str(ix.program_id),
        "accounts": [
            {"pubkey": str(m.pubkey), "isSigner": m.is_signer, "isWritable": m.is_writable}
            for m in ix.accounts
        ],
        "data": base64.b64encode(bytes(ix.data)).decode(),
    }


def _lookup_table_data(addresses: list[Pubkey]) -> bytes:
    """An active, never-deactivated address lookup table without authority: its 56-byte meta
    (type 1, deactivation slot u64::MAX, last extended slot 0 with every address before the
    extension index, so all are usable at once) and the addresses."""
    meta = struct.pack("<IQQB", 1, 2**64 - 1, 0, len(addresses)) + bytes(1 + 32 + 2)
    return meta + b"".join(bytes(a) for a in addresses)


class JupiterServer:
    """``await start()`` (or ``async with``), point a ``JupiterClient`` at ``.url``."""

    def __init__(
        self, svm_server: SvmRpcServer, *, prefix: str = "/swap/v1", v2_prefix: str = "/swap/v2"
    ) -> None:
        self.chain = svm_server
        self.prefix = prefix
        self.v2_prefix = v2_prefix
        self.authority = Keypair()  # owns every pool's token vault; may be a freeze authority
        self.pools: dict[Pubkey, Pool] = {}
        self.requests: list[dict[str, Any]] = []
        self._failures: list[tuple[int, Any, dict[str, str]]] = []
        self._before_swap: list[tuple[Callable[[], None], str | None]] = []
        self._bookkeeping = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(f"{self.prefix}/quote", self._handle_quote)
        app.router.add_post(f"{self.prefix}/swap", self._handle_swap)
        app.router.add_get(f"{self.v2_prefix}/order", self._handle_order)
        app.router.add_get(f"{self.v2_prefix}/build", self._handle_build)
        app.middlewares.append(self._record_and_fail)
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

    async def __aenter__(self) -> JupiterServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- test hooks ------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and JSON ``body``)."""
        self._failures.extend([(status, body, headers or {})] * times)

    def before_next_swap(self, action: Callable[[], None], *, user: str | None = None) -> None:
        """Run ``action`` when the next ``/swap`` request (of ``user``, when given) arrives,
        before answering it."""
        self._before_swap.append((action, user))

    def calls_to(self, endpoint: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith(f"/{endpoint}")]

    # ---- pools -----------------------------------------------------------------------------

    def add_pool(
        self,
        mint: Pubkey,
        base_reserve_raw: int,
        sol_reserve_lamports: int,
        fee_bps: int,
        *,
        freeze_user_accounts: bool = False,
    ) -> Pool:
        """A pool of ``mint`` (minted by the ``SvmRpcServer``'s mint authority) against SOL."""
        if self.chain.token_program_of(mint) != TOKEN_PROGRAM:
            raise ValueError("pools trade SPL Token mints only")
        if freeze_user_accounts:
            data = bytes(self.chain.svm.get_account(mint).data)  # type: ignore[union-attr]
            if data[46:50] != b"\x01\x00\x00\x00" or data[50:82] != bytes(self.authority.pubkey()):
                raise ValueError("freeze_user_accounts needs freeze_authority=server.authority")
        vault = self.chain.create_token_account(self.authority.pubkey(), mint)
        self.chain.mint_to(mint, vault, base_reserve_raw)
        sol_vault = Keypair()
        self.chain.airdrop(sol_vault.pubkey(), sol_reserve_lamports + self._rent_floor())
        pool = Pool(mint, vault, sol_vault, fee_bps, freeze_user_accounts)
        self.pools[mint] = pool
        return pool

    def _rent_floor(self) -> int:
        return int(self.chain.svm.minimum_balance_for_rent_exemption(0))

    def reserves(self, pool: Pool) -> tuple[int, int]:
        """(token reserve raw, SOL reserve lamports) as on chain now."""
        account = self.chain.svm.get_account(pool.token_vault)
        view = read_token_account(bytes(account.data)) if account else None
        base = view.amount_raw if view else 0
        sol = (self.chain.svm.get_balance(pool.sol_vault.pubkey()) or 0) - self._rent_floor()
        if pool.wsol_vault is not None:
            wsol = self.chain.svm.get_account(pool.wsol_vault)
            wrapped = read_token_account(bytes(wsol.data)) if wsol else None
            sol += wrapped.amount_raw if wrapped else 0
        return base, sol

    # ---- HTTP ------------------------------------------------------------------------------

    @web.middleware
    async def _record_and_fail(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "json": json.loads(body) if body else None,
                "headers": dict(request.headers),
            }
        )
        if self._failures:
            status, payload, headers = self._failures.pop(0)
            if payload is None:
                return web.Response(status=status, text="", headers=headers)
            return web.json_response(payload, status=status, headers=headers)
        try:
            return await handler(request)
        except JupiterApiError as exc:
            return web.json_response(
                {"error": exc.message, "errorCode": exc.code}, status=exc.status
            )

    def _pool_for(self, input_mint: str, output_mint: str) -> tuple[Pool, bool]:
        """The pool and whether the swap is a buy (SOL in, token out)."""
        if WSOL_MINT not in (input_mint, output_mint) or input_mint == output_mint:
            raise JupiterApiError("Could not find any route", "COULD_NOT_FIND_ANY_ROUTE")
        is_buy = input_mint == WSOL_MINT
        token = output_mint if is_buy else input_mint
        try:
            key = Pubkey.from_string(token)
        except ValueError as exc:
            raise JupiterApiError(f"Invalid mint {token}", "INVALID_REQUEST") from exc
        if self.chain.svm.get_account(key) is None:
            raise JupiterApiError(f"The token {token} is not tradable", "TOKEN_NOT_TRADABLE")
        pool = self.pools.get(key)
        if pool is None:
            raise JupiterApiError("Could not find any route", "COULD_NOT_FIND_ANY_ROUTE")
        return pool, is_buy

    def _amount_out(self, pool: Pool, is_buy: bool, amount_in: int) -> int:
        base, sol = self.reserves(pool)
        if is_buy:
            return buy_quote(amount_in, base, sol, pool.fee_bps)
        return sell_quote(amount_in, base, sol, pool.fee_bps)

    async def _handle_quote(self, request: web.Request) -> web.Response:
        return web.json_response(self._quote_body(request.query))

    def _quote_body(self, query: Any) -> dict[str, Any]:
        """The ``QuoteResponse`` for a query of inputMint, outputMint, amount, slippageBps."""
        try:
            input_mint, output_mint = query["inputMint"], query["outputMint"]
            amount = int(query["amount"])
            slippage_bps = int(query.get("slippageBps", "50"))
        except (KeyError, ValueError) as exc:
            raise JupiterApiError(f"Query parameter {exc} is invalid", "INVALID_REQUEST") from exc
        swap_mode = query.get("swapMode", "ExactIn")
        if swap_mode != "ExactIn":
            raise JupiterApiError("ExactOut is not supported by this market", "NOT_SUPPORTED")
        pool, is_buy = self._pool_for(input_mint, output_mint)
        out = self._amount_out(pool, is_buy, amount)
        if out <= 0:
            raise JupiterApiError("Could not find any route", "COULD_NOT_FIND_ANY_ROUTE")
        threshold = out * (10_000 - slippage_bps) // 10_000
        base, sol = self.reserves(pool)
        fee = -(-amount * pool.fee_bps // 10_000)
        net_in = amount - fee  # price impact excludes the fee, as Jupiter's does
        spot_out = net_in * base / sol if is_buy else net_in * sol / base
        impact = max(0.0, 1 - out / spot_out) if spot_out else 0.0
        return {
            "inputMint": input_mint,
            "inAmount": str(amount),
            "outputMint": output_mint,
            "outAmount": str(out),
            "otherAmountThreshold": str(threshold),
            "swapMode": "ExactIn",
            "slippageBps": slippage_bps,
            "platformFee": None,
            "priceImpactPct": f"{impact:.6f}",
            "routePlan": [
                {
                    "swapInfo": {
                        "ammKey": str(pool.amm_key),
                        "label": POOL_LABEL,
                        "inputMint": input_mint,
                        "outputMint": output_mint,
                        "inAmount": str(amount),
                        "outAmount": str(out),
                        "feeAmount": str(fee),
                        "feeMint": input_mint,
                    },
                    "percent": 100,
                    "bps": 10_000,
                }
            ],
            "contextSlot": self.chain.slot,
            "timeTaken": 0.001,
        }

    async def _handle_swap(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if self._before_swap and self._before_swap[0][1] in (None, body["userPublicKey"]):
                self._before_swap.pop(0)[0]()
            user = Pubkey.from_string(body["userPublicKey"])
            quote = body["quoteResponse"]
            amount_in = int(quote["inAmount"])
            threshold = int(quote["otherAmountThreshold"])
            input_mint, output_mint = str(quote["inputMint"]), str(quote["outputMint"])
        except (KeyError, ValueError, TypeError) as exc:
            raise JupiterApiError(f"Invalid swap request: {exc}", "INVALID_REQUEST") from exc
        price = body.get("computeUnitPriceMicroLamports")
        if price is not None and body.get("prioritizationFeeLamports") is not None:
            raise JupiterApiError(
                "computeUnitPriceMicroLamports and prioritizationFeeLamports together",
                "INVALID_COMPUTE_UNIT_PRICE_AND_PRIORITIZATION_FEE",
            )
        pool, is_buy = self._pool_for(input_mint, output_mint)
        out = self._amount_out(pool, is_buy, amount_in)
        if out < threshold or out <= 0:
            raise JupiterApiError(
                f"pool moved: {out} < otherAmountThreshold {threshold}",
                "SLIPPAGE_TOLERANCE_EXCEEDED",
            )
        user_ata = get_associated_token_address(user, pool.mint, TOKEN_PROGRAM)
        ixs = [set_compute_unit_limit(COMPUTE_UNIT_LIMIT)]
        if price is not None:
            ixs.append(set_compute_unit_price(int(price)))
        ixs.append(create_idempotent_associated_token_account(user, user, pool.mint))
        sol_vault = pool.sol_vault.pubkey()
        if is_buy:
            ixs += [
                transfer(
                    TransferParams(from_pubkey=user, to_pubkey=sol_vault, lamports=amount_in)
                ),
                _token_transfer(pool.token_vault, user_ata, self.authority.pubkey(), out),
            ]
            if pool.freeze_user_accounts:
                ixs.append(_freeze(user_ata, pool.mint, self.authority.pubkey()))
        else:
            ixs += [
                _token_transfer(user_ata, pool.token_vault, user, amount_in),
                transfer(TransferParams(from_pubkey=sol_vault, to_pubkey=user, lamports=out)),
            ]
        blockhash = self.chain.svm.latest_blockhash()
        message = MessageV0.try_compile(user, ixs, [], blockhash)
        tx = VersionedTransaction.populate(
            message, [Signature.default()] * message.header.num_required_signatures
        )
        pool_signers = [self.authority] if is_buy else [pool.sol_vault]
        for signer in pool_signers:
            tx = _with_signature(tx, signer)
        return web.json_response(
            {
                "swapTransaction": base64.b64encode(bytes(tx)).decode(),
                "lastValidBlockHeight": self.chain.last_valid_block_height(),
                "prioritizationFeeLamports": (int(price or 0) * COMPUTE_UNIT_LIMIT) // 10**6,
                "computeUnitLimit": COMPUTE_UNIT_LIMIT,
                "prioritizationType": {
                    "computeBudget": {
                        "microLamports": int(price or 0),
                        "estimatedMicroLamports": 0,
                    }
                },
                "dynamicSlippageReport": None,
                "simulationError": None,
            }
        )

    # ---- Swap API V2 -----------------------------------------------------------------------

    async def _handle_order(self, request: web.Request) -> web.Response:
        if request.query.get("taker"):
            raise JupiterApiError(
                "this local server answers /order as a quote only (no /execute)", "NOT_SUPPORTED"
            )
        body = self._quote_body(request.query)
        body.update(
            {
                "priceImpact": float(body["priceImpactPct"]) * 100,  # percent points
                "mode": "manual",
                "router": "metis",
                "requestId": str(Keypair().pubkey())[:16],
                "transaction": None,
                "taker": None,
                "feeBps": 0,
            }
        )
        return web.json_response(body)

    async def _handle_build(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            taker = query["taker"]
            if self._before_swap and self._before_swap[0][1] in (None, taker):
                self._before_swap.pop(0)[0]()
            user = Pubkey.from_string(taker)
        except (KeyError, ValueError) as exc:
            raise JupiterApiError(f"Query parameter {exc} is invalid", "INVALID_REQUEST") from exc
        if query.get("wrapAndUnwrapSol", "true") != "true":
            raise JupiterApiError("wrapAndUnwrapSol=false is not served here", "NOT_SUPPORTED")
        quote = self._quote_body(query)
        pool, is_buy = self._pool_for(quote["inputMint"], quote["outputMint"])
        if pool.freeze_user_accounts:
            raise JupiterApiError("freezing pools trade through /swap/v1 only", "NOT_SUPPORTED")
        amount_in, out = int(quote["inAmount"]), int(quote["outAmount"])
        wsol_vault, table = self._v2_accounts(pool)
        authority = self.authority.pubkey()
        user_ata = get_associated_token_address(user, pool.mint, TOKEN_PROGRAM)
        user_wsol = get_associated_token_address(user, NATIVE_MINT, TOKEN_PROGRAM)
        setup = [create_idempotent_associated_token_account(user, user, NATIVE_MINT)]
        if is_buy:  # the pool pays tokens: the taker may move exactly `out` from its vault
            self._server_send([_approve(pool.token_vault, user, authority, out)], self.authority)
            setup = [
                create_idempotent_associated_token_account(user, user, pool.mint),
                *setup,
                transfer(
                    TransferParams(from_pubkey=user, to_pubkey=user_wsol, lamports=amount_in)
                ),
                _sync_native(user_wsol),
                _token_transfer(user_wsol, wsol_vault, user, amount_in),
            ]
            swap = _token_transfer(pool.token_vault, user_ata, user, out)
        else:  # the pool pays wrapped SOL, topped up from its lamports first
            self._top_up(pool, wsol_vault, out)
            self._server_send([_approve(wsol_vault, user, authority, out)], self.authority)
            setup.append(_token_transfer(user_ata, pool.token_vault, user, amount_in))
            swap = _token_transfer(wsol_vault, user_wsol, user, out)
        now = time.time()
        addresses = [pool.token_vault, wsol_vault, pool.mint, NATIVE_MINT]
        quote.update(
            {
                "computeBudgetInstructions": [
                    _instruction_json(set_compute_unit_price(JUPITER_CU_PRICE))
                ],
                "setupInstructions": [_instruction_json(ix) for ix in setup],
                "swapInstruction": _instruction_json(swap),
                "cleanupInstruction": _instruction_json(_close(user_wsol, user, user)),
                "otherInstructions": [],
                "tipInstruction": None,
                "addressesByLookupTableAddress": {str(table): [str(a) for a in addresses]},
                "blockhashWithMetadata": {
                    "blockhash": list(bytes(self.chain.svm.latest_blockhash())),
                    "lastValidBlockHeight": self.chain.last_valid_block_height(),
                    "fetchedAt": {
                        "secs_since_epoch": int(now),
                        "nanos_since_epoch": int(now % 1 * 1e9),
                    },
                },
            }
        )
        del quote["contextSlot"], quote["timeTaken"], quote["platformFee"]
        return web.json_response(quote)

    def _v2_accounts(self, pool: Pool) -> tuple[Pubkey, Pubkey]:
        """The pool's wSOL vault and lookup table (created on first use)."""
        if self.chain.svm.get_account(NATIVE_MINT) is None:  # as on mainnet: the wSOL mint
            mint = struct.pack("<I32sQBBI32s", 0, bytes(32), 0, 9, 1, 0, bytes(32))
            self.chain.set_account(NATIVE_MINT, TOKEN_PROGRAM, mint)
        if pool.wsol_vault is None:
            pool.wsol_vault = self.chain.create_token_account(self.authority.pubkey(), NATIVE_MINT)
        if pool.lookup_table is None:
            pool.lookup_table = Keypair().pubkey()
            addresses = [pool.token_vault, pool.wsol_vault, pool.mint, NATIVE_MINT]
            self.chain.set_account(
                pool.lookup_table, LOOKUP_TABLE_PROGRAM, _lookup_table_data(addresses)
            )
        return pool.wsol_vault, pool.lookup_table

    def _top_up(self, pool: Pool, wsol_vault: Pubkey, lamports: int) -> None:
        """Move SOL from the pool's lamports to its wSOL vault until it holds ``lamports``."""
        account = self.chain.svm.get_account(wsol_vault)
        view = read_token_account(bytes(account.data)) if account else None
        missing = lamports - (view.amount_raw if view else 0)
        if missing > 0:
            move = transfer(
                TransferParams(
                    from_pubkey=pool.sol_vault.pubkey(), to_pubkey=wsol_vault, lamports=missing
                )
            )
            self._server_send([move, _sync_native(wsol_vault)], pool.sol_vault)

    def _server_send(self, instructions: list[Instruction], *signers: Keypair) -> None:
        """The server's own bookkeeping on chain (paid by the node's payer, kept out of the
        node's transaction history so a user's history shows only the user's swaps)."""
        payer = self.chain.payer
        self._bookkeeping += 1  # the same approval twice in one blockhash: a new transaction
        instructions = [set_compute_unit_price(self._bookkeeping), *instructions]
        message = Message(instructions, payer.pubkey())
        tx = Transaction([payer, *signers], message, self.chain.svm.latest_blockhash())
        result = self.chain.svm.send_transaction(tx)
        if isinstance(result, FailedTransactionMetadata):
            raise RuntimeError(f"jupiter server bookkeeping failed: {result.err()}")
