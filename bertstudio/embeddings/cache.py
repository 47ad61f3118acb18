"""The on-disk cache of table embeddings.

An entry is a folder named by a key over everything that decides its vectors: the model's identity
(weights, config, tokenizer, pooling, max length), the data file's contents (SHA-256), the text column
and the read options. A changed file or model gives a new key, so a stale entry is never read; the
entry it replaces (same file path, column and model folder) is deleted when the new one is complete.

The cache lives in the user's cache folder (BERTSTUDIO_CACHE_DIR, else XDG_CACHE_HOME / ~/.cache, else
LOCALAPPDATA on Windows), not beside the data: data folders are often read-only or shared, the vectors
are derived and can be rebuilt, and a key over contents finds them again when the file is moved.

An entry is written into a temporary folder and renamed into place when complete, so a crash or a
cancel leaves either no entry or a whole one. The writer holds an OS lock on the folder's `.lock` file
beside it while it writes; a process killed mid-table leaves its folder with a free lock, and the next
entry written in the cache removes it (a table's vectors can be gigabytes).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bertstudio.atomic import fsync_folder
from bertstudio.embeddings.index import row_norms
from bertstudio.errors import StorageError
from bertstudio.file_lock import lock_file_holder, try_lock_file

FORMAT_VERSION = 1
VECTORS, NORMS, ROWS, INFO = "vectors.npy", "norms.npy", "rows.npy", "info.json"
IN_PROGRESS, LOCK = ".tmp", ".lock"  # an entry being written: .KEY.RANDOM.tmp/ and .KEY.RANDOM.tmp.lock
ABANDONED_AFTER_S = 60  # younger leftovers are spared (a writer between creating its lock and locking it)


@dataclass
class IndexInfo:
    """What an entry holds and how it was made (info.json)."""

    key: str
    model: str  # model folder
    data: str  # data file
    column: str
    max_length: int
    dimension: int
    table_rows: int  # rows in the table
    indexed_rows: int  # rows with text, one vector each
    empty_lines: list[int] = field(default_factory=list)  # file lines of rows without text (not indexed)
    truncated_lines: list[int] = field(default_factory=list)  # file lines of texts cut at max_length


def default_cache_dir() -> Path:
    if os.environ.get("BERTSTUDIO_CACHE_DIR"):
        return Path(os.environ["BERTSTUDIO_CACHE_DIR"])
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "bertstudio" / "cache" / "embeddings"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "bertstudio" / "embeddings"


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def index_key(model_identity: str, data_sha256: str, column: str, read_options: dict[str, Any]) -> str:
    parts = {
        "format": FORMAT_VERSION,
        "model": model_identity,
        "data": data_sha256,
        "column": column,
        "read": read_options,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


@dataclass
class CacheEntry:
    """A complete entry: vectors (memory-mapped), their norms, the table row of each vector."""

    vectors: np.ndarray
    norms: np.ndarray
    rows: np.ndarray
    info: IndexInfo


def read_entry(cache_dir: Path, key: str) -> CacheEntry | None:
    """The entry for `key`, or None when there is none or it is unreadable (it is then rebuilt)."""
    folder = cache_dir / key
    try:
        info = IndexInfo(**json.loads((folder / INFO).read_text(encoding="utf-8")))
        vectors = np.load(folder / VECTORS, mmap_mode="r")
        norms = np.load(folder / NORMS)
        rows = np.load(folder / ROWS)
    except (OSError, ValueError, TypeError, json.JSONDecodeError):
        return None
    if info.key != key or not (len(vectors) == len(norms) == len(rows) == info.indexed_rows):
        return None
    return CacheEntry(vectors=vectors, norms=norms, rows=rows, info=info)


class VectorFile:
    """A (rows, dimension) float32 `.npy` written a block of rows at a time, in order, with the norms of
    its rows: the process holds one block, never the whole matrix (a memory-mapped file being filled
    stays resident, so a million rows would cost their full size in memory)."""

    def __init__(self, path: Path, rows: int, dimension: int) -> None:
        self.shape = (rows, dimension)
        self.norms = np.empty(rows, np.float32)
        self.written = 0
        self.handle = open(path, "wb")
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False}
        np.lib.format.write_array_header_1_0(self.handle, {**header, "shape": self.shape})
        self.handle.flush()

    def append(self, block: np.ndarray) -> None:
        """Write the next rows."""
        block = np.ascontiguousarray(block, np.float32)
        if block.ndim != 2 or block.shape[1] != self.shape[1] or self.written + len(block) > self.shape[0]:
            raise ValueError(
                f"a block of shape {block.shape} does not fit a {self.shape} file at row {self.written}"
            )
        self.handle.write(block.data)
        self.handle.flush()  # on the disk (or a full disk said) before the next chunk is encoded
        self.norms[self.written : self.written + len(block)] = row_norms(block)
        self.written += len(block)

    def finish(self) -> None:
        """Flush the file to the disk; every row must have been written."""
        if self.written != self.shape[0]:
            raise ValueError(f"{self.written} of {self.shape[0]} rows were written")
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()

    def close(self) -> None:
        self.handle.close()


class EntryWriter:
    """Writes one entry into a temporary folder beside the cache; `commit` renames it into place,
    `discard` (also on an exception inside `with`) removes it."""

    def __init__(self, cache_dir: Path, key: str) -> None:
        self.cache_dir = cache_dir
        self.key = key
        self.file: VectorFile | None = None
        name = f".{key}.{secrets.token_hex(6)}{IN_PROGRESS}"
        self.folder = cache_dir / name
        self.lock = cache_dir / (name + LOCK)
        self.release_lock = None
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self.release_lock = try_lock_file(self.lock)  # before the folder: a folder is never unlocked
            self.folder.mkdir()
        except OSError as exc:
            self._unlock()
            raise _cannot_write(exc, "The embedding cache folder cannot be written", cache_dir) from None
        remove_abandoned_entries(cache_dir)

    def vectors(self, rows: int, dimension: int) -> VectorFile:
        """The entry's vectors file, to fill a block at a time with `append`."""
        try:
            self.file = VectorFile(self.folder / VECTORS, rows, dimension)
        except OSError as exc:
            raise _cannot_write(exc, "The embedding index could not be saved", self.cache_dir) from None
        return self.file

    def append(self, block: np.ndarray) -> None:
        """Write the next rows of vectors (a full disk is a StorageError; the entry is then discarded)."""
        try:
            self.file.append(block)
        except OSError as exc:
            raise _cannot_write(exc, "The embedding index could not be saved", self.cache_dir) from None

    def commit(self, rows: np.ndarray, info: IndexInfo) -> CacheEntry:
        try:
            self.file.finish()
            np.save(self.folder / NORMS, self.file.norms)
            np.save(self.folder / ROWS, rows)
            (self.folder / INFO).write_text(json.dumps(asdict(info), indent=1), encoding="utf-8")
            for name in (NORMS, ROWS, INFO):
                with open(self.folder / name, "rb+") as handle:
                    os.fsync(handle.fileno())
            final = self.cache_dir / self.key
            if final.exists():  # built meanwhile by another process: same key, same contents
                shutil.rmtree(final, ignore_errors=True)
            os.replace(self.folder, final)
            fsync_folder(self.cache_dir)  # the rename itself survives a power loss
        except OSError as exc:
            self.discard()
            raise _cannot_write(exc, "The embedding index could not be saved", self.cache_dir) from None
        self._unlock()
        _remove_superseded(self.cache_dir, info)
        entry = read_entry(self.cache_dir, self.key)
        if entry is None:
            raise StorageError("The embedding index was saved but cannot be read back.", path=self.cache_dir)
        return entry

    def discard(self) -> None:
        if self.file is not None:
            with contextlib.suppress(OSError):  # closing flushes, which a full disk refuses
                self.file.close()  # before removing: Windows cannot delete an open file
        shutil.rmtree(self.folder, ignore_errors=True)
        self._unlock()

    def _unlock(self) -> None:
        if self.release_lock is not None:
            self.release_lock()
            self.release_lock = None
            with contextlib.suppress(OSError):
                self.lock.unlink()

    def __enter__(self) -> EntryWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.discard()


def remove_abandoned_entries(cache_dir: Path) -> None:
    """Delete the half-written entries whose writer is gone (killed, or the machine went down): their
    lock is free. A writer locks before it creates its folder, so a folder with a free lock is abandoned."""
    old = time.time() - ABANDONED_AFTER_S
    for folder in cache_dir.glob(f".*{IN_PROGRESS}"):
        lock = folder.with_name(folder.name + LOCK)
        try:
            if not folder.is_dir() or lock_file_holder(lock) is not None or folder.stat().st_mtime > old:
                continue
        except OSError:
            continue  # removed meanwhile by another process
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            lock.unlink()
    for lock in cache_dir.glob(f".*{IN_PROGRESS}{LOCK}"):  # a lock left without its folder
        folder = lock.with_name(lock.name[: -len(LOCK)])
        with contextlib.suppress(OSError):  # a young one may be a writer between creating and locking
            if not folder.exists() and lock_file_holder(lock) is None and lock.stat().st_mtime <= old:
                lock.unlink()


def _cannot_write(exc: OSError, what: str, cache_dir: Path) -> StorageError:
    return StorageError(
        f"{what} ({exc.strerror or exc}).",
        "Free some space or set BERTSTUDIO_CACHE_DIR (or --cache-dir) to a writable folder.",
        path=cache_dir,
    )


def _remove_superseded(cache_dir: Path, info: IndexInfo) -> None:
    """Delete older entries for the same file path, column and model folder (their key differs
    because the file or the model changed since)."""
    for folder in cache_dir.iterdir():
        if folder.name == info.key or folder.name.startswith("."):
            continue
        try:
            other = json.loads((folder / INFO).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (other.get("data"), other.get("column"), other.get("model")) == (
            info.data,
            info.column,
            info.model,
        ):
            shutil.rmtree(folder, ignore_errors=True)
