"""Giving freed memory back to the system between the chunks of a long job.

glibc keeps the blocks a process frees for its next allocations; a job whose batches change shape all
the time (texts sorted by length, a chunk after another) fragments that heap, so the process grows by
megabytes a chunk holding memory nothing uses. `malloc_trim(0)` returns it. Elsewhere (macOS, Windows,
musl) this is a no-op."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        library = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return library.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_freed_memory() -> bool:
    """Return the heap's free memory to the system; whether this platform could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
