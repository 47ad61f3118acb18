"""kill -9 at a chosen write step: a forked child trains with every file-system write call counted,
and SIGKILLs itself just before the Nth one (nothing is cleaned up, as with a real kill).

The counted steps are the calls an atomic write, a checkpoint save, a prune and an append are made of:
opening a file for writing, os.write, fsync, ftruncate, chmod, mkdir, rename/replace, unlink, rmdir.
"""

from __future__ import annotations

import builtins
import os
import signal
from pathlib import Path

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT
STEP_NAMES = ("write", "fsync", "ftruncate", "chmod", "mkdir", "replace", "rename", "unlink", "rmdir")


def _install(kill_at: int | None, names: list[str]) -> None:
    """Wrap the write calls; record each step's name; SIGKILL at step `kill_at` (1-based)."""

    def step(name: str) -> None:
        names.append(name)
        if kill_at is not None and len(names) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def counted(name, real):
        def call(*args, **kwargs):
            step(name)
            return real(*args, **kwargs)

        return call

    for name in STEP_NAMES:
        setattr(os, name, counted(name, getattr(os, name)))
    real_os_open, real_open = os.open, builtins.open

    def os_open(path, flags, *args, **kwargs):
        if flags & WRITE_FLAGS:
            step("open")
        return real_os_open(path, flags, *args, **kwargs)

    def open_(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            step("open")
        return real_open(file, mode, *args, **kwargs)

    os.open, builtins.open = os_open, open_


def train_in_child(start, kill_at: int | None, timeout: float = 120.0) -> tuple[int, list[str]]:
    """Fork; the child calls start() with the write steps counted (killed at `kill_at`). Returns the
    child's wait status as a signal number (SIGKILL) or exit code, and the step names it got through."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            import torch

            torch.set_num_threads(1)  # the parent's thread pool does not exist after fork
            os.close(read_end)
            names: list[str] = []
            _install(kill_at, names)
            result = start()
            code = 0 if result.ok else 3
            with os.fdopen(write_end, "w") as pipe:  # not through the counted open()
                pipe.write("\n".join(names))
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = _wait(pid, timeout)  # the names fit the pipe's buffer: the child never blocks on it
    with open(read_end, encoding="utf-8") as pipe:
        names = pipe.read().split("\n")
    if os.WIFSIGNALED(status):
        return os.WTERMSIG(status), names
    return os.WEXITSTATUS(status), names


def _wait(pid: int, timeout: float) -> tuple[int, int]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return done, status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)


def leftovers(run: Path) -> list[str]:
    """Temp files and folders a kill can leave (all must be gone once the run was resumed)."""
    return [str(p.relative_to(run)) for p in run.rglob(".*") if p.name != ".gitkeep"]
