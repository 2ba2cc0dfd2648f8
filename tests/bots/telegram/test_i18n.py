"""The catalogs: parsing, fallbacks, and a complete French translation of every used string —
the bot's ``_("…")`` calls and the templates of core's user-facing errors (``core_errors.po``)."""

from __future__ import annotations

import re

from bots.telegram.i18n import (
    build_catalog,
    missing,
    normalize_lang,
    parse_po,
    po_entries,
    translator,
)
from tests.bots.telegram.msgids import extract, extract_core

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def test_every_translated_call_uses_a_literal() -> None:
    _singles, _plurals, dynamic = extract()
    assert dynamic == []


def test_every_core_error_message_is_a_literal_template() -> None:
    _templates, dynamic = extract_core()
    assert dynamic == []


def test_english_catalog_lists_every_string_the_code_uses() -> None:
    singles, plurals, _ = extract()
    templates, _dynamic = extract_core()
    en = {e.msgid: e for e in po_entries("en")}
    assert [s for s in singles + templates if s not in en] == []
    assert [p for p in plurals if p[0] not in en or en[p[0]].msgid_plural != p[1]] == []
    used = set(singles) | set(templates) | {p[0] for p in plurals}
    assert sorted(set(en) - used - {""}) == []  # no stale strings


def test_french_catalog_is_complete() -> None:
    singles, plurals, _ = extract()
    assert missing("fr", singles + [p[0] for p in plurals]) == []
    assert missing("fr") == []


def test_every_core_error_template_has_a_french_translation() -> None:
    templates, _dynamic = extract_core()
    assert len(templates) > 100  # the extractor sees core's raise sites
    assert missing("fr", templates) == []


def test_french_keeps_every_placeholder() -> None:
    for entry in po_entries("fr"):
        if not entry.msgid:
            continue
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        for form in entry.msgstr:
            assert set(PLACEHOLDER.findall(form)) == wanted, entry.msgid


def test_fallbacks() -> None:
    assert translator("de")("Not financial advice.") == "Not financial advice."
    assert translator(None).lang == "en"
    assert translator("fr")("a string nobody translated") == "a string nobody translated"
    assert normalize_lang("fr_CA") == "fr" and normalize_lang("FR-fr") == "fr"


def test_plural_rules() -> None:
    en, fr = translator("en"), translator("fr")
    assert en.ngettext("{n} wallet", "{n} wallets", 1) == "{n} wallet"
    assert en.ngettext("{n} wallet", "{n} wallets", 0) == "{n} wallets"
    assert fr.ngettext("{n} wallet", "{n} wallets", 0) == "{n} portefeuille"
    assert fr.ngettext("{n} wallet", "{n} wallets", 2) == "{n} portefeuilles"


def test_po_parser_handles_multiline_escapes_and_fuzzy() -> None:
    text = r"""
msgid ""
msgstr "Plural-Forms: nplurals=2; plural=(n > 1);\n"

msgid "a"
msgstr ""
"line \"one\"\n"
"two"

#, fuzzy
msgid "b"
msgstr "not trusted"

msgid "c"
msgid_plural "cs"
msgstr[0] "x"
msgstr[1] "xs"
"""
    catalog = build_catalog("xx", parse_po(text))
    assert catalog.messages["a"] == ('line "one"\ntwo',)
    assert "b" not in catalog.messages
    assert catalog.messages["c"] == ("x", "xs")
    assert catalog.plural(0) == 0 and catalog.plural(2) == 1
