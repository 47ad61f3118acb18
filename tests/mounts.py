"""Real fault conditions (tests/faults/, and the window's tests): a small tmpfs, a read-only bind mount.

Both need mount(2) (root, or a container that allows it); where the platform refuses, the test is
skipped with the reason. Each mount is undone when the test ends, also when it fails.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def _mount(*args: str) -> str | None:
    """None when the mount worked, else why not."""
    try:
        done = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exited {done.returncode}")


def _unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path):
    """A function mounting a tmpfs of `size` (e.g. "3m") and returning its folder."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        folder = tmp_path / f"disk-{len(mounted)}"
        folder.mkdir()
        problem = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
        if problem:
            pytest.skip(f"a small tmpfs cannot be mounted here ({problem}); needs root or CAP_SYS_ADMIN")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        _unmount(folder)


@pytest.fixture
def read_only(tmp_path):
    """A function making `folder` read-only for every process, root included (a read-only bind mount)."""
    mounted: list[Path] = []

    def protect(folder: Path) -> Path:
        problem = _mount("--bind", str(folder), str(folder))
        if problem:
            pytest.skip(
                f"a read-only bind mount is not allowed here ({problem}); needs root or CAP_SYS_ADMIN"
            )
        mounted.append(folder)
        problem = _mount("-o", "remount,bind,ro", str(folder))
        if problem:
            pytest.skip(f"a bind mount cannot be made read-only here ({problem})")
        return folder

    yield protect
    for folder in reversed(mounted):
        _unmount(folder)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the disk holding `folder` until at most `leave` bytes are free; returns the filler file."""
    import os
    import shutil

    filler = folder / "filler.bin"
    with open(filler, "ab") as handle:
        while True:
            free = shutil.disk_usage(folder).free
            if free <= leave:
                break
            try:
                handle.write(b"\0" * min(free - leave, 1 << 20))
                handle.flush()
            except OSError:
                break
        os.fsync(handle.fileno())
    return filler
