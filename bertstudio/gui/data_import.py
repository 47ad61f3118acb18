"""The data being imported (Qt-side, plain state): the file, its read options, the table read in the
background, the column mapping and task, the validation report, max length and split. The Data page's
tabs render it and send it intents; `selection()` is what "Use for Training" hands the controller."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.errors import BertStudioError
from bertstudio.gui.state import DataSelection
from bertstudio.gui.workers import run_in_background
from bertstudio.tasks import get_task

PREVIEW_ROWS = 200
QA_TASK = "question_answering"  # the task a SQuAD .json file trains
QA_DOC_STRIDE = get_task(QA_TASK).defaults.doc_stride  # until the Train page says otherwise


def is_squad_file(path: Path) -> bool:
    from bertstudio.data.squad import is_squad_file as squad

    return squad(path)


RECHECK_DELAY_MS = 400  # typing a max length or a split re-checks once, after a pause


def read_preview(path: Path, options: ReadOptions) -> Any:
    from bertstudio.data.reading import preview_table

    return preview_table(path, PREVIEW_ROWS, options)


def read_whole(path: Path, options: ReadOptions) -> Any:
    from bertstudio.data.reading import read_table

    return read_table(path, options)


def read_questions_table(path: Path, options: ReadOptions) -> tuple[Any, Any]:
    """A SQuAD .json file's questions, and a table of them (id, title, question, answers, context) to
    preview; the questions themselves are what training reads."""
    from bertstudio.data.reading import Table
    from bertstudio.data.squad import read_squad

    parsed = read_squad(path)
    rows = [
        [e.id, e.title, e.question, " | ".join(e.answers) or "(no answer)", e.context]
        for e in parsed.examples
    ]
    table = Table.from_rows(
        ["id", "title", "question", "answers", "context"], rows, [e.line for e in parsed.examples]
    )
    table.path = Path(path)
    return parsed, table


def check_questions(
    parsed: Any,
    model_path: Path | None,
    max_length: int,
    sizes: tuple[float, float, float],
    columns: Any = None,
    doc_stride: int = QA_DOC_STRIDE,
) -> Any:
    """The question-answering report (data.qa_validation), with windows counted when a model is open
    (windows of `max_length` tokens sharing `doc_stride`, as the run will cut them)."""
    from bertstudio.data.qa_validation import validate_questions

    tokenizer = None
    if model_path is not None:
        from bertstudio.text import load_tokenizer

        tokenizer = load_tokenizer(model_path)
    return validate_questions(parsed, tokenizer, max_length, doc_stride, sizes=sizes, columns=columns)


def check_question_table(
    table: Any,
    mapping: Any,
    model_path: Path | None,
    max_length: int,
    sizes: tuple[float, float, float],
    doc_stride: int = QA_DOC_STRIDE,
) -> Any:
    """A table of questions read through its mapped columns as training reads it (data.squad), then
    checked as a SQuAD file is."""
    from bertstudio.data.squad import read_qa_table

    mapping.check(table)
    columns = mapping.qa_columns()
    return check_questions(read_qa_table(table, columns), model_path, max_length, sizes, columns, doc_stride)


def check_data(
    table: Any, mapping: Any, model_path: Path | None, max_length: int, sizes: tuple[float, float, float]
) -> Any:
    """The data layer's validation report, with token lengths (and the model's own length limit) when a
    model is open."""
    from bertstudio.data import validate

    tokenizer = model_limit = None
    if model_path is not None:
        from bertstudio.model.hub import model_length_limit
        from bertstudio.text import load_tokenizer

        tokenizer = load_tokenizer(model_path)
        model_limit = model_length_limit(model_path)
    return validate(
        table, mapping, tokenizer=tokenizer, max_length=max_length, sizes=sizes, model_limit=model_limit
    )


def for_task(mapping: Any, task: str) -> Any:
    """The mapping as `task` reads it: a second text only for sentence pairs, several target columns
    and a label separator only for multi-label. A column a task does not read is cleared, never carried
    along unseen."""
    from dataclasses import replace

    spec = get_task(task)
    reads_labels = spec.reads("labels")
    return replace(
        mapping,
        task=task,
        text=(mapping.question or mapping.text) if spec.answers_questions else mapping.text,
        context=mapping.context if spec.reads("context") else None,
        question=mapping.question if spec.reads("question") else None,
        answer=mapping.answer if spec.reads("answer") else None,
        answer_start=mapping.answer_start if spec.reads("answer_start") else None,
        text_pair=mapping.text_pair if get_task(task).reads("text_pair") else None,
        negative=mapping.negative if get_task(task).reads("negative") else None,
        labels=list(mapping.labels)
        if get_task(task).several_labels
        else list(mapping.labels[: int(reads_labels)]),
        label_delimiter=mapping.label_delimiter if get_task(task).several_labels else None,
    )


class DataImport(QObject):
    opened = Signal(object)  # a new file (path): everything of the file before is gone
    table_changed = Signal(bool)  # a table arrived: the preview (False) or the whole file (True)
    read_done = Signal(object)  # the whole file was read (path): worth a place in Open Recent
    read_failed = Signal(object)  # the exception
    mapping_changed = Signal()  # the mapping or task changed (suggested, chosen, switched)
    report_changed = Signal()  # a check started (report None), ended (report) or failed (check_error)
    check_crashed = Signal(object)  # an unexpected error while checking
    busy = Signal(str)

    def __init__(
        self, model_path: Callable[[], Path | None], max_length: int, validation: float, test: float
    ):
        super().__init__()
        self._model_path = model_path
        self.path: Path | None = None
        self.read_options = DETECT
        self.table: Any = None  # the whole file once read; the preview until then
        self.questions: Any = None  # a SQuAD .json file's questions (data.squad.ParsedQuestions)
        self.whole = False
        self.suggestion: Any = None
        self.suggestion_error = ""
        self.mapping: Any = None  # bertstudio.data.ColumnMapping
        self.report: Any = None
        self.check_error: Any = None  # a BertStudioError: the mapping does not fit the table
        self.max_length = max_length
        self._own_max_length: int | None = None  # the person's, while the demo's (or QA's) is in use
        self._question_length = False  # the max length in use is question answering's, for this file
        self.doc_stride = QA_DOC_STRIDE  # the run's: question-answering windows are counted with it
        self.validation_fraction = validation
        self.test_fraction = test
        self.exclude_problem_rows = False
        # stale background results are ignored: a read or a check answers only if it is still the newest
        self._read_generation = 0
        self._check_generation = 0
        self._recheck_timer = QTimer(self)
        self._recheck_timer.setSingleShot(True)
        self._recheck_timer.setInterval(RECHECK_DELAY_MS)
        self._recheck_timer.timeout.connect(self.recheck)

    # ----- reading -----
    def open(self, path: Path, options: ReadOptions = DETECT, max_length: int | None = None) -> None:
        """Preview the head of `path` at once, then read the whole file in the background. A
        `max_length` given here (the demo's) holds for this file only; the next gets the person's back."""
        self.path = Path(path)
        if max_length is None and is_squad_file(self.path):  # windows of the task's length, for this file
            max_length = get_task(QA_TASK).defaults.max_length
        if self._own_max_length is not None:
            self.max_length, self._own_max_length = self._own_max_length, None
        self._question_length = False
        if max_length is not None:
            self._own_max_length, self.max_length = self.max_length, int(max_length)
        self.read_options = options
        self._forget_table()  # a new file gets a fresh suggestion, even with the same column names
        self.opened.emit(self.path)
        self._reload()

    def set_read_options(self, options: ReadOptions) -> None:
        if self.path is not None and options != self.read_options:
            self.read_options = options
            self._reload()

    def _reload(self) -> None:
        self._read_generation += 1
        generation = self._read_generation
        self.whole = False
        self.busy.emit(f"Reading {self.path.name}...")
        if is_squad_file(self.path):
            run_in_background(
                read_questions_table,
                self.path,
                self.read_options,
                owner=self,
                on_done=lambda read: self._questions_read(generation, *read),
                on_error=lambda exc: self._read_failed(generation, exc),
            )
            return
        for reader, whole in ((read_preview, False), (read_whole, True)):
            run_in_background(
                reader,
                self.path,
                self.read_options,
                owner=self,
                on_done=lambda table, whole=whole: self._read(generation, table, whole),
                on_error=lambda exc: self._read_failed(generation, exc),
            )

    def _read(self, generation: int, table: Any, whole: bool) -> None:
        if generation != self._read_generation or (self.whole and not whole):
            return  # stale, or the preview after the whole file
        previous_columns = list(self.table.columns) if self.table is not None else None
        self.table, self.whole = table, whole
        if whole:
            self.busy.emit("")
        self.table_changed.emit(whole)
        if table.columns != previous_columns:
            self._suggest()
        elif whole:
            self.recheck()
        if whole:
            self.read_done.emit(self.path)

    def _questions_read(self, generation: int, parsed: Any, table: Any) -> None:
        """A SQuAD file read: its questions are the data, for the question_answering task."""
        from bertstudio.data import ColumnMapping

        if generation != self._read_generation:
            return
        self.questions, self.table, self.whole = parsed, table, True
        self.busy.emit("")
        self.table_changed.emit(True)
        self.suggestion = ColumnMapping(
            text="question", task="question_answering", reason="a SQuAD file: contexts, questions and answers"
        )
        self.apply_suggestion()
        self.read_done.emit(self.path)

    def _read_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._read_generation:
            return
        self._read_generation += 1  # the other read of this generation is moot
        self.busy.emit("")
        self._forget_table()
        self.read_failed.emit(exc)

    def _forget_table(self) -> None:
        """Drop the table, mapping and report: nothing of a file read before may pass for this one."""
        self._check_generation += 1  # a check still running belongs to the old table
        self.table = self.report = self.suggestion = self.mapping = self.check_error = self.questions = None
        self.suggestion_error = ""
        self.whole = False
        self.exclude_problem_rows = False

    # ----- mapping -----
    def _suggest(self) -> None:
        from bertstudio.data import suggest_task

        try:
            self.suggestion = suggest_task(self.table)
            self.suggestion_error = ""
        except Exception as exc:  # noqa: BLE001 - no suggestion is fine; the page says why
            self.suggestion = None
            self.suggestion_error = exc.in_window_words() if isinstance(exc, BertStudioError) else str(exc)
            self.mapping = None
            self.mapping_changed.emit()
            return
        self.apply_suggestion()

    def apply_suggestion(self) -> None:
        if self.suggestion is not None:
            self.set_mapping(self.suggestion)

    def set_mapping(self, mapping: Any) -> None:
        """Use `mapping`, as its task reads it (see `for_task`), and check the data again."""
        if self.questions is not None and mapping.task != QA_TASK:
            from bertstudio.errors import DataImportError

            self.check_error = DataImportError(
                "A SQuAD file holds questions about contexts: it trains question answering only.",
                "Choose the question-answering task, or open a table for the other tasks.",
                path=self.path,
            )
            self.report = None
            self.report_changed.emit()
            return
        self._follow_task_length(mapping.task)
        self.mapping = for_task(mapping, mapping.task)
        self.mapping_changed.emit()
        self.recheck()

    def set_task(self, task: str) -> None:
        """Switch the task, keeping the columns it reads and clearing those it does not."""
        if self.mapping is not None and task != self.mapping.task:
            self.set_mapping(for_task(self.mapping, task))

    def _follow_task_length(self, task: str) -> None:
        """A table mapped for question answering gets the task's windows (384 tokens) for this file,
        as a SQuAD file does, unless a length of its own is in use; mapped back, the person's again."""
        answers = get_task(task).answers_questions
        if answers and self._own_max_length is None:
            self._own_max_length, self.max_length = self.max_length, get_task(task).defaults.max_length
            self._question_length = True
        elif not answers and self._question_length:
            self.max_length, self._own_max_length = self._own_max_length, None
            self._question_length = False

    # ----- checking -----
    def set_max_length(self, value: int) -> None:
        self.max_length = int(value)
        self._own_max_length = None
        self._question_length = False
        self._recheck_timer.start()

    def set_doc_stride(self, value: int) -> None:
        """Count question-answering windows as a run with this doc stride cuts them."""
        if int(value) == self.doc_stride:
            return
        self.doc_stride = int(value)
        if self.mapping is not None and get_task(self.mapping.task).answers_questions:
            self._recheck_timer.start()

    def set_split(self, validation: float, test: float) -> None:
        self.validation_fraction, self.test_fraction = float(validation), float(test)
        self._recheck_timer.start()

    def set_exclude_problem_rows(self, exclude: bool) -> None:
        self.exclude_problem_rows = bool(exclude)
        self.report_changed.emit()

    def split_sizes(self) -> tuple[float, float, float]:
        return (
            1.0 - self.validation_fraction - self.test_fraction,
            self.validation_fraction,
            self.test_fraction,
        )

    def recheck(self, *_: object) -> None:
        if self.table is None or self.mapping is None:
            return
        if not (self.mapping.text or get_task(self.mapping.task).answers_questions):
            return
        if not getattr(self.table, "complete", True):
            return  # the whole file is still being read; it is checked when it arrives
        self._recheck_timer.stop()
        self._check_generation += 1
        generation = self._check_generation
        self.report = self.check_error = None
        self.report_changed.emit()
        if self.questions is not None:  # a SQuAD file: its questions are checked, not a table
            check = functools.partial(check_questions, self.questions, doc_stride=self.doc_stride)
        elif get_task(self.mapping.task).answers_questions:
            check = functools.partial(
                check_question_table, self.table, self.mapping, doc_stride=self.doc_stride
            )
        else:
            check = functools.partial(check_data, self.table, self.mapping)
        run_in_background(
            check,
            self._model_path(),
            self.max_length,
            self.split_sizes(),
            owner=self,
            on_done=lambda report: self._checked(generation, report),
            on_error=lambda exc: self._check_failed(generation, exc),
        )

    def _checked(self, generation: int, report: Any) -> None:
        if generation == self._check_generation:
            self.report = report
            self.report_changed.emit()

    def _check_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._check_generation:
            return
        from bertstudio.errors import BertStudioError

        if isinstance(exc, BertStudioError):
            self.check_error = exc
            self.report_changed.emit()
        else:
            self.check_crashed.emit(exc)

    @property
    def checking(self) -> bool:
        return self.table is not None and self.report is None and self.check_error is None

    @property
    def usable(self) -> bool:
        """Checked, usable, and its problem rows (if any) explicitly left out."""
        report = self.report
        if report is None or not report.usable:
            return False
        return report.problem_rows == 0 or self.exclude_problem_rows

    def selection(self) -> DataSelection | None:
        """What training would read, or None while the data is not usable."""
        if not self.usable:
            return None
        return DataSelection(
            path=self.path,
            mapping=self.mapping,
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            max_length=self.max_length,
            label_names=list(getattr(self.report, "label_names", []) or []),
            exclude_problem_rows=self.exclude_problem_rows,
            read_options=self.read_options,
            train_rows=(self.report.split_counts or {}).get("train"),
        )
