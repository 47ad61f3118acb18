"""An OS lock on a file that says "a live process is writing this": flock on POSIX, a locked byte on
Windows. The kernel releases it when the holder dies (kill -9 included), so a free lock means the
writer is gone, never a pid guess. The holder writes its pid, host and start time into the file so
others can name it. The run folder's lock (training.run_lock) and the embedding cache's entries in
progress use it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_WINDOWS_LOCK_OFFSET = 1 << 30  # Windows locks are mandatory: lock a byte past the holder text


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock file (as it wrote itself into the file)."""

    pid: int | None
    host: str
    started: str

    def describe(self) -> str:
        who = f"process {self.pid}" if self.pid else "another process"
        where = f" on {self.host}" if self.host else ""
        since = f" since {self.started}" if self.started else ""
        return f"{who}{where}{since}"


def try_lock_file(path: Path) -> Callable[[], None] | None:
    """Take the lock on `path` (created if missing) without blocking: the function that releases it,
    or None when another holder has it. OSError when the file cannot be created or locked."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        locked = _try_lock(fd)
    except OSError:
        os.close(fd)
        raise
    if not locked:
        os.close(fd)
        return None
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


def lock_file_holder(path: Path) -> LockHolder | None:
    """Who holds the lock on `path` right now, or None when nobody does (or there is no such file)."""
    try:
        fd = os.open(path, os.O_RDONLY if os.name == "posix" else os.O_RDWR)
    except OSError:
        return None
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
