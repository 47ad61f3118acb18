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
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bertstudio.errors import RunStoreError
from bertstudio.storage import write_error

LOCK_FILE = "run.lock"
_WINDOWS_LOCK_OFFSET = 1 << 30  # Windows locks are mandatory: lock a byte past the holder text


@dataclass(frozen=True)
class LockHolder:
    """Who holds a run folder's lock (as it wrote itself into the lock file)."""

    pid: int | None
    host: str
    started: str

    def describe(self) -> str:
        who = f"process {self.pid}" if self.pid else "another process"
        where = f" on {self.host}" if self.host else ""
        since = f" since {self.started}" if self.started else ""
        return f"{who}{where}{since}"


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
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise write_error(exc, lock_path, "the run folder's lock file") from None
    try:
        locked = _try_lock(fd)
    except OSError as exc:
        os.close(fd)
        raise write_error(exc, lock_path, "the run folder's lock file") from None
    if not locked:
        os.close(fd)
        raise RunBusyError(folder, run_lock_holder(folder) or LockHolder(None, "", ""))
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(holder).encode("utf-8"))
    except OSError:
        pass  # a full disk: the lock holds all the same, only the holder's name is not shown to others

    def release() -> None:
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)

    return release


def run_lock_holder(folder: str | Path) -> LockHolder | None:
    """Who holds the run folder's lock right now, or None when nobody does (not running)."""
    lock_path = Path(folder) / LOCK_FILE
    try:
        fd = os.open(lock_path, os.O_RDONLY if os.name == "posix" else os.O_RDWR)
    except OSError:
        return None  # no lock file: never written by a run that locks, or not readable
    try:
        try:
            free = _try_lock(fd, shared=True)
        except OSError:
            return None
        if free:
            _unlock(fd)
            return None
        return _read_holder(fd)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> LockHolder:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
        return LockHolder(pid=int(data["pid"]), host=str(data["host"]), started=str(data["started"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return LockHolder(None, "", "")  # the holder has not written its name yet


if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int, shared: bool = False) -> bool:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import errno
    import fcntl

    def _try_lock(fd: int, shared: bool = False) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
