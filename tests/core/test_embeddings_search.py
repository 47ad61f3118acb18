"""Table embeddings and semantic search: the cached index, `bertstudio embed` and `bertstudio search`."""

from __future__ import annotations

import csv
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from bertstudio.cli import main
from bertstudio.embeddings import load_encoder
from bertstudio.embeddings.encoder import EncodingCancelled
from bertstudio.embeddings.index import similarity_matrix
from bertstudio.embeddings.table import index_table
from bertstudio.errors import DataImportError, EmbeddingError, StorageError

TEXTS = [
    "the movie was good",
    "the film was great fun",
    "i hate this boring book",
    "",
    "john works for google in new york",
    "mary lives in paris",
    "a sad story of a city",
    "the plot was not very funny",
]


def write_table(path: Path, texts: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "topic"])
        for index, text in enumerate(texts):
            writer.writerow([f"r{index}", text, "movies" if "movie" in text or "film" in text else "other"])
    return path


@pytest.fixture(autouse=True)
def embedding_cache(tmp_path_factory, monkeypatch):
    """ONNX graphs go to a folder of the test session, not the user's cache."""
    monkeypatch.setenv("BERTSTUDIO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "embedding-cache"))


@pytest.fixture
def table_file(tmp_path) -> Path:
    return write_table(tmp_path / "table.csv", TEXTS)


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


def entries(cache_dir: Path) -> list[str]:
    return sorted(p.name for p in cache_dir.iterdir()) if cache_dir.exists() else []


def test_search_ranks_as_sentence_transformers_semantic_search(tiny_model_dir, table_file, cache_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sentence_transformers import SentenceTransformer, util

        reference = SentenceTransformer(str(tiny_model_dir), device="cpu")
    index = index_table(load_encoder(tiny_model_dir), table_file, "text", cache_dir=cache_dir)
    hits = index.search("a good film", 5)
    texts = [t for t in TEXTS if t]
    expected = util.semantic_search(reference.encode(["a good film"]), reference.encode(texts), top_k=5)[0]
    assert [hit.values["text"] for hit in hits] == [texts[e["corpus_id"]] for e in expected]
    np.testing.assert_allclose([hit.score for hit in hits], [e["score"] for e in expected], atol=1e-5)
    assert hits[0].values.keys() == {"id", "text", "topic"} and hits[0].line == hits[0].row + 2


def test_the_index_is_cached_and_reused(tiny_model_dir, table_file, cache_dir):
    encoder = load_encoder(tiny_model_dir)
    first = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    second = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    assert not first.reused and second.reused
    np.testing.assert_array_equal(first.entry.vectors, second.entry.vectors)
    assert first.info.empty_lines == [5] and first.info.indexed_rows == 7 and first.info.table_rows == 8
    assert len(entries(cache_dir)) == 1


def test_a_changed_file_is_indexed_again_and_the_old_entry_goes(tiny_model_dir, table_file, cache_dir):
    encoder = load_encoder(tiny_model_dir)
    old = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    write_table(table_file, [*TEXTS, "a new row about music"])
    new = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    assert not new.reused and new.info.indexed_rows == 8
    assert entries(cache_dir) == [new.info.key] != [old.info.key]
    assert new.search("music", 1)[0].values["text"] == "a new row about music"


def test_column_model_and_max_length_each_key_the_cache(tiny_model_dir, table_file, cache_dir, tmp_path):
    from tests.conftest import make_tiny_model_dir

    keys = {
        index_table(load_encoder(tiny_model_dir), table_file, "text", cache_dir=cache_dir).info.key,
        index_table(load_encoder(tiny_model_dir), table_file, "topic", cache_dir=cache_dir).info.key,
        index_table(
            load_encoder(tiny_model_dir, max_length=8), table_file, "text", cache_dir=cache_dir
        ).info.key,
        index_table(
            load_encoder(make_tiny_model_dir(tmp_path / "other", seed=1)),
            table_file,
            "text",
            cache_dir=cache_dir,
        ).info.key,
    }
    assert len(keys) == 4


def test_a_damaged_entry_is_rebuilt(tiny_model_dir, table_file, cache_dir):
    encoder = load_encoder(tiny_model_dir)
    first = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    (cache_dir / first.info.key / "norms.npy").write_bytes(b"not numpy")
    again = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    assert (
        not again.reused
        and again.search("film", 1)[0].values["text"] == first.search("film", 1)[0].values["text"]
    )


def test_cancelling_leaves_no_entry_and_no_temporary_folder(tiny_model_dir, table_file, cache_dir):
    with pytest.raises(EncodingCancelled):
        index_table(
            load_encoder(tiny_model_dir),
            table_file,
            "text",
            cache_dir=cache_dir,
            batch_size=2,
            should_stop=lambda: True,
        )
    assert entries(cache_dir) == []


def test_vectors_go_to_the_disk_a_chunk_at_a_time(tiny_model_dir, table_file, cache_dir):
    """The index never holds more than one chunk of vectors: each chunk is on the disk before the next
    is encoded (a memory-mapped matrix of the whole table would stay resident as it fills)."""
    on_disk = []  # (texts encoded, bytes of the vectors file being written)

    def progress(done: int, total: int) -> None:
        (vectors,) = cache_dir.glob(".*.tmp/vectors.npy")
        on_disk.append((done, vectors.stat().st_size))

    index = index_table(
        load_encoder(tiny_model_dir),
        table_file,
        "text",
        cache_dir=cache_dir,
        batch_size=1,
        chunk_size=2,
        progress=progress,
    )
    row_bytes = 4 * index.info.dimension
    header = (cache_dir / index.info.key / "vectors.npy").stat().st_size - 7 * row_bytes
    rows_written = [(done, (size - header) // row_bytes) for done, size in on_disk]
    assert rows_written == [(1, 0), (2, 0), (3, 2), (4, 2), (5, 4), (6, 4), (7, 6)]
    np.testing.assert_allclose(
        index.entry.vectors, load_encoder(tiny_model_dir).encode([t for t in TEXTS if t]), atol=1e-6
    )


def test_a_cancel_mid_table_keeps_the_last_whole_index_and_leaves_no_half_written_one(
    tiny_model_dir, table_file, cache_dir
):
    encoder = load_encoder(tiny_model_dir)
    old = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    write_table(table_file, [*TEXTS, "a new row about music"])
    seen = []
    with pytest.raises(EncodingCancelled):
        index_table(
            encoder,
            table_file,
            "text",
            cache_dir=cache_dir,
            batch_size=1,
            chunk_size=2,
            progress=lambda done, total: seen.append(done),
            should_stop=lambda: len(seen) == 5,  # two chunks on the disk, the third begun
        )
    assert seen[-1] == 5
    assert entries(cache_dir) == [old.info.key]  # the previous file's index, whole; no temporary folder
    write_table(table_file, TEXTS)
    again = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    assert again.reused and again.info.key == old.info.key


KILLED_MID_TABLE = """
import os, sys
from bertstudio.embeddings import load_encoder
from bertstudio.embeddings.table import index_table
seen = []
def progress(done, total):
    seen.append(done)
    if len(seen) == 3:  # two chunks on the disk, the third begun
        os._exit(137)  # as kill -9: no cleanup runs
index_table(load_encoder(sys.argv[1]), sys.argv[2], "text", cache_dir=sys.argv[3], batch_size=1,
            chunk_size=2, progress=progress)
"""


def test_an_index_killed_mid_table_is_removed_by_the_next_one(tiny_model_dir, table_file, cache_dir):
    import os
    import subprocess
    import time

    from bertstudio.embeddings.cache import ABANDONED_AFTER_S, EntryWriter

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_TABLE, str(tiny_model_dir), str(table_file), str(cache_dir)],
        capture_output=True,
        text=True,
    )
    assert killed.returncode == 137, killed.stderr
    (left,) = cache_dir.glob(".*.tmp")
    assert (left / "vectors.npy").stat().st_size > 0 and left.with_name(left.name + ".lock").exists()
    busy = EntryWriter(cache_dir, "a-live-writer")  # another writer, alive and old: must be spared
    long_ago = time.time() - 2 * ABANDONED_AFTER_S
    for path in (left, left.with_name(left.name + ".lock"), busy.folder, busy.lock):
        os.utime(path, (long_ago, long_ago))

    index = index_table(load_encoder(tiny_model_dir), table_file, "text", cache_dir=cache_dir)

    assert sorted(entries(cache_dir)) == sorted([index.info.key, busy.folder.name, busy.lock.name])
    busy.discard()
    assert entries(cache_dir) == [index.info.key]


def test_a_read_only_cache_is_a_message_naming_it(tiny_model_dir, table_file, tmp_path, read_only):
    cache = tmp_path / "cache"
    cache.mkdir()
    read_only(cache)
    with pytest.raises(StorageError, match="cache folder cannot be written") as caught:
        index_table(load_encoder(tiny_model_dir), table_file, "text", cache_dir=cache)
    assert str(cache) in str(caught.value) and "BERTSTUDIO_CACHE_DIR" in str(caught.value)
    assert entries(cache) == []


def test_a_full_cache_disk_is_a_message_and_leaves_nothing(tiny_model_dir, tmp_path, small_disk):
    from tests.mounts import fill

    path = write_table(tmp_path / "big.csv", [f"the movie number {i} was good" for i in range(3000)])
    encoder = load_encoder(tiny_model_dir)
    cache = small_disk("1m")
    fill(cache, leave=64 * 1024)  # room for a few chunks of vectors, not all 3,000 rows
    with pytest.raises(StorageError, match="could not be saved") as caught:
        index_table(encoder, path, "text", cache_dir=cache, chunk_size=256)
    assert "BERTSTUDIO_CACHE_DIR" in caught.value.hint
    assert sorted(p.name for p in cache.iterdir()) == ["filler.bin"]


@pytest.mark.parametrize(
    ("column", "error", "message"),
    [("missing", DataImportError, "There is no column 'missing'"), ("blank", EmbeddingError, "has no text")],
)
def test_a_column_without_text_is_refused(tiny_model_dir, tmp_path, cache_dir, column, error, message):
    path = tmp_path / "t.csv"
    path.write_text("text,blank\nhello,\nworld,\n", encoding="utf-8")
    with pytest.raises(error, match=message):
        index_table(load_encoder(tiny_model_dir), path, column, cache_dir=cache_dir)


@pytest.mark.parametrize(("query", "top_k"), [("   ", 3), ("film", 0)])
def test_bad_queries_are_refused(tiny_model_dir, table_file, cache_dir, query, top_k):
    index = index_table(load_encoder(tiny_model_dir), table_file, "text", cache_dir=cache_dir)
    with pytest.raises(EmbeddingError):
        index.search(query, top_k)


def test_search_command_prints_json_with_the_other_columns(tiny_model_dir, table_file, cache_dir, capsys):
    args = ["search", "--model", str(tiny_model_dir), "--data", str(table_file), "--text", "text"]
    args += ["--query", "a good film", "--top-k", "3", "--json", "--cache-dir", str(cache_dir)]
    assert main(args) == 0
    captured = capsys.readouterr()
    results = json.loads(captured.out)["results"]
    assert [r["rank"] for r in results] == [1, 2, 3]
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]
    assert set(results[0]["values"]) == {"id", "text", "topic"}
    assert "7 of 8 rows indexed (computed now)" in captured.err and "line 5" in captured.err
    assert main(args) == 0
    assert "(from the cache)" in capsys.readouterr().err


def test_each_result_says_whether_its_text_was_truncated(tiny_model_dir, table_file, cache_dir, capsys):
    encoder = load_encoder(tiny_model_dir, max_length=7)  # [CLS] + 5 word pieces + [SEP]
    index = index_table(encoder, table_file, "text", cache_dir=cache_dir)
    from tokenizers import Tokenizer

    whole = Tokenizer.from_str(encoder.tokenizer.to_str())
    whole.no_truncation()
    long_lines = {
        int(index.table.line_numbers[i]) for i, t in enumerate(TEXTS) if len(whole.encode(t).ids) > 7
    }
    assert set(index.info.truncated_lines) == long_lines and long_lines
    hits = index.search("a good film", len(TEXTS))
    assert {hit.line for hit in hits if hit.truncated} == long_lines
    args = ["search", "--model", str(tiny_model_dir), "--data", str(table_file), "--text", "text"]
    args += ["--query", "a good film", "--top-k", "8", "--max-length", "7", "--cache-dir", str(cache_dir)]
    assert main([*args, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert {r["line"] for r in results if r["truncated"]} == long_lines
    assert main(args) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if "truncated at 7 tokens" in line]
    assert {int(line.split("line ")[1].split(":")[0]) for line in printed} == long_lines


def test_embed_command_writes_vectors_and_their_rows(tiny_model_dir, table_file, cache_dir, tmp_path):
    out = tmp_path / "out" / "vectors.npy"
    args = ["embed", "--model", str(tiny_model_dir), "--data", str(table_file), "--text", "text"]
    assert main([*args, "--out", str(out), "--id", "id", "--cache-dir", str(cache_dir)]) == 0
    vectors = np.load(out)
    with open(out.with_suffix(".rows.csv"), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert vectors.shape == (7, 32) and vectors.dtype == np.float32
    assert [r["id"] for r in rows] == ["r0", "r1", "r2", "r4", "r5", "r6", "r7"]  # r3 has no text
    expected = load_encoder(tiny_model_dir).encode([t for t in TEXTS if t])
    np.testing.assert_allclose(vectors, expected, atol=1e-5)


def test_embed_command_refuses_other_output_formats(tiny_model_dir, table_file, tmp_path, capsys):
    args = ["embed", "--model", str(tiny_model_dir), "--data", str(table_file), "--text", "text"]
    assert main([*args, "--out", str(tmp_path / "v.txt")]) == 2
    assert "--out must name a .npy or .parquet file" in capsys.readouterr().err


def test_embed_command_writes_parquet_rows_with_their_vectors(
    tiny_model_dir, table_file, cache_dir, tmp_path
):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "vectors.parquet"
    args = ["embed", "--model", str(tiny_model_dir), "--data", str(table_file), "--text", "text"]
    assert main([*args, "--out", str(out), "--id", "id", "--cache-dir", str(cache_dir)]) == 0
    table = pq.read_table(out)
    assert table.column_names == ["row", "line", "id", "vector"]
    assert table.column("id").to_pylist() == ["r0", "r1", "r2", "r4", "r5", "r6", "r7"]
    vectors = np.array(table.column("vector").to_pylist(), np.float32)
    np.testing.assert_allclose(
        vectors, load_encoder(tiny_model_dir).encode([t for t in TEXTS if t]), atol=1e-5
    )


def test_parquet_without_pyarrow_says_so_before_embedding(
    tiny_model_dir, table_file, tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError, as when absent
    args = ["embed", "--model", str(tiny_model_dir), "--data", str(table_file), "--text", "text"]
    assert main([*args, "--out", str(tmp_path / "v.parquet")]) == 2
    err = capsys.readouterr().err
    assert "needs pyarrow, which is not installed" in err and "rows indexed" not in err
    assert not (tmp_path / "v.parquet").exists()


def test_similarity_matrix_is_cosine():
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], np.float32)
    matrix = similarity_matrix(vectors)
    np.testing.assert_allclose(
        matrix, [[1, 0, 0.7071068], [0, 1, 0.7071068], [0.7071068, 0.7071068, 1]], atol=1e-6
    )


def test_pca_projection_matches_scikit_learn_up_to_sign():
    from sklearn.decomposition import PCA

    from bertstudio.embeddings.projection import pca_2d

    vectors = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32) * np.arange(1, 17)
    points, explained = pca_2d(vectors)
    reference = PCA(n_components=2).fit(vectors)
    expected = reference.transform(vectors)
    signs = np.sign((points * expected).sum(axis=0))
    np.testing.assert_allclose(points, expected * signs, atol=1e-3)
    np.testing.assert_allclose(explained, reference.explained_variance_ratio_, atol=1e-5)
