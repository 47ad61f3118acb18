"""An export folder appears complete or not at all: it is written in a temp folder beside the target
and renamed into place at the end; any failure removes the temp folder and leaves the target as it was."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bertstudio.atomic import current_umask
from bertstudio.errors import ExportError, StorageError
from bertstudio.storage import writing


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
    (a folder there before is removed only once the new one is in place). A failed write (full disk,
    read-only disk) is an ExportError saying so, and the temp folder is removed."""
    try:
        with writing(target, "the export folder"):
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except StorageError as exc:
        raise _not_written(exc, target) from None
    try:
        with writing(target, "the export folder"):
            yield staging
            _replace(staging, target)
    except StorageError as exc:
        raise _not_written(exc, target) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace(staging: Path, target: Path) -> None:
    staging.chmod(0o777 & ~current_umask())  # mkdtemp makes folders private; keep the usual mode
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


def _not_written(exc: StorageError, target: Path) -> ExportError:
    return ExportError(
        f"{exc.message} The export was not written, and nothing was left behind.", exc.hint, path=target
    )
