"""The core never imports Qt (the same rule import-linter checks, as a test that can fail)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import goesvfi.core

QT_ROOTS = {"PyQt6", "PyQt5", "PySide6", "PySide2", "qtpy", "sip"}
CORE = Path(goesvfi.core.__file__).parent


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
