"""Start, Pause / Resume and Cancel: the Train page's run control, enabled by what the controller says."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from bertstudio.gui.controller import AppController


class RunControls(QWidget):
    def __init__(self, controller: AppController) -> None:
        super().__init__()
        self.setObjectName("runControls")
        self.controller = controller
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startTrainingButton")
        self.start_button.setAccessibleName("Start training")
        self.start_button.setProperty("role", "primary")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseTrainingButton")
        self.pause_button.setAccessibleName("Pause or resume training")
        self.pause_button.setToolTip("Pause at the next step boundary; press again to resume")
        self.pause_button.clicked.connect(controller.toggle_pause)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelTrainingButton")
        self.cancel_button.setAccessibleName("Cancel training")
        self.cancel_button.setToolTip(
            "Stop after the current step; a checkpoint is saved, so the run can be resumed"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for button in (self.start_button, self.pause_button, self.cancel_button):
            layout.addWidget(button)
        session = controller.session
        session.launched.connect(self.update_state)
        session.ended.connect(self.update_state)
        session.pause_changed.connect(
            lambda paused: self.pause_button.setText("Resume" if paused else "Pause")
        )
        for signal in (controller.model_changed, controller.data_changed, controller.settings_changed):
            signal.connect(self.update_state)
        self.update_state()

    def update_state(self) -> None:
        running = self.controller.is_running()
        ready, why = self.controller.ready_to_start()
        self.start_button.setEnabled(ready)
        self.start_button.setToolTip("Start training" if ready else why)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.pause_button.setText("Pause")

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.pause_button.setEnabled(False)
