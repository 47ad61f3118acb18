"""The open model's predictions for every indexed row of a table, to colour the projector by prediction
or by correct / wrong. The encoder runs the model without its head, so this is a second pass with the
head; it is done once and kept in the embedding cache beside the index (keyed like it)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from bertstudio.embeddings.progress import ProgressCallback, StopCheck
from bertstudio.errors import EmbeddingError

GOLD_SAMPLE = 5000  # rows looked at to find the column holding the head's labels


def classification_labels(model_dir: str | Path) -> list[str] | None:
    """The label names of the folder's single-label classification head; None when it has none."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    architectures = config.get("architectures") or []
    if not any(str(name).endswith("ForSequenceClassification") for name in architectures):
        return None
    if config.get("problem_type") not in (None, "single_label_classification"):
        return None
    names = config.get("id2label") or {}
    return [str(names[key]) for key in sorted(names, key=int)] or None


def gold_column(table: Any, labels: list[str]) -> str | None:
    """The column most of whose values (in the first rows) are the head's label names, if any is."""
    wanted = set(labels)
    best, best_count = None, 0
    for column in table.columns:
        values = table.column(column)[:GOLD_SAMPLE]
        count = sum(n for value, n in Counter(map(str, values)).items() if value in wanted)
        if count > max(best_count, len(values) // 2):
            best, best_count = column, count
    return best


def predictions_file(cache_dir: str | Path, index_key: str) -> Path:
    return Path(cache_dir) / "predictions" / f"{index_key}.json"


def predict_rows(
    index: Any,
    *,
    cache_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> list[str]:
    """The head's predicted label for each indexed row of `index` (a TableIndex), in index order."""
    from bertstudio.atomic import atomic_write_text
    from bertstudio.embeddings.cache import default_cache_dir
    from bertstudio.embeddings.model_outputs import embed_and_predict
    from bertstudio.embeddings.table import table_texts
    from bertstudio.model import load_pretrained
    from bertstudio.text import configure

    path = predictions_file(cache_dir or default_cache_dir(), index.info.key)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(kept, list) and len(kept) == index.info.indexed_rows:
            return kept
    except (OSError, ValueError):
        pass
    source = index.encoder.source
    if classification_labels(source) is None:
        raise EmbeddingError(
            "The open model has no classification head, so it predicts no labels.",
            "Open a fine-tuned classifier (a run's model folder) to colour by prediction.",
            path=source,
        )
    model, tokenizer = load_pretrained(source)
    configure(tokenizer, index.encoder.max_length)
    texts = table_texts(index.table, index.info.column)
    rows = [texts[int(row)] for row in index.entry.rows]
    _, predicted = embed_and_predict(model, tokenizer, rows, progress=progress, should_stop=should_stop)
    atomic_write_text(path, json.dumps(predicted))
    return predicted
