"""Evaluate > Results for question answering: the questions answered worst (lowest F1 first), and the
chosen one's context with the gold span and the predicted span highlighted."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.widgets.answer_view import ContextView
from bertstudio.training.qa_results import worst_questions

WORST_SHOWN = 200


class AnswersPanel(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("answersPanel")
        self.rows = []
        self.title = QLabel("Worst questions by F1")
        self.title.setObjectName("worstQuestionsTitle")
        self.title.setStyleSheet("font-weight: 600;")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("worstQuestionsTable")
        self.table.setAccessibleName("Questions answered worst")
        self.table.setHorizontalHeaderLabels(["Line", "Question", "Gold", "Predicted", "F1"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setColumnWidth(0, 60)
        self.table.setColumnWidth(1, 320)
        self.table.setColumnWidth(2, 200)
        self.table.setColumnWidth(3, 200)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.currentCellChanged.connect(lambda row, *_: self.show_question(row))
        self.question_label = QLabel("")
        self.question_label.setObjectName("answerQuestionLabel")
        self.question_label.setWordWrap(True)
        self.context = ContextView("answerContextView")
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.question_label)
        detail_layout.addWidget(self.context, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setSizes([260, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(splitter, 1)

    def set_answers(self, answers) -> None:
        """Show the worst of a split's answered questions (qa_results.AnsweredQuestion)."""
        self.rows = worst_questions(answers, WORST_SHOWN)
        wrong = sum(row.f1 < 1.0 for row in answers)
        self.title.setText(f"Worst questions by F1 ({wrong:,} of {len(answers):,} not fully right)")
        self.table.setRowCount(len(self.rows))
        for index, row in enumerate(self.rows):
            gold = " | ".join(row.golds) if row.golds else "(no answer)"
            cells = [str(row.line), row.question, gold, row.predicted or "(no answer)", f"{row.f1:.2f}"]
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(index, col, item)
        if self.rows:
            self.table.setCurrentCell(0, 1)
        else:
            self.question_label.setText("")
            self.context.clear()

    def show_question(self, index: int) -> None:
        if not 0 <= index < len(self.rows):
            return
        row = self.rows[index]
        gold = [(start, start + len(text)) for text, start in zip(row.golds, row.gold_starts, strict=True)]
        predicted = (row.predicted_start, row.predicted_end) if row.predicted_start >= 0 else None
        verdict = "no answer predicted" if predicted is None else f"predicted {row.predicted!r}"
        self.question_label.setText(
            f"<b>{row.question}</b> — gold: {', '.join(map(repr, row.golds)) or 'no answer'}; {verdict}; "
            f"F1 {row.f1:.2f}, exact {row.exact:.0f}"
        )
        self.context.show_spans(row.context, gold, predicted)
