"""Stable names for automation and screen readers: objectName, accessible name and tooltip."""

from __future__ import annotations

from typing import TypeVar

from PyQt6.QtWidgets import QAbstractButton, QAbstractSlider, QAbstractSpinBox, QWidget

from goesvfi.gui.widgets.plain import Collapsible, LabeledSlider

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, accessible: str, tip: str) -> W:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tip)
    return widget


def name_collapsible(section: Collapsible, name: str, title: str) -> Collapsible:
    """Name a collapsible section and its show/hide button (``<name>Toggle``)."""
    section.setObjectName(name)
    section.setAccessibleName(title)
    toggle = section.findChild(QAbstractButton)
    if toggle is not None:
        named(toggle, f"{name}Toggle", f"Show or hide {title.lower()}", f"Show or hide {title.lower()}")
    return section


def name_labeled_slider(slider: LabeledSlider, name: str, accessible: str, tip: str) -> LabeledSlider:
    """Name a labelled slider, its bar (``<name>Bar``) and its value box (``<name>Value``)."""
    named(slider, name, accessible, tip)
    bar = slider.findChild(QAbstractSlider)
    if bar is not None:
        named(bar, f"{name}Bar", accessible, tip)
    box = slider.findChild(QAbstractSpinBox)
    if box is not None:
        named(box, f"{name}Value", f"{accessible} number", "Type a frame number")
    return slider
