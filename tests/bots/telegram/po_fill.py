"""Developer tool: fill empty French msgstr of a feature catalog from a Python dict file.

python -m tests.bots.telegram.po_fill FEATURE DICT.py   (DICT.py defines ``tr = {...}``)
"""

from __future__ import annotations

import runpy
import sys

from bots.telegram.i18n import LOCALES_DIR, parse_po
from tests.bots.telegram.po_sync import _quote


def fill(feature: str, tr: dict[str, str | list[str]]) -> list[str]:
    path = LOCALES_DIR / "fr" / "LC_MESSAGES" / f"{feature}.po"
    text = path.read_text(encoding="utf-8")
    head = text.split("msgid ", 1)[0]
    out = [head.rstrip("\n") + "\n"]
    left = []
    for e in parse_po(text, str(path)):
        if not e.msgid:
            continue
        forms = list(e.msgstr)
        if not all(forms):
            new = tr.get(e.msgid)
            if new is None:
                left.append(e.msgid)
            else:
                forms = [new] * len(forms) if isinstance(new, str) else list(new)
        out.append(f"\nmsgid {_quote(e.msgid)}\n")
        if e.msgid_plural is not None:
            out.append(f"msgid_plural {_quote(e.msgid_plural)}\n")
            out.extend(f"msgstr[{i}] {_quote(f)}\n" for i, f in enumerate(forms))
        else:
            out.append(f"msgstr {_quote(forms[0])}\n")
    path.write_text("".join(out), encoding="utf-8")
    return left


if __name__ == "__main__":
    for missing in fill(sys.argv[1], runpy.run_path(sys.argv[2])["tr"]):
        print("untranslated:", missing)
