"""`bertstudio --self-test`, the installers' smoke test: exit 0 when the window trains the demo, and a
prompt exit 1 (never a hang) when something fails."""

from __future__ import annotations

import os
import subprocess
import sys

ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_self_test_passes_on_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "bertstudio", "--self-test"],
        capture_output=True,
        text=True,
        timeout=240,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    assert "self-test: trained" in result.stdout and "self-test passed" in result.stdout


def test_a_failing_self_test_exits_1_without_hanging():
    code = (
        "import bertstudio.gui.self_test as st\n"
        "st.SELF_TEST_STEPS = 100000\n"  # more steps than the shortened wait allows: a timeout failure
        "st.wait_until.__defaults__ = (3.0,)\n"
        "from bertstudio.gui.app import run_app\n"
        "raise SystemExit(run_app(self_test=True))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=ENV
    )
    assert result.returncode == 1
    assert "self-test FAILED: timed out" in result.stderr
