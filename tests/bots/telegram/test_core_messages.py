"""Core's messages in the user's language: the English template of a ``UserInputError`` goes
through the catalogs, then its params are put in (a ``Text`` param translated too), and the
user's input in a param is escaped for Telegram's HTML."""

from __future__ import annotations

import pytest

from bots.telegram.formatters.errors import core_message, user_input_error
from core.errors import RiskRejection, Text, UserInputError
from core.trading.autotrade import AutoTradeMode, AutoTradeRule
from core.trading.trade_types import Side, TradeRequest
from core.wallets.csv_json import parse_csv, parse_json

WALLET = "So11111111111111111111111111111111111111112"


def test_a_core_error_is_shown_in_english_and_french_with_its_params() -> None:
    error = UserInputError("slippage must be 1-10000 bps, got {value}", value=20000)
    assert str(error) == "slippage must be 1-10000 bps, got 20000"
    assert user_input_error(error, "en") == (
        "Not accepted: slippage must be 1-10000 bps, got 20000"
    )
    assert user_input_error(error, "fr") == (
        "Refusé : le slippage doit être de 1 à 10000 bps, reçu 20000"
    )


def test_the_users_input_in_a_param_is_escaped_for_html() -> None:
    error = UserInputError("tag {tag}: lowercase letters, digits, _ or -, 1-24", tag="<b>&x")
    assert user_input_error(error, "en") == (
        "Not accepted: tag &lt;b&gt;&amp;x: lowercase letters, digits, _ or -, 1-24"
    )
    assert user_input_error(error, "fr") == (
        "Refusé : tag &lt;b&gt;&amp;x : lettres minuscules, chiffres, _ ou -, de 1 à 24"
    )


def test_a_translatable_param_is_translated_too() -> None:
    error = UserInputError(
        "{field}: {problem} (allowed: {allowed})",
        field="rule.min_wallets",
        problem=Text("{value} is out of range", value="0"),
        allowed=Text("integer {lo}-{hi}", lo="1", hi="100"),
    )
    assert str(error) == "rule.min_wallets: 0 is out of range (allowed: integer 1-100)"
    assert core_message(error, "fr") == (
        "rule.min_wallets : 0 est hors limites (autorisé : entier de 1 à 100)"
    )


def test_a_message_raised_by_core_itself_comes_out_in_french() -> None:
    with pytest.raises(UserInputError) as raised:
        AutoTradeRule(1, " ", AutoTradeMode.CONFIRM, 2.0, 1, WALLET, 10**8)
    error = raised.value
    assert core_message(error, "en") == "the rule needs a name of 1-64 characters"
    assert core_message(error, "fr") == "la règle doit avoir un nom de 1 à 64 caractères"


def test_a_bot_message_without_params_is_shown_as_it_is() -> None:
    error = UserInputError('Déjà traduit : {"kind": …} <address>')
    assert core_message(error, "fr") == 'Déjà traduit : {"kind": …} <address>'
    assert user_input_error(error, "fr") == ('Refusé : Déjà traduit : {"kind": …} &lt;address&gt;')


def test_a_risk_rejection_keeps_its_english_reason_and_translates_in_the_bot() -> None:
    rejection = RiskRejection("trading is not enabled on this bot")
    assert rejection.reason == str(rejection) == "trading is not enabled on this bot"
    assert core_message(rejection, "fr") == "le trading n'est pas activé sur ce bot"


@pytest.mark.parametrize(
    ("state", "french"),
    [
        (Text("expired"), "cet achat automatique est déjà expiré : rien n'a été modifié"),
        (Text("confirmed"), "cet achat automatique est déjà confirmé : rien n'a été modifié"),
        (Text("cancelled"), "cet achat automatique est déjà annulé : rien n'a été modifié"),
    ],
)
def test_a_state_word_in_a_core_message_is_translated_too(state: Text, french: str) -> None:
    error = UserInputError("this auto-buy is already {state}: nothing was changed", state=state)
    assert str(error) == f"this auto-buy is already {state}: nothing was changed"
    assert core_message(error, "fr") == french


def test_an_order_state_word_is_translated() -> None:
    error = UserInputError(
        "order {id} is {state}: only armed orders can be cancelled", id=7, state=Text("triggered")
    )
    assert str(error) == "order 7 is triggered: only armed orders can be cancelled"
    assert core_message(error, "fr") == (
        "l'ordre 7 est déclenché : seuls les ordres armés peuvent être annulés"
    )


def test_a_trade_request_names_the_bad_field_in_french() -> None:
    with pytest.raises(UserInputError) as raised:
        TradeRequest("k1", 1, WALLET, Side.BUY, "nope", 10)
    assert str(raised.value) == "mint 'nope' is not a Solana address"
    assert core_message(raised.value, "fr") == (
        "l'adresse de jeton 'nope' n'est pas une adresse Solana"
    )


def test_wallet_file_row_reasons_stay_english_in_str_and_translate_in_the_bot() -> None:
    parsed = parse_csv("address,alias,tags\nnope,a,\n,b,\n")
    assert [str(e) for e in parsed.errors] == [
        'line 2: "nope" is not a Solana address (base58, 32 bytes)',
        "line 3: empty address",
    ]
    assert [core_message(e.reason, "fr") for e in parsed.errors] == [
        "« nope » n'est pas une adresse Solana (base58, 32 octets)",
        "adresse vide",
    ]
    broken = parse_json('[{"address": "x"} {"address": "y"}]')
    assert str(broken.errors[0]) == "line 1: not valid JSON: expected ',' or ']'"
    assert core_message(broken.errors[0].reason, "fr") == "JSON invalide : ',' ou ']' attendu"
