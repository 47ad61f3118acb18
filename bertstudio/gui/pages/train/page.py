"""The Train page coordinates its three parts: the form (left), the run controls (header) and the
monitor (right). Start commits the form and asks the controller to train what it shows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QScrollArea, QSplitter, QVBoxLayout, QWidget

from bertstudio.errors import BertStudioError
from bertstudio.gui.controller import FORM_FIELDS, AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.pages.train.form import TrainForm
from bertstudio.gui.pages.train.monitor import TrainMonitor
from bertstudio.gui.pages.train.run_controls import RunControls
from bertstudio.gui.settings import Settings
from bertstudio.gui.widgets.common import page_header
from bertstudio.gui.widgets.log_panel import LogPanel
from bertstudio.gui.widgets.lr_finder import LearningRateFinder
from bertstudio.gui.widgets.run_plan import RunPlanLabel
from bertstudio.tasks import get_task

FINE_TUNE_SUBTITLE = "Fine-tune the open model on the imported data; curves update live."
PRETRAIN_SUBTITLE = "Pretrain on text files (masked language modelling); curves update live."
FORM_MINIMUM_WIDTH = 340
SAVED_FIELDS = ("device", "precision", "seed")  # remembered between sessions: machine habits, not a task's


class TrainPage(QWidget):
    def __init__(self, controller: AppController, settings: Settings, log_panel: LogPanel) -> None:
        super().__init__()
        self.setObjectName("trainPage")
        self.controller = controller
        self.settings = settings
        self.form = TrainForm(controller)
        self.controls = RunControls(controller)
        self.monitor = TrainMonitor(controller, log_panel)
        self.controls.start_button.clicked.connect(self.start)
        self.controls.cancel_button.clicked.connect(self.cancel)

        self.plan = RunPlanLabel()
        self.lr_finder = LearningRateFinder(self._config_to_scan)
        self.lr_finder.rate_chosen.connect(lambda rate: controller.apply_settings(learning_rate=rate))

        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # never narrower than the form: a narrower one cut its right edge off at the window's minimum size
        scroll.setMinimumWidth(
            max(
                FORM_MINIMUM_WIDTH,
                self.form.minimumSizeHint().width()
                + scroll.verticalScrollBar().sizeHint().width()
                + 2 * scroll.frameWidth(),
            )
        )
        left = QWidget()
        left_layout = QVBoxLayout(left)  # the form scrolls; the plan and the buttons stay in view
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        left_layout.addWidget(self.plan)
        left_layout.addWidget(self.lr_finder)
        left_layout.addLayout(self.form.config_buttons)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.monitor)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 880])
        layout = QVBoxLayout(self)
        layout.addLayout(page_header("Train", FINE_TUNE_SUBTITLE, self.controls))
        layout.addWidget(splitter, 1)
        self.subtitle = self.findChild(QLabel, "pageSubtitle")

        controller.task_changed.connect(self._task_changed)
        for signal in (
            controller.model_changed,
            controller.data_changed,
            controller.settings_changed,
            controller.session.launched,
        ):
            signal.connect(self._show_readiness)
        self._restore_settings()
        self._task_changed()

    def _task_changed(self) -> None:
        pretraining = get_task(self.controller.task).pretraining
        self.subtitle.setText(PRETRAIN_SUBTITLE if pretraining else FINE_TUNE_SUBTITLE)
        self._show_readiness()

    def _show_readiness(self) -> None:
        self.monitor.show_ready(*self.controller.ready_to_start())
        self.lr_finder.set_available(not self.controller.is_running())
        self._show_plan()

    def _show_plan(self) -> None:
        """The steps the run Start would train, and whether they are enough to learn."""
        data = self.controller.data
        try:
            config = self.controller.run_config()
        except BertStudioError:
            config = None
        self.plan.show_plan(config, data.train_rows if data is not None else None)

    def _config_to_scan(self):
        """Find LR scans what Start would train, with the form's edits."""
        self.form.commit()
        return self.controller.run_config()

    # ----- running -----
    def is_running(self) -> bool:
        return self.controller.is_running()

    def start(self) -> None:
        """Start training what the form shows; a dialog says what to change when it cannot."""
        if self.controller.is_running():
            return
        try:
            self.form.commit()
            self.controller.start_run()
        except BertStudioError as exc:
            show_error(self, exc, "Cannot start training")

    def cancel(self) -> None:
        if self.controller.is_running():
            self.controller.cancel_run()
            self.controls.cancelling()
            self.monitor.cancelling()

    # ----- lifetime -----
    def confirm_close(self) -> bool:
        """Ask before quitting during a run; cancelling saves a checkpoint and waits for it."""
        if not self.controller.is_running():
            return True
        answer = QMessageBox.question(
            self,
            "Training is running",
            "Cancel the run and quit? A checkpoint is saved first, so you can resume it later.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.controller.cancel_run()
        self.controller.session.wait(120_000)
        return True

    def save_settings(self) -> None:
        for name in SAVED_FIELDS:
            if name in self.controller.edited:
                self.settings.set(f"train/{name}", getattr(self.controller.settings, name))

    def _restore_settings(self) -> None:
        saved = {}
        for name in SAVED_FIELDS:
            value = self.settings.get(f"train/{name}")
            if value is not None and name in FORM_FIELDS:
                saved[name] = int(value) if name == "seed" else str(value)
        if saved:
            self.controller.apply_settings(**saved)
