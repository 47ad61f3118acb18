"""What keeps a long CPU job's memory bounded: oneDNN's primitive cache capped (a primitive per new
tensor shape otherwise, 1,024 kept) and glibc's freed heap given back. The figures over a million rows
are benchmarks/bench_embeddings_scale.py's (benchmarks/README.md)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bertstudio.heap import release_freed_memory

READ_CAPACITY = "import os, bertstudio; print(os.environ['ONEDNN_PRIMITIVE_CACHE_CAPACITY'])"


def capacity_after_import(**environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"} | environment
    result = subprocess.run(
        [sys.executable, "-c", READ_CAPACITY], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_importing_bertstudio_caps_the_onednn_primitive_cache():
    assert capacity_after_import() == "64"


def test_a_capacity_the_user_set_is_kept():
    assert capacity_after_import(ONEDNN_PRIMITIVE_CACHE_CAPACITY="1024") == "1024"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_heap_memory_is_given_back_on_linux():
    assert release_freed_memory() is True
