"""The embedding projector with 100,000 points: draw, pan, zoom, hover and box / lasso selection latency
of the real widget (bertstudio.gui.widgets.projector_view.ProjectorView), offscreen, side by side with
the straightforward pyqtgraph way (one ScatterPlotItem with a brush per point and hoverable points,
which is what the projector did before).

    python benchmarks/bench_projector.py [--points 100000] [--repeats 15]

Each figure is the median (and the worst) of `repeats` timings of the whole operation including the
repaint it causes (`QWidget.grab()` paints the widget synchronously, as the screen would).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def clustered_points(count: int, groups: int = 10, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, groups, count)
    centres = rng.normal(scale=6.0, size=(groups, 2))
    points = (centres[labels] + rng.normal(size=(count, 2))).astype(np.float32)
    return points, [f"class {label}" for label in labels]


def timed(action, repeats: int) -> tuple[float, float]:
    """(median, worst) milliseconds of `action()`."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times)


def ours(points, texts, groups, repeats: int) -> dict[str, tuple[float, float]]:
    from bertstudio.gui.widgets.projector_view import ProjectorView

    view = ProjectorView()
    view.resize(1000, 700)
    view.show()
    results = {}

    def draw():
        view.set_points(points, texts, groups)
        view.grab()

    results["draw (set points + paint)"] = timed(draw, max(3, repeats // 3))
    results["repaint"] = timed(view.grab, repeats)
    box = view.view_box

    def pan():
        box.translateBy(x=0.5, y=0.3)
        view.grab()

    results["pan step + paint"] = timed(pan, repeats)

    def zoom():
        box.scaleBy((0.97, 0.97))
        view.grab()

    results["zoom step + paint"] = timed(zoom, repeats)
    box.autoRange()
    view.grab()
    rng = np.random.default_rng(1)
    targets = points[rng.integers(0, len(points), repeats)]
    spots = iter(targets.tolist() * 2)

    def hover():
        x, y = next(spots)
        position = view.point_near(x, y)
        view.hover_text(position) if position is not None else ""

    results["hover (find point + text)"] = timed(hover, repeats)
    low, high = points.min(axis=0), points.max(axis=0)
    middle = (low + high) / 2

    def select_box():
        view.select_box(low, middle)
        view.grab()

    results["box select + paint"] = timed(select_box, repeats)
    angles = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    lasso = middle + np.c_[np.cos(angles), np.sin(angles)] * (high - low) / 4

    def select_lasso():
        view.select_lasso(lasso)
        view.grab()

    results["lasso select (200-point path) + paint"] = timed(select_lasso, repeats)
    view.close()
    view.deleteLater()
    return results


def plain(points, texts, groups, repeats: int) -> dict[str, tuple[float, float]]:
    """One ScatterPlotItem, a brush per point, hoverable points: the straightforward way."""
    import pyqtgraph as pg

    from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget

    view = ThemedPlotWidget("plain", "plain")
    view.resize(1000, 700)
    view.show()
    scatter = pg.ScatterPlotItem(size=5, pen=None, hoverable=True)
    view.addItem(scatter)
    names = sorted(set(groups))
    brush_of = {name: pg.mkBrush(pg.intColor(i, hues=len(names))) for i, name in enumerate(names)}
    results = {}

    def draw():
        scatter.setData(pos=points, data=np.arange(len(points)), brush=[brush_of[g] for g in groups])
        view.autoRange()
        view.grab()

    results["draw (set points + paint)"] = timed(draw, max(3, repeats // 3))
    results["repaint"] = timed(view.grab, repeats)
    box = view.getPlotItem().vb

    def pan():
        box.translateBy(x=0.5, y=0.3)
        view.grab()

    results["pan step + paint"] = timed(pan, repeats)

    def zoom():
        box.scaleBy((0.97, 0.97))
        view.grab()

    results["zoom step + paint"] = timed(zoom, repeats)
    box.autoRange()
    view.grab()
    rng = np.random.default_rng(1)
    targets = iter(points[rng.integers(0, len(points), repeats)].tolist() * 2)

    def hover():
        x, y = next(targets)
        found = scatter.pointsAt(pg.Point(x, y))
        texts[int(found[0].data())] if len(found) else ""

    results["hover (find point + text)"] = timed(hover, repeats)
    view.close()
    view.deleteLater()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    points, groups = clustered_points(args.points)
    texts = [f"row {i}: some text of the row" for i in range(args.points)]
    print(f"{args.points:,} points, 10 colour groups, 1000 x 700 widget, {app.platformName()} platform")
    mine = ours(points, texts, groups, args.repeats)
    straightforward = plain(points, texts, groups, args.repeats)
    print(f"{'operation':40s} {'projector ms (median / worst)':>30s} {'plain ms':>20s} {'ratio':>7s}")
    for name, (median, worst) in mine.items():
        other = straightforward.get(name)
        other_text = f"{other[0]:8.1f} / {other[1]:7.1f}" if other else f"{'-':>18s}"
        ratio = f"{other[0] / median:6.1f}x" if other else ""
        print(f"{name:40s} {median:15.1f} / {worst:10.1f} {other_text:>20s} {ratio:>7s}")


if __name__ == "__main__":
    main()
