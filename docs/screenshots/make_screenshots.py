"""Take the README screenshots: drive the real window through the demo and save each page.

    ../shared/tools/screenshot.sh /tmp/ignored.png 150 python docs/screenshots/make_screenshots.py [--dark]
(any X server works; the PNGs are written next to this script by the window itself).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from bertstudio.gui import demo, theme
from bertstudio.gui.demo import demo_paths
from bertstudio.gui.main_window import MainWindow
from bertstudio.gui.self_test import wait_until
from bertstudio.gui.settings import Settings

HERE = Path(__file__).resolve().parent


def save(window: MainWindow, page: str, name: str, app: QApplication) -> None:
    window.go_to(page)
    for _ in range(30):
        app.processEvents()
    window.grab().save(str(HERE / f"{name}.png"))
    print("saved", name)


def main() -> int:
    app = QApplication(sys.argv[:1])
    dark = "--dark" in sys.argv
    theme.apply_theme(app, "dark" if dark else "light")
    suffix = "-dark" if dark else ""
    with tempfile.TemporaryDirectory(prefix="bertstudio-") as temp:
        # the demo from a copy, so the pictures show no path of the machine they were taken on
        model, data = demo_paths()
        shutil.copytree(model, Path(temp) / "demo" / "model")
        shutil.copy(data, Path(temp) / "demo" / data.name)
        demo.demo_paths = lambda: (Path(temp) / "demo" / "model", Path(temp) / "demo" / data.name)
        settings = Settings(QSettings(str(Path(temp) / "s.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings, Path(temp) / "workspace")
        window.resize(1360, 860)
        window.show()
        window.open_demo()
        wait_until(app, lambda: window.state.data is not None, "the demo")
        if dark:  # one dark picture is enough to show the palette
            window.train_page.start()
            wait_until(app, lambda: not window.train_page.is_running(), "training")
            save(window, "Train", "train-dark", app)
            window.close()
            return 0
        save(window, "Model", f"model{suffix}", app)
        window.data_page.tabs.setCurrentIndex(2)
        save(window, "Data", f"data{suffix}", app)
        window.train_page.start()
        wait_until(app, lambda: not window.train_page.is_running(), "training")
        window.train_page.curves.redraw()
        save(window, "Train", f"train{suffix}", app)
        wait_until(app, lambda: window.evaluate_page.split_combo.count() > 0, "evaluation")
        save(window, "Evaluate", f"evaluate{suffix}", app)
        window.evaluate_page.tabs.setCurrentIndex(1)
        window.evaluate_page.predict_input.setPlainText("The plot felt clever, but the ending was so boring.")
        window.evaluate_page.predict()
        wait_until(app, lambda: window.evaluate_page.bars.bars, "a prediction")
        save(window, "Evaluate", f"playground{suffix}", app)
        window.runs_page.refresh()
        wait_until(app, lambda: window.runs_page.table.topLevelItemCount() > 0, "the run list")
        window.runs_page.table.topLevelItem(0).setSelected(True)
        wait_until(app, lambda: window.runs_page.curve_count() > 0, "run curves")
        save(window, "Runs", f"runs{suffix}", app)
        save(window, "Inspect", f"inspect{suffix}", app)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
