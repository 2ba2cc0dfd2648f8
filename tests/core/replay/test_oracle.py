from __future__ import annotations

from core.market.pyth import SOL_USD_FEED_ID_HEX, SOL_USD_PRICE_ACCOUNT, parse_price_update_v2
from core.replay.oracle import price_update_v2, sol_usd_account_source


def test_simulated_price_account_parses_with_the_production_pyth_reader() -> None:
    price = parse_price_update_v2(price_update_v2(142.37, 1_754_000_000, 9))
    assert abs(price.price - 142.37) < 1e-9
    assert price.exponent == -8 and price.publish_time == 1_754_000_000
    assert price.feed_id_hex == SOL_USD_FEED_ID_HEX and price.is_fully_verified


def test_lookup_answers_only_the_sol_usd_account_and_is_fresh_at_each_read() -> None:
    now = [1_754_000_000.0]
    lookup = sol_usd_account_source(150.0, clock=lambda: now[0])
    assert lookup("11111111111111111111111111111111") is None
    owner, first = lookup(SOL_USD_PRICE_ACCOUNT) or ("", b"")
    assert owner == "pythWSnswVUd12oZpeFP8e9CVaEqJg25g1Vtc2biRsT"
    assert parse_price_update_v2(first).publish_time == 1_754_000_000
    now[0] += 90
    _owner, later = lookup(SOL_USD_PRICE_ACCOUNT) or ("", b"")
    assert parse_price_update_v2(later).publish_time == 1_754_000_090
