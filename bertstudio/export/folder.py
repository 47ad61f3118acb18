"""An export folder appears complete or not at all: it is written in a temp folder beside the target
and renamed into place at the end; any failure removes the temp folder and leaves the target as it was."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bertstudio.atomic import _current_umask
from bertstudio.errors import BertStudioError, ExportError


def check_target(target: Path, overwrite: bool, protected: list[Path]) -> None:
    """ExportError when `target` exists (and overwrite is off), is a file, or would replace a source."""
    resolved = target.resolve()
    for source in protected:
        source = source.resolve()
        if resolved == source or source.is_relative_to(resolved):
            raise ExportError(
                "The output folder would replace the model being exported.",
                "Choose an output folder outside the model and run folders.",
                path=target,
            )
    if target.exists() and not target.is_dir():
        raise ExportError("The output path is a file, not a folder.", "Choose a folder name.", path=target)
    if target.exists() and not overwrite:
        raise ExportError(
            "The output folder already exists.",
            "Choose a new folder, or replace it (--overwrite; in the window: confirm the replacement).",
            path=target,
        )


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield an empty temp folder beside `target`; when the block ends without error it replaces `target`
    (a folder there before is removed only once the new one is in place)."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=parent))
    except OSError as exc:
        raise write_error(exc, target) from None
    try:
        yield staging
        _replace(staging, target)
    except OSError as exc:
        raise write_error(exc, target) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace(staging: Path, target: Path) -> None:
    staging.chmod(0o777 & ~_current_umask())  # mkdtemp makes folders private; keep the usual mode
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / target.name)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old / target.name, target)  # put the previous export back
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def write_error(exc: OSError, target: Path) -> BertStudioError:
    """The ExportError a failed write becomes: what happened, in words, and what to do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        message, hint = (
            "The disk is full; the export was not written.",
            "Free some space or choose another disk.",
        )
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        message = "The output folder cannot be written here (no permission or a read-only disk)."
        hint = "Choose a folder you can write to."
    else:
        message, hint = f"Writing the export failed ({exc.strerror or exc}).", "Check the disk and try again."
    return ExportError(f"{message} Nothing was left behind.", hint, path=target)
