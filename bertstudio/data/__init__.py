"""Data: CSV / TSV / JSON Lines import, column mapping, validation, splits, encoding, batching, corpora.

Reading a table:      read_table, preview_table, detect_dialect -> Table (ReadOptions: how)
Mapping and task:     ColumnMapping, suggest_task (the tasks themselves: bertstudio.tasks)
Examples:             build_dataset -> LabeledDataset (problem rows counted, excluded only on request)
Report:               validate -> ValidationReport
Splits:               split_dataset, split_by_column, load_split_files
Tensors:              encode_dataset -> EncodedDataset, BatchSampler, collate
Pretraining:          iter_documents, build_pretraining_dataset, iter_mlm_examples, iter_nsp_examples,
                      MaskedLMCollator

Names are imported on first use, so `import bertstudio.data` loads neither numpy nor torch.
"""

from __future__ import annotations

from bertstudio.lazy import lazy_exports

_EXPORTS = {
    "DETECT": "read_options",
    "Dialect": "reading",
    "ReadOptions": "read_options",
    "Table": "reading",
    "detect_dialect": "reading",
    "iter_text_lines": "textfile",
    "preview_table": "reading",
    "read_table": "reading",
    "ColumnMapping": "mapping",
    "suggest_task": "mapping",
    "LabeledDataset": "dataset",
    "Problem": "dataset",
    "build_dataset": "dataset",
    "parse_rows": "dataset",
    "ValidationReport": "validation",
    "validate": "validation",
    "SPLITS": "splits",
    "load_split_files": "splits",
    "split_by_column": "splits",
    "split_dataset": "splits",
    "split_indices": "splits",
    "IGNORE_INDEX": "encoded",
    "EncodedDataset": "encoded",
    "align_word_labels": "encoded",
    "encode_dataset": "encoded",
    "BatchSampler": "batching",
    "collate": "batching",
    "build_pretraining_dataset": "corpus",
    "iter_documents": "corpus",
    "iter_mlm_examples": "corpus",
    "iter_nsp_examples": "corpus",
    "split_sentences": "corpus",
    "MaskedLMCollator": "masking",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
