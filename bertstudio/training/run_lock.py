"""One writer per run folder: an OS lock on `run.lock`, held for the life of the run.

The kernel releases the lock when the holding process dies (kill -9 included), so a held lock means
"training right now" and a free one means the run is not being written: the run index, resume and a
second start all ask the lock, never a pid guess. The lock is per open file (flock on POSIX, a locked
byte on Windows), so a second start from another thread of the same process is refused as well.

    with hold_run_lock(run_dir):     # RunBusyError (exit 2) naming the holder when held elsewhere
        ...write the run...
    run_lock_holder(run_dir)         # LockHolder(pid, host, started) while held, else None
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from bertstudio.errors import RunStoreError
from bertstudio.file_lock import LockHolder, lock_file_holder, try_lock_file
from bertstudio.storage import write_error

LOCK_FILE = "run.lock"


class RunBusyError(RunStoreError):
    """The run folder is being written by another process (or another run in this one)."""

    def __init__(self, folder: Path, holder: LockHolder) -> None:
        self.holder = holder
        super().__init__(
            f"This run folder is in use: {holder.describe()} is training in it.",
            "Wait for that run to finish or cancel it, or choose another output folder.",
            path=folder,
        )


@contextlib.contextmanager
def hold_run_lock(folder: str | Path) -> Iterator[None]:
    """Take the folder's lock (creating the folder) for the duration of the block."""
    release = acquire_run_lock(folder)
    try:
        yield
    finally:
        release()


def acquire_run_lock(folder: str | Path):
    """Take the folder's lock without blocking; returns the function that releases it.
    RunBusyError when another holder has it; a StorageError when the folder cannot be written."""
    folder = Path(folder)
    lock_path = folder / LOCK_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        release = try_lock_file(lock_path)
    except OSError as exc:
        raise write_error(exc, lock_path, "the run folder's lock file") from None
    if release is None:
        raise RunBusyError(folder, run_lock_holder(folder) or LockHolder(None, "", ""))
    return release


def run_lock_holder(folder: str | Path) -> LockHolder | None:
    """Who holds the run folder's lock right now, or None when nobody does (not running)."""
    return lock_file_holder(Path(folder) / LOCK_FILE)
