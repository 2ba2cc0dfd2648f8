"""The Telegram formatters against exact expected messages (UX.md example data), EN and FR."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bots.telegram.formatters import (
    CardView,
    Link,
    SmartBuy,
    activity_table,
    internal_error,
    not_an_address,
    signal_card,
    trading_off,
    wallet_list,
    why_block,
    why_text,
)
from bots.telegram.formatters.activity import ROW_WIDTH, cell_width
from bots.telegram.formatters.card import CAPTION_LIMIT, MESSAGE_LIMIT, strength_badge
from bots.telegram.formatters.numbers import visible_length
from core.risk.report import Check, Verdict
from core.signals.activity import Side
from core.signals.explain import explain_text
from core.signals.risk import Penalty, RiskBadge
from core.wallets.registry import RankedWallet
from tests.bots.telegram.data import (
    KOL_ANA,
    MINT,
    NOW,
    W3,
    WHALE1,
    activity_row,
    ranked,
    ux_card,
    ux_page,
    ux_signal,
)

HOSTILE = "<b>SCAM</b> & co"
SAFE = "&lt;b&gt;SCAM&lt;/b&gt; &amp; co"

# ---- signal card ----------------------------------------------------------------------------

CARD_EN = """\
🟢 2.3x  PEPE2 · Pepe Two
<code>7xKX…pump</code> · 4m old · curve 62%
MC 41.2k USD · Price 0.0000412 · Liq 18.5k USD · Vol 5m 12.1 SOL
Smart: 4 wallets bought 9.8 SOL in 3m (whale1, kol_ana, +2)
Risk: ✅ no mint · ✅ no freeze · ⚠️ top10 38% · ✅ sellable
"Launched 4m ago; buying accelerated after three tracked wallets entered."
Not financial advice."""

CARD_FR = """\
🟢 2.3x  PEPE2 · Pepe Two
<code>7xKX…pump</code> · créé il y a 4 min · courbe 62%
Cap 41.2k USD · Prix 0.0000412 · Liq 18.5k USD · Vol 5 min 12.1 SOL
Smart : 4 portefeuilles ont acheté 9.8 SOL en 3 min (whale1, kol_ana, +2)
Risque : ✅ pas de mint · ✅ pas de gel · ⚠️ top10 38% · ✅ revendable
« Launched 4m ago; buying accelerated after three tracked wallets entered. »
Pas un conseil financier."""


def test_card_matches_ux_example_in_english() -> None:
    assert signal_card(ux_card(), "en", NOW) == CARD_EN


def test_card_matches_ux_example_in_french() -> None:
    assert signal_card(ux_card(), "fr", NOW) == CARD_FR


def test_card_unknown_language_is_english() -> None:
    assert signal_card(ux_card(), "de", NOW) == CARD_EN
    assert signal_card(ux_card(), "fr-FR", NOW) == CARD_FR


def test_card_escapes_hostile_name_symbol_alias_and_narrative() -> None:
    view = ux_card(
        symbol="<i>X</i>",
        name=HOSTILE,
        narrative=HOSTILE,
        smart_buys=(SmartBuy(WHALE1, 2.0, NOW - timedelta(minutes=1), "<a href='x'>w</a>"),),
    )
    out = signal_card(view, "en", NOW)
    lines = out.split("\n")
    assert lines[0] == f"🟢 2.3x  &lt;i&gt;X&lt;/i&gt; · {SAFE}"
    assert lines[3] == "Smart: 1 wallet bought 2.0 SOL in 1m (&lt;a href='x'&gt;w&lt;/…)"
    assert lines[5] == f'"{SAFE}"'
    assert "<b>" not in out and "<i>" not in out and "<a " not in out


@pytest.mark.parametrize(
    ("strength", "badge"),
    [
        (2.33, "🟢"),
        (1.96, "🟢"),
        (1.94, "🟡"),
        (1.0, "🟡"),
        (0.96, "🟡"),
        (0.949, "⚪"),
        (0.9, "⚪"),
        (0, "⚪"),
    ],
)
def test_strength_badge_follows_the_shown_value(strength: float, badge: str) -> None:
    assert strength_badge(strength) == badge


def test_card_without_market_data_or_smart_buys_leaves_lines_out() -> None:
    view = CardView(signal=ux_signal(strength=0.7, risk_badges=()), symbol=None, name=None)
    assert signal_card(view, "en", NOW) == (
        "⚪ 0.7x  7xKX…pump\n"
        "<code>7xKX…pump</code>\n"
        "Risk: ❔ no mint · ❔ no freeze · ❔ top10 · ❔ sellable\n"
        "Not financial advice."
    )


def test_card_risk_shows_failed_extra_checks_and_hard_failures() -> None:
    badges = (
        RiskBadge(Check.MINT_AUTHORITY, Verdict.FAIL),
        RiskBadge(Check.FREEZE_AUTHORITY, Verdict.UNKNOWN),
        RiskBadge(Check.TOP10, Verdict.PASS, 21.5),
        RiskBadge(Check.DEV_SELLING, Verdict.FAIL),
        RiskBadge(Check.LP_BURNT, Verdict.UNKNOWN),
        RiskBadge(Check.HONEYPOT, Verdict.FAIL),
    )
    out = signal_card(ux_card(risk_badges=badges), "en", NOW).split("\n")[4]
    assert out == "Risk: ❌ mint on · ❔ no freeze · ✅ top10 22% · ⚠️ dev sold · ❌ not sellable"
    out_fr = signal_card(ux_card(risk_badges=badges), "fr", NOW).split("\n")[4]
    assert out_fr == (
        "Risque : ❌ mint actif · ❔ pas de gel · ✅ top10 22% · ⚠️ le dev a vendu"
        " · ❌ non revendable"
    )


def test_card_smart_line_sums_repeat_buys_of_one_wallet() -> None:
    buys = (
        SmartBuy(WHALE1, 1.0, NOW - timedelta(minutes=5), "whale1"),
        SmartBuy(WHALE1, 2.0, NOW - timedelta(minutes=1), "whale1"),
        SmartBuy(KOL_ANA, 2.5, NOW - timedelta(minutes=2)),
    )
    line = signal_card(ux_card(smart_buys=buys), "en", NOW).split("\n")[3]
    assert line == "Smart: 2 wallets bought 5.5 SOL in 5m (whale1, 9QkL…KoLa)"
    line_fr = signal_card(ux_card(smart_buys=buys[:1]), "fr", NOW).split("\n")[3]
    assert line_fr == "Smart : 1 portefeuille a acheté 1.0 SOL en 5 min (whale1)"


def test_card_links_line_escapes_urls() -> None:
    links = (Link("Solscan", "https://solscan.io/token/x?a=1&b=2"),)
    last = signal_card(ux_card(links=links), "en", NOW).split("\n")[-1]
    assert last == '<a href="https://solscan.io/token/x?a=1&amp;b=2">Solscan</a>'


def test_card_full_mint_option_shows_the_whole_address() -> None:
    line = signal_card(ux_card(full_mint=True), "en", NOW).split("\n")[1]
    assert line.startswith(f"<code>{MINT}</code> · ")


def test_caption_trims_the_narrative_first() -> None:
    long_text = "word " * 200
    huge_name = "N" * 200
    view = ux_card(narrative=long_text, name=huge_name)
    message = signal_card(view, "en", NOW)
    assert visible_length(message) <= MESSAGE_LIMIT
    assert '"word word' in message and len(message.split("\n")[5]) == 402  # 400 + quotes
    caption = signal_card(view, "en", NOW, as_caption=True)
    assert visible_length(caption) <= CAPTION_LIMIT
    short = signal_card(ux_card(narrative="short"), "en", NOW, as_caption=True)
    assert short.split("\n")[5] == '"short"'


def test_caption_of_a_card_with_everything_at_maximum_fits_1024() -> None:
    emoji_narrative = "🚀" * 400  # 2 UTF-16 units each
    links = tuple(Link("L" * 40, "https://example.com/" + "p" * 200) for _ in range(3))
    buys = tuple(SmartBuy(f"{i:044d}", 1.0, NOW, "A" * 64) for i in range(50))
    view = ux_card(narrative=emoji_narrative, links=links, smart_buys=buys, name="<" * 300)
    for lang in ("en", "fr"):
        caption = signal_card(view, lang, NOW, as_caption=True)
        assert visible_length(caption) <= CAPTION_LIMIT
        lines = caption.split("\n")
        assert "Not financial advice." in lines or "Pas un conseil financier." in lines


# ---- why ------------------------------------------------------------------------------------

WHY_EN = """\
Strength 2.3 = 0.40×SmartBurst 3.0 + 0.25×Momentum 1.8 + 0.20×Liquidity 1.6 + 0.15×Risk 2.4
SmartBurst 3.0: 9.8 SOL from 4 tracked wallets in 5m (log10(10.8) = 1.03, + 0.5×4 = 3.03, \
capped at 3)
Momentum 1.8: 1m return +18% (z 2.1), 5m +41%, volume ×3.2
Liquidity 1.6: 18.5k USD, 1 SOL moves price 2.1%
Risk 2.4: −0.6 top holder 31%
Rules fired: Smart Buy Burst (N≥3, ≥5 SOL, 5m), No Mint, No Freeze"""

WHY_FR = """\
Force 2.3 = 0.40×SmartBurst 3.0 + 0.25×Momentum 1.8 + 0.20×Liquidité 1.6 + 0.15×Risque 2.4
SmartBurst 3.0 : 9.8 SOL de 4 portefeuilles suivis en 5 min (log10(10.8) = 1.03, + 0.5×4 = \
3.03, plafonné à 3)
Momentum 1.8 : rendement 1 min +18% (z 2.1), 5 min +41%, volume ×3.2
Liquidité 1.6 : 18.5k USD, 1 SOL déplace le prix de 2.1%
Risque 2.4 : −0.6 1er détenteur 31%
Règles déclenchées : Rafale d'achats smart (N≥3, ≥5 SOL, 5m), Pas de mint, Pas de gel"""


def test_why_matches_ux_example_and_core_explain_text() -> None:
    signal = ux_signal()
    assert why_block(signal, "en") == WHY_EN
    assert why_text(signal, "en") == explain_text(signal)


def test_why_in_french() -> None:
    assert why_block(ux_signal(), "fr") == WHY_FR


def test_why_cluster_line() -> None:
    signal = ux_signal(clusters=(("c1", (WHALE1, KOL_ANA), "co-buy"),))
    assert why_block(signal, "en").split("\n")[-1] == (
        "Cluster: 2 of 4 smart buyers are one entity (co-buy)"
    )
    assert why_block(signal, "fr").split("\n")[-1] == (
        "Groupe : 2 des 4 acheteurs smart sont une seule entité (co-buy)"
    )
    assert why_text(signal, "en") == explain_text(signal)


@pytest.mark.parametrize(
    "changes",
    [
        {"inputs": {**ux_signal().inputs, "smart_buyers": 0, "smart_window_s": 90}},
        {"inputs": {**ux_signal().inputs, "smart_buyers": 1, "smart_sol": 0.4}},
        {"inputs": {**ux_signal().inputs, "impact_pct": float("inf")}},
        {"risk_penalties": (), "rules_fired": ()},
        {
            "risk_penalties": (
                Penalty(Check.MINT_AUTHORITY, 1.0, "mint authority unknown"),
                Penalty(Check.FREEZE_AUTHORITY, 1.5, "freeze authority active"),
                Penalty(Check.TRANSFER_TAX, 0.5, "transfer tax above limit"),
                Penalty(Check.DEV_SELLING, 1.0, "dev sold"),
            ),
            "rules_fired": ("Top10 <30%", "My <b>rule</b>", "Impact ≤5% for 1 SOL"),
        },
    ],
)
def test_why_english_equals_explain_text_in_every_branch(changes: dict[str, object]) -> None:
    signal = ux_signal(**changes)
    assert why_text(signal, "en") == explain_text(signal)


def test_why_escapes_rule_names_and_translates_known_forms() -> None:
    signal = ux_signal(
        risk_penalties=(
            Penalty(Check.MINT_AUTHORITY, 1.0, "mint authority unknown"),
            Penalty(Check.TRANSFER_TAX, 0.5, "transfer tax above limit"),
        ),
        rules_fired=("Top10 <30%", "My <b>rule</b>", "Impact ≤5% for 1 SOL", "Liquidity fans"),
    )
    en = why_block(signal, "en").split("\n")
    assert en[4] == "Risk 2.4: −1.0 mint authority unknown, −0.5 transfer tax above limit"
    assert en[5] == (
        "Rules fired: Top10 &lt;30%, My &lt;b&gt;rule&lt;/b&gt;, Impact ≤5% for 1 SOL, "
        "Liquidity fans"
    )
    fr = why_block(signal, "fr").split("\n")
    assert fr[4] == (
        "Risque 2.4 : −1.0 autorité de mint inconnue, "
        "−0.5 taxe de transfert au-dessus de la limite"
    )
    assert fr[5] == (
        "Règles déclenchées : Top10 &lt;30%, My &lt;b&gt;rule&lt;/b&gt;, Impact ≤5% pour 1 SOL, "
        "Liquidity fans"
    )


# ---- activity -------------------------------------------------------------------------------

ACTIVITY_EN = """\
Smart activity · PEPE2 · last 10m
<pre>Time  Wallet         Side        Value
      Price SOL     MC SOL    Amount
12:04 whale1 🐋      BUY      10.0 SOL
      0.0000398        398      251k
12:03 kol_ana ⭐     BUY       3.0 SOL
      0.0000371        371     80.9k
12:01 5FhJ…4k5m      SELL      1.5 SOL
      0.0000355        355       40k</pre>
Buys 13.0 SOL · Sells 1.5 SOL · Net +11.5 SOL · 3 wallets
Fills 1–3 of 3"""

ACTIVITY_FR = """\
Activité smart · PEPE2 · dernières 10 min
<pre>Heure Portefeuille   Sens       Valeur
      Prix SOL     Cap SOL  Quantité
12:04 whale1 🐋      ACHAT    10.0 SOL
      0.0000398        398      251k
12:03 kol_ana ⭐     ACHAT     3.0 SOL
      0.0000371        371     80.9k
12:01 5FhJ…4k5m      VENTE     1.5 SOL
      0.0000355        355       40k</pre>
Achats 13.0 SOL · Ventes 1.5 SOL · Net +11.5 SOL · 3 portefeuilles
Transactions 1–3 sur 3"""


def _pre_lines(message: str) -> list[str]:
    match = re.search(r"<pre>(.*)</pre>", message, re.S)
    assert match is not None
    return match.group(1).split("\n")


def test_activity_table_in_english_and_french() -> None:
    assert activity_table(ux_page(), "en") == ACTIVITY_EN
    assert activity_table(ux_page(), "fr") == ACTIVITY_FR


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_activity_rows_fit_40_cells(lang: str) -> None:
    rows = (
        activity_row(
            9,
            WHALE1,
            "a_very_long_alias_name",
            ("kol", "whale"),
            Side.SELL,
            0.000000123,
            123_456,
            999_999_999,
            12_345.6,
        ),
        activity_row(8, W3, "<script>", (), Side.BUY, 123.456, None, 1, 0.0001),
    )
    lines = _pre_lines(activity_table(ux_page(rows), lang))
    assert all(
        cell_width(line.replace("&lt;", "<").replace("&gt;", ">")) <= ROW_WIDTH for line in lines
    )
    assert "a_very_lon… 🐋" in lines[2] and "🐋" in lines[2]
    assert "&lt;script&gt;" in lines[4]


def test_activity_without_mint_shows_token_symbols() -> None:
    rows = (
        activity_row(
            4, WHALE1, "whale1", (), Side.BUY, 0.0000398, 398, 251_000, 10, symbol="<PEPE>"
        ),
    )
    out = activity_table(ux_page(rows, mint=None), "en")
    assert out.split("\n")[0] == "Smart activity · all tokens · last 10m"
    lines = _pre_lines(out)
    assert lines[1] == "      Price SOL      Token    Amount"
    assert lines[3] == "      0.0000398     &lt;PEPE&gt;      251k"


def test_activity_empty_state() -> None:
    assert activity_table(ux_page(rows=()), "en", symbol="PEPE2") == (
        "Smart activity · PEPE2 · last 10m\n"
        "No tracked wallet traded PEPE2 in the last 10m.\n"
        "Try a longer window (1h, 24h) or all wallets."
    )
    assert activity_table(ux_page(rows=()), "fr", symbol="PEPE2") == (
        "Activité smart · PEPE2 · dernières 10 min\n"
        "Aucun portefeuille suivi n'a échangé PEPE2 ces dernières 10 min.\n"
        "Essayez une fenêtre plus longue (1h, 24h) ou tous les portefeuilles."
    )


def test_activity_long_page_stays_under_4096() -> None:
    row = activity_row(4, WHALE1, "whale1", ("whale",), Side.BUY, 0.0000398, 398, 251_000, 10)
    out = activity_table(ux_page((row,) * 500), "en")
    assert visible_length(out) <= MESSAGE_LIMIT
    assert _pre_lines(out)[-1] == "…"


# ---- wallets --------------------------------------------------------------------------------


def _wallets() -> list[RankedWallet]:
    return [
        ranked(WHALE1, "whale1", balance_sol=312, pnl_sol=84, hit=0.61, watchers=37),
        ranked(KOL_ANA, None, balance_sol=None, pnl_sol=-2.5, hit=None, watchers=1),
        ranked(W3, HOSTILE, balance_sol=0.05, pnl_sol=0, hit=0.0, watchers=0),
    ]


def test_wallet_list_in_english() -> None:
    assert wallet_list(_wallets(), "en", total=12) == (
        "My wallets · 12 · sorted by PnL\n"
        "1. whale1  <code>2vr5…Bkef</code>  312 SOL · PnL +84.0 SOL · hit 61% · 👁 37\n"
        "2. <code>9QkL…KoLa</code>  PnL -2.5 SOL · hit – · 👁 1\n"
        "3. &lt;b&gt;SCAM&lt;/b&gt; &amp; co  <code>5FhJ…4k5m</code>  0.05 SOL · PnL 0.0 SOL"
        " · hit 0% · 👁 0"
    )


def test_wallet_list_in_french_and_empty_states() -> None:
    out = wallet_list(_wallets()[:1], "fr", total=12, offset=10)
    assert out == (
        "Mes portefeuilles · 12 · triés par PnL\n"
        "11. whale1  <code>2vr5…Bkef</code>  312 SOL · PnL +84.0 SOL · réussite 61% · 👁 37"
    )
    assert wallet_list([], "en") == (
        "You watch no wallets yet.\n"
        "Add one: /watch &lt;address&gt; [alias] [tags], or import a CSV file."
    )
    assert (
        wallet_list([], "fr", kind=None) == "Aucun portefeuille dans cette liste pour l'instant."
    )


# ---- errors and trade -----------------------------------------------------------------------


def test_not_an_address_error_line() -> None:
    assert not_an_address("abc", "en") == (
        '"abc" is not a Solana address (base58, 32–44 characters). '
        "Example: /watch 7xKX…pump whale1 smart"
    )
    assert not_an_address("<abc>", "fr") == (
        "« &lt;abc&gt; » n'est pas une adresse Solana (base58, 32 à 44 caractères). "
        "Exemple : /watch 7xKX…pump whale1 smart"
    )
    assert not_an_address("x" * 100, "en").startswith('"' + "x" * 39 + '…" is not')


def test_internal_error_gives_a_reference() -> None:
    assert internal_error("e-42", "en") == (
        "Something went wrong on our side; nothing was changed. Reference: <code>e-42</code>"
    )


def test_buy_while_trading_is_off_sends_nothing_and_says_how_to_enable() -> None:
    assert trading_off(0.5, "PEPE2", MINT, "en") == (
        "Trading is off for your account: this bot does not offer trading yet "
        "(it is off by default) — no order was sent for 0.5 SOL of PEPE2."
    )
    assert trading_off(1, HOSTILE, MINT, "en", setup_command="/trading") == (
        "Trading is off for your account: run /trading to connect a wallet and set your "
        "limits (trading is off by default) — no order was sent for 1.0 SOL of "
        "&lt;b&gt;SCAM&lt;/b&gt;…."
    )
    assert "no order was sent for PEPE2." in trading_off(None, "PEPE2", MINT, "en")
    assert trading_off(0.1, None, MINT, "fr") == (
        "Le trading est désactivé pour votre compte : ce bot ne propose pas encore le trading "
        "(désactivé par défaut) — aucun ordre n'a été envoyé pour 0.1 SOL de 7xKX…pump."
    )
