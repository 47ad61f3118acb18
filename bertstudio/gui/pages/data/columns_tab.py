"""The Columns tab: the suggested mapping, and the task, text, second text, target and split columns.
A field the chosen task does not read is cleared and greyed out (the mapping drops it, see for_task)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.data_import import DataImport
from bertstudio.tasks import fine_tuning_tasks, get_task

NONE = "(none)"
QA_TASK = "question_answering"


class ColumnsTab(QWidget):
    def __init__(self, data_import: DataImport) -> None:
        super().__init__()
        self.data_import = data_import
        self._filling = False
        self.task_combo = QComboBox()
        self.task_combo.setObjectName("taskCombo")
        for spec in fine_tuning_tasks():
            self.task_combo.addItem(spec.title, spec.name)
            self.task_combo.setItemData(self.task_combo.count() - 1, spec.help, Qt.ItemDataRole.ToolTipRole)
        self.text_combo = QComboBox()
        self.text_combo.setObjectName("textColumnCombo")
        self.pair_combo = QComboBox()
        self.pair_combo.setObjectName("textPairColumnCombo")
        self.negative_combo = QComboBox()
        self.negative_combo.setObjectName("negativeColumnCombo")
        self.label_combo = QComboBox()
        self.label_combo.setObjectName("labelColumnCombo")
        self.label_combo.setToolTip(
            "The target column: a class, a number, tags, or labels separated in one cell"
        )
        self.label_list = QListWidget()
        self.label_list.setObjectName("labelColumnsList")
        self.label_list.setMaximumHeight(110)
        self.label_list.setToolTip("Tick one column with separated labels, or several 0/1 columns")
        self.delimiter_edit = QLineEdit()
        self.delimiter_edit.setObjectName("labelDelimiterEdit")
        self.delimiter_edit.setPlaceholderText("e.g. | for 'sports|politics'")
        self.delimiter_edit.setMaximumWidth(120)
        self.split_combo = QComboBox()
        self.split_combo.setObjectName("splitColumnCombo")
        # question answering from a table: its own roles (a SQuAD file names its fields itself)
        self.qa_combos = {
            "context": QComboBox(),
            "question": QComboBox(),
            "answer": QComboBox(),
            "answer_start": QComboBox(),
        }
        for role, combo in self.qa_combos.items():
            combo.setObjectName(f"{role}ColumnCombo")
        self.qa_combos["answer"].setToolTip(
            "The answer's text, as it is written in the context (empty: no answer)"
        )
        self.qa_combos["answer_start"].setToolTip(
            "The answer's character offset in the context; none: the answer is looked for in the context "
            "(it must occur there once)"
        )
        self.suggestion_label = QLabel("")
        self.suggestion_label.setObjectName("suggestionLabel")
        self.suggestion_label.setWordWrap(True)
        self.suggest_button = QPushButton("Apply Suggestion")
        self.suggest_button.setObjectName("applySuggestionButton")
        self.suggest_button.clicked.connect(data_import.apply_suggestion)
        for widget in (
            self.text_combo,
            self.pair_combo,
            self.negative_combo,
            self.label_combo,
            self.split_combo,
            *self.qa_combos.values(),
        ):
            widget.currentIndexChanged.connect(self._edited)
        self.task_combo.currentIndexChanged.connect(self._task_chosen)
        self.label_list.itemChanged.connect(self._edited)
        self.delimiter_edit.editingFinished.connect(self._edited)
        target = QWidget()
        target_layout = QVBoxLayout(target)
        target_layout.setContentsMargins(0, 0, 0, 0)
        target_layout.addWidget(self.label_combo)
        target_layout.addWidget(self.label_list)
        self.form = form = QFormLayout(self)
        form.addRow(self.suggestion_label)
        form.addRow("", self.suggest_button)
        form.addRow("Task", self.task_combo)
        # titled by the chosen task's column roles (a sentence-similarity task reads anchor and positive)
        self.role_labels = {"text": QLabel(), "text_pair": QLabel(), "negative": QLabel(), "labels": QLabel()}
        form.addRow(self.role_labels["text"], self.text_combo)
        form.addRow(self.role_labels["text_pair"], self.pair_combo)
        form.addRow(self.role_labels["negative"], self.negative_combo)
        form.addRow(self.role_labels["labels"], target)
        form.addRow("Label separator", self.delimiter_edit)
        form.addRow("Split column", self.split_combo)
        self.target_row = target
        for role, combo in self.qa_combos.items():
            spec_role = get_task(QA_TASK).role(role)
            form.addRow(spec_role.title + ("" if spec_role.required else " (optional)"), combo)
        data_import.opened.connect(lambda _path: self.show_columns())
        data_import.read_failed.connect(lambda _exc: self.show_columns())
        data_import.table_changed.connect(lambda _whole: self.show_columns())
        data_import.mapping_changed.connect(self.show_mapping)
        self.show_columns()

    def show_columns(self) -> None:
        """The table's columns in every combo (nothing without a table)."""
        table = self.data_import.table
        columns = list(table.columns) if table is not None else []
        if columns == [self.text_combo.itemText(i) for i in range(self.text_combo.count())] and columns:
            return
        self._filling = True
        for combo in (
            self.text_combo,
            self.pair_combo,
            self.negative_combo,
            self.label_combo,
            self.split_combo,
            *self.qa_combos.values(),
        ):
            combo.clear()
        self.text_combo.addItems(columns)
        for combo in (self.pair_combo, self.negative_combo, self.label_combo, self.split_combo):
            combo.addItems([NONE, *columns])
        for combo in self.qa_combos.values():
            combo.addItems([NONE, *columns])
        self.label_list.clear()
        for name in columns:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.label_list.addItem(item)
        self._filling = False
        self.show_mapping()

    def show_mapping(self) -> None:
        imported = self.data_import
        mapping = imported.mapping
        if imported.suggestion is not None:
            title = get_task(imported.suggestion.task).title
            self.suggestion_label.setText(f"<b>Suggested: {title}</b><br>{imported.suggestion.reason}")
        elif imported.suggestion_error:
            self.suggestion_label.setText(f"No suggestion: {imported.suggestion_error}")
        else:
            self.suggestion_label.setText("")
        self.suggest_button.setEnabled(imported.suggestion is not None)
        task = mapping.task if mapping is not None else self.task_combo.currentData()
        self._filling = True
        if mapping is not None:
            self.task_combo.setCurrentIndex(max(self.task_combo.findData(mapping.task), 0))
            self.text_combo.setCurrentText(mapping.text)
            self.pair_combo.setCurrentText(mapping.text_pair or NONE)
            self.negative_combo.setCurrentText(mapping.negative or NONE)
            self.split_combo.setCurrentText(mapping.split_column or NONE)
            self.label_combo.setCurrentText(mapping.labels[0] if mapping.labels else NONE)
            for row in range(self.label_list.count()):
                item = self.label_list.item(row)
                checked = item.text() in mapping.labels
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.delimiter_edit.setText(mapping.label_delimiter or "")
            for role, combo in self.qa_combos.items():
                combo.setCurrentText(getattr(mapping, role) or NONE)
        self._filling = False
        several = task == "multi_label"
        self.label_combo.setVisible(not several)
        self.label_list.setVisible(several)
        self._title_roles(get_task(task))
        reads_pair = get_task(task).reads("text_pair")
        self.pair_combo.setEnabled(reads_pair)
        self.pair_combo.setToolTip(
            "" if reads_pair else "Not read by this task: only sentence pairs have a second text"
        )
        reads_negative = get_task(task).reads("negative")
        self.negative_combo.setEnabled(reads_negative)
        self.negative_combo.setToolTip(
            "A text close to the anchor but not a match, per row: a harder negative than the batch's others"
            if reads_negative
            else "Not read by this task: only sentence similarity takes hard negatives"
        )
        self.delimiter_edit.setEnabled(get_task(task).several_labels)
        self._show_rows_of(get_task(task))

    def _show_rows_of(self, spec) -> None:
        """Question answering maps its own roles (a SQuAD file none); the other tasks the text rows."""
        answers = spec.answers_questions
        for widget in (self.text_combo, self.pair_combo, self.negative_combo, self.target_row):
            self.form.setRowVisible(widget, not answers)
        self.form.setRowVisible(self.delimiter_edit, not answers)
        self.form.setRowVisible(self.split_combo, not answers)
        table_of_questions = answers and self.data_import.questions is None
        for combo in self.qa_combos.values():
            self.form.setRowVisible(combo, table_of_questions)

    def _title_roles(self, spec) -> None:
        """Each column row titled by the task's role (Words / Tags, Anchor text / Positive ...)."""
        unread = {
            "text": "Text",
            "text_pair": "Second text (pairs)",
            "negative": "Hard negative",
            "labels": "Target column(s)",
        }
        for name, label in self.role_labels.items():
            role = spec.role(name)
            label.setText(role.title if role is not None else unread[name])

    def mapping(self) -> Any:
        """The mapping the widgets show."""
        from bertstudio.data import ColumnMapping

        task = self.task_combo.currentData()
        if get_task(task).answers_questions:
            chosen = {role: combo.currentText() for role, combo in self.qa_combos.items()}
            chosen = {role: None if value in ("", NONE) else value for role, value in chosen.items()}
            return ColumnMapping(text=chosen["question"] or "", task=task, **chosen)
        if task == "multi_label":
            labels = [
                self.label_list.item(row).text()
                for row in range(self.label_list.count())
                if self.label_list.item(row).checkState() == Qt.CheckState.Checked
            ]
        else:
            label = self.label_combo.currentText()
            labels = [] if label in ("", NONE) else [label]
        pair, split = self.pair_combo.currentText(), self.split_combo.currentText()
        negative = self.negative_combo.currentText()
        return ColumnMapping(
            text=self.text_combo.currentText(),
            text_pair=None if pair in ("", NONE) else pair,
            labels=labels,
            task=task,
            label_delimiter=self.delimiter_edit.text() or None,
            split_column=None if split in ("", NONE) else split,
            negative=None if negative in ("", NONE) else negative,
        )

    def _edited(self, *_: object) -> None:
        if not self._filling and self.data_import.table is not None:
            self.data_import.set_mapping(self.mapping())

    def _task_chosen(self, *_: object) -> None:
        if not self._filling and self.data_import.table is not None:
            if self.data_import.mapping is None:
                self.data_import.set_mapping(self.mapping())
            else:
                self.data_import.set_task(self.task_combo.currentData())
