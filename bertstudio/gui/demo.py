"""`bertstudio --demo`: the bundled demo model and reviews, mapped and checked, with the Train page ready."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bertstudio.errors import BertStudioError
from bertstudio.gui.error_dialog import show_error
from bertstudio.resources import resource_path

if TYPE_CHECKING:
    from bertstudio.gui.main_window import MainWindow

# Small enough to fine-tune in well under a minute on a laptop CPU. These are the demo's settings, not the
# person's: opening another model or data brings that model's and task's defaults back.
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
    """Open the demo model and data through the controller; the Train page shows once they are in use."""
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
    controller = window.controller

    def in_use() -> None:
        controller.data_changed.disconnect(in_use)
        window.go_to("Train")

    controller.data_changed.connect(in_use)
    controller.open_demo(DEMO_SETTINGS)
