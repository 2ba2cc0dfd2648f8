"""Extract the msgids the formatters pass to the translator (``_("…")``, ``_.ngettext``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "bots" / "telegram"


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def extract(
    root: Path = PACKAGE, files: list[Path] | None = None
) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """(singular msgids, (singular, plural) pairs, non-literal call sites) in source order,
    of every module under ``root`` or of ``files`` only."""
    singles: list[str] = []
    plurals: list[tuple[str, str]] = []
    dynamic: list[str] = []
    for path in files if files is not None else sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.name}:{node.lineno}"
            func = node.func
            if isinstance(func, ast.Name) and func.id == "_":
                text = _literal(node.args[0]) if node.args else None
                if text is None:
                    dynamic.append(where)
                elif text not in singles:
                    singles.append(text)
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "ngettext"
                and isinstance(func.value, ast.Name)
                and func.value.id == "_"
            ):
                one, many = (_literal(a) for a in node.args[:2])
                if one is None or many is None:
                    dynamic.append(where)
                elif (one, many) not in plurals:
                    plurals.append((one, many))
    return singles, plurals, dynamic
