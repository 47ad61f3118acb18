"""Writes that fail (full disk, read-only disk, no permission) become a StorageError a user can act on,
and free space is checked before a large write so the failure comes early and writes nothing."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from bertstudio.errors import StorageError

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_READ_ONLY = {errno.EROFS}
_DENIED = {errno.EACCES, errno.EPERM}


def free_bytes(path: str | Path) -> int | None:
    """Free space on the disk holding `path` (or its nearest existing parent); None when unknown."""
    path = Path(path).absolute()
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def format_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def write_error(exc: OSError, path: str | Path, what: str) -> StorageError:
    """The StorageError for an OSError raised while writing `what` at `path`."""
    free = free_bytes(path)
    free_text = f"{format_size(free)} free on that disk" if free is not None else "free space unknown"
    reason = exc.strerror or str(exc)
    message = f"Cannot write {what} ({reason}; {free_text})."
    if exc.errno in _FULL:
        hint = "Free space on that disk, or choose a folder on another disk, then try again."
    elif exc.errno in _READ_ONLY:
        hint = "That folder is on a read-only disk: choose a writable folder."
    elif exc.errno in _DENIED:
        hint = "You may not write there: choose a folder you own, or change its permissions."
    else:
        hint = "Check the disk and the folder, then try again."
    return StorageError(message, hint, path=path)


def as_os_error(exc: BaseException) -> OSError | None:
    """The OSError behind `exc`: itself, or the one safetensors wraps in its own error's text."""
    if isinstance(exc, OSError):
        return exc
    if type(exc).__name__ == "SafetensorError":
        # "code: 28" (its debug form) or "(os error 28)" (what safetensors 0.8 says on a real full disk)
        found = re.search(r"\bcode: (\d+)|\bos error (\d+)", str(exc))
        if found:
            code = int(found.group(1) or found.group(2))
            return OSError(code, os.strerror(code))
    return None


@contextlib.contextmanager
def writing(path: str | Path, what: str) -> Iterator[None]:
    """Turn an OSError inside the block (also one inside a SafetensorError) into the StorageError
    naming `path` and `what`."""
    try:
        yield
    except StorageError:
        raise
    except Exception as exc:
        os_error = as_os_error(exc)
        if os_error is None:
            raise
        raise write_error(os_error, path, what) from None


def append_line(path: str | Path, line: str) -> None:
    """Append one line whole or not at all: a short write (a full disk) is cut back off."""
    data = line.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.fstat(fd).st_size
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)


def require_free_space(path: str | Path, needed: int, what: str) -> None:
    """StorageError before writing `what` (about `needed` bytes) when the disk has less room than that."""
    free = free_bytes(path)
    if free is not None and free < needed:
        raise StorageError(
            f"Not enough free space to write {what}: it needs about {format_size(needed)}, "
            f"the disk has {format_size(free)} free.",
            "Free space on that disk, or choose a folder on another disk, then try again.",
            path=path,
        )
