"""A collapsible section, an eliding label and a slider with its number, in Qt alone.

superqt has all three, but importing superqt imports qtpy, whose QtCore/QtGui/QtWidgets modules
re-wrap every Qt enum on import: about 0.4 s of CPU, which alone broke the app's 1.0 s start-up
target (bench/bench_gui.py). These are the parts of those widgets the app uses, and nothing more.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class Collapsible(QWidget):
    """A title button that shows or hides the widgets added with :meth:`addWidget` (collapsed first)."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton()
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setStyleSheet("QToolButton { border: none; }")  # a title, not a button
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.body = QWidget()
        self.body.setVisible(False)
        self._body_layout = QVBoxLayout(self.body)
        self._body_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.toggle.toggled.connect(self._on_toggled)

    def addWidget(self, widget: QWidget) -> None:
        self._body_layout.addWidget(widget)

    def isExpanded(self) -> bool:
        return self.toggle.isChecked()

    def expand(self) -> None:
        self.toggle.setChecked(True)

    def collapse(self) -> None:
        self.toggle.setChecked(False)

    def _on_toggled(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)


class ElidingLabel(QLabel):
    """One line that ends in "…" when it is wider than the label; :meth:`text` is the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str | None) -> None:
        self._text = text or ""
        self._elide()

    def minimumSizeHint(self) -> QSize:  # as narrow as the ellipsis; as wide as the text it shows
        return QSize(self.fontMetrics().horizontalAdvance("…"), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, max(0, self.width()))
        super().setText(shown)


class LabeledSlider(QWidget):
    """A slider with a spin box beside it that shows and takes its value."""

    valueChanged = pyqtSignal(int)

    def __init__(self, orientation: Qt.Orientation = Qt.Orientation.Horizontal,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.bar = QSlider(orientation)
        self.box = QSpinBox()
        self.box.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.box.setKeyboardTracking(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.box)
        self.bar.valueChanged.connect(self.box.setValue)
        self.box.valueChanged.connect(self.bar.setValue)
        self.bar.valueChanged.connect(self.valueChanged)

    def setRange(self, low: int, high: int) -> None:
        self.bar.setRange(low, high)
        self.box.setRange(low, high)

    def minimum(self) -> int:
        return self.bar.minimum()

    def maximum(self) -> int:
        return self.bar.maximum()

    def value(self) -> int:
        return self.bar.value()

    def setValue(self, value: int) -> None:
        self.bar.setValue(value)
