"""Gettext-style translations without a compile step or a new dependency.

The catalogs are ordinary ``.po`` files in ``locales/<lang>/LC_MESSAGES/solsignals.po``. They
are parsed here (a small pure-Python reader: ``msgid`` / ``msgid_plural`` / ``msgstr`` /
``msgstr[n]``, multi-line strings, C escapes; ``#, fuzzy`` entries and empty ``msgstr`` count as
untranslated) and cached. ``translator(lang)`` gives a callable: ``_("text")`` and
``_.ngettext("one", "many", n)``. Unknown languages get English; a string missing from a
catalog falls back to the English text (its msgid). Placeholders use ``str.format`` names
(``{n}``), which the translations keep.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DOMAIN = "solsignals"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_LANG = "en"
SUPPORTED = ("en", "fr")

# Plural-Forms expressions we know; anything else falls back to English's rule.
_PLURAL_RULES: Mapping[str, Callable[[int], int]] = {
    "(n != 1)": lambda n: int(n != 1),
    "n != 1": lambda n: int(n != 1),
    "(n > 1)": lambda n: int(n > 1),
    "n > 1": lambda n: int(n > 1),
}
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
_ESCAPE_RE = re.compile(r"\\(.)")


class PoSyntaxError(ValueError):
    """A .po file we cannot read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class PoEntry:
    msgid: str
    msgstr: tuple[str, ...]  # one item, or one per plural form
    msgid_plural: str | None = None
    fuzzy: bool = False

    @property
    def translated(self) -> bool:
        return not self.fuzzy and all(self.msgstr) and bool(self.msgstr)


@dataclass(frozen=True, slots=True)
class Catalog:
    """One language's messages (msgid -> forms) and its plural rule."""

    lang: str
    messages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    plural: Callable[[int], int] = _PLURAL_RULES["(n != 1)"]


def _unquote(token: str, where: str) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise PoSyntaxError(f"{where}: expected a quoted string, got {token!r}")
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), token[1:-1])


def parse_po(text: str, source: str = "<po>") -> list[PoEntry]:
    """Every entry of a .po file, the header (msgid "") included."""
    entries: list[PoEntry] = []
    fields: dict[str, str] = {}
    current: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal fields, current, fuzzy
        if "msgid" in fields:
            plural = fields.get("msgid_plural")
            if plural is None:
                forms: tuple[str, ...] = (fields.get("msgstr", ""),)
            else:
                keys = sorted(
                    (k for k in fields if k.startswith("msgstr[")),
                    key=lambda k: int(k[7:-1]),
                )
                forms = tuple(fields[k] for k in keys)
            entries.append(PoEntry(fields["msgid"], forms, plural, fuzzy))
        fields, current, fuzzy = {}, None, False

    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}:{number}"
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                if "msgid" in fields:
                    flush()
                fuzzy = True
            continue
        if line.startswith('"'):
            if current is None:
                raise PoSyntaxError(f"{where}: string continuation without a keyword")
            fields[current] += _unquote(line, where)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt":
            raise PoSyntaxError(f"{where}: msgctxt is not supported")
        if keyword not in ("msgid", "msgid_plural", "msgstr") and not re.fullmatch(
            r"msgstr\[\d+\]", keyword
        ):
            raise PoSyntaxError(f"{where}: unknown keyword {keyword!r}")
        if keyword == "msgid" and "msgid" in fields:
            flush()
        current = keyword
        fields[keyword] = _unquote(rest, where)
    flush()
    return entries


def _plural_rule(header: str) -> Callable[[int], int]:
    match = re.search(r"plural\s*=\s*([^;]+);?", header)
    if match:
        rule = _PLURAL_RULES.get(match.group(1).strip())
        if rule is not None:
            return rule
    return _PLURAL_RULES["(n != 1)"]


def build_catalog(lang: str, entries: Iterable[PoEntry]) -> Catalog:
    messages: dict[str, tuple[str, ...]] = {}
    plural = _PLURAL_RULES["(n != 1)"]
    for entry in entries:
        if entry.msgid == "":
            plural = _plural_rule(entry.msgstr[0])
        elif entry.translated:
            messages[entry.msgid] = entry.msgstr
    return Catalog(lang, messages, plural)


def po_path(lang: str) -> Path:
    """The main catalog of ``lang`` (its header carries the plural rule)."""
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def po_paths(lang: str) -> list[Path]:
    """Every catalog file of ``lang``: the main one first, then one per bot feature
    (``<feature>.po``, so features are translated independently), in name order."""
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    main = po_path(lang)
    rest = sorted(p for p in folder.glob("*.po") if p != main) if folder.is_dir() else []
    return ([main] if main.is_file() else []) + rest


@cache
def po_entries(lang: str) -> tuple[PoEntry, ...]:
    """The entries of a shipped language, all its files merged (cached; empty when none).

    A msgid defined in two files is an error: the catalogs would disagree silently."""
    entries: list[PoEntry] = []
    seen: dict[str, Path] = {}
    for path in po_paths(lang):
        for entry in parse_po(path.read_text(encoding="utf-8"), str(path)):
            if entry.msgid and entry.msgid in seen:
                raise PoSyntaxError(
                    f"{path}: msgid {entry.msgid!r} is already defined in {seen[entry.msgid]}"
                )
            if entry.msgid:
                seen[entry.msgid] = path
            if entry.msgid or path == po_path(lang):
                entries.append(entry)
    return tuple(entries)


@cache
def catalog(lang: str) -> Catalog:
    return build_catalog(lang, po_entries(lang))


def normalize_lang(lang: str | None) -> str:
    """ "fr-FR" / "fr_CA" / "FR" -> "fr"; anything unsupported (or None) -> "en"."""
    code = (lang or "").replace("_", "-").split("-")[0].lower()
    return code if code in SUPPORTED else DEFAULT_LANG


class Translator:
    """``_("Not financial advice.")``; ``_.ngettext("{n} wallet", "{n} wallets", n)``."""

    __slots__ = ("_catalog", "lang")

    def __init__(self, lang: str, catalog: Catalog) -> None:
        self.lang = lang
        self._catalog = catalog

    def __call__(self, message: str) -> str:
        return self.gettext(message)

    def gettext(self, message: str) -> str:
        forms = self._catalog.messages.get(message)
        return forms[0] if forms else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._catalog.messages.get(singular)
        if forms and len(forms) > 1:
            index = self._catalog.plural(n)
            if 0 <= index < len(forms):
                return forms[index]
        return singular if n == 1 else plural


@cache
def translator(lang: str | None) -> Translator:
    """The translator of ``lang`` ("en", "fr", "fr-FR"…); unknown languages give English."""
    code = normalize_lang(lang)
    return Translator(code, catalog(code))


def missing(lang: str, msgids: Iterable[str] | None = None) -> list[str]:
    """Msgids of the English catalog (or ``msgids``) that ``lang`` does not translate."""
    wanted = (
        list(msgids)
        if msgids is not None
        else [e.msgid for e in po_entries(DEFAULT_LANG) if e.msgid]
    )
    have = catalog(lang).messages
    return sorted({m for m in wanted if m not in have})
