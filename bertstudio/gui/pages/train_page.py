"""Train page: a task-aware hyper-parameter form, Start / Pause-Resume / Cancel, progress with ETA and
throughput, and the live curves. The engine runs on a TrainingWorker thread; this page only turns its
events into progress, curve points and log lines."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from bertstudio.errors import BertStudioError, ConfigError, TrainingError
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.folder_names import checked_folder_name
from bertstudio.gui.settings import Settings
from bertstudio.gui.state import Workbench, model_display_name
from bertstudio.gui.widgets.common import page_header
from bertstudio.gui.widgets.curves import LiveCurves
from bertstudio.gui.widgets.log_panel import LogPanel
from bertstudio.gui.workers import BackgroundJob, TrainingWorker
from bertstudio.tasks import all_tasks, get_task
from bertstudio.training.config import DEVICES, PRECISIONS, SCHEDULES, RunConfig

TIPS = {
    "task": "What the model learns. Set from the column mapping on the Data page.",
    "epochs": "Passes over the training data. 2-4 is typical for fine-tuning; more risks overfitting small data.",
    "max_steps": "Stop after this many optimizer steps, whatever the epochs say. 0 lets the epochs decide.",
    "batch_size": "Examples per step. Larger is faster per example but needs more memory; 16 or 32 is typical.",
    "gradient_accumulation": "Sum gradients over this many batches before each step: a larger effective batch "
    "without the memory.",
    "learning_rate": "Step size of AdamW. Fine-tuning BERT: 2e-5 to 5e-5. Too high and the loss jumps or diverges.",
    "warmup_ratio": "Fraction of the steps over which the learning rate rises from 0; steadies the start.",
    "weight_decay": "AdamW weight decay (not on biases and LayerNorm); 0.01 is the BERT default.",
    "schedule": "How the learning rate falls after warmup: linear to 0, cosine, or constant.",
    "max_length": "Tokens per example; longer texts are truncated. The Data page shows how many would be.",
    "eval_every_steps": "Evaluate on the validation split every N steps (0: at the end of each epoch).",
    "metric_for_best": "The validation metric that picks the best checkpoint and drives early stopping.",
    "early_stopping_patience": "Stop after this many evaluations without improvement (0: never stop early).",
    "seed": "Seed of every random choice (split, shuffling, initialisation): same seed, same run.",
    "device": "auto uses a CUDA GPU, then Apple MPS, then the CPU.",
    "precision": "auto: bf16/fp16 mixed precision on GPUs, fp32 on CPU.",
    "run_name": "Name of the run folder in the workspace's runs/ folder.",
}
FINE_TUNE_SUBTITLE = "Fine-tune the open model on the imported data; curves update live."
PRETRAIN_SUBTITLE = "Pretrain on text files (masked language modelling); curves update live."

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
    "eval_every_steps",
    "metric_for_best",
    "early_stopping_patience",
    "seed",
    "device",
    "precision",
)


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def start_new_run(config: RunConfig, on_event, control) -> Any:
    from bertstudio.training import run_training

    return run_training(config, on_event=on_event, control=control)


def resume_run(run_dir: Path, on_event, control) -> Any:
    from bertstudio.training import resume_training

    return resume_training(run_dir, on_event=on_event, control=control)


class TrainPage(QWidget):
    run_started = Signal()

    def __init__(self, state: Workbench, settings: Settings, log_panel: LogPanel) -> None:
        super().__init__()
        self.setObjectName("trainPage")
        self.state = state
        self.settings = settings
        self.log_panel = log_panel
        self.job: BackgroundJob | None = None
        self.worker: TrainingWorker | None = None
        self.run_dir: Path | None = None
        self._session_start: tuple[float, int] | None = (
            None  # (elapsed seconds, step) at this session's first step
        )
        self._total_steps = 0
        self._planned_epochs: int | None = None  # the run's epochs, None when max steps limits it
        self._resumed_config: RunConfig | None = None  # the run being resumed, while it trains
        self._pretraining_form = False  # the form holds a pretraining task's settings

        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startTrainingButton")
        self.start_button.setAccessibleName("Start training")
        self.start_button.setProperty("role", "primary")
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseTrainingButton")
        self.pause_button.setAccessibleName("Pause or resume training")
        self.pause_button.setToolTip("Pause at the next step boundary; press again to resume")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelTrainingButton")
        self.cancel_button.setAccessibleName("Cancel training")
        self.cancel_button.setToolTip(
            "Stop after the current step; a checkpoint is saved, so the run can be resumed"
        )
        self.cancel_button.clicked.connect(self.cancel)

        # ----- form -----
        self.model_label = QLabel()
        self.model_label.setObjectName("trainModelLabel")
        self.model_label.setWordWrap(True)
        self.data_label = QLabel()
        self.data_label.setObjectName("trainDataLabel")
        self.data_label.setWordWrap(True)
        self.task_combo = QComboBox()
        self.task_combo.setObjectName("taskCombo")
        for spec in all_tasks():
            self.task_combo.addItem(spec.title, spec.name)
            self.task_combo.setItemData(self.task_combo.count() - 1, spec.help, Qt.ItemDataRole.ToolTipRole)
        self.task_combo.setToolTip(TIPS["task"])
        self.task_combo.currentIndexChanged.connect(self._task_changed)
        self.corpus_list = QListWidget()
        self.corpus_list.setObjectName("corpusList")
        self.corpus_list.setMaximumHeight(70)
        self.corpus_button = QPushButton("Add Text Files...")
        self.corpus_button.clicked.connect(self._add_corpus)
        self.preset_combo = QComboBox()
        from bertstudio.model.config import PRESETS

        self.preset_combo.addItems(list(PRESETS))
        self.vocab_spin = QSpinBox()
        self.vocab_spin.setObjectName("vocabSizeSpin")
        self.vocab_spin.setRange(500, 250_000)
        self.vocab_spin.setSingleStep(1000)
        self.vocab_spin.setValue(8000)
        self.vocab_spin.setGroupSeparatorShown(True)
        self.vocab_spin.setToolTip(
            "Size of the WordPiece vocabulary trained on the text files (small corpora: a few thousand)"
        )
        self.nsp_check = QCheckBox("Next-sentence prediction")
        self.nsp_check.setObjectName("nspCheck")
        self.nsp_check.setToolTip(
            "Also train BERT's next-sentence head: pairs of consecutive or random sentences from the text files"
        )
        self.whole_word_check = QCheckBox("Whole-word masking")
        self.whole_word_check.setObjectName("wholeWordMaskCheck")
        self.whole_word_check.setToolTip("Mask every piece of a word together instead of single word pieces")
        self.probe_edit = QPlainTextEdit()
        self.probe_edit.setObjectName("probeSentencesEdit")
        self.probe_edit.setAccessibleName("Probe sentences")
        self.probe_edit.setPlaceholderText("optional, one per line")
        self.probe_edit.setMaximumHeight(64)
        self.probe_edit.setToolTip(
            "Sentences whose attention and prediction are recorded at each evaluation; "
            "scrub through them on Inspect > Across training"
        )
        self.run_name = QLineEdit()
        self.run_name.setObjectName("runNameEdit")
        self.run_name.setPlaceholderText("automatic (date, task, model)")
        self.run_name.setToolTip(TIPS["run_name"])

        self.fields: dict[str, QWidget] = {
            "epochs": self._spin(1, 1000),
            "max_steps": self._spin(0, 10_000_000, special="by epochs"),
            "batch_size": self._spin(1, 4096),
            "gradient_accumulation": self._spin(1, 1024),
            "learning_rate": self._learning_rate_box(),
            "warmup_ratio": self._double(0.0, 0.99, 0.01),
            "weight_decay": self._double(0.0, 1.0, 0.01),
            "schedule": self._combo(SCHEDULES),
            "max_length": self._spin(8, 8192),
            "eval_every_steps": self._spin(0, 10_000_000, special="each epoch"),
            "metric_for_best": QComboBox(),
            "early_stopping_patience": self._spin(0, 1000, special="off"),
            "seed": self._spin(0, 2**31 - 1),
            "device": self._combo(DEVICES),
            "precision": self._combo(PRECISIONS),
        }
        for name, widget in self.fields.items():
            widget.setObjectName(f"field_{name}")
            widget.setToolTip(TIPS[name])
            widget.setAccessibleName(name.replace("_", " "))

        source_box = QGroupBox("What to train")
        source_form = QFormLayout(source_box)
        source_form.addRow("Task", self.task_combo)
        source_form.addRow("Model", self.model_label)
        source_form.addRow("Data", self.data_label)
        self.corpus_row = QWidget()
        corpus_layout = QVBoxLayout(self.corpus_row)
        corpus_layout.setContentsMargins(0, 0, 0, 0)
        corpus_layout.addWidget(self.corpus_list)
        corpus_layout.addWidget(self.corpus_button)
        source_form.addRow("Text files", self.corpus_row)
        source_form.addRow("Preset", self.preset_combo)
        source_form.addRow("Vocabulary", self.vocab_spin)
        self.masking_row = QWidget()
        masking_layout = QVBoxLayout(self.masking_row)
        masking_layout.setContentsMargins(0, 0, 0, 0)
        masking_layout.addWidget(self.nsp_check)
        masking_layout.addWidget(self.whole_word_check)
        source_form.addRow("Objectives", self.masking_row)
        self._source_form = source_form
        source_form.addRow("Run name", self.run_name)

        basic_box = QGroupBox("Hyper-parameters")
        basic = QFormLayout(basic_box)
        advanced_box = QGroupBox("Advanced")
        advanced = QFormLayout(advanced_box)
        titles = {
            "epochs": "Epochs",
            "max_steps": "Max steps",
            "batch_size": "Batch size",
            "gradient_accumulation": "Gradient accumulation",
            "learning_rate": "Learning rate",
            "warmup_ratio": "Warmup ratio",
            "weight_decay": "Weight decay",
            "schedule": "LR schedule",
            "max_length": "Max length",
            "eval_every_steps": "Evaluate every (steps)",
            "metric_for_best": "Best by",
            "early_stopping_patience": "Early stopping patience",
            "seed": "Seed",
            "device": "Device",
            "precision": "Precision",
        }
        basic_names = ("epochs", "batch_size", "learning_rate", "max_length", "metric_for_best", "seed")
        for name in FORM_FIELDS:
            (basic if name in basic_names else advanced).addRow(titles[name], self.fields[name])
        advanced.addRow("Probe sentences", self.probe_edit)
        self.defaults_button = QPushButton("Task Defaults")
        self.defaults_button.setToolTip("Reset the hyper-parameters to the defaults of the chosen task")
        self.defaults_button.clicked.connect(lambda: self.apply_task_defaults(self.task()))
        save_config = QPushButton("Save Config...")
        save_config.setToolTip("Save these settings as a TOML file that `bertstudio train --config` accepts")
        save_config.clicked.connect(self._save_config)
        load_config = QPushButton("Load Config...")
        load_config.clicked.connect(self._load_config)
        config_buttons = QHBoxLayout()
        config_buttons.addWidget(self.defaults_button)
        config_buttons.addWidget(load_config)
        config_buttons.addWidget(save_config)

        form = QWidget()
        form_layout = QVBoxLayout(form)
        form_layout.addWidget(source_box)
        form_layout.addWidget(basic_box)
        form_layout.addWidget(advanced_box)
        form_layout.addLayout(config_buttons)
        form_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(340)

        # ----- progress and curves -----
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setAccessibleName("Training progress")
        self.progress.setFormat("%p%")
        self.progress_label = QLabel("Not started")
        self.progress_label.setObjectName("progressLabel")
        self.throughput_label = QLabel("")
        self.throughput_label.setObjectName("throughputLabel")
        self.throughput_label.setProperty("role", "muted")
        self.throughput_label.setToolTip(
            "Examples and real (non-padding) tokens per second of the last training step"
        )
        self.result_label = QLabel("")
        self.result_label.setObjectName("resultLabel")
        self.result_label.setWordWrap(True)
        self.curves = LiveCurves()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        # Text that changes every step must not resize the plots (a resize repaints them from scratch): the
        # labels take the width they are given instead of asking for their text's width.
        for label in (self.progress_label, self.throughput_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        right_layout.addWidget(self.progress_label)
        right_layout.addWidget(self.progress)
        right_layout.addWidget(self.throughput_label)
        right_layout.addWidget(self.result_label)
        right_layout.addWidget(self.curves, 1)

        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 880])

        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header(
                "Train",
                FINE_TUNE_SUBTITLE,
                self.start_button,
                self.pause_button,
                self.cancel_button,
            )
        )
        layout.addWidget(splitter, 1)

        state.model_changed.connect(self._sources_changed)
        state.data_changed.connect(self._sources_changed)
        self._restore_settings()
        self._sources_changed()
        self._set_running(False)

    # ----- form helpers -----
    def _spin(self, low: int, high: int, special: str = "") -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setGroupSeparatorShown(True)
        if special:
            box.setSpecialValueText(special)
        return box

    def _double(self, low: float, high: float, step: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setSingleStep(step)
        box.setDecimals(3)
        return box

    def _combo(self, choices: tuple[str, ...]) -> QComboBox:
        box = QComboBox()
        box.addItems(list(choices))
        return box

    def _learning_rate_box(self) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.addItems(["1e-5", "2e-5", "3e-5", "5e-5", "1e-4", "3e-4", "5e-4", "1e-3"])
        return box

    def task(self) -> str:
        return self.task_combo.currentData()

    def set_field(self, name: str, value: Any) -> None:
        widget = self.fields[name]
        if isinstance(widget, QSpinBox):
            widget.setValue(int(value))
        elif isinstance(widget, QDoubleSpinBox):
            widget.setValue(float(value))
        elif name == "learning_rate":
            widget.setCurrentText(f"{float(value):g}")
        elif isinstance(widget, QComboBox):
            index = widget.findText(str(value))
            if index >= 0:
                widget.setCurrentIndex(index)

    def field_value(self, name: str) -> Any:
        widget = self.fields[name]
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            return widget.value()
        if name == "learning_rate":
            text = widget.currentText().strip()
            try:
                value = float(text)
            except ValueError:
                raise ConfigError(
                    f"Learning rate {text!r} is not a number.", "Write it like 5e-5 or 0.00005."
                ) from None
            return value
        return widget.currentText()

    def apply_task_defaults(self, task: str) -> None:
        defaults = RunConfig.for_task(task)
        for name in FORM_FIELDS:
            if name != "metric_for_best":
                self.set_field(name, getattr(defaults, name))
        if self.state.data is not None and task == self.state.data.task:
            self.set_field("max_length", self.state.data.max_length)
        self.set_field("metric_for_best", defaults.best_metric)

    def _task_changed(self) -> None:
        task = self.task()
        spec = get_task(task)
        pretraining = spec.pretraining
        subtitle = self.findChild(QLabel, "pageSubtitle")
        if subtitle is not None:
            subtitle.setText(PRETRAIN_SUBTITLE if pretraining else FINE_TUNE_SUBTITLE)
        if pretraining != self._pretraining_form:  # learning rates differ tenfold: start from that task's
            self._pretraining_form = pretraining
            self.apply_task_defaults(task)
        metric_box: QComboBox = self.fields["metric_for_best"]
        metric_box.clear()
        metric_box.addItems(list(spec.metrics))
        metric_box.setCurrentText(spec.best_metric)
        self._source_form.setRowVisible(self.corpus_row, pretraining)
        self._source_form.setRowVisible(self.preset_combo, not spec.starts_from_model)
        self._source_form.setRowVisible(self.vocab_spin, not spec.starts_from_model)
        self._source_form.setRowVisible(self.masking_row, pretraining)
        self.nsp_check.setVisible(
            not spec.starts_from_model
        )  # a loaded checkpoint has no NSP head to continue
        self._source_form.setRowVisible(self.data_label, not pretraining)
        self._source_form.setRowVisible(self.model_label, spec.starts_from_model)
        self._update_start_enabled()

    def _add_corpus(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Text files to pretrain on", "", "Text (*.txt);;All files (*)"
        )
        self.add_corpus_files([Path(p) for p in paths])

    def add_corpus_files(self, paths: list[Path]) -> None:
        """Text files for the pretraining tasks (one document per line, or blank-line separated)."""
        for path in paths:
            self.corpus_list.addItem(str(path))
        self._update_start_enabled()

    def _sources_changed(self) -> None:
        if self._resumed_config is not None:
            return  # the resumed run's own model and data stay shown until it ends
        model = self.state.model_path
        self.model_label.setText(
            model_display_name(model) if model else "<i>none — open one on the Model page</i>"
        )
        self.model_label.setToolTip(str(model or ""))
        data = self.state.data
        if data is None:
            self.data_label.setText("<i>none — import a file on the Data page</i>")
        else:
            mapping = data.mapping
            labels = ", ".join(mapping.labels) if mapping.labels else "?"
            pair = f" + {mapping.text_pair}" if mapping.text_pair else ""
            self.data_label.setText(
                f"{data.path.name}: {mapping.text}{pair} → {labels}<br>"
                f"split {1 - data.validation_fraction - data.test_fraction:.0%} / "
                f"{data.validation_fraction:.0%} / {data.test_fraction:.0%}"
            )
            self.data_label.setToolTip(str(data.path))
            if self.task() != data.task and not self.is_running():
                self.task_combo.setCurrentIndex(self.task_combo.findData(data.task))
                self.apply_task_defaults(data.task)
            self.set_field("max_length", data.max_length)
        self._update_start_enabled()

    def _update_start_enabled(self) -> None:
        task = self.task()
        if task == "pretraining":
            ready, why = self.corpus_list.count() > 0, "Add text files to pretrain on."
        elif task == "continued_pretraining":
            ready = self.state.model_path is not None and self.corpus_list.count() > 0
            why = "Open a model and add text files."
        else:
            ready = self.state.model_path is not None and self.state.data is not None
            why = "Open a model (Model page) and import data (Data page) first."
        running = self.is_running()
        self.start_button.setEnabled(ready and not running)
        self.start_button.setToolTip("Start training" if ready else why)
        if not running and self.run_dir is None:
            self.progress_label.setText("Ready: press Start." if ready else why)

    # ----- building the run config -----
    def build_config(self) -> RunConfig:
        task = self.task()
        values: dict[str, Any] = {name: self.field_value(name) for name in FORM_FIELDS}
        config = RunConfig(task=task, **values)
        if task != "pretraining" and self.state.model_path is not None:
            config.model_path = str(self.state.model_path)
        config.probe_sentences = [
            line.strip() for line in self.probe_edit.toPlainText().splitlines() if line.strip()
        ]
        if task == "pretraining":
            config.preset = self.preset_combo.currentText()
            config.vocab_size = self.vocab_spin.value()
            config.nsp = self.nsp_check.isChecked()
        if task in ("pretraining", "continued_pretraining"):
            config.corpus_paths = [self.corpus_list.item(i).text() for i in range(self.corpus_list.count())]
            config.whole_word_mask = self.whole_word_check.isChecked()
        elif self.state.data is not None:
            data = self.state.data
            mapping = data.mapping
            config.data_path = str(data.path)
            config.text_column = mapping.text
            config.text_pair_column = mapping.text_pair or ""
            config.label_columns = list(mapping.labels)
            config.label_delimiter = mapping.label_delimiter or ""
            config.split_column = mapping.split_column or ""
            config.validation_fraction = data.validation_fraction
            config.test_fraction = data.test_fraction
            config.exclude_problem_rows = data.exclude_problem_rows
            options = data.read_options
            config.encoding = options.get("encoding") or ""
            config.delimiter = options.get("delimiter") or ""
            config.header = {None: "auto", True: "yes", False: "no"}[options.get("has_header")]
        typed = self.run_name.text().strip()
        name = checked_folder_name(typed, "run") if typed else self._automatic_run_name(task)
        config.output_dir = str(self.state.runs_dir / name)
        return config

    def _automatic_run_name(self, task: str) -> str:
        model = "new"
        if self.state.model_path is not None and task != "pretraining":
            model = model_display_name(self.state.model_path).replace("/", "-")
        base = f"{time.strftime('%Y%m%d-%H%M%S')}-{task}-{model}"
        name, n = base, 1
        while (self.state.runs_dir / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    def _save_config(self) -> None:
        try:
            config = self.build_config()
        except ConfigError as exc:
            show_error(self, exc, "Cannot save the config")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save run config", "run.toml", "TOML (*.toml)")
        if path:
            try:
                config.save_toml(path)
            except BertStudioError as exc:  # a full or read-only disk
                show_error(self, exc, "Cannot save the config")

    def _load_config(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load run config", "", "TOML (*.toml)")
        if not path:
            return
        try:
            config = RunConfig.load_toml(path)
        except ConfigError as exc:
            show_error(self, exc, "Cannot load the config")
            return
        self.task_combo.setCurrentIndex(self.task_combo.findData(config.task))
        for name in FORM_FIELDS:
            self.set_field(name, getattr(config, name))
        self.nsp_check.setChecked(config.nsp)
        self.whole_word_check.setChecked(config.whole_word_mask)
        self.probe_edit.setPlainText("\n".join(config.probe_sentences))
        if config.task in ("pretraining", "continued_pretraining"):
            self.preset_combo.setCurrentText(config.preset)
            self.vocab_spin.setValue(config.vocab_size)
            self.corpus_list.clear()
            self.add_corpus_files([Path(p) for p in config.corpus_paths])

    # ----- running -----
    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running()

    def start(self) -> None:
        if self.is_running():
            return
        try:
            config = self.build_config()
            config.validate()
        except ConfigError as exc:
            show_error(self, exc, "Cannot start training")
            return
        self.curves.clear()
        self.curves.set_metric(config.best_metric)
        self._launch(start_new_run, config)
        self._planned_epochs = None if config.max_steps else config.epochs

    def resume(self, run_dir: Path) -> None:
        """Continue an interrupted or cancelled run from its last checkpoint; the curves so far come first."""
        if self.is_running():
            show_error(self, TrainingError("A run is already training.", "Cancel it or wait until it ends."))
            return
        from bertstudio.training.run_store import RunFolder

        try:
            folder = RunFolder(run_dir)
            config = folder.read_config()
            records = folder.read_events()
        except Exception as exc:  # noqa: BLE001 - any unreadable run becomes a dialog
            show_error(self, exc, "Cannot resume this run")
            return
        self.task_combo.setCurrentIndex(self.task_combo.findData(config.task))
        for name in FORM_FIELDS:
            self.set_field(name, getattr(config, name))
        self.curves.clear()
        self.curves.set_metric(config.best_metric)
        self.handle_events(_events_from_records(records))
        self.curves.set_metric(config.best_metric)
        self._launch(resume_run, Path(run_dir))
        self._planned_epochs = None if config.max_steps else config.epochs
        self._show_run_sources(config)

    def _show_run_sources(self, config: RunConfig) -> None:
        """While a resumed run trains, the Model and Data rows name what it trains on, not what is open."""
        self._resumed_config = config
        self.model_label.setText(f"{model_display_name(Path(config.model_path))} (this run's)")
        self.model_label.setToolTip(config.model_path)
        labels = ", ".join(config.label_columns) or "?"
        self.data_label.setText(
            f"{Path(config.data_path).name}: {config.text_column} → {labels} (this run's)"
        )
        self.data_label.setToolTip(config.data_path)

    def _launch(self, start, argument) -> None:
        self.result_label.setText("")
        self._session_start = None
        self.worker = TrainingWorker(start, argument)
        self.worker.events.connect(self.handle_events)
        self.worker.crashed.connect(self._crashed)
        self.job = BackgroundJob(self.worker)
        self.job.thread.finished.connect(self._thread_finished)
        self.job.start()
        self._set_running(True)
        self.progress_label.setText("Preparing data and model...")
        self.state.busy.emit("Training: preparing...")
        self.run_started.emit()

    def toggle_pause(self) -> None:
        if not self.is_running():
            return
        control = self.worker.control
        if control.paused:
            control.resume()
            self.pause_button.setText("Pause")
            self.state.busy.emit("Training")
        else:
            control.pause()
            self.pause_button.setText("Resume")
            self.progress_label.setText(self.progress_label.text() + "  (paused)")
            self.state.busy.emit("Training paused")

    def cancel(self) -> None:
        if self.is_running():
            self.worker.control.cancel()
            self.cancel_button.setEnabled(False)
            self.pause_button.setEnabled(False)
            self.progress_label.setText("Cancelling: saving a checkpoint...")

    def _set_running(self, running: bool) -> None:
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Pause")
        self.cancel_button.setEnabled(running)
        self.task_combo.setEnabled(not running)
        for widget in self.fields.values():
            widget.setEnabled(not running)
        self._update_start_enabled()

    def _thread_finished(self) -> None:
        self.state.running_run = None
        self.job = None
        self.worker = None
        self._set_running(False)
        self.state.busy.emit("")
        if self._resumed_config is not None:
            self._resumed_config = None
            self._sources_changed()

    def _crashed(self, exc: BaseException) -> None:
        self.progress_label.setText("Training stopped with an error.")
        show_error(self, exc, "Training failed")

    # ----- events -----
    def handle_events(self, events: list) -> None:
        for event in events:
            handler = getattr(self, f"_on_{event.kind}", None)
            if handler is not None:
                handler(event)

    def _on_started(self, event) -> None:
        self.run_dir = Path(event.run_dir)
        self.state.running_run = str(self.run_dir)
        self.state.run_started.emit(str(self.run_dir))
        self._total_steps = event.total_steps
        self.progress.setRange(0, max(event.total_steps, 1))
        self.progress.setValue(event.start_step)
        where = event.device  # with its precision: 'CPU, 2 threads, fp32'
        self.curves.set_run_name(self.run_dir.name)
        self.log_panel.append_line(
            f"Run {self.run_dir.name}: {event.train_examples:,} training / {event.eval_examples:,} validation "
            f"examples, {event.total_steps:,} steps on {where}"
            + (f", resuming at step {event.start_step:,}" if event.start_step else "")
        )
        self.state.busy.emit(f"Training on {where}")

    def _on_step(self, event) -> None:
        self.curves.add_step(event.step, event.epoch, event.loss, event.learning_rate)
        if self._session_start is None:
            self._session_start = (event.elapsed_seconds, event.step - 1)
        self._total_steps = event.total_steps
        self.progress.setMaximum(max(event.total_steps, 1))
        self.progress.setValue(event.step)
        start_elapsed, start_step = self._session_start
        done = event.step - start_step
        rate = (event.elapsed_seconds - start_elapsed) / done if done > 0 else float("nan")
        eta = rate * (event.total_steps - event.step)
        of_epochs = f" / {self._planned_epochs}" if self._planned_epochs else ""  # max steps: no epoch count
        paused = "  (paused)" if self.worker is not None and self.worker.control.paused else ""
        self.progress_label.setText(
            f"Step {event.step:,} / {event.total_steps:,}  ·  epoch {event.epoch:.2f}{of_epochs}  ·  "
            f"ETA {format_duration(eta)}  ·  elapsed {format_duration(event.elapsed_seconds)}{paused}"
        )
        throughput = f"{event.samples_per_second:,.1f} samples/s  ·  {event.tokens_per_second:,.0f} tokens/s"
        self.throughput_label.setText(throughput + f"  ·  loss {event.loss:.4f}")

    def _on_eval(self, event) -> None:
        if event.split == "validation":
            self.curves.add_eval(event.step, event.epoch, event.metrics)
        scalars = ", ".join(
            f"{k} {v:.4g}"
            for k, v in event.metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        )
        self.log_panel.append_line(
            f"{event.split} at step {event.step:,}: {scalars}" + (" (best)" if event.is_best else "")
        )

    def _on_log(self, event) -> None:
        self.log_panel.append_line(
            event.message if event.level == "info" else f"{event.level.upper()}: {event.message}"
        )

    def _on_checkpoint(self, event) -> None:
        self.log_panel.append_line(f"Checkpoint at step {event.step:,} ({event.reason})")

    def _on_finished(self, event) -> None:
        self.progress.setValue(event.step)
        best = (
            f" Best {self.fields['metric_for_best'].currentText()} {event.best_metric:.4g} at step {event.best_step:,}."
            if event.best_metric is not None and event.best_step is not None
            else ""
        )
        if event.status == "cancelled":
            text = f"Cancelled at step {event.step:,}. A checkpoint was saved: resume it from the Runs page."
        else:
            text = f"Finished ({event.status.replace('_', ' ')}) at step {event.step:,}.{best}"
            if event.model_dir:
                text += f" Model saved to {event.model_dir}."
        self.progress_label.setText(text.split(".")[0] + ".")
        self.result_label.setText(text)
        self.log_panel.append_line(text)
        if self.run_dir is not None:
            self.state.run_finished.emit(str(self.run_dir))

    def _on_failed(self, event) -> None:
        hint = event.hint
        if event.last_checkpoint:
            hint = (
                hint + " " if hint else ""
            ) + "The run can be resumed from its last checkpoint (Runs page)."
        self.progress_label.setText("Training failed.")
        self.result_label.setText(event.message)
        self.log_panel.append_line(f"FAILED: {event.message}")
        show_error(self, TrainingError(event.message, hint), "Training failed")
        if self.run_dir is not None:
            self.state.run_finished.emit(str(self.run_dir))

    # ----- lifetime -----
    def confirm_close(self) -> bool:
        """Ask before quitting during a run; cancelling saves a checkpoint and waits for it."""
        if not self.is_running():
            return True
        answer = QMessageBox.question(
            self,
            "Training is running",
            "Cancel the run and quit? A checkpoint is saved first, so you can resume it later.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.worker.control.cancel()
        self.job.thread.wait(120_000)
        return True

    def save_settings(self) -> None:
        for name in FORM_FIELDS:
            try:
                self.settings.set(f"train/{name}", self.field_value(name))
            except ConfigError:
                continue
        self.settings.set("train/task", self.task())

    def _restore_settings(self) -> None:
        task = self.settings.get("train/task", "classification")
        index = self.task_combo.findData(task)
        self.task_combo.setCurrentIndex(max(index, 0))
        self._task_changed()
        self.apply_task_defaults(self.task())
        for name in FORM_FIELDS:
            value = self.settings.get(f"train/{name}")
            if value is not None:
                self.set_field(name, value)


def _events_from_records(records: list[dict]) -> list:
    """metrics.jsonl records as event objects (for curves of a resumed run)."""
    from bertstudio.training.events import record_to_event

    kinds = ("step", "eval")
    return [record_to_event(r) for r in records if r.get("kind") in kinds]
