"""Stable names for automation and screen readers: objectName, accessible name and tooltip."""

from __future__ import annotations

from typing import TypeVar

from PyQt6.QtWidgets import QAbstractButton, QAbstractSlider, QLineEdit, QWidget
from superqt import QCollapsible, QLabeledSlider

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, accessible: str, tip: str) -> W:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tip)
    return widget


def name_collapsible(section: QCollapsible, name: str, title: str) -> QCollapsible:
    """Name a collapsible section and its show/hide button (``<name>Toggle``)."""
    section.setObjectName(name)
    section.setAccessibleName(title)
    toggle = section.findChild(QAbstractButton)
    if toggle is not None:
        named(toggle, f"{name}Toggle", f"Show or hide {title.lower()}", f"Show or hide {title.lower()}")
    return section


def name_labeled_slider(slider: QLabeledSlider, name: str, accessible: str, tip: str) -> QLabeledSlider:
    """Name a labelled slider, its bar (``<name>Bar``) and its value box (``<name>Value``)."""
    named(slider, name, accessible, tip)
    bar = slider.findChild(QAbstractSlider)
    if bar is not None:
        named(bar, f"{name}Bar", accessible, tip)
    box = slider.findChild(QLineEdit)
    if box is not None:
        named(box, f"{name}Value", f"{accessible} number", "Type a frame number")
    return slider
