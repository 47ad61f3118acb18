"""The guidance around Start: the step plan and its warnings, and Find LR on a tiny real model."""

from __future__ import annotations

import pytest

from bertstudio.gui.widgets.lr_finder import LearningRateFinder
from bertstudio.gui.widgets.run_plan import RunPlanLabel
from bertstudio.training import RunConfig
from tests.core.training_fixtures import run_config, sentiment_csv, tiny_model
from tests.gui.conftest import error_dialogs
from tests.gui.test_training_flow import ready  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def test_the_plan_shows_steps_and_warns_about_a_run_too_short_to_learn(qtbot):
    label = RunPlanLabel()
    qtbot.addWidget(label)
    label.show_plan(RunConfig(epochs=1, batch_size=16, learning_rate=5e-5), 480)
    assert (
        "This run: 30 optimizer steps (30 per epoch over 480 training examples), 3 of them warming up."
        in label.text()
    )
    assert len(label.warnings) == 1 and "too few to learn" in label.text() and "Find LR" in label.text()
    label.show_plan(RunConfig(epochs=3, batch_size=16, learning_rate=2e-4), 480)
    assert label.warnings == [] and "90 optimizer steps" in label.text()
    label.show_plan(None, 480)
    assert label.text() == ""


def test_the_plans_advice_names_a_change_that_helps(qtbot):
    """Found under Xvfb: 57 steps at 5e-05 were told to 'raise the learning rate to about 5e-05', and a
    run capped by Max steps was told to 'train more epochs' (which changes nothing)."""
    label = RunPlanLabel()
    qtbot.addWidget(label)
    label.show_plan(RunConfig(epochs=3, batch_size=16, learning_rate=5e-5), 297)
    (warning,) = label.warnings
    assert warning.startswith("57 steps at learning rate 5e-05 are likely too few to learn")
    assert "raise the learning rate to about 6e-05" in warning
    assert "train about 60 steps at this rate (4 epochs)" in warning
    label.show_plan(RunConfig(epochs=3, max_steps=12, batch_size=8, learning_rate=2e-4), 297)
    assert label.warnings == ["Only 12 optimizer steps: too short to learn. Raise Max steps."]
    label.show_plan(RunConfig(epochs=3, max_steps=25, batch_size=8, learning_rate=5e-5), 297)
    (warning,) = label.warnings
    assert "raise Max steps to about 60" in warning and "epoch" not in warning


def test_find_lr_draws_the_curve_and_sets_the_suggested_rate(qtbot, tmp_path):
    config = run_config(
        tiny_model(tmp_path, dropout=False),
        sentiment_csv(tmp_path, count=120),
        tmp_path / "run",
        batch_size=8,
    )
    finder = LearningRateFinder(lambda: config)
    qtbot.addWidget(finder)
    chosen = []
    finder.rate_chosen.connect(chosen.append)
    finder.find_button.click()
    assert finder.is_running() and not finder.find_button.isEnabled() and finder.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not finder.is_running(), timeout=120_000)
    assert not error_dialogs()
    scan = finder.scan
    assert scan is not None and len(finder.raw.xData) == len(scan.rates) > 10
    assert finder.status.text().startswith("Suggested learning rate"), finder.status.text()
    assert finder.use_button.isEnabled() and finder.marker.isVisible()
    finder.use_button.click()
    assert chosen == [pytest.approx(scan.suggested_rate, rel=0.06)]
    assert not (tmp_path / "run").exists()


def test_find_lr_stops_when_asked_and_explains_a_config_that_cannot_run(qtbot, tmp_path):
    config = run_config(
        tiny_model(tmp_path), sentiment_csv(tmp_path, count=120), tmp_path / "run", batch_size=8
    )
    finder = LearningRateFinder(lambda: config)
    qtbot.addWidget(finder)
    finder.find_button.click()
    finder.stop_button.click()
    qtbot.waitUntil(lambda: not finder.is_running(), timeout=120_000)
    assert finder.scan is not None and finder.scan.status == "cancelled"
    broken = LearningRateFinder(lambda: RunConfig(output_dir=str(tmp_path / "x")))
    qtbot.addWidget(broken)
    broken.find_button.click()
    qtbot.waitUntil(lambda: bool(error_dialogs()), timeout=10_000)
    assert "model" in error_dialogs()[0].what_label.text().lower()
    error_dialogs()[0].close()


def test_the_train_page_plans_finds_a_rate_and_says_when_the_loss_barely_moved(ready, qtbot):  # noqa: F811
    window, train = ready, ready.train_page
    train.controller.apply_settings(epochs=1, learning_rate=1e-5)
    # 80 rows, 64 to train, batches of 8: 8 steps
    assert (
        "8 optimizer steps (8 per epoch over 64 training examples), 1 of them warming up" in train.plan.text()
    )
    assert train.plan.warnings and train.plan.warnings[0].startswith("Only 8 optimizer steps")
    train.controller.apply_settings(epochs=4, learning_rate=2e-4)  # 32 steps at 2e-4: budget met
    assert train.plan.warnings == [] and "32 optimizer steps" in train.plan.text()
    buttons = [train.form.defaults_button, train.form.load_config_button, train.form.save_config_button]
    window.resize(1280, 800)
    window.go_to("Train")
    window.show()
    qtbot.waitExposed(window)
    for button in buttons:  # not cut off below the scrolling form
        corner = button.mapTo(train, button.rect().bottomRight())
        assert button.isVisible() and train.rect().contains(corner)

    finder = train.lr_finder
    finder.find_button.click()
    qtbot.waitUntil(lambda: not finder.is_running(), timeout=120_000)
    assert not error_dialogs()
    if finder.scan.suggested_rate is not None:
        finder.use_button.click()
        assert train.controller.settings.learning_rate == pytest.approx(finder.scan.suggested_rate, rel=0.06)

    train.controller.apply_settings(learning_rate=1e-7, max_steps=12)
    train.start()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert "The training loss barely moved" in train.monitor.result_label.text()
