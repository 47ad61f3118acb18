"""The main window: a sidebar over the pages, menus and shortcuts, log panel, status bar, drag and drop."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from bertstudio import __version__
from bertstudio.gui import theme
from bertstudio.gui.controller import AppController
from bertstudio.gui.device import probe_device
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.pages.data import DATA_SUFFIXES, DataPage
from bertstudio.gui.pages.embeddings_page import EmbeddingsPage
from bertstudio.gui.pages.evaluate import EvaluatePage
from bertstudio.gui.pages.model_page import ModelPage
from bertstudio.gui.pages.runs_page import RunsPage
from bertstudio.gui.pages.train import TrainPage
from bertstudio.gui.settings import Settings
from bertstudio.gui.widgets.export_dialog import ExportDialog
from bertstudio.gui.widgets.log_panel import LogPanel, QtLogHandler
from bertstudio.gui.widgets.model_picker import ModelPicker
from bertstudio.gui.workers import BackgroundJob, run_in_background
from bertstudio.resources import resource_path
from bertstudio.tasks import get_task
from bertstudio.training.run_models import ModelChoice

log = logging.getLogger("bertstudio.gui")

STARTUP_DELAY_MS = 300
PAGE_TIPS = {
    "Model": "Open or create the model to fine-tune",
    "Data": "Import a CSV / TSV / JSONL file and map its columns",
    "Train": "Fine-tune with live curves",
    "Evaluate": "Metrics, confusion matrix, errors and a playground",
    "Inspect": "Tokens, attention and attributions",
    "Runs": "Every run in the workspace: compare, resume, export",
    "Embeddings": "Sentence similarity and semantic search with the open model",
}


class InspectSlot(QWidget):
    """Holds the Inspect page, built once its module (which imports torch) has been imported on a
    worker thread after start-up, with a picker of the model to inspect above it (the open model, or a
    run's exported model or checkpoint); says so plainly when the inspection tools are not installed."""

    def __init__(self, controller: AppController) -> None:
        super().__init__()
        self.setObjectName("inspectPage")
        self.controller = controller
        self.page: QWidget | None = None
        self._data = None  # the imported data, handed over once the page exists
        self._loaded_key: str | None = None  # the model choice the page has (or is loading)
        self.picker = ModelPicker(controller, "inspectModelCombo")
        self.picker.chosen.connect(lambda _choice: self.load_chosen_model())
        self.label = QLabel("Loading the inspection tools...")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.layout_ = QVBoxLayout(self)  # the picker with the page's margins until the page holds it
        self.layout_.addWidget(self.picker)
        self.layout_.addWidget(self.label, 1)

    def load(self) -> None:
        run_in_background(
            importlib.import_module,
            "bertstudio.gui.pages.inspect_page",
            owner=self,
            on_done=self._build,
            on_error=self._unavailable,
        )

    def _build(self, module) -> None:
        self.layout_.removeWidget(self.picker)
        self.page = module.InspectPage(model_picker=self.picker)
        self.page.busy.connect(self.controller.busy)
        self.layout_.removeWidget(self.label)
        self.label.deleteLater()
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addWidget(self.page, 1)
        self.page.set_data(self._data)
        if self.isVisible():
            self.load_chosen_model()

    def _unavailable(self, exc: BaseException) -> None:
        if not isinstance(exc, ImportError):
            show_error(self, exc, "The Inspect page could not be loaded")
        self.label.setText(
            "<h3>Inspect</h3><p>The inspection tools are not part of this build.</p>"
            f"<p style='color:gray'>({type(exc).__name__}: {exc})</p>"
        )

    def set_data(self, selection) -> None:
        self._data = selection
        if self.page is not None:
            self.page.set_data(selection)

    def showEvent(self, event) -> None:  # the model loads when Inspect is first shown after a change
        super().showEvent(event)
        self.load_chosen_model()

    def load_chosen_model(self) -> None:
        choice = self.picker.current()
        if self.page is None or choice is None or choice.key == self._loaded_key or not self.isVisible():
            return
        from bertstudio.training.run_models import load_model_choice

        self._loaded_key = choice.key
        self.page.show_unloaded(f"Loading {choice.title}…")
        self.controller.busy.emit("Loading the model for inspection...")
        run_in_background(
            load_model_choice,
            choice,
            owner=self,
            on_done=lambda loaded: self._loaded(choice, loaded),
            on_error=lambda exc: self._load_failed(choice, exc),
        )

    def _loaded(self, choice: ModelChoice, loaded: tuple) -> None:
        self.controller.busy.emit("")
        if choice.key == self._loaded_key:
            self.page.set_model(*loaded, name=choice.title)

    def _load_failed(self, choice: ModelChoice, exc: BaseException) -> None:
        self.controller.busy.emit("")
        self._loaded_key = None
        self.page.show_unloaded(f"Could not load {choice.title}: choose another model above.")
        show_error(self, exc, "Could not load the model for inspection")


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, workspace: Path | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("BERT Studio")
        self.settings = settings
        self.controller = AppController(
            Path(workspace) if workspace else settings.workspace(),
            max_length=int(settings.get("data/max_length", 128, int)),
            validation=float(settings.get("data/validation", 10.0, float)) / 100,
            test=float(settings.get("data/test", 10.0, float)) / 100,
        )
        self.controller.failed.connect(lambda exc, title: show_error(self, exc, title))
        self.setAcceptDrops(True)

        self.log_panel = LogPanel()
        self._log_handler = QtLogHandler(self.log_panel)
        logging.getLogger("bertstudio").addHandler(self._log_handler)
        logging.getLogger("bertstudio").setLevel(logging.INFO)

        self.model_page = ModelPage(self.controller, settings)
        self.data_page = DataPage(self.controller, settings)
        self.train_page = TrainPage(self.controller, settings, self.log_panel)
        self.evaluate_page = EvaluatePage(self.controller, settings)
        self.inspect_page = InspectSlot(self.controller)
        self.runs_page = RunsPage(self.controller, settings)
        self.embeddings_page = EmbeddingsPage()
        self.pages: dict[str, QWidget] = {
            "Model": self.model_page,
            "Data": self.data_page,
            "Train": self.train_page,
            "Evaluate": self.evaluate_page,
            "Inspect": self.inspect_page,
            "Runs": self.runs_page,
            "Embeddings": self.embeddings_page,
        }

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName("Pages")
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        for index, (name, page) in enumerate(self.pages.items()):
            item = QListWidgetItem(f"{index + 1}  {name}")
            item.setToolTip(f"{PAGE_TIPS[name]} (Ctrl+{index + 1})")
            self.sidebar.addItem(item)
            page.setAccessibleName(f"{name} page")
            self.stack.addWidget(page)
        self.sidebar.currentRowChanged.connect(self._show_page)
        self._fit_sidebar()

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.log_dock = QDockWidget("Log", self)
        self.log_dock.setObjectName("logDock")
        self.log_dock.setWidget(self.log_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.log_dock.hide()

        self.activity_label = QLabel("Ready")
        self._training_activity = ""  # the running run's status line, shown when nothing else is busy
        self.activity_label.setObjectName("activityLabel")
        self.device_label = QLabel("Device: checking...")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setToolTip("Where training and inference run")
        self.statusBar().addWidget(self.activity_label, 1)
        self.statusBar().addPermanentWidget(self.device_label)
        self.controller.busy.connect(self._show_activity)

        self._build_menus()
        controller = self.controller
        controller.model_changed.connect(lambda: self.settings.add_recent("models", controller.model_path))
        controller.data_import.read_done.connect(lambda path: self.settings.add_recent("data", path))
        controller.model_changed.connect(self._refresh_recent_menu)
        controller.data_import.read_done.connect(self._refresh_recent_menu)
        self.runs_page.open_model_requested.connect(self.open_model)
        self.runs_page.resume_requested.connect(self._resume_run)
        controller.session.launched.connect(lambda: self.go_to("Train"))
        controller.data_changed.connect(lambda: self.inspect_page.set_data(controller.data))
        controller.run_started.connect(self.runs_page.refresh)
        controller.run_finished.connect(self.runs_page.refresh)
        self.runs_page.export_requested.connect(self.show_export)
        controller.model_changed.connect(lambda: self.embeddings_page.set_model(controller.model_path))
        controller.data_changed.connect(self._show_data_in_embeddings)
        self.embeddings_page.set_runs_dir(controller.runs_dir)
        controller.workspace_changed.connect(lambda: self.embeddings_page.set_runs_dir(controller.runs_dir))
        controller.run_finished.connect(lambda _: self.embeddings_page.training_tab.refresh_runs())
        self._restore()
        # Work that imports torch starts once the window has painted: it would compete for the GIL.
        QTimer.singleShot(STARTUP_DELAY_MS, self._start_background_work)

    def _show_data_in_embeddings(self) -> None:
        data = self.controller.data
        if data is not None and not get_task(data.task).answers_questions:  # a SQuAD file is no table
            self.embeddings_page.set_data(data.path, data.read_options, data.mapping.text)

    def _start_background_work(self) -> None:
        self._probe_device()
        self.model_page.refresh_models()
        self.runs_page.refresh()
        self.inspect_page.load()

    # ----- navigation -----
    def go_to(self, name: str) -> None:
        self.sidebar.setCurrentRow(list(self.pages).index(name))

    def _show_page(self, row: int) -> None:
        self.stack.setCurrentIndex(row)

    # ----- menus -----
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._add_action(file_menu, "&Open Model...", QKeySequence.StandardKey.Open, self.choose_model)
        self._add_action(file_menu, "&Import Data...", "Ctrl+I", self.choose_data)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._refresh_recent_menu()
        file_menu.addSeparator()
        self._add_action(file_menu, "&Export Model...", "Ctrl+Shift+E", lambda: self.show_export())
        file_menu.addSeparator()
        self._add_action(file_menu, "Choose &Workspace...", None, self.choose_workspace)
        self._add_action(file_menu, "Open &Demo", None, self.open_demo)
        file_menu.addSeparator()
        self._add_action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close).setMenuRole(
            QAction.MenuRole.QuitRole
        )

        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(self.pages):
            self._add_action(view_menu, name, f"Ctrl+{index + 1}", lambda _=False, n=name: self.go_to(n))
        view_menu.addSeparator()
        log_action = self.log_dock.toggleViewAction()
        log_action.setText("&Log Panel")
        log_action.setShortcut("Ctrl+L")
        view_menu.addAction(log_action)
        theme_menu = view_menu.addMenu("&Theme")
        for choice in theme.THEMES:
            self._add_action(
                theme_menu, choice.capitalize(), None, lambda _=False, c=choice: self.set_theme(c)
            )

        help_menu = self.menuBar().addMenu("&Help")
        self._add_action(help_menu, "&User Guide", QKeySequence.StandardKey.HelpContents, self.show_help)
        self._add_action(help_menu, "&About BERT Studio", None, self.show_about).setMenuRole(
            QAction.MenuRole.AboutRole
        )

    def _add_action(self, menu, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _refresh_recent_menu(self, *_: object) -> None:
        self.recent_menu.clear()
        entries = [("Model", p) for p in self.settings.recent("models")]
        entries += [("Data", p) for p in self.settings.recent("data")]
        for kind, path in entries:
            action = self.recent_menu.addAction(f"{kind}: {Path(path).name}  —  {path}")
            action.triggered.connect(lambda _=False, p=path: self.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(entries))

    # ----- opening things -----
    def choose_model(self) -> None:
        self.go_to("Model")
        self.model_page.choose_folder()

    def choose_data(self) -> None:
        self.go_to("Data")
        self.data_page.choose_file()

    def open_model(self, path: Path) -> None:
        self.go_to("Model")
        self.controller.open_model(Path(path))

    def open_path(self, path: Path) -> None:
        """Open a model folder or import a data file, whichever `path` is (as a drop does)."""
        path = Path(path)
        if path.is_dir() and (path / "config.json").is_file():
            self.open_model(path)
        elif path.is_file() and path.suffix.lower() in DATA_SUFFIXES:
            self.go_to("Data")
            self.controller.import_data(path)
        else:
            from bertstudio.errors import BertStudioError

            if not path.exists():
                error = BertStudioError(
                    "This file or folder no longer exists.",
                    "It was moved, renamed or deleted; open it from its new place.",
                    path=path,
                )
            else:
                error = BertStudioError(
                    "This is neither a model folder nor a data file.",
                    "Drop a folder holding config.json, or a .csv / .tsv / .jsonl / .txt file.",
                    path=path,
                )
            show_error(self, error)

    def choose_workspace(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Workspace for runs and models", str(self.controller.workspace)
        )
        if folder:
            self.settings.set_workspace(Path(folder))
            self.controller.set_workspace(Path(folder))

    def open_demo(self) -> None:
        """Open the bundled demo model and data and make the Train page ready."""
        from bertstudio.gui.demo import open_demo

        open_demo(self)

    def _resume_run(self, run_dir: str) -> None:
        from bertstudio.errors import BertStudioError

        self.go_to("Train")
        try:
            self.controller.resume_run(Path(run_dir))
        except BertStudioError as exc:
            show_error(self, exc, "Cannot resume this run")

    # ----- drag and drop -----
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls()[:1]:
            self.open_path(Path(url.toLocalFile()))
        event.acceptProposedAction()

    # ----- status, theme, help -----
    def _show_activity(self, text: str) -> None:
        """What runs now; when a short task ends while a run trains, the run's line comes back."""
        if text.startswith("Training"):
            self._training_activity = text
        elif not self.train_page.is_running():
            self._training_activity = ""
        self.activity_label.setText(text or self._training_activity or "Ready")

    def _probe_device(self) -> None:
        run_in_background(
            probe_device,
            owner=self,
            on_done=lambda text: self.device_label.setText(text),
            on_error=lambda exc: self.device_label.setText(f"Device unknown ({type(exc).__name__})"),
        )

    def set_theme(self, choice: str) -> None:
        self.settings.set("theme", choice)
        theme.apply_theme(QApplication.instance(), choice)
        self._fit_sidebar()

    def _fit_sidebar(self) -> None:
        """As wide as its widest page name with the theme's padding (no sideways scrolling)."""
        self.sidebar.ensurePolished()
        chrome = self.sidebar.width() - self.sidebar.viewport().width()
        self.sidebar.setFixedWidth(max(150, self.sidebar.sizeHintForColumn(0) + max(chrome, 0) + 4))

    def show_help(self) -> None:
        dialog = QDialog(self)
        dialog.setObjectName("helpDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowTitle("BERT Studio — User Guide")
        browser = QTextBrowser()
        browser.setOpenExternalLinks(True)
        browser.setMarkdown(resource_path("help.md").read_text(encoding="utf-8"))
        QVBoxLayout(dialog).addWidget(browser)
        dialog.resize(720, 640)
        dialog.show()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About BERT Studio",
            f"<b>BERT Studio {__version__}</b><p>Fine-tune, evaluate and inspect BERT-family models.</p>"
            f"<p>Workspace: {self.controller.workspace}</p>",
        )

    def show_export(self, source: str | Path | None = None) -> ExportDialog:
        """The export dialog for a run folder (from the Runs page) or else the open model."""
        model = Path(source) if source else self.controller.model_path
        dialog = ExportDialog(model, self.controller.workspace / "exports", self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def reveal(self, path: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # ----- persistence -----
    def _restore(self) -> None:
        geometry = self.settings.get("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = self.settings.get("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        self.go_to(
            self.settings.get("window/page", "Model")
            if self.settings.get("window/page") in self.pages
            else "Model"
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.train_page.confirm_close():
            event.ignore()
            return
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.set("window/page", list(self.pages)[self.stack.currentIndex()])
        for page in (self.data_page, self.train_page):
            page.save_settings()
        logging.getLogger("bertstudio").removeHandler(self._log_handler)
        BackgroundJob.wait_all()
        super().closeEvent(event)
