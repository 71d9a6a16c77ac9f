"""The house stands: no import cycle in src, and every module says what room it is.

The layer and independence rules are import-linter contracts in pyproject,
run by ``.ci/run``; this test adds what contracts cannot say.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src" / "deploygate"


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph("deploygate")
    cycles = [
        graph.find_shortest_chain(importer=imported, imported=importer)
        for importer in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
        if graph.chain_exists(importer=imported, imported=importer)
    ]
    assert cycles == []


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if not ast.get_docstring(ast.parse(path.read_text("utf-8")))
    ]
    assert missing == []


def test_every_test_file_has_a_name_of_its_own() -> None:
    """tests/ mirrors src/ in folders without ``__init__``, where pytest imports a test file
    by its name alone: two ``test_records.py`` would collide, so each says whose it is."""
    names = [path.name for path in TESTS.rglob("test_*.py") if "node_modules" not in path.parts]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []
