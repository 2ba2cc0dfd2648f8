"""Field dicts of the simulated events (newest IDL layouts) and their ``Program data`` lines.

Newer fields the simulation has no use for are filled as a plain mainnet transaction carries
them: SPL Token program, no mayhem / cashback / buyback, empty shareholders, WSOL quote.
"""

from __future__ import annotations

import base64
from typing import Any

from core.decode.idl import event_layout
from core.programs import TOKEN_PROGRAM_ID, WSOL_MINT, Program
from core.replay.encode import encoder_for
from core.replay.pricing import (
    AMM_CREATOR_FEE_BPS,
    AMM_LP_FEE_BPS,
    AMM_MINIMUM_LIQUIDITY,
    AMM_PROTOCOL_FEE_BPS,
    INITIAL_REAL_TOKEN_RESERVES_RAW,
    INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS,
    INITIAL_VIRTUAL_TOKEN_RESERVES_RAW,
    PUMP_CREATOR_FEE_BPS,
    PUMP_FEE_BPS,
    TOKEN_DECIMALS,
    TOKEN_TOTAL_SUPPLY_RAW,
    CurveState,
    fee_lamports,
    initial_liquidity,
)

_CREATE = encoder_for(event_layout(Program.PUMP, "CreateEvent"))
_TRADE = encoder_for(event_layout(Program.PUMP, "TradeEvent"))
_COMPLETE = encoder_for(event_layout(Program.PUMP, "CompleteEvent"))
_CREATE_POOL = encoder_for(event_layout(Program.PUMP_AMM, "CreatePoolEvent"))
_AMM_BUY = encoder_for(event_layout(Program.PUMP_AMM, "BuyEvent"))
_AMM_SELL = encoder_for(event_layout(Program.PUMP_AMM, "SellEvent"))
_B64 = base64.b64encode


def _line(raw: bytes) -> str:
    return "Program data: " + _B64(raw).decode()


def create_line(
    *, name: str, symbol: str, uri: str, mint: str, bonding_curve: str, creator: str, ts: int
) -> str:
    return _line(
        _CREATE.encode(
            {
                "name": name,
                "symbol": symbol,
                "uri": uri,
                "mint": mint,
                "bonding_curve": bonding_curve,
                "user": creator,
                "creator": creator,
                "timestamp": ts,
                "virtual_token_reserves": INITIAL_VIRTUAL_TOKEN_RESERVES_RAW,
                "virtual_sol_reserves": INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS,
                "real_token_reserves": INITIAL_REAL_TOKEN_RESERVES_RAW,
                "token_total_supply": TOKEN_TOTAL_SUPPLY_RAW,
                "token_program": TOKEN_PROGRAM_ID,
                "is_mayhem_mode": False,
                "is_cashback_enabled": False,
                "quote_mint": WSOL_MINT,
                "virtual_quote_reserves": INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS,
            }
        )
    )


def trade_line(
    *,
    mint: str,
    sol_lamports: int,
    token_amount_raw: int,
    is_buy: bool,
    user: str,
    ts: int,
    curve: CurveState,
    fee_recipient: str,
    creator: str,
) -> str:
    """A TradeEvent; ``curve`` holds the reserves *after* the trade."""
    return _line(
        _TRADE.encode(
            {
                "mint": mint,
                "sol_amount": sol_lamports,
                "token_amount": token_amount_raw,
                "is_buy": is_buy,
                "user": user,
                "timestamp": ts,
                "virtual_sol_reserves": curve.virtual_sol_reserves,
                "virtual_token_reserves": curve.virtual_token_reserves,
                "real_sol_reserves": curve.real_sol_reserves,
                "real_token_reserves": curve.real_token_reserves,
                "fee_recipient": fee_recipient,
                "fee_basis_points": PUMP_FEE_BPS,
                "fee": fee_lamports(sol_lamports, PUMP_FEE_BPS),
                "creator": creator,
                "creator_fee_basis_points": PUMP_CREATOR_FEE_BPS,
                "creator_fee": fee_lamports(sol_lamports, PUMP_CREATOR_FEE_BPS),
                "track_volume": False,
                "total_unclaimed_tokens": 0,
                "total_claimed_tokens": 0,
                "current_sol_volume": 0,
                "last_update_timestamp": 0,
                "ix_name": "buy" if is_buy else "sell",
                "mayhem_mode": False,
                "cashback_fee_basis_points": 0,
                "cashback": 0,
                "buyback_fee_basis_points": 0,
                "buyback_fee": 0,
                "shareholders": [],
                "quote_mint": WSOL_MINT,
                "quote_amount": sol_lamports,
                "virtual_quote_reserves": curve.virtual_sol_reserves,
                "real_quote_reserves": curve.real_sol_reserves,
            }
        )
    )


def complete_line(*, user: str, mint: str, bonding_curve: str, ts: int) -> str:
    return _line(
        _COMPLETE.encode(
            {
                "user": user,
                "mint": mint,
                "bonding_curve": bonding_curve,
                "timestamp": ts,
                "quote_mint": WSOL_MINT,
            }
        )
    )


def create_pool_line(
    *,
    ts: int,
    creator: str,
    mint: str,
    base_in_raw: int,
    quote_in_lamports: int,
    pool: str,
    lp_mint: str,
    user_base_account: str,
    user_quote_account: str,
    coin_creator: str,
) -> str:
    liquidity = initial_liquidity(base_in_raw, quote_in_lamports)
    return _line(
        _CREATE_POOL.encode(
            {
                "timestamp": ts,
                "index": 0,
                "creator": creator,
                "base_mint": mint,
                "quote_mint": WSOL_MINT,
                "base_mint_decimals": TOKEN_DECIMALS,
                "quote_mint_decimals": 9,
                "base_amount_in": base_in_raw,
                "quote_amount_in": quote_in_lamports,
                "pool_base_amount": base_in_raw,
                "pool_quote_amount": quote_in_lamports,
                "minimum_liquidity": AMM_MINIMUM_LIQUIDITY,
                "initial_liquidity": liquidity,
                "lp_token_amount_out": liquidity - AMM_MINIMUM_LIQUIDITY,
                "pool_bump": 255,
                "pool": pool,
                "lp_mint": lp_mint,
                "user_base_token_account": user_base_account,
                "user_quote_token_account": user_quote_account,
                "coin_creator": coin_creator,
                "is_mayhem_mode": False,
            }
        )
    )


def amm_trade_line(
    *,
    is_buy: bool,
    ts: int,
    base_amount_raw: int,
    quote_amount_lamports: int,
    pool_base_before_raw: int,
    pool_quote_before_lamports: int,
    user_base_balance_raw: int,
    pool: str,
    user: str,
    accounts: dict[str, str],
    coin_creator: str,
) -> str:
    """A PumpSwap BuyEvent / SellEvent. Pool reserves are *before* the swap, as on mainnet.

    ``quote_amount_lamports`` is the SOL entering (buy) or leaving (sell) the pool's reserves;
    LP, protocol and creator fees are charged on top (buy) or deducted (sell).
    """
    q = quote_amount_lamports
    lp_fee = fee_lamports(q, AMM_LP_FEE_BPS)
    protocol_fee = fee_lamports(q, AMM_PROTOCOL_FEE_BPS)
    creator_fee = fee_lamports(q, AMM_CREATOR_FEE_BPS)
    common: dict[str, Any] = {
        "timestamp": ts,
        "user_base_token_reserves": user_base_balance_raw,
        "user_quote_token_reserves": 0,
        "pool_base_token_reserves": pool_base_before_raw,
        "pool_quote_token_reserves": pool_quote_before_lamports,
        "lp_fee_basis_points": AMM_LP_FEE_BPS,
        "lp_fee": lp_fee,
        "protocol_fee_basis_points": AMM_PROTOCOL_FEE_BPS,
        "protocol_fee": protocol_fee,
        "pool": pool,
        "user": user,
        "user_base_token_account": accounts["user_base"],
        "user_quote_token_account": accounts["user_quote"],
        "protocol_fee_recipient": accounts["fee_recipient"],
        "protocol_fee_recipient_token_account": accounts["fee_recipient_ata"],
        "coin_creator": coin_creator,
        "coin_creator_fee_basis_points": AMM_CREATOR_FEE_BPS,
        "coin_creator_fee": creator_fee,
        "cashback_fee_basis_points": 0,
        "cashback": 0,
        "buyback_fee_basis_points": 0,
        "buyback_fee": 0,
    }
    if is_buy:
        user_in = q + lp_fee + protocol_fee + creator_fee
        common.update(
            base_amount_out=base_amount_raw,
            max_quote_amount_in=user_in + user_in // 100,
            quote_amount_in=q,
            quote_amount_in_with_lp_fee=q + lp_fee,
            user_quote_amount_in=user_in,
            track_volume=False,
            total_unclaimed_tokens=0,
            total_claimed_tokens=0,
            current_sol_volume=0,
            last_update_timestamp=0,
            min_base_amount_out=base_amount_raw - base_amount_raw // 100,
            ix_name="buy",
        )
        return _line(_AMM_BUY.encode(common))
    user_out = q - lp_fee - protocol_fee - creator_fee
    common.update(
        base_amount_in=base_amount_raw,
        min_quote_amount_out=user_out - user_out // 100,
        quote_amount_out=q,
        quote_amount_out_without_lp_fee=q - lp_fee,
        user_quote_amount_out=user_out,
    )
    return _line(_AMM_SELL.encode(common))
