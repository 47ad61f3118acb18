"""Sentence encoding: the folder's pooling and normalisation, equal to sentence-transformers' encode."""

from __future__ import annotations

import ast
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from bertstudio.embeddings import POOLING_MODES, SentenceLayout, load_encoder, read_layout, write_layout
from bertstudio.embeddings.encoder import EncodingCancelled
from bertstudio.errors import ConfigError, EmbeddingError

TINY_TEXTS = [
    "the movie was good",
    "i really liked this book",
    "paris is a city in france and london is a city too " * 6,  # past the tiny model's 64 tokens
    "a",
    "",
    "john works for google in new york",
]


@pytest.fixture(autouse=True)
def embedding_cache(tmp_path_factory, monkeypatch):
    """ONNX graphs and indexes go to a folder of the test session, not the user's cache."""
    monkeypatch.setenv("BERTSTUDIO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "embedding-cache"))


def sentence_transformer(folder: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(folder), device="cpu")


def real_texts() -> list[str]:
    """Docstrings of a few standard-library modules: real prose of mixed length."""
    texts = []
    for module in ("json", "textwrap", "argparse"):
        source = Path(__import__(module).__file__).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node):
                texts.append(" ".join(ast.get_docstring(node).split()))
    return texts[:16]


def st_folder(tiny_model_dir: Path, tmp_path: Path, pooling: tuple[str, ...], normalize: bool) -> Path:
    folder = tmp_path / "st"
    shutil.copytree(tiny_model_dir, folder)
    layout = SentenceLayout(
        pooling=pooling, normalize=normalize, max_seq_length=64, lowercase=False, declared=True
    )
    write_layout(folder, layout, dimension=32)
    return folder


@pytest.fixture(scope="module")
def minilm_reference(minilm_path):
    texts = real_texts() + ["", "x " * 300]  # an empty text and one past max_seq_length (256)
    return texts, sentence_transformer(minilm_path).encode(texts, batch_size=8)


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_minilm_equals_sentence_transformers_on_real_text(minilm_path, minilm_reference, backend):
    texts, reference = minilm_reference
    encoder = load_encoder(minilm_path, backend=backend)
    assert encoder.backend == backend
    result = encoder.encode_report(texts, batch_size=8)
    assert result.vectors.dtype == np.float32 and result.vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(result.vectors, reference, atol=1e-5)
    assert encoder.layout.pooling == ("mean",) and encoder.layout.normalize and encoder.max_length == 256
    assert result.empty == [len(texts) - 2]
    assert len(texts) - 1 in result.truncated and len(texts) - 2 not in result.truncated
    np.testing.assert_allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("mode", POOLING_MODES)
@pytest.mark.parametrize("normalize", [False, True])
def test_every_pooling_mode_equals_sentence_transformers(tiny_model_dir, tmp_path, mode, normalize):
    folder = st_folder(tiny_model_dir, tmp_path, (mode,), normalize)
    ours = load_encoder(folder).encode(TINY_TEXTS, batch_size=4)
    reference = sentence_transformer(folder).encode(TINY_TEXTS, batch_size=4)
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_several_modes_are_concatenated_in_sentence_transformers_order(tiny_model_dir, tmp_path):
    folder = st_folder(tiny_model_dir, tmp_path, ("cls", "max", "mean"), normalize=False)
    encoder = load_encoder(folder)
    assert encoder.dimension == 96
    np.testing.assert_allclose(
        encoder.encode(TINY_TEXTS), sentence_transformer(folder).encode(TINY_TEXTS), atol=1e-5
    )


def test_a_folder_without_pooling_is_mean_pooled_and_says_so(tiny_model_dir):
    encoder = load_encoder(tiny_model_dir)
    assert not encoder.layout.declared and encoder.layout.pooling == ("mean",)
    assert encoder.layout.describe() == "no pooling declared: mean pooling used"
    reference = sentence_transformer(tiny_model_dir).encode(TINY_TEXTS)  # mean pooling by default too
    np.testing.assert_allclose(encoder.encode(TINY_TEXTS), reference, atol=1e-5)


def test_the_default_backend_is_onnx_runtime_on_the_cpu(tiny_model_dir):
    assert load_encoder(tiny_model_dir).backend == "onnx"
    with pytest.raises(EmbeddingError, match="Unknown backend 'tpu'"):
        load_encoder(tiny_model_dir, backend="tpu")


def test_normalize_argument_overrides_the_folder(tiny_model_dir):
    vectors = load_encoder(tiny_model_dir).encode(TINY_TEXTS, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_order_and_values_do_not_depend_on_batch_size(tiny_model_dir):
    encoder = load_encoder(tiny_model_dir)
    one_by_one = np.stack([encoder.encode([text])[0] for text in TINY_TEXTS])
    np.testing.assert_allclose(encoder.encode(TINY_TEXTS, batch_size=3), one_by_one, atol=1e-5)


def test_max_length_truncates_and_reports(tiny_model_dir):
    encoder = load_encoder(tiny_model_dir, max_length=8)
    result = encoder.encode_report(TINY_TEXTS)
    assert encoder.max_length == 8
    assert result.truncated == [2, 5]  # more than 6 word pieces plus [CLS] [SEP]


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ("one string", "not one string"),
        (["fine", None], "Text 1 is a NoneType"),
        (["ok", 3], "Text 1 is a int"),
    ],
)
def test_bad_texts_are_refused_with_the_position(tiny_model_dir, texts, message):
    with pytest.raises(EmbeddingError, match=message):
        load_encoder(tiny_model_dir).encode(texts)


def test_cancel_stops_between_batches(tiny_model_dir):
    calls = []
    with pytest.raises(EncodingCancelled):
        load_encoder(tiny_model_dir).encode(
            TINY_TEXTS,
            batch_size=2,
            progress=lambda done, total: calls.append(done),
            should_stop=lambda: bool(calls),
        )
    assert calls == [2]


def test_an_unknown_module_is_refused_by_name(tiny_model_dir, tmp_path):
    folder = st_folder(tiny_model_dir, tmp_path, ("mean",), normalize=False)
    modules = json.loads((folder / "modules.json").read_text())
    modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ConfigError, match="Dense module"):
        read_layout(folder)


def test_newer_pooling_config_and_unknown_modes(tiny_model_dir, tmp_path):
    folder = st_folder(tiny_model_dir, tmp_path, ("mean",), normalize=False)
    config = folder / "1_Pooling" / "config.json"
    config.write_text(json.dumps({"embedding_dimension": 32, "pooling_mode": ["cls", "lasttoken"]}))
    assert read_layout(folder).pooling == ("cls", "lasttoken")
    config.write_text(json.dumps({"embedding_dimension": 32, "pooling_mode": "median"}))
    with pytest.raises(ConfigError, match="Unknown pooling mode 'median'"):
        read_layout(folder)
