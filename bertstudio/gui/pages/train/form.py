"""The Train page's form: what to train (task, model, data or text files) and the hyper-parameters.
It shows the controller's settings (or, while a resumed run trains, that run's) and sends each edit back;
the controller decides what Start trains, so the form never holds a value of its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
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
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bertstudio.errors import BertStudioError, ConfigError, TrainingError
from bertstudio.gui.controller import FORM_FIELDS, AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.tasks import all_tasks, get_task
from bertstudio.training.config import DEVICES, PRECISIONS, SCHEDULES, RunConfig
from bertstudio.training.run_index import model_display_name

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
    "doc_stride": "Question answering: a context longer than Max length is cut into windows that share this "
    "many tokens with their neighbour (under half of Max length; the CLI's --doc-stride).",
    "eval_every_steps": "Evaluate on the validation split every N steps (0: at the end of each epoch).",
    "metric_for_best": "The validation metric that picks the best checkpoint and drives early stopping.",
    "early_stopping_patience": "Stop after this many evaluations without improvement (0: never stop early).",
    "seed": "Seed of every random choice (split, shuffling, initialisation): same seed, same run.",
    "device": "auto uses a CUDA GPU, then Apple MPS, then the CPU.",
    "precision": "auto: bf16/fp16 mixed precision on GPUs, fp32 on CPU.",
    "run_name": "Name of the next run's folder in the workspace's runs/ folder (each run gets its own).",
}
TITLES = {
    "epochs": "Epochs",
    "max_steps": "Max steps",
    "batch_size": "Batch size",
    "gradient_accumulation": "Gradient accumulation",
    "learning_rate": "Learning rate",
    "warmup_ratio": "Warmup ratio",
    "weight_decay": "Weight decay",
    "schedule": "LR schedule",
    "max_length": "Max length",
    "doc_stride": "Doc stride",
    "eval_every_steps": "Evaluate every (steps)",
    "metric_for_best": "Best by",
    "early_stopping_patience": "Early stopping patience",
    "seed": "Seed",
    "device": "Device",
    "precision": "Precision",
}
BASIC_FIELDS = (
    "epochs",
    "batch_size",
    "learning_rate",
    "max_length",
    "doc_stride",
    "metric_for_best",
    "seed",
)
OBJECT_NAMES = {"learning_rate": "learningRateInput"}  # stable names for automation (others: field_<name>)
TASK_TITLE_CHARACTERS = 20  # the task box's narrowest width; a longer title is elided at the minimum size
LEARNING_RATES = ["1e-5", "2e-5", "3e-5", "5e-5", "1e-4", "3e-4", "5e-4", "1e-3"]


def parse_learning_rate(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ConfigError(
            f"Learning rate {text.strip()!r} is not a number.",
            "Write it like 5e-5 or 0.00005 (Learning rate).",
        ) from None
    return value


def columns_summary(spec, texts: list[str | None], negative: str | None, labels: list[str]) -> str:
    """The mapped columns in a line: texts joined by +, hard negatives, then -> the target (? when the
    task needs one and none is mapped; nothing when its target is optional)."""
    shown = " + ".join(text for text in texts if text)
    if negative:
        shown += f", hard negatives {negative}"
    if labels:
        return f"{shown} → {', '.join(labels)}"
    return f"{shown} → ?" if spec.requires("labels") else shown


def questions_summary(context: str, question: str, answer: str, answer_start: str, config: RunConfig) -> str:
    """A question-answering run's data in a line: a table's columns (a SQuAD file names its own), and
    the windows its contexts are cut into."""
    shown = "SQuAD questions"
    if context:
        start = f" (start: {answer_start})" if answer_start else ""
        shown = f"{question} about {context} → {answer or '?'}{start}"
    return f"{shown}, windows of {config.max_length} tokens sharing {config.doc_stride}"


class TrainForm(QWidget):
    def __init__(self, controller: AppController) -> None:
        super().__init__()
        self.setObjectName("trainForm")
        self.controller = controller
        self._filling = False

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
        # as wide as the form allows, not as its longest title: that clipped the form at the window's minimum
        self.task_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.task_combo.setMinimumContentsLength(TASK_TITLE_CHARACTERS)
        self.task_combo.currentIndexChanged.connect(self._task_chosen)
        self.corpus_list = QListWidget()
        self.corpus_list.setObjectName("corpusList")
        self.corpus_list.setMaximumHeight(70)
        self.corpus_button = QPushButton("Add Text Files...")
        self.corpus_button.clicked.connect(self._choose_corpus)
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("pretrainPresetCombo")
        from bertstudio.model.config import PRESETS

        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.currentTextChanged.connect(lambda text: self._edit(preset=text))
        self.vocab_spin = QSpinBox()
        self.vocab_spin.setObjectName("vocabSizeSpin")
        self.vocab_spin.setRange(500, 250_000)
        self.vocab_spin.setSingleStep(1000)
        self.vocab_spin.setGroupSeparatorShown(True)
        self.vocab_spin.setToolTip(
            "Size of the WordPiece vocabulary trained on the text files (small corpora: a few thousand)"
        )
        self.vocab_spin.valueChanged.connect(lambda value: self._edit(vocab_size=value))
        self.nsp_check = QCheckBox("Next-sentence prediction")
        self.nsp_check.setObjectName("nspCheck")
        self.nsp_check.setToolTip(
            "Also train BERT's next-sentence head: pairs of consecutive or random sentences from the text files"
        )
        self.nsp_check.toggled.connect(lambda checked: self._edit(nsp=checked))
        self.whole_word_check = QCheckBox("Whole-word masking")
        self.whole_word_check.setObjectName("wholeWordMaskCheck")
        self.whole_word_check.setToolTip("Mask every piece of a word together instead of single word pieces")
        self.whole_word_check.toggled.connect(lambda checked: self._edit(whole_word_mask=checked))
        self.probe_edit = QPlainTextEdit()
        self.probe_edit.setObjectName("probeSentencesEdit")
        self.probe_edit.setAccessibleName("Probe sentences")
        self.probe_edit.setPlaceholderText("optional, one per line")
        self.probe_edit.setMaximumHeight(64)
        self.probe_edit.setToolTip(
            "Sentences whose attention and prediction are recorded at each evaluation; "
            "scrub through them on Inspect > Across training"
        )
        self.probe_edit.textChanged.connect(
            lambda: self._edit(probe_sentences=self.probe_edit.toPlainText().splitlines())
        )
        self.run_name = QLineEdit()
        self.run_name.setObjectName("runNameEdit")
        self.run_name.setPlaceholderText("automatic (date, task, model)")
        self.run_name.setToolTip(TIPS["run_name"])
        self.run_name.textEdited.connect(lambda text: self._edit(run_name=text))
        self.notice_label = QLabel("")
        self.notice_label.setObjectName("settingsNoticeLabel")
        self.notice_label.setWordWrap(True)
        self.notice_label.setProperty("role", "muted")
        self.notice_label.setVisible(False)

        self.fields: dict[str, QWidget] = {
            "epochs": _spin(1, 1000),
            "max_steps": _spin(0, 10_000_000, special="by epochs"),
            "batch_size": _spin(1, 4096),
            "gradient_accumulation": _spin(1, 1024),
            "learning_rate": _learning_rate_box(),
            "warmup_ratio": _double(0.0, 0.99, 0.01),
            "weight_decay": _double(0.0, 1.0, 0.01),
            "schedule": _combo(SCHEDULES),
            "max_length": _spin(8, 8192),
            "doc_stride": _spin(0, 4096),
            "eval_every_steps": _spin(0, 10_000_000, special="each epoch"),
            "metric_for_best": QComboBox(),
            "early_stopping_patience": _spin(0, 1000, special="off"),
            "seed": _spin(0, 2**31 - 1),
            "device": _combo(DEVICES),
            "precision": _combo(PRECISIONS),
        }
        for name, widget in self.fields.items():
            widget.setObjectName(OBJECT_NAMES.get(name, f"field_{name}"))
            widget.setToolTip(TIPS[name])
            widget.setAccessibleName(name.replace("_", " "))
            if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
                widget.valueChanged.connect(lambda _value, n=name: self._field_edited(n))
            elif name == "learning_rate":
                widget.currentTextChanged.connect(lambda _text, n=name: self._field_edited(n))
            else:
                widget.currentIndexChanged.connect(lambda _index, n=name: self._field_edited(n))

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
        source_form.addRow("Run name", self.run_name)
        self._source_form = source_form

        basic_box = QGroupBox("Hyper-parameters")
        basic = QFormLayout(basic_box)
        basic.addRow(self.notice_label)
        advanced_box = QGroupBox("Advanced")
        advanced = QFormLayout(advanced_box)
        for name in FORM_FIELDS:
            (basic if name in BASIC_FIELDS else advanced).addRow(TITLES[name], self.fields[name])
        advanced.addRow("Probe sentences", self.probe_edit)
        self._forms = (basic, advanced)
        self.defaults_button = QPushButton("Task Defaults")
        self.defaults_button.setObjectName("taskDefaultsButton")
        self.defaults_button.setToolTip("Reset the hyper-parameters to the defaults of the chosen task")
        self.defaults_button.clicked.connect(controller.apply_task_defaults)
        self.save_config_button = QPushButton("Save Config...")
        self.save_config_button.setToolTip(
            "Save these settings as a TOML file that `bertstudio train --config` accepts"
        )
        self.save_config_button.clicked.connect(self._choose_config_to_save)
        self.load_config_button = QPushButton("Load Config...")
        self.load_config_button.clicked.connect(self._choose_config_to_load)
        config_buttons = QHBoxLayout()
        config_buttons.addWidget(self.defaults_button)
        config_buttons.addWidget(self.load_config_button)
        config_buttons.addWidget(self.save_config_button)

        layout = QVBoxLayout(self)
        layout.addWidget(source_box)
        layout.addWidget(basic_box)
        layout.addWidget(advanced_box)
        layout.addStretch(1)
        self.config_buttons = config_buttons  # the page keeps them in view, below the scrolling form

        controller.settings_changed.connect(self.show_settings)
        controller.task_changed.connect(self.show_settings)
        controller.model_changed.connect(self.show_sources)
        controller.data_changed.connect(self.show_sources)
        controller.session.launched.connect(self.show_settings)
        controller.notice.connect(self._show_notice)
        self.show_settings()

    def _show_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    # ----- showing the controller's state -----
    def shown_config(self) -> RunConfig:
        """The settings on screen: a resumed run's own while it trains, else what Start would use."""
        resumed = self.controller.session.resumed_config
        if resumed is not None:
            return resumed
        return dataclasses.replace(self.controller.settings, task=self.controller.task)

    def show_settings(self) -> None:
        config = self.shown_config()
        task = config.task
        self._filling = True
        try:
            self.task_combo.setCurrentIndex(self.task_combo.findData(task))
            metric_box: QComboBox = self.fields["metric_for_best"]
            choices = list(get_task(task).metrics)
            if [metric_box.itemText(i) for i in range(metric_box.count())] != choices:
                metric_box.clear()
                metric_box.addItems(choices)
            for name in FORM_FIELDS:
                self._show_field(name, getattr(config, name))
            self.preset_combo.setCurrentText(config.preset)
            self.vocab_spin.setValue(config.vocab_size)
            self.nsp_check.setChecked(config.nsp)
            self.whole_word_check.setChecked(config.whole_word_mask)
            if self.probe_edit.toPlainText().splitlines() != list(config.probe_sentences):
                self.probe_edit.setPlainText("\n".join(config.probe_sentences))
            if [
                self.corpus_list.item(i).text() for i in range(self.corpus_list.count())
            ] != config.corpus_paths:
                self.corpus_list.clear()
                self.corpus_list.addItems(list(config.corpus_paths))
            resumed = self.controller.session.resumed_config is not None
            self.run_name.setText(Path(config.output_dir).name if resumed else self.controller.run_name)
        finally:
            self._filling = False
        pretraining = get_task(task).pretraining
        self._source_form.setRowVisible(self.corpus_row, pretraining)
        self._source_form.setRowVisible(self.preset_combo, not get_task(task).starts_from_model)
        self._source_form.setRowVisible(self.vocab_spin, not get_task(task).starts_from_model)
        self._source_form.setRowVisible(self.masking_row, pretraining)
        for name in FORM_FIELDS:  # a field the task does not read (doc stride: QA only) is not shown
            form = self._forms[name not in BASIC_FIELDS]
            form.setRowVisible(self.fields[name], config.applies(name))
        self.nsp_check.setVisible(not get_task(task).starts_from_model)  # a checkpoint has no NSP head
        self._source_form.setRowVisible(self.data_label, not pretraining)
        self._source_form.setRowVisible(self.model_label, get_task(task).starts_from_model)
        editable = not self.controller.is_running()
        for widget in (
            self.task_combo,
            self.run_name,
            *self.fields.values(),
            self.defaults_button,
            self.load_config_button,
        ):
            widget.setEnabled(editable)
        self.show_sources()

    def show_sources(self) -> None:
        """The Model and Data rows: what Start trains on (a resumed run's own while it trains)."""
        resumed = self.controller.session.resumed_config
        if resumed is not None:
            self.model_label.setText(f"{model_display_name(resumed.model_path)} (this run's)")
            self.model_label.setToolTip(resumed.model_path)
            columns = columns_summary(
                resumed.spec,
                [resumed.text_column, resumed.text_pair_column],
                resumed.negative_column,
                resumed.label_columns,
            )
            if resumed.spec.answers_questions:
                columns = questions_summary(
                    resumed.context_column,
                    resumed.question_column,
                    resumed.answer_column,
                    resumed.answer_start_column,
                    resumed,
                )
            self.data_label.setText(f"{Path(resumed.data_path).name}: {columns} (this run's)")
            self.data_label.setToolTip(resumed.data_path)
            return
        model = self.controller.model_path
        self.model_label.setText(
            model_display_name(model) if model else "<i>none — open one on the Model page</i>"
        )
        self.model_label.setToolTip(str(model or ""))
        data, mapping = self.controller.data, self.controller.current_mapping()
        if data is None or mapping is None:
            self.data_label.setText("<i>none — import a file on the Data page</i>")
            self.data_label.setToolTip("")
            return
        columns = columns_summary(
            mapping.spec, [mapping.text, mapping.text_pair], mapping.negative, mapping.labels
        )
        if get_task(data.task).answers_questions:  # questions about contexts, cut into windows
            columns = questions_summary(
                mapping.context or "",
                mapping.question or "",
                mapping.answer or "",
                mapping.answer_start or "",
                self.controller.settings,
            )
        self.data_label.setText(
            f"{data.path.name}: {columns}<br>"
            f"split {1 - data.validation_fraction - data.test_fraction:.0%} / "
            f"{data.validation_fraction:.0%} / {data.test_fraction:.0%}"
        )
        self.data_label.setToolTip(str(data.path))

    def _show_field(self, name: str, value: Any) -> None:
        widget = self.fields[name]
        if isinstance(widget, QSpinBox):
            widget.setValue(int(value))
        elif isinstance(widget, QDoubleSpinBox):
            widget.setValue(float(value))
        elif name == "learning_rate":
            try:
                same = parse_learning_rate(widget.currentText()) == float(value)
            except ConfigError:
                same = False
            if not same:  # rewriting equal text would move the cursor of someone typing
                widget.setCurrentText(f"{float(value):g}")
        elif isinstance(widget, QComboBox):
            index = widget.findText(str(value))
            if index >= 0:
                widget.setCurrentIndex(index)

    # ----- sending edits -----
    def _edit(self, **changes: Any) -> None:
        if not self._filling and self.controller.session.resumed_config is None:
            self.controller.apply_settings(**changes)

    def _field_edited(self, name: str) -> None:
        if self._filling:
            return
        try:
            value = self.field_value(name)
        except ConfigError:
            return  # half-typed; `commit` reports it when Start is pressed
        if getattr(self.controller.settings, name) != value:
            self._edit(**{name: value})

    def field_value(self, name: str) -> Any:
        widget = self.fields[name]
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            return widget.value()
        if name == "learning_rate":
            return parse_learning_rate(widget.currentText())
        return widget.currentText()

    def commit(self) -> None:
        """Hand every field to the controller; ConfigError for one that cannot be read (a typo)."""
        for name in FORM_FIELDS:
            value = self.field_value(name)
            if getattr(self.controller.settings, name) != value:
                self.controller.apply_settings(**{name: value})

    def _task_chosen(self) -> None:
        if not self._filling:
            self.controller.set_task(self.task_combo.currentData())

    def _choose_corpus(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Text files to pretrain on", "", "Text (*.txt);;All files (*)"
        )
        if paths:
            self.add_corpus_files([Path(p) for p in paths])

    def add_corpus_files(self, paths: list[Path]) -> None:
        """Text files for the pretraining tasks (one document per line, or blank-line separated)."""
        self.controller.apply_settings(
            corpus_paths=[*self.controller.settings.corpus_paths, *map(str, paths)]
        )

    # ----- config files -----
    def _choose_config_to_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save run config", "run.toml", "TOML (*.toml)")
        if path:
            self.save_config(Path(path))

    def save_config(self, path: Path) -> None:
        try:
            self.commit()
            self.controller.run_config().save_toml(path)
        except BertStudioError as exc:  # a bad field, or a full or read-only disk
            show_error(self, exc, "Cannot save the config")

    def _choose_config_to_load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load run config", "", "TOML (*.toml)")
        if path:
            self.load_config(Path(path))

    def load_config(self, path: Path) -> None:
        """Take a saved config's task and settings (its model and data stay what is open here)."""
        if self.controller.is_running():
            show_error(
                self,
                TrainingError(
                    "A run is training: the settings it trains with cannot change now.",
                    "Load the config once the run ends, or Cancel it first.",
                    path=path,
                ),
                "Cannot load the config",
            )
            return
        try:
            config = RunConfig.load_toml(path)
        except ConfigError as exc:
            show_error(self, exc, "Cannot load the config")
            return
        self.controller.set_task(config.task)
        settings = {name: getattr(config, name) for name in FORM_FIELDS}
        settings.update(
            nsp=config.nsp,
            whole_word_mask=config.whole_word_mask,
            probe_sentences=list(config.probe_sentences),
        )
        if get_task(config.task).pretraining:
            settings.update(
                preset=config.preset, vocab_size=config.vocab_size, corpus_paths=list(config.corpus_paths)
            )
        self.controller.apply_settings(**settings)


def _spin(low: int, high: int, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setGroupSeparatorShown(True)
    if special:
        box.setSpecialValueText(special)
    return box


def _double(low: float, high: float, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(3)
    return box


def _combo(choices: tuple[str, ...]) -> QComboBox:
    box = QComboBox()
    box.addItems(list(choices))
    return box


def _learning_rate_box() -> QComboBox:
    box = QComboBox()
    box.setEditable(True)
    box.addItems(LEARNING_RATES)
    box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return box
