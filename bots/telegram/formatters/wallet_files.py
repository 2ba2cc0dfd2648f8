"""Wallet list files in the chat: /import's help, an import's result or its bad rows, the file
problems (too large, not UTF-8, unknown type, empty) and /export's texts::

    ❌ wallets.csv: 3 bad lines, nothing imported.
    line 3: "abc" is not a Solana address (base58, 32 bytes)
    …
    Fix them and send the file again, or send it with the caption "partial" to import the
    good lines only.

Row reasons come from ``core.wallets.csv_json`` as translatable ``Text`` (core_errors catalog);
they quote the bad value, escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bots.telegram.formatters.errors import core_message
from bots.telegram.formatters.numbers import clip, esc
from bots.telegram.i18n import Translator, translator
from core.wallets.csv_json import RowError
from core.wallets.registry import ImportReport

ROWS_SHOWN = 15
NAME_MAX = 40
REASON_MAX = 160
EXAMPLE_ADDRESS = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"


def _name(file_name: str) -> str:
    return f"<code>{esc(clip(file_name, NAME_MAX))}</code>"


def _size(size_bytes: int) -> str:
    """Rounded up, so a file just over the limit never shows as the limit: "1.1 MB", "3 KB"."""
    mib = size_bytes / (1024 * 1024)
    if mib >= 1:
        return f"{math.ceil(mib * 10) / 10:g} MB"
    return f"{math.ceil(size_bytes / 1024)} KB"


def import_help(limit_bytes: int, lang: str) -> str:
    """/import alone: the accepted formats, with a 2-line CSV example."""
    _ = translator(lang)
    example = f"address,alias,tags\n{EXAMPLE_ADDRESS},whale1,smart|kol"
    json_example = f'[{{"address": "{EXAMPLE_ADDRESS}", "alias": "whale1", "tags": ["smart"]}}]'
    return "\n".join(
        (
            "📥 "
            + _("Send me a .csv or .json file (up to {size}): its wallets join your list.").format(
                size=_size(limit_bytes)
            ),
            _("CSV: a header line, then one wallet per line; tags separated by | or ;"),
            f"<pre>{esc(example)}</pre>",
            _("JSON: a list of objects with address, alias and tags:"),
            f"<code>{esc(json_example)}</code>",
            _(
                'A file with a bad line imports nothing; send it with the caption "partial" '
                "to import the good lines only."
            ),
        )
    )


def row_errors(errors: Sequence[RowError], _: Translator, *, shown: int = ROWS_SHOWN) -> list[str]:
    """One line per bad row (line number and reason, in ``_``'s language), at most ``shown``,
    then "and N more"."""
    lines = [
        _("line {line}: {reason}").format(
            line=e.line, reason=esc(clip(core_message(e.reason, _.lang), REASON_MAX))
        )
        for e in errors[:shown]
    ]
    if len(errors) > shown:
        lines.append(_("… and {n} more").format(n=len(errors) - shown))
    return lines


def import_rejected(file_name: str, errors: Sequence[RowError], fatal: bool, lang: str) -> str:
    """A file with bad rows, nothing imported. ``fatal``: the file's structure is broken (bad
    header, invalid JSON), so a partial import cannot help either."""
    _ = translator(lang)
    head = "❌ " + _.ngettext(
        "{file}: {n} bad line, nothing imported.",
        "{file}: {n} bad lines, nothing imported.",
        len(errors),
    ).format(file=_name(file_name), n=len(errors))
    if fatal:
        fix = _("Fix the file and send it again (see /import for the format).")
    else:
        fix = _(
            'Fix them and send the file again, or send it with the caption "partial" to import '
            "the good lines only."
        )
    return "\n".join([head, *row_errors(errors, _), fix])


def import_done(file_name: str, report: ImportReport, lang: str) -> str:
    """Added / updated counts; in a partial import, the skipped rows too."""
    _ = translator(lang)
    if report.added == 0 and report.updated == 0 and not report.errors:
        return _("{file} has no wallet rows. See /import for the format.").format(
            file=_name(file_name)
        )
    lines = [
        "✅ "
        + _("{file} imported: {added} added, {updated} updated.").format(
            file=_name(file_name), added=report.added, updated=report.updated
        )
    ]
    if report.errors:
        lines.append(
            "⚠️ "
            + _.ngettext("{n} line skipped:", "{n} lines skipped:", len(report.errors)).format(
                n=len(report.errors)
            )
        )
        lines.extend(row_errors(report.errors, _))
    lines.append(_("See /list."))
    return "\n".join(lines)


def file_too_large(file_name: str, size_bytes: int, limit_bytes: int, lang: str) -> str:
    _ = translator(lang)
    return _(
        "{file} is {size}; the limit is {limit}. Split it into smaller files and send each."
    ).format(file=_name(file_name), size=_size(size_bytes), limit=_size(limit_bytes))


def not_utf8(file_name: str, lang: str) -> str:
    _ = translator(lang)
    return _(
        "{file} is not UTF-8 text. Save it as UTF-8 (in Excel: CSV UTF-8) and send it again."
    ).format(file=_name(file_name))


def unknown_file_type(file_name: str, lang: str) -> str:
    _ = translator(lang)
    return _(
        "{file} is not a CSV or JSON file. Send a .csv or .json wallet list (see /import)."
    ).format(file=_name(file_name))


def empty_file(file_name: str, lang: str) -> str:
    _ = translator(lang)
    return _("{file} is empty. Put one wallet per line (see /import) and send it again.").format(
        file=_name(file_name)
    )


# ---- /export ----------------------------------------------------------------------------------


def export_menu(lang: str) -> str:
    _ = translator(lang)
    return "📤 " + _("Export your wallets as:")


def export_caption(count: int, lang: str) -> str:
    _ = translator(lang)
    return _.ngettext(
        "Your list: {n} wallet. Send this file back to import it (/import).",
        "Your list: {n} wallets. Send this file back to import it (/import).",
        count,
    ).format(n=count)


def export_empty(lang: str) -> str:
    _ = translator(lang)
    return _("Your list is empty: nothing to export. Add wallets with /watch or /import.")


def unknown_export_format(text: str, lang: str) -> str:
    _ = translator(lang)
    return _('"{text}" is not an export format. Use /export csv or /export json.').format(
        text=esc(clip(text, 20))
    )
