"""The desktop app's widgets (PyQt6). Widgets reach the core only through :mod:`goesvfi.viewmodels`."""

from __future__ import annotations

from typing import Any


def create_main_window(folder: str | None = None) -> Any:
    """The main window, built but not shown, with no job started (tests and scripts use it)."""
    from goesvfi.gui.app import create_main_window as create

    return create(folder)


__all__ = ["create_main_window"]
