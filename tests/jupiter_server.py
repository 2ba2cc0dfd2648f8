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

Honeypot knob: ``add_pool(..., freeze_user_accounts=True)`` needs a mint whose freeze authority
is ``authority``; every buy transaction then ends with FreezeAccount on the buyer's token
account, so the tokens can never be sold (a sell's transfer fails with ``AccountFrozen``).

Test hooks: ``requests`` (every request: method, path, query, json, headers), ``fail(status,
body, headers, times)`` to answer the next ``times`` requests with an error (e.g. 429 with
``Retry-After``, 503), and ``before_next_swap(action, user=None)`` to run ``action`` (e.g. a
competing trade that moves the pool) when the next ``/swap`` request (of ``user``, if given)
arrives, before it is answered.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from spl.token.instructions import (
    create_idempotent_associated_token_account,
    get_associated_token_address,
)

from core.market.amm import buy_quote, sell_quote
from tests.svm_rpc import TOKEN_PROGRAM, SvmRpcServer, read_token_account

WSOL_MINT = "So11111111111111111111111111111111111111112"
POOL_LABEL = "LocalCPMM"
COMPUTE_UNIT_LIMIT = 200_000


@dataclass
class Pool:
    mint: Pubkey
    token_vault: Pubkey  # ATA of the server's authority
    sol_vault: Keypair  # system account holding the SOL side as lamports
    fee_bps: int
    freeze_user_accounts: bool = False
    amm_key: Pubkey = field(default_factory=lambda: Keypair().pubkey())


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


class JupiterServer:
    """``await start()`` (or ``async with``), point a ``JupiterClient`` at ``.url``."""

    def __init__(self, svm_server: SvmRpcServer, *, prefix: str = "/swap/v1") -> None:
        self.chain = svm_server
        self.prefix = prefix
        self.authority = Keypair()  # owns every pool's token vault; may be a freeze authority
        self.pools: dict[Pubkey, Pool] = {}
        self.requests: list[dict[str, Any]] = []
        self._failures: list[tuple[int, Any, dict[str, str]]] = []
        self._before_swap: list[tuple[Callable[[], None], str | None]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(f"{self.prefix}/quote", self._handle_quote)
        app.router.add_post(f"{self.prefix}/swap", self._handle_swap)
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
        query = request.query
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
        return web.json_response(
            {
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
        )

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
