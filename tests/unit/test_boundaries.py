"""Boundaries, as tests that can fail (import-linter checks the same rules in scripts/test.sh):
the core never imports Qt, view-models use QtCore only, and the core has no import cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import grimp

import goesvfi.core
import goesvfi.viewmodels

QT_ROOTS = {"PyQt6", "PyQt5", "PySide6", "PySide2", "qtpy", "sip"}
CORE = Path(goesvfi.core.__file__).parent
VIEWMODELS = Path(goesvfi.viewmodels.__file__).parent


def _is_qt(module: str) -> bool:
    return module.split(".")[0] in QT_ROOTS or module.startswith("goesvfi.gui")


def _qt_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in QT_ROOTS]
        elif isinstance(node, ast.ImportFrom) and _is_qt(node.module or ""):
            found.append(node.module or "")
    return found


def test_detector_finds_qt_imports() -> None:
    assert _qt_imports("import PyQt6.QtCore\nfrom PySide6 import QtWidgets\n") == [
        "PyQt6.QtCore",
        "PySide6",
    ]


def test_core_source_has_no_qt_import() -> None:
    offenders = {
        str(path.relative_to(CORE)): hits
        for path in CORE.rglob("*.py")
        if (hits := _qt_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = sorted(
        "goesvfi.core." + ".".join(p.relative_to(CORE).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if p.name != "__init__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PyQt6','PyQt5','PySide6','PySide2')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _pyqt_modules(source: str) -> set[str]:
    """Every ``PyQt6.X`` module a source file imports (``from PyQt6 import QtGui`` included)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "PyQt6"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "PyQt6":
            if node.module == "PyQt6":
                found |= {f"PyQt6.{a.name}" for a in node.names}
            else:
                found.add(".".join((node.module or "").split(".")[:2]))
    return found


def test_viewmodels_use_qtcore_only() -> None:
    assert _pyqt_modules("from PyQt6 import QtGui\nfrom PyQt6.QtCore import QObject\n") == {
        "PyQt6.QtGui",
        "PyQt6.QtCore",
    }
    offenders = {
        path.name: sorted(mods - {"PyQt6.QtCore"})
        for path in VIEWMODELS.rglob("*.py")
        if (mods := _pyqt_modules(path.read_text(encoding="utf-8"))) - {"PyQt6.QtCore"}
    }
    assert offenders == {}


def _child(module: str, parent: str) -> str | None:
    """The child of ``parent`` that ``module`` is or lies in, else None."""
    if not module.startswith(parent + "."):
        return None
    return parent + "." + module[len(parent) + 1 :].split(".")[0]


def sibling_cycles(graph: grimp.ImportGraph, parent: str) -> list[list[str]]:
    """Cycles among the children of ``parent`` and, recursively, of every package below it.

    Child A depends on child B when any module in A imports any module in B: imports inside
    functions and under TYPE_CHECKING included, as grimp reads them. Returns one cycle per
    strongly connected group of children, as a list of names.
    """
    edges: dict[str, set[str]] = defaultdict(set)
    packages = set()
    for module in graph.modules:
        importer = _child(module, parent)
        if importer is None:
            continue
        if importer != module:
            packages.add(importer)
        for imported in graph.find_modules_directly_imported_by(module):
            target = _child(imported, parent)
            if target is not None and target != importer:
                edges[importer].add(target)
    cycles = [sorted(group) for group in _strong_groups(edges) if len(group) > 1]
    for package in sorted(packages):
        cycles += sibling_cycles(graph, package)
    return cycles


def _strong_groups(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components of a small graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                top = stack.pop()
                group.add(top)
                if top == node:
                    break
            groups.append(group)

    for node in list(edges):
        if node not in index:
            visit(node)
    return groups


def test_cycle_detector_finds_package_and_module_cycles() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (
        ("p.render.api", "p.colour.sanchez"),  # render -> colour ...
        ("p.colour.sanchez", "p.render.png"),  # ... and colour -> render: a package cycle
        ("p.vfi.ifnet", "p.vfi.ifnet_v4"),  # a module cycle inside p.vfi
        ("p.vfi.ifnet_v4", "p.vfi.ifnet"),
        ("p.pipeline.runner", "p.render.api"),  # one way only: fine
    ):
        graph.add_import(importer=importer, imported=imported)
    assert sorted(sibling_cycles(graph, "p")) == [["p.colour", "p.render"], ["p.vfi.ifnet", "p.vfi.ifnet_v4"]]


def test_core_has_no_import_cycles() -> None:
    graph = grimp.build_graph("goesvfi", cache_dir=None)
    assert sibling_cycles(graph, "goesvfi.core") == []
