"""The Smart Activity alert message, as a user reads it (pure: alert in, HTML out)."""

from __future__ import annotations

from bots.telegram.formatters.activity_alert import WalletLabel, activity_alert
from core.signals.activity_alerts import ActivityAlert
from tests.bots.telegram.data import KOL_ANA, MINT, W3, W4, WHALE1

SOL = 1_000_000_000
WALLETS = {
    WHALE1: WalletLabel("whale1", ("whale",)),
    KOL_ANA: WalletLabel("kol_ana", ("kol", "smart", "early")),
    W3: WalletLabel(None, ("smart",)),
}


def alert(**changes: object) -> ActivityAlert:
    fields: dict[str, object] = {
        "at": 1_754_481_000,
        "mint": MINT,
        "window_s": 600,
        "total_lamports": 65_500_000_000,
        "buy_lamports": 62_500_000_000,
        "sell_lamports": 3_000_000_000,
        "wallets": (WHALE1, KOL_ANA, W3, W4),
        "tags": ("kol", "smart", "whale"),
    }
    fields.update(changes)
    return ActivityAlert(**fields)  # type: ignore[arg-type]


def test_the_buys_come_first_then_the_wallets_then_the_address_to_copy() -> None:
    text = activity_alert(alert(), "en", symbol="PEPE2", wallets=WALLETS)
    assert text.splitlines() == [
        "🐋 Smart activity · PEPE2 · 10m: 4 tracked wallets bought 62.5 SOL (sold 3.0 SOL)",
        "Wallets: whale1 (whale), kol_ana (kol, smart), <code>5FhJ…4k5m</code> (smart), +1",
        f"<code>{MINT}</code>",
    ]


def test_french_uses_french_words_and_plurals() -> None:
    one = alert(wallets=(WHALE1,), sell_lamports=0, buy_lamports=51 * SOL)
    text = activity_alert(one, "fr", symbol="PEPE2", wallets=WALLETS)
    assert text.splitlines()[:2] == [
        "🐋 Activité smart · PEPE2 · 10 min : 1 portefeuille suivi a acheté 51.0 SOL",
        "Portefeuilles : whale1 (whale)",
    ]


def test_a_global_alert_says_all_tokens_and_has_no_address_line() -> None:
    text = activity_alert(
        alert(mint=None, window_s=3600, sell_lamports=0, buy_lamports=540 * SOL),
        "en",
        wallets=WALLETS,
    )
    assert text.splitlines() == [
        "🐋 Smart activity · all tokens · 1h: 4 tracked wallets bought 540 SOL",
        "Wallets: whale1 (whale), kol_ana (kol, smart), <code>5FhJ…4k5m</code> (smart), +1",
    ]


def test_an_unknown_token_is_named_by_its_short_address_and_user_text_is_escaped() -> None:
    wallets = {WHALE1: WalletLabel("<b>whale</b>", ("whale",))}
    text = activity_alert(alert(wallets=(WHALE1,)), "en", symbol=None, wallets=wallets)
    first, second, _address = text.splitlines()
    assert first.startswith("🐋 Smart activity · 7xKX…pump · 10m: 1 tracked wallet bought")
    assert second == "Wallets: &lt;b&gt;whale&lt;/b&gt; (whale)"
