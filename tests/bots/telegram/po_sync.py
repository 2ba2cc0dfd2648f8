"""Developer tool: add the msgids a feature's code uses and no catalog has yet.

    python -m tests.bots.telegram.po_sync FEATURE FILE.py [FILE.py ...]
    python -m tests.bots.telegram.po_sync core_errors core/**/*.py   (core's error templates)

appends each new msgid (singular or plural) to ``locales/en/LC_MESSAGES/FEATURE.po`` (empty
msgstr: English is the msgid) and to ``locales/fr/LC_MESSAGES/FEATURE.po`` with an empty msgstr
for the translator to fill (the catalog tests fail until every French msgstr is written).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bots.telegram.i18n import LOCALES_DIR, po_entries
from tests.bots.telegram.msgids import CORE, extract, extract_core

HEADER = """# Solsignals Telegram bot messages ({lang}): {feature}.
# Placeholders are str.format names ({{n}}); keep them in translations.

"""


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def sync(feature: str, files: list[Path]) -> list[str]:
    """Add the msgids used in ``files`` (the feature's modules) that no catalog has; for a
    module of ``core``, the templates of its user-facing errors (``extract_core``)."""
    po_entries.cache_clear()
    known = {e.msgid for e in po_entries("en")}
    in_core = [f for f in files if f.is_relative_to(CORE)]
    singles, plurals, _ = extract(files=[f for f in files if f not in in_core])
    if in_core:
        singles += extract_core(files=in_core)[0]
    plural_of = dict(plurals)
    new = [m for m in [*singles, *plural_of] if m not in known]
    new = list(dict.fromkeys(new))
    if not new:
        return []
    for lang in ("en", "fr"):
        path: Path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{feature}.po"
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if not text:
            text = HEADER.format(lang=lang, feature=feature)
        for msgid in new:
            if msgid in plural_of:
                text += (
                    f"msgid {_quote(msgid)}\nmsgid_plural {_quote(plural_of[msgid])}\n"
                    'msgstr[0] ""\nmsgstr[1] ""\n\n'
                )
            else:
                text += f'msgid {_quote(msgid)}\nmsgstr ""\n\n'
        path.write_text(text, encoding="utf-8")
    return new


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: python -m tests.bots.telegram.po_sync FEATURE FILE.py [FILE.py ...]")
    for added in sync(sys.argv[1], [Path(p).resolve() for p in sys.argv[2:]]):
        print(added)
