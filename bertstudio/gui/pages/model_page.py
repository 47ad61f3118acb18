"""Model page: open a Hugging Face model folder, pick a checkpoint already on this machine, or create one
from a preset; shows the architecture summary and which heads the checkpoint holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.controller import AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.folder_names import checked_folder_name
from bertstudio.gui.settings import Settings
from bertstudio.gui.widgets.common import page_header
from bertstudio.gui.workers import run_in_background
from bertstudio.training.run_index import model_display_name
from bertstudio.workspace import LocalModel, create_from_preset, local_models

SUMMARY_ROWS = (
    ("family", "Family"),
    ("task", "Task"),
    ("tasks", "Can be trained for"),
    ("capabilities", "Capabilities"),
    ("layers", "Layers"),
    ("hidden_size", "Hidden size"),
    ("attention_heads", "Attention heads"),
    ("intermediate_size", "Feed-forward size"),
    ("parameters", "Parameters"),
    ("vocabulary", "Vocabulary"),
    ("max_positions", "Max positions"),
    ("labels", "Labels"),
    ("heads_present", "Heads in the checkpoint"),
    ("newly_initialized", "Newly initialised"),
    ("unused_weights", "Unused weights"),
    ("notes", "Notes"),
)


def format_value(key: str, value: Any) -> str:
    """How the summary shows `value`; "—" for one it does not have (an older or partial summary)."""
    if value is None or value == "—":
        return "—"
    if key == "parameters" and isinstance(value, int):
        return f"{value / 1e6:.1f} M ({value:,})" if value >= 1e5 else f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        if not value:
            return "none"
        shown = ", ".join(str(v) for v in value[:12])
        return shown + (f" ... ({len(value)} in all)" if len(value) > 12 else "")
    return str(value)


class ModelPage(QWidget):
    model_opened = Signal()

    def __init__(self, state: AppController, settings: Settings) -> None:
        super().__init__()
        self.setObjectName("modelPage")
        self.state = state
        self.settings = settings
        self._loading: Path | None = None

        self.open_button = QPushButton("Open Model Folder...")
        self.open_button.setObjectName("openModelButton")
        self.open_button.setAccessibleName("Open model folder")
        self.open_button.setProperty("role", "primary")
        self.open_button.setToolTip(
            "A folder in the Hugging Face layout: config.json, weights, vocab or tokenizer"
        )
        self.open_button.clicked.connect(self.choose_folder)

        self.models_list = QTreeWidget()
        self.models_list.setObjectName("localModelsList")
        self.models_list.setAccessibleName("Models on this machine")
        self.models_list.setHeaderLabels(["Model", "Where"])
        self.models_list.setRootIsDecorated(False)
        self.models_list.setColumnWidth(0, 290)
        self.models_list.itemActivated.connect(self._open_item)
        self.open_selected_button = QPushButton("Open Selected")
        self.open_selected_button.setObjectName("openSelectedModelButton")
        self.open_selected_button.clicked.connect(lambda: self._open_item(self.models_list.currentItem()))
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_models)

        list_box = QGroupBox("On this machine (offline)")
        list_layout = QVBoxLayout(list_box)
        list_layout.addWidget(QLabel("Double-click a checkpoint to open it."))
        list_layout.addWidget(self.models_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_selected_button)
        buttons.addWidget(refresh)
        buttons.addStretch(1)
        list_layout.addLayout(buttons)

        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        from bertstudio.model.config import PRESETS

        for name, (layers, hidden, heads) in PRESETS.items():
            self.preset_combo.addItem(f"{name}: {layers} layers, hidden {hidden}, {heads} heads", name)
        self.preset_name = QLineEdit()
        self.preset_name.setPlaceholderText("e.g. my-mini-bert")
        self.tokenizer_combo = QComboBox()
        self.tokenizer_combo.setObjectName("presetTokenizerCombo")
        self.tokenizer_combo.setToolTip("The new model uses this vocabulary; its weights start random")
        self.create_button = QPushButton("Create")
        self.create_button.setObjectName("createModelButton")
        self.create_button.clicked.connect(self.create_model)
        create_box = QGroupBox("Create from a preset")
        create_form = QFormLayout(create_box)
        create_form.addRow("Size", self.preset_combo)
        create_form.addRow("Vocabulary of", self.tokenizer_combo)
        create_form.addRow("Name", self.preset_name)
        create_form.addRow("", self.create_button)
        note = QLabel("A new model has random weights: pretrain it, or fine-tune it on plenty of data.")
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        create_form.addRow(note)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(list_box, 1)
        left_layout.addWidget(create_box)

        self.summary_title = QLabel("No model open")
        self.summary_title.setObjectName("modelTitle")
        self.summary_title.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.summary_title.setWordWrap(True)
        self.summary_path = QLabel("")
        self.summary_path.setProperty("role", "muted")
        self.summary_path.setWordWrap(True)
        self.summary_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_labels: dict[str, QLabel] = {}
        summary_box = QGroupBox("Architecture")
        form = QFormLayout(summary_box)
        for key, title in SUMMARY_ROWS:
            label = QLabel("—")
            label.setObjectName(f"summary_{key}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.summary_labels[key] = label
            form.addRow(title, label)
        self.head_note = QLabel("")
        self.head_note.setWordWrap(True)
        self.head_note.setProperty("role", "muted")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.summary_title)
        right_layout.addWidget(self.summary_path)
        right_layout.addWidget(summary_box)
        right_layout.addWidget(self.head_note)
        right_layout.addStretch(1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([520, 520])

        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header("Model", "Open a checkpoint, or create a new one from a preset.", self.open_button)
        )
        layout.addWidget(splitter, 1)

        state.model_opening.connect(self._opening)
        state.model_changed.connect(self._opened)
        state.model_failed.connect(self._open_failed)
        state.model_changed.connect(self._update_tokenizer_choices)
        self._update_tokenizer_choices()

    # ----- listing -----
    def refresh_models(self) -> None:
        extra = [Path(p) for p in self.settings.recent("models")] + [self.state.models_dir]
        run_in_background(
            local_models, extra, owner=self, on_done=self._show_models, on_error=lambda e: show_error(self, e)
        )

    def _show_models(self, models: list[LocalModel]) -> None:
        self.models_list.clear()
        for model in models:
            item = QTreeWidgetItem([model.name, model.source])
            item.setData(0, Qt.ItemDataRole.UserRole, str(model.path))
            item.setToolTip(0, str(model.path))
            self.models_list.addTopLevelItem(item)
        if not models:
            item = QTreeWidgetItem(["No BERT checkpoints found", "use Open Model Folder..."])
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.models_list.addTopLevelItem(item)
        self._update_tokenizer_choices()

    def _open_item(self, item: QTreeWidgetItem | None) -> None:
        if item is not None and item.data(0, Qt.ItemDataRole.UserRole):
            self.open_model(Path(item.data(0, Qt.ItemDataRole.UserRole)))

    # ----- opening -----
    def choose_folder(self) -> None:
        start = self.settings.get("model/last_dir", str(Path.home()))
        folder = QFileDialog.getExistingDirectory(self, "Open a model folder (Hugging Face layout)", start)
        if folder:
            self.settings.set("model/last_dir", str(Path(folder).parent))
            self.open_model(Path(folder))

    def open_model(self, path: Path) -> None:
        self.state.open_model(Path(path))

    def _opening(self, path: Path) -> None:
        self.open_button.setEnabled(False)
        self.summary_title.setText(f"Opening {path.name}...")

    def _opened(self) -> None:
        self.open_button.setEnabled(True)
        self._show_summary(self.state.model_path, self.state.model_summary)
        self.model_opened.emit()

    def _open_failed(self, _exc: BaseException) -> None:
        self.open_button.setEnabled(True)
        self.summary_title.setText(
            model_display_name(self.state.model_path) if self.state.model_path else "No model open"
        )

    def _show_summary(self, path: Path, summary: dict[str, Any]) -> None:
        self.summary_title.setText(model_display_name(path))
        self.summary_path.setText(str(path))
        for key, label in self.summary_labels.items():
            label.setText(format_value(key, summary.get(key)))
        fresh = summary.get("newly_initialized") or []
        if fresh:
            self.head_note.setText(
                f"{len(fresh)} weight(s) are not in the checkpoint and start random; fine-tuning trains them."
            )
        else:
            self.head_note.setText("Every weight of this model comes from the checkpoint.")

    # ----- creating -----
    def _update_tokenizer_choices(self) -> None:
        current = self.tokenizer_combo.currentData()
        self.tokenizer_combo.clear()
        if self.state.model_path is not None:
            name = model_display_name(self.state.model_path)
            self.tokenizer_combo.addItem(f"the open model ({name})", str(self.state.model_path))
        for row in range(self.models_list.topLevelItemCount()):
            item = self.models_list.topLevelItem(row)
            path = item.data(0, Qt.ItemDataRole.UserRole)
            if path and path != str(self.state.model_path):
                self.tokenizer_combo.addItem(item.text(0), path)
        index = self.tokenizer_combo.findData(current)
        self.tokenizer_combo.setCurrentIndex(max(index, 0))
        self.create_button.setEnabled(self.tokenizer_combo.count() > 0)

    def create_model(self) -> None:
        preset = self.preset_combo.currentData()
        from bertstudio.errors import ConfigError

        try:
            name = checked_folder_name(self.preset_name.text() or f"{preset}-bert", "model")
        except ConfigError as exc:
            show_error(self, exc, "Cannot create the model")
            return
        output = self.state.models_dir / name
        if output.exists():
            show_error(
                self,
                ConfigError(f"A model named {name!r} already exists.", "Choose another name.", path=output),
            )
            return
        tokenizer_folder = Path(self.tokenizer_combo.currentData())
        self.create_button.setEnabled(False)
        self.state.busy.emit(f"Creating {name}...")
        run_in_background(
            create_from_preset,
            preset,
            tokenizer_folder,
            output,
            owner=self,
            on_done=self._created,
            on_error=self._create_failed,
        )

    def _created(self, folder: Path) -> None:
        self.create_button.setEnabled(True)
        self.refresh_models()
        self.open_model(Path(folder))

    def _create_failed(self, exc: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.state.busy.emit("")
        show_error(self, exc, "Could not create the model")
