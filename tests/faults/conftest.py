"""Fixtures of the fault-injection suite (the mounts are in tests/mounts.py, shared)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def fault_runs(tmp_path_factory):
    from tests.faults.runs import FaultRuns

    return FaultRuns(tmp_path_factory.mktemp("fault_runs"))
