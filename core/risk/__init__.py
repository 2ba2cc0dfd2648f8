"""Risk checks of a token: authorities, holders, tax, dev sells, liquidity, sellability."""
