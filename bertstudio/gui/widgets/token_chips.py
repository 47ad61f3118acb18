"""Tokenization view: the source text and its tokens as chips (coloured by word, id underneath,
continuation pieces joined to their word, special tokens and [UNK] marked). Hovering a chip
highlights its characters in the text, and hovering the text highlights its chip."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen, QTextCursor
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QTextEdit, QVBoxLayout, QWidget

from bertstudio.inspect.tokenization import TokenChip, TokenizationView

WORD_COLORS = ("#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#ede9fe", "#cffafe", "#fee2e2", "#e0e7ff")
SPECIAL_COLOR = "#e5e7eb"
UNKNOWN_COLOR = "#fca5a5"
PAIR_SEPARATOR = "\n\n"


def chip_color(chip: TokenChip) -> QColor:
    if chip.unknown:
        return QColor(UNKNOWN_COLOR)
    if chip.special or chip.word is None:
        return QColor(SPECIAL_COLOR)
    return QColor(WORD_COLORS[chip.word % len(WORD_COLORS)])


class TokenChipsView(QWidget):
    """Chips laid out like words in a paragraph; emits hovered(index) (-1 when none)."""

    hovered = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chips: list[TokenChip] = []
        self.rects: list[QRectF] = []
        self.highlighted = -1
        self.id_font = QFont(self.font())
        self.id_font.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.75))
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def set_chips(self, chips: list[TokenChip]) -> None:
        self.chips = chips
        self.highlighted = -1
        self._layout(self.width() or 600)
        self.update()

    def set_highlight(self, index: int) -> None:
        if index != self.highlighted:
            self.highlighted = index
            self.update()

    def _positions(self, width: int) -> tuple[list[QRectF], int]:
        """Chip rectangles placed left to right, wrapping at `width`, and the height they need."""
        metrics, id_metrics = QFontMetrics(self.font()), QFontMetrics(self.id_font)
        chip_height = metrics.height() + id_metrics.height() + 8
        x, y = 4.0, 4.0
        rects: list[QRectF] = []
        for chip in self.chips:
            chip_width = (
                max(metrics.horizontalAdvance(chip.token), id_metrics.horizontalAdvance(str(chip.id))) + 12
            )
            gap = 1.0 if chip.continuation else 6.0
            if rects and x + gap + chip_width > width - 4:
                x, y = 4.0, y + chip_height + 6
            elif rects:
                x += gap
            rects.append(QRectF(x, y, chip_width, chip_height))
            x += chip_width
        return rects, int(y + chip_height + 6)

    def _layout(self, width: int) -> None:
        self.rects, height = self._positions(width)
        self.setMinimumHeight(height)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._positions(width)[1]

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(600, self.minimumHeight())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._layout(event.size().width())
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        metrics = QFontMetrics(self.font())
        for chip, rect in zip(self.chips, self.rects, strict=True):
            border = (
                QColor("#b91c1c")
                if chip.unknown
                else QColor("#6b7280")
                if chip.special
                else QColor("#9ca3af")
            )
            width = 2.5 if chip.index == self.highlighted else 1.0
            if chip.index == self.highlighted:
                border = QColor("#111827")
            painter.setPen(
                QPen(border, width, Qt.PenStyle.DashLine if chip.special else Qt.PenStyle.SolidLine)
            )
            painter.setBrush(chip_color(chip))
            painter.drawRoundedRect(rect, 5, 5)
            painter.setPen(QColor("#111827"))
            painter.setFont(self.font())
            text_rect = QRectF(rect.left(), rect.top() + 3, rect.width(), metrics.height())
            painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignCenter), chip.token)
            painter.setFont(self.id_font)
            painter.setPen(QColor("#6b7280"))
            id_rect = QRectF(
                rect.left(),
                rect.top() + 3 + metrics.height(),
                rect.width(),
                rect.height() - metrics.height() - 5,
            )
            painter.drawText(id_rect, int(Qt.AlignmentFlag.AlignCenter), str(chip.id))
        painter.end()

    def chip_index_at(self, point) -> int:
        for chip, rect in zip(self.chips, self.rects, strict=True):
            if rect.contains(point):
                return chip.index
        return -1

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        index = self.chip_index_at(event.position())
        if index != self.highlighted:
            self.set_highlight(index)
            self.hovered.emit(index)
        if index >= 0:
            chip = self.chips[index]
            kind = (
                "special token"
                if chip.special
                else "unknown ([UNK])"
                if chip.unknown
                else f"word {chip.word}"
            )
            self.setToolTip(f"{chip.token}  id {chip.id}  {kind}  chars {chip.start}-{chip.end}")

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.highlighted >= 0:
            self.set_highlight(-1)
            self.hovered.emit(-1)


class SourceTextView(QTextEdit):
    """The example's text (text B below text A); emits hovered_offset(segment, offset) under the mouse."""

    hovered_offset = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.text_a, self.text_b = "", None
        self.setMaximumHeight(80)

    def set_texts(self, text_a: str, text_b: str | None) -> None:
        self.text_a, self.text_b = text_a, text_b
        self.setPlainText(text_a if text_b is None else text_a + PAIR_SEPARATOR + text_b)

    def document_position(self, segment: int, offset: int) -> int:
        return offset if segment == 0 else len(self.text_a) + len(PAIR_SEPARATOR) + offset

    def highlight(self, segment: int, start: int, end: int) -> None:
        if end <= start:
            self.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        selection.format.setBackground(QColor("#fde047"))
        cursor = QTextCursor(self.document())
        cursor.setPosition(self.document_position(segment, start))
        cursor.setPosition(self.document_position(segment, end), QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        self.setExtraSelections([selection])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        position = self.cursorForPosition(event.position().toPoint()).position()
        start_b = len(self.text_a) + len(PAIR_SEPARATOR)
        if self.text_b is not None and position >= start_b:
            self.hovered_offset.emit(1, position - start_b)
        elif position < len(self.text_a):
            self.hovered_offset.emit(0, position)
        else:
            self.hovered_offset.emit(-1, -1)
        super().mouseMoveEvent(event)


class TokenizationPanel(QWidget):
    """Source text, counts and chips of one tokenization, hover-linked both ways."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: TokenizationView | None = None
        self.title = QLabel(f"<b>{title}</b>")
        self.source = SourceTextView()
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.chips = TokenChipsView()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.chips)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.source)
        layout.addWidget(self.counts)
        layout.addWidget(scroll, 1)
        self.chips.hovered.connect(self._chip_hovered)
        self.source.hovered_offset.connect(self._text_hovered)

    def set_title(self, title: str) -> None:
        self.title.setText(f"<b>{title}</b>")

    def show_view(self, view: TokenizationView) -> None:
        self.view = view
        self.source.set_texts(view.text, view.text_pair)
        self.chips.set_chips(view.chips)
        unknown = sum(chip.unknown for chip in view.chips)
        text = (
            f"{view.characters} characters · {view.words} words · {view.tokens} tokens"
            f" ({view.tokens / max(view.words, 1):.2f} per word) · {unknown} [UNK]"
        )
        if view.truncated:
            text += (
                f" · <span style='color:#b91c1c'><b>truncated</b>: needs {view.untruncated_tokens} tokens,"
                f" max length {view.max_length}</span>"
            )
        self.counts.setText(text)

    def _chip_hovered(self, index: int) -> None:
        if self.view is None or index < 0:
            self.source.highlight(0, 0, 0)
            return
        chip = self.view.chips[index]
        self.source.highlight(chip.segment, chip.start, chip.end)

    def _text_hovered(self, segment: int, offset: int) -> None:
        chip = self.view.chip_at(segment, offset) if self.view is not None and segment >= 0 else None
        self.chips.set_highlight(chip.index if chip is not None else -1)
