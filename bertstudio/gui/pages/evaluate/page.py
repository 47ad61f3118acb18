"""The Evaluate page coordinates its tabs: results of a finished run; the playground and batch
prediction with a chosen model. Choosing a run's results also picks that run's model to try."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from bertstudio.gui.controller import AppController
from bertstudio.gui.pages.evaluate.batch import BatchPrediction
from bertstudio.gui.pages.evaluate.playground import Playground
from bertstudio.gui.pages.evaluate.results import ResultsView
from bertstudio.gui.settings import Settings
from bertstudio.gui.widgets.common import page_header
from bertstudio.training.run_models import ModelChoice


class EvaluatePage(QWidget):
    def __init__(self, controller: AppController, settings: Settings) -> None:
        super().__init__()
        self.setObjectName("evaluatePage")
        self.controller = controller
        self.results = ResultsView(controller)
        self.playground = Playground(controller)
        self.batch = BatchPrediction(controller)
        self.playground.picker.chosen.connect(self.batch.set_model)
        self.batch.set_model(self.playground.model())
        self.results.example_chosen.connect(self._try_example)
        self.results.run_chosen.connect(self._run_chosen)
        playground_tab = QWidget()
        layout = QVBoxLayout(playground_tab)
        layout.addWidget(self.playground)
        layout.addWidget(self.batch)
        layout.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("evaluateTabs")
        self.tabs.addTab(self.results, "Results")
        self.tabs.addTab(playground_tab, "Playground && batch prediction")
        page = QVBoxLayout(self)
        page.addLayout(page_header("Evaluate", "How well the model does, where it fails, and what it says."))
        page.addWidget(self.tabs, 1)

    def _run_chosen(self, run_dir: str) -> None:
        model = Path(run_dir) / "model"
        if (model / "config.json").is_file():
            self.playground.picker.select(ModelChoice(title="", model_dir=model).key)

    def _try_example(self, text: str, pair: str) -> None:
        self.tabs.setCurrentIndex(1)
        self.playground.try_text(text, pair)
