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


# ---- core's translatable messages ---------------------------------------------------------------

CORE = PACKAGE.parents[1] / "core"
ERROR_ROOTS = frozenset({"UserInputError", "RiskRejection"})


def _error_classes(trees: list[ast.Module]) -> tuple[set[str], set[str]]:
    """(every subclass of the roots defined in ``core``, those with their own ``__init__``)."""
    found: set[str] = set(ERROR_ROOTS)
    own_init: set[str] = set()
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or node.name in found:
                    continue
                if any(isinstance(b, ast.Name) and b.id in found for b in node.bases):
                    found.add(node.name)
                    changed = True
                    if any(
                        isinstance(item, ast.FunctionDef) and item.name == "__init__"
                        for item in node.body
                    ):
                        own_init.add(node.name)
    return found - ERROR_ROOTS, own_init


def _is_super_init(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
    )


def extract_core(
    root: Path = CORE, files: list[Path] | None = None
) -> tuple[list[str], list[str]]:
    """(message templates, non-literal sites) of ``core``: the first argument of every
    ``UserInputError(…)`` / ``RiskRejection(…)`` / ``Text(…)`` call (and of subclasses without
    their own ``__init__``), and of ``super().__init__(…)`` in subclasses that have one. Passing
    on another message's ``.template`` is not a new template and is allowed."""
    every = sorted(root.rglob("*.py"))
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in every}
    subclasses, own_init = _error_classes(list(trees.values()))
    by_template = (ERROR_ROOTS | subclasses | {"Text"}) - own_init
    templates: list[str] = []
    dynamic: list[str] = []

    def take(call: ast.Call, where: str) -> None:
        first = call.args[0] if call.args else None
        text = _literal(first) if first is not None else None
        if text is not None:
            if text not in templates:
                templates.append(text)
        elif not (isinstance(first, ast.Attribute) and first.attr == "template"):
            dynamic.append(where)

    for path in files if files is not None else every:
        tree = trees.get(path) or ast.parse(path.read_text(encoding="utf-8"))
        inits: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in own_init:
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and _is_super_init(call):
                        inits.add(id(call))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            named = isinstance(node.func, ast.Name) and node.func.id in by_template
            if named or id(node) in inits:
                take(node, where)
    return templates, dynamic
