"""The application controller: the one state the window shows and trains from. It holds the workspace,
the open model, the data in use (file, read options, mapping, task), the run settings with the person's
own edits, and the training session; pages render it and call its operations. The demo, the self-test
and the tests drive the window through these operations too."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.errors import ConfigError, TrainingError
from bertstudio.gui.data_import import DataImport, for_task
from bertstudio.gui.folder_names import checked_folder_name
from bertstudio.gui.state import DataSelection
from bertstudio.gui.training_session import TrainingSession
from bertstudio.gui.workers import run_in_background
from bertstudio.tasks import get_task
from bertstudio.training.config import RunConfig
from bertstudio.training.run_index import model_display_name

# The hyper-parameters of the Train page's form (RunConfig fields).
FORM_FIELDS = (
    "epochs",
    "max_steps",
    "batch_size",
    "gradient_accumulation",
    "learning_rate",
    "warmup_ratio",
    "weight_decay",
    "schedule",
    "max_length",
    "doc_stride",
    "eval_every_steps",
    "metric_for_best",
    "early_stopping_patience",
    "seed",
    "device",
    "precision",
)
# Settings beyond the form fields that the Train page edits (pretraining and probes).
EXTRA_FIELDS = ("preset", "vocab_size", "nsp", "whole_word_mask", "corpus_paths", "probe_sentences")
# A person's edit of these stops applying when the model changes (a rate for one model is not one for
# another) or the task changes (each task has its own defaults and metrics).
MODEL_BOUND = ("learning_rate", "warmup_ratio")
TASK_BOUND = ("learning_rate", "epochs", "warmup_ratio", "batch_size", "metric_for_best")
FIELD_TITLES = {
    "epochs": "epochs",
    "max_steps": "max steps",
    "batch_size": "batch size",
    "gradient_accumulation": "gradient accumulation",
    "learning_rate": "learning rate",
    "warmup_ratio": "warmup ratio",
    "weight_decay": "weight decay",
    "schedule": "LR schedule",
    "max_length": "max length",
    "doc_stride": "doc stride",
    "eval_every_steps": "evaluate every",
    "metric_for_best": "best by",
    "early_stopping_patience": "early stopping patience",
    "seed": "seed",
    "device": "device",
    "precision": "precision",
}


def task_defaults(task: str) -> RunConfig:
    """The registry's default settings of `task`, its best metric named (the form shows one)."""
    return RunConfig.for_task(task, metric_for_best=get_task(task).best_metric)


def summarize_model(path: Path) -> dict[str, Any]:
    from bertstudio.model.summary import summarize

    return summarize(path)


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class AppController(QObject):
    model_opening = Signal(object)  # path being opened
    model_changed = Signal()
    model_failed = Signal(object)  # the exception (the model before stays open)
    data_changed = Signal()  # the data in use (a DataSelection or None), its mapping or task
    task_changed = Signal()
    settings_changed = Signal()  # the run settings were replaced or edited
    notice = Signal(str)  # what changed in the settings without the person doing it, and why
    workspace_changed = Signal()
    run_started = Signal(str)  # run folder, once the engine has created it
    run_finished = Signal(str)  # run folder
    busy = Signal(str)  # what is running now, "" when idle
    failed = Signal(object, str)  # (exception, title) of an operation that failed: shown in a dialog

    def __init__(
        self, workspace: Path, max_length: int = 128, validation: float = 0.1, test: float = 0.1
    ) -> None:
        super().__init__()
        self.workspace = Path(workspace)
        self.model_path: Path | None = None
        self.model_summary: dict[str, Any] | None = None
        self.data: DataSelection | None = None
        self.task = "classification"
        self.settings = task_defaults(self.task)  # what Start trains with (beyond model and data)
        self.edited: set[str] = set()  # settings the person chose; kept while they still apply
        self.run_name = ""  # the person's name for the next run ("" = automatic); used once
        self.running_run: str | None = None  # the run folder training in this window now
        self.data_import = DataImport(lambda: self.model_path, max_length, validation, test)
        self.data_import.busy.connect(self.busy)
        # the Data page counts question-answering windows with the doc stride the run will use
        self.settings_changed.connect(lambda: self.data_import.set_doc_stride(self.settings.doc_stride))
        self.session = TrainingSession()
        self.session.events.connect(self._session_events)
        self.session.ended.connect(self._session_ended)
        self._opening: Path | None = None

    # ----- workspace -----
    @property
    def runs_dir(self) -> Path:
        return self.workspace / "runs"

    @property
    def models_dir(self) -> Path:
        return self.workspace / "models"

    def set_workspace(self, path: Path) -> None:
        self.workspace = Path(path)
        self.workspace_changed.emit()

    # ----- model -----
    def open_model(self, path: Path) -> None:
        """Read the checkpoint's summary in the background; the model changes once it is read."""
        self._opening = Path(path)
        self.model_opening.emit(self._opening)
        self.busy.emit(f"Opening model {self._opening.name}...")
        run_in_background(
            summarize_model, self._opening, owner=self, on_done=self._model_read, on_error=self._model_failed
        )

    def _model_read(self, summary: dict[str, Any]) -> None:
        self.busy.emit("")
        self.set_model(Path(summary["path"]), summary)

    def _model_failed(self, exc: BaseException) -> None:
        self.busy.emit("")
        self._opening = None
        self.model_failed.emit(exc)
        self.failed.emit(exc, "Could not open the model")

    @property
    def opening_model(self) -> Path | None:
        return self._opening

    def set_model(self, path: Path, summary: dict[str, Any]) -> None:
        changed = self.model_path is not None and Path(path) != self.model_path
        self.model_path, self.model_summary, self._opening = Path(path), summary, None
        self._reset_settings(f"the model {model_display_name(path)}", MODEL_BOUND)
        self.model_changed.emit()
        if changed or self.data_import.table is not None:
            self.data_import.recheck()  # token lengths follow the tokenizer

    # ----- data -----
    def import_data(self, path: Path, options: ReadOptions = DETECT) -> None:
        """Read a data file for the Data page: preview first, then the whole file, suggestion and check."""
        self.data_import.open(Path(path), options)

    def use_data(self) -> None:
        """Train on the imported data as mapped and checked; ConfigError while it is not usable."""
        selection = self.data_import.selection()
        if selection is None:
            raise ConfigError(
                "This data is not ready for training.",
                "Import a file on the Data page and map its columns; the Check tab must pass (or tick "
                "'Leave out rows with errors').",
            )
        self.set_data(selection)

    def set_data(self, selection: DataSelection) -> None:
        self.data = selection
        if selection.task != self.task:
            self.task = selection.task
            self.task_changed.emit()
            self._reset_settings(f"the task {get_task(self.task).title}", TASK_BOUND)
        else:
            self._reset_settings(f"the data {selection.path.name}", ())
        self.data_changed.emit()

    # ----- task -----
    def set_task(self, task: str) -> None:
        """Train `task`: the data in use is read as that task reads it (a column it does not read is
        cleared), and the settings follow the task's defaults."""
        if task == self.task:
            return
        self.task = task
        if self.data is not None and not get_task(task).pretraining:
            self.data = dataclasses.replace(self.data, mapping=for_task(self.data.mapping, task))
            if self.data_import.path == self.data.path:
                self.data_import.set_task(task)
        self.task_changed.emit()
        self._reset_settings(f"the task {get_task(task).title}", TASK_BOUND)
        self.data_changed.emit()

    def current_mapping(self) -> Any:
        """The mapping Start trains with (None for the pretraining tasks or without data)."""
        if self.data is None or get_task(self.task).pretraining:
            return None
        return for_task(self.data.mapping, self.task)

    # ----- settings -----
    def apply_settings(self, by_person: bool = True, **changes: Any) -> None:
        """Change run settings (RunConfig fields; `run_name` for the next run's folder). The person's
        changes are kept while they apply; others (the demo's) give way to the next model's defaults."""
        for name, value in changes.items():
            if name == "run_name":
                self.run_name = str(value)
                continue
            if name not in FORM_FIELDS and name not in EXTRA_FIELDS:
                raise ConfigError(f"Unknown run setting {name!r}.")
            setattr(self.settings, name, value)
            if by_person:
                self.edited.add(name)
            else:
                self.edited.discard(name)
        self.settings_changed.emit()

    def apply_task_defaults(self) -> None:
        """Forget the person's edits: the chosen task's defaults (max length from the data)."""
        self.edited.clear()
        self._reset_settings("", ())

    def _reset_settings(self, context: str, bound: tuple[str, ...]) -> None:
        """Start from the defaults of the model and task; keep the person's edits that still apply
        and say which were reset. Settings not chosen by the person (the demo's) are not kept."""
        previous, edited = self.settings, set(self.edited)
        fresh = task_defaults(self.task)
        for name in EXTRA_FIELDS:  # text files, probes and objectives are the person's, never defaults
            setattr(fresh, name, getattr(previous, name))
        if self.data is not None and not get_task(self.task).pretraining:
            fresh.max_length = self.data.max_length
        reset = sorted(
            name for name in edited if name in bound and getattr(previous, name) != getattr(fresh, name)
        )
        kept = sorted(name for name in edited if name not in bound and name in FORM_FIELDS)
        for name in kept:
            setattr(fresh, name, getattr(previous, name))
        if fresh.metric_for_best not in get_task(self.task).metrics or "metric_for_best" not in kept:
            mapping = self.current_mapping()  # scored pairs and plain pairs follow different metrics
            labelled = mapping is not None and bool(mapping.labels)
            fresh.metric_for_best = get_task(self.task).default_best_metric(labelled)
        self.settings = fresh
        self.edited = {name for name in edited if name not in bound}
        if context and (reset or kept):
            parts = []
            if reset:
                said = ", ".join(f"{FIELD_TITLES[n]} {_shown(getattr(fresh, n))}" for n in reset)
                parts.append(f"Set for {context}: {said} (your earlier choice did not apply to it).")
            if kept:
                parts.append(
                    "Kept your "
                    + ", ".join(f"{FIELD_TITLES[n]} {_shown(getattr(fresh, n))}" for n in kept)
                    + "."
                )
            self.notice.emit(" ".join(parts))
        elif context:
            self.notice.emit("")
        self.settings_changed.emit()

    # ----- the run Start would write -----
    def ready_to_start(self) -> tuple[bool, str]:
        """Whether Start can train now, and if not, what to do first (naming the window's controls)."""
        if self.session.is_running():
            return False, "A run is training."
        if self.task == "pretraining":
            return bool(self.settings.corpus_paths), "Add text files to pretrain on."
        if self.task == "continued_pretraining":
            ready = self.model_path is not None and bool(self.settings.corpus_paths)
            return ready, "Open a model and add text files."
        ready = self.model_path is not None and self.data is not None
        return ready, "Open a model (Model page) and import data (Data page) first."

    def run_config(self) -> RunConfig:
        """The config Start would write to run.json; ConfigError for a bad run name."""
        config = dataclasses.replace(self.settings, task=self.task)
        config.corpus_paths = list(self.settings.corpus_paths)
        config.probe_sentences = [s.strip() for s in self.settings.probe_sentences if s.strip()]
        if get_task(self.task).starts_from_model and self.model_path is not None:
            config.model_path = str(self.model_path)
        if not get_task(self.task).pretraining:
            config.corpus_paths, config.whole_word_mask = [], False
        if self.task != "pretraining":
            config.nsp = False  # a loaded checkpoint has no NSP head to continue
        mapping = self.current_mapping()
        if mapping is not None:
            data = self.data
            config.data_path = str(data.path)
            if get_task(self.task).answers_questions:  # a table's columns; a SQuAD file names its own
                config.context_column = mapping.context or ""
                config.question_column = mapping.question or ""
                config.answer_column = mapping.answer or ""
                config.answer_start_column = mapping.answer_start or ""
            else:
                config.text_column = mapping.text
                config.text_pair_column = mapping.text_pair or ""
                config.negative_column = mapping.negative or ""
                config.label_columns = list(mapping.labels)
                config.label_delimiter = mapping.label_delimiter or ""
                config.split_column = mapping.split_column or ""
            config.validation_fraction = data.validation_fraction
            config.test_fraction = data.test_fraction
            config.exclude_problem_rows = data.exclude_problem_rows
            words = data.read_options.as_text()
            config.encoding, config.delimiter, config.header = (
                words["encoding"],
                words["delimiter"],
                words["header"],
            )
        typed = self.run_name.strip()
        name = checked_folder_name(typed, "run") if typed else self._automatic_run_name()
        config.output_dir = str(self.runs_dir / name)
        return config

    def _automatic_run_name(self) -> str:
        model = "new"
        if self.model_path is not None and get_task(self.task).starts_from_model:
            model = model_display_name(self.model_path).replace("/", "-")
        base = f"{time.strftime('%Y%m%d-%H%M%S')}-{self.task}-{model}"
        name, n = base, 1
        while (self.runs_dir / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    # ----- running -----
    def is_running(self) -> bool:
        return self.session.is_running()

    def start_run(self) -> RunConfig:
        """Start training what the Train page shows; ConfigError / TrainingError say why not."""
        ready, why = self.ready_to_start()
        if not ready:
            raise TrainingError("Cannot start yet.", why)
        config = self.run_config()
        config.validate()
        if (Path(config.output_dir) / "run.json").exists():
            raise ConfigError(
                f"A run named {Path(config.output_dir).name!r} already exists.",
                "Type another Run name on the Train page (or leave it empty for an automatic one), or resume "
                "that run from the Runs page.",
                path=config.output_dir,
            )
        self.run_name = ""  # a typed name names this run only: the next Start gets a fresh one
        self.session.start(config)
        self.settings_changed.emit()
        self.busy.emit("Training: preparing...")
        return config

    def resume_run(self, run_dir: Path) -> None:
        """Continue an interrupted or cancelled run from its last checkpoint. While it trains, the
        Train page shows its settings; afterwards, the settings of the open model and task again."""
        if self.session.is_running():
            raise TrainingError(
                "A run is already training.", "Cancel it (Cancel on the Train page) or wait until it ends."
            )
        from bertstudio.training.run_store import RunFolder

        config = RunFolder(run_dir).read_config()
        self.session.resume(Path(run_dir), config)
        self.busy.emit("Training: preparing...")

    def toggle_pause(self) -> None:
        self.session.toggle_pause()
        if self.session.is_running():
            self.busy.emit("Training paused" if self.session.paused else "Training")

    def cancel_run(self) -> None:
        self.session.cancel()

    def _session_events(self, events: list) -> None:
        for event in events:
            if event.kind == "started":
                self.running_run = str(event.run_dir)
                self.run_started.emit(self.running_run)
                self.busy.emit(f"Training on {event.device}")  # with its precision: 'CPU, 2 threads, fp32'
            elif event.kind in ("finished", "failed") and self.session.run_dir is not None:
                self.running_run = None
                self.run_finished.emit(str(self.session.run_dir))

    def _session_ended(self) -> None:
        self.running_run = None
        self.busy.emit("")
        self.settings_changed.emit()  # a resumed run's settings give way to the open model's

    # ----- the demo -----
    def open_demo(self, settings: dict[str, Any]) -> None:
        """Open the demo model, then import the demo data; once it checks out, use it with `settings`."""
        from bertstudio.gui.demo import demo_paths

        model, data = demo_paths()
        imported = self.data_import

        def model_opened() -> None:
            self.model_changed.disconnect(model_opened)
            imported.report_changed.connect(data_checked)
            imported.open(data, max_length=settings.get("max_length"))

        def data_checked() -> None:
            if imported.checking or imported.table is None or not imported.whole:
                return
            imported.report_changed.disconnect(data_checked)
            if imported.usable:
                self.use_data()
                self.apply_settings(by_person=False, **settings)
                self.busy.emit("Demo ready: press Start to fine-tune the demo model on the demo reviews")

        self.model_changed.connect(model_opened)
        self.open_model(model)
