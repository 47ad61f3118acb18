"""Helpers the benchmark scripts share: text that ships with Python, and model FLOPs counting."""

from __future__ import annotations

import ast
import csv
import random
import sysconfig
from pathlib import Path


def python_source_files() -> list[Path]:
    """The standard library's own .py files (site-packages left out), in a fixed order."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)


def python_source_snippets(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """`count` (text, label) pairs: runs of 3 to 40 consecutive source lines from the standard library,
    labelled "test" when they come from a test module and "library" otherwise (varied lengths)."""
    rng = random.Random(seed)
    files = python_source_files()
    rng.shuffle(files)
    snippets: list[tuple[str, str]] = []
    for path in files:
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
        lines = [line for line in lines if line]
        label = "test" if "test" in path.parts or path.name.startswith("test_") else "library"
        position = 0
        while position < len(lines) and len(snippets) < count:
            size = rng.randint(3, 40)
            snippets.append((" ".join(lines[position : position + size]), label))
            position += size + rng.randint(20, 200)  # spread the snippets over the file
        if len(snippets) >= count:
            break
    rng.shuffle(snippets)
    return snippets


def python_docstrings(count: int, seed: int = 0) -> list[str]:
    """`count` distinct docstrings (module, class, function) of the standard library, whitespace
    collapsed, in a shuffled fixed order: real English prose from a few words to a few pages."""
    seen: set[str] = set()
    for path in python_source_files():
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                text = " ".join((ast.get_docstring(node) or "").split())
                if len(text) > 10:
                    seen.add(text)
        if len(seen) >= count:
            break
    texts = sorted(seen)
    random.Random(seed).shuffle(texts)
    return texts[:count]


def write_csv(path: Path, header: list[str], rows: list) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def matmul_parameters(model) -> int:
    """Parameters that take part in matrix products per token: every Linear weight except a tied
    vocabulary decoder (embedding tables are lookups, not products)."""
    import torch

    return sum(
        module.weight.numel()
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not name.endswith("decoder")
    )


def training_flops(model, lengths: list[int]) -> float:
    """Model FLOPs of one training step (forward + backward) over sequences of these real lengths:
    6 x matmul parameters per token, plus 12 x layers x hidden x length per token for attention
    scores and weighted values."""
    config = model.config
    tokens = sum(lengths)
    attention = 12 * config.num_hidden_layers * config.hidden_size * sum(n * n for n in lengths)
    return 6.0 * matmul_parameters(model) * tokens + attention
