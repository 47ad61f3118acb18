"""`bertstudio --demo`: the bundled demo model and reviews, mapped and checked, with the Train page ready."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bertstudio.errors import BertStudioError
from bertstudio.gui.error_dialog import show_error
from bertstudio.resources import resource_path

if TYPE_CHECKING:
    from bertstudio.gui.main_window import MainWindow

# Small enough to fine-tune in well under a minute on a laptop CPU.
DEMO_SETTINGS = {
    "epochs": 3,
    "batch_size": 16,
    "learning_rate": 1e-3,
    "max_length": 64,
    "eval_every_steps": 0,
}


def demo_paths():
    return resource_path("demo", "model"), resource_path("demo", "reviews.csv")


def open_demo(window: MainWindow) -> None:
    """Open the demo model, import the demo data; once it checks out, use it and go to the Train page."""
    model, data = demo_paths()
    if not (model / "config.json").is_file() or not data.is_file():
        show_error(
            window,
            BertStudioError(
                "The demo files are missing from this installation.",
                "Reinstall BERT Studio, or build them with `python -m bertstudio.resources.make_demo`.",
                path=model.parent,
            ),
        )
        return
    window.model_page.open_model(model)
    page = window.data_page
    page.max_length_spin.setValue(DEMO_SETTINGS["max_length"])

    def data_checked() -> None:
        # opening the model re-checks the data (token lengths), so the last report comes after both
        if window.state.model_path is None or page.report is None:
            return
        page.report_ready.disconnect(data_checked)
        if page.report.usable:
            ready()

    def ready() -> None:
        page.use_for_training()
        train = window.train_page
        for name, value in DEMO_SETTINGS.items():
            train.set_field(name, value)
        window.go_to("Train")
        window.state.busy.emit("Demo ready: press Start to fine-tune the demo model on the demo reviews")

    page.report_ready.connect(data_checked)
    page.import_file(data)
