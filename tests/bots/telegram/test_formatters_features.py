"""Pure formatters of /activity (window labels, tag titles, empty state), /rules and /settings."""

from __future__ import annotations

import dataclasses

import pytest

from bots.telegram.formatters.activity import activity_table, window_label
from bots.telegram.formatters.card import MESSAGE_LIMIT
from bots.telegram.formatters.numbers import visible_length
from bots.telegram.formatters.rules import MAX_SHOWN, rule_line, rules_list, shown_rules
from bots.telegram.formatters.settings import settings_text
from bots.telegram.i18n import translator
from bots.telegram.routers.activity import parse_args, parse_window
from core.errors import Text, UserInputError
from core.signals.rules import Rule
from core.signals.rules_store import StoredRule
from core.users.settings import QuietHours, UserSettings
from tests.bots.telegram.data import NOW, ux_page

EN, FR = translator("en"), translator("fr")

# ---- activity -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window_s", "en", "fr"),
    [
        (90, "90s", "90 s"),
        (600, "10m", "10 min"),
        (5400, "90m", "90 min"),
        (3600, "1h", "1 h"),
        (86_400, "24h", "24 h"),
        (36 * 3600, "36h", "36 h"),
        (48 * 3600, "48h", "48 h"),
        (7 * 86_400, "7d", "7 j"),
        (3601, "3601s", "3601 s"),
    ],
)
def test_window_labels_are_exact(window_s: int, en: str, fr: str) -> None:
    assert window_label(window_s, EN) == en
    assert window_label(window_s, FR) == fr


def test_window_and_tag_arguments_parse_in_either_order() -> None:
    assert parse_args(None, EN) == ("", 600)
    assert parse_args("kol 1h", EN) == ("kol", 3600)
    assert parse_args("24h Whale", EN) == ("whale", 86_400)
    assert parse_args("all 90s", EN) == ("", 90)
    assert parse_window("7d", EN) == 7 * 86_400
    for bad in ("8d", "0s", "1w", "10", "1.5h"):
        with pytest.raises(UserInputError):
            parse_window(bad, EN)
    for bad in ("kol whale", "1h 2h", "k@l"):
        with pytest.raises(UserInputError):
            parse_args(bad, EN)


def test_activity_title_names_the_tag_filter() -> None:
    page = dataclasses.replace(ux_page(), tags=frozenset({"kol"}))
    assert activity_table(page, "en").split("\n")[0] == "Smart activity · PEPE2 · kol · last 10m"


def test_empty_activity_of_all_tokens_points_to_watch() -> None:
    page = dataclasses.replace(ux_page(rows=(), mint=None), window_s=3600)
    assert activity_table(page, "en", watch_hint=True) == (
        "Smart activity · all tokens · last 1h\n"
        "No tracked wallet traded in the last 1h.\n"
        "Try a longer window (1h, 24h) or all wallets.\n"
        "Track more wallets: /watch &lt;address&gt; [alias] [tags]."
    )
    assert activity_table(page, "fr", watch_hint=True).split("\n")[1:] == [
        "Aucun portefeuille suivi n'a échangé ces dernières 1 h.",
        "Essayez une fenêtre plus longue (1h, 24h) ou tous les portefeuilles.",
        "Suivez d'autres portefeuilles : /watch &lt;adresse&gt; [alias] [tags].",
    ]


# ---- rules ----------------------------------------------------------------------------------


def stored(
    rule_id: int,
    data: dict[str, object],
    *,
    name: str = "",
    enabled: bool = True,
    owner: int | None = None,
) -> StoredRule:
    rule = Rule.from_dict({**data, "name": name})
    return StoredRule(rule_id, rule.label, rule.kind.value, enabled, owner, rule, None, NOW, NOW)


BURST = {"kind": "smart_buy_burst", "min_wallets": 3, "min_sol": 5, "window_min": 5}
RULES = [
    stored(1, BURST, name="Smart Buy Burst"),
    stored(2, {"kind": "no_mint"}, enabled=False),
    stored(7, {"kind": "max_price_impact", "max_pct": 5}, name="<b>mine</b>", owner=3),
]

RULES_EN = """\
<b>Signal rules</b>
<b>Global (everyone; admins change them)</b>
✅ #1 <b>Smart Buy Burst</b> · smart_buy_burst: min_wallets 3, min_sol 5, window_min 5 · on
⏸ #2 <b>No Mint</b> · no_mint · off
<b>Yours</b>
✅ #7 <b>&lt;b&gt;mine&lt;/b&gt;</b> · max_price_impact: max_pct 5, size_sol 1 · on

Add your own: /rules add &lt;name&gt; &lt;json&gt;, for example:
<code>/rules add Smart Buy Burst {"kind": "smart_buy_burst", "min_wallets": 3, "min_sol": 5, \
"window_min": 5}</code>
Kinds: push_time, smart_buy_burst, top10, no_mint, no_freeze, lp_burnt, min_liquidity, \
max_price_impact.
Change one: /rules enable|disable|remove &lt;id&gt;, or the buttons."""


def test_rules_list_in_english() -> None:
    assert rules_list(RULES, "en") == RULES_EN


def test_rules_list_in_french_with_a_note_and_no_rules() -> None:
    out = rules_list([], "fr", note="✅ fait")
    assert out.split("\n")[:6] == [
        "✅ fait",
        "<b>Règles de signal</b>",
        "<b>Globales (pour tous ; modifiées par les admins)</b>",
        "Aucune règle globale.",
        "<b>Les vôtres</b>",
        "Aucune règle à vous pour l'instant.",
    ]


def test_an_invalid_stored_rule_shows_its_error() -> None:
    broken = StoredRule(
        4,
        "old",
        "top10",
        True,
        None,
        None,
        Text("rule.max_pct: is required (allowed: number 0-100)"),
        NOW,
        NOW,
    )
    assert rule_line(broken, EN) == (
        "⚠️ #4 <b>old</b> · top10: invalid: rule.max_pct: is required (allowed: number 0-100) · on"
    )


def test_many_long_rules_stay_under_the_message_limit() -> None:
    long_name = "x" * 80
    many = [
        stored(i, {**BURST, "tags": ["a" * 20, "b" * 20, "c" * 20]}, name=long_name, owner=1)
        for i in range(1, 41)
    ]
    out = rules_list(many, "fr")
    assert visible_length(out) <= MESSAGE_LIMIT
    assert len(shown_rules(many)) == MAX_SHOWN
    assert "… et 22 autres règles : changez-les par leur numéro" in out


# ---- settings -------------------------------------------------------------------------------

SETTINGS_EN = """\
<b>⚙️ Alert settings</b>
Alerts: <b>on</b>
Min Strength: <b>1.5</b>
No mint only: <b>off</b>
No freeze only: <b>off</b>
Top10 max: <b>off</b>
Min liquidity: <b>off</b>
Tags: <b>any</b>
Quiet hours: <b>off</b>
Trading: <b>off (turn it on with /trading)</b>

Buttons change the common values; type any value:
/settings min_strength 2.1 · top10 30|off · liquidity 10000|off
/settings tags kol,smart|off · quiet 23-7|off
/settings alerts|no_mint|no_freeze on|off"""


def test_default_settings_in_english() -> None:
    assert settings_text(UserSettings(), "en") == SETTINGS_EN


def test_changed_settings_in_french_with_the_picker_question() -> None:
    settings = UserSettings(
        alerts=False,
        min_strength=2.0,
        no_mint=True,
        top10_max_pct=30.0,
        min_liquidity_usd=10_000.0,
        tags=("kol", "smart"),
        quiet_hours=QuietHours(23, 7),
    )
    lines = settings_text(settings, "fr", picking="top10").split("\n")
    assert lines[:10] == [
        "<b>⚙️ Réglages des alertes</b>",
        "Alertes : <b>désactivé</b>",
        "Strength min : <b>2</b>",
        "Sans mint seulement : <b>activé</b>",
        "Sans gel seulement : <b>désactivé</b>",
        "Top10 max : <b>30%</b>",
        "Liquidité min : <b>10k USD</b>",
        "Tags : <b>kol, smart</b>",
        "Heures calmes : <b>23:00–07:00 UTC</b>",
        "Trading : <b>désactivé (activez-le avec /trading)</b>",
    ]
    assert lines[-1] == (
        "<b>Choisissez le top10 max : seulement les jetons dont les 10 plus gros détenteurs "
        "ont moins.</b>"
    )
