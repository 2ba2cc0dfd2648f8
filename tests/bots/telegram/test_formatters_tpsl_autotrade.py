"""TP/SL and auto-trade formatters, English and French."""

from __future__ import annotations

from solders.keypair import Keypair

from bots.telegram.formatters import autotrade, tpsl
from bots.telegram.i18n import translator
from core.trading.autotrade import AutoTradeMode, AutoTradeRule
from core.trading.template_text import (
    TemplateTextError,
    describe_template,
    parse_template,
    presets,
)

WALLET = str(Keypair().pubkey())
FULL = "tp 50:30 sl 25 trail 20 from 30 time 24h dcain -20:0.1 dcaout 6h:25"


def test_template_lines_en_and_fr() -> None:
    parts = describe_template(parse_template(FULL))
    assert tpsl.template_lines(parts, translator("en")) == [
        "🎯 +50% → sell 30%",
        "🛑 -25% → sell all",
        "📉 trailing 20% below the peak (from +30%) → sell all",
        "⏰ after 1d → sell all",
        "➕ -20% → buy 0.1 SOL",
        "➖ after 6h → sell 25%",
    ]
    assert tpsl.template_lines(parts, translator("fr"))[:3] == [
        "🎯 +50% → vendre 30%",
        "🛑 -25% → tout vendre",
        "📉 suiveur 20% sous le plus haut (à partir de +30%) → tout vendre",
    ]


def test_notes_use_plurals() -> None:
    assert tpsl.armed_note(1, 0, 0, "en") == "✅ 1 order armed."
    assert tpsl.armed_note(3, 2, 1, "en") == (
        "✅ 3 orders armed. It replaces 2 armed orders. "
        "1 order already executing is left to finish."
    )
    assert tpsl.cancelled_note(2, 0, "fr") == "🗑 2 ordres armés annulés."


def test_template_errors_name_the_token_in_both_languages() -> None:
    try:
        parse_template("tp 50")
    except TemplateTextError as exc:
        error = exc
    en = tpsl.template_error(error, "en").splitlines()[0]
    fr = tpsl.template_error(error, "fr").splitlines()[0]
    assert en == '"50": expected two values separated by “:”, e.g. 50:30.'
    assert fr == "« 50 » : attendu deux valeurs séparées par « : », p. ex. 50:30."


def test_autotrade_list_en_and_fr() -> None:
    rule = AutoTradeRule(
        id=4,
        user_id=1,
        name="burst <1>",
        mode=AutoTradeMode.DIRECT,
        min_strength=2.0,
        min_smart_buyers=3,
        wallet=WALLET,
        buy_lamports=500_000_000,
        tags=("kol",),
        template=presets()["safe"],
        enabled=False,
    )
    en = autotrade.rules_list([rule], "en").splitlines()
    assert en[:3] == [
        "<b>Auto-trade rules</b> · 1",
        "#4 <b>burst &lt;1&gt;</b> · ⏸ off · ⚡ direct (buys without asking)",
        "   Strength ≥ 2 · smart ≥ 3 (kol) · buy 0.5 SOL · TP/SL safe",
    ]
    assert en[3].startswith("Limits always apply")
    fr = autotrade.rules_list([rule], "fr").splitlines()
    assert fr[1] == "#4 <b>burst &lt;1&gt;</b> · ⏸ désactivée · ⚡ direct (achète sans demander)"
    assert fr[2] == "   Force ≥ 2 · smart ≥ 3 (kol) · acheter 0.5 SOL · TP/SL safe"
    assert (
        autotrade.bad_key("buy", "lots", "x", "fr")
        == "buy : « lots » n'est pas accepté ; attendu x."
    )
