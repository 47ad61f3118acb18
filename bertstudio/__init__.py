"""BERT Studio: a desktop workbench for BERT-family encoders.

Importing this package is cheap on purpose: torch, tokenizers and Qt load only when a
submodule that needs them is imported, so the window appears fast.
"""

import os

__version__ = "0.1.0"

# oneDNN (torch's CPU kernels for GELU and others) keeps a compiled primitive per tensor shape, up to
# 1,024 of them; packed tokens give every batch a new shape, so indexing a large table grew by ~2.6 MiB
# a chunk (benchmarks/README.md). 64 keeps the shapes a loop reuses at the same speed, in bounded memory.
# Read when the first primitive is made, so setting it here is in time; a value the user set wins.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "64")
