"""Train / validation / test splits: seeded and stratified, from a split column, or from separate files.

The same seed always gives the same split. Stratification keeps each class's share in every split
(classification tasks); other tasks are split at random.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from bertstudio.data.dataset import LabeledDataset, build_dataset
from bertstudio.data.mapping import ColumnMapping
from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.data.reading import read_table
from bertstudio.errors import DataImportError
from bertstudio.tasks import get_task

SPLITS = ("train", "validation", "test")


def split_indices(
    n_rows: int,
    sizes: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    strata: Sequence[int] | None = None,
) -> dict[str, np.ndarray]:
    """Row indices per split (sorted). `sizes` are fractions (normalised to sum to 1); with `strata`
    (e.g. class ids) each stratum is cut by the same fractions."""
    fractions = _fractions(sizes)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in SPLITS}
    if strata is None:
        groups = [np.arange(n_rows)]
    else:
        strata = np.asarray(strata)
        groups = [np.flatnonzero(strata == value) for value in np.unique(strata)]
    for group in groups:
        shuffled = rng.permutation(group)
        for name, piece in zip(SPLITS, np.split(shuffled, _cut_points(len(shuffled), fractions))):
            parts[name].append(piece)
    empty = np.zeros(0, dtype=np.int64)  # no rows, hence no strata
    return {name: np.sort(np.concatenate([empty, *pieces])) for name, pieces in parts.items()}


def split_counts(n_rows: int, sizes: Sequence[float]) -> dict[str, int]:
    """Rows per split that `sizes` would give `n_rows` rows, unstratified. Unlike `split_indices`
    a train share of 0 (or below, as 1 - validation - test can be) is allowed, counted as 0: the
    validation report uses this to say that nothing is left for training."""
    shares = list(sizes) + [0.0] * (3 - len(sizes))
    fractions = _fractions([0.0, *shares[1:]] if shares[0] <= 0 else shares, need_train=False)
    return dict(zip(SPLITS, _split_sizes(n_rows, fractions).tolist()))


def _fractions(sizes: Sequence[float], need_train: bool = True) -> np.ndarray:
    values = np.asarray(list(sizes) + [0.0] * (3 - len(sizes)), dtype=np.float64)
    if len(values) != 3 or (values < 0).any() or values.sum() <= 0 or (need_train and values[0] <= 0):
        raise DataImportError(
            f"Split sizes {tuple(sizes)} are not usable.",
            "Give train, validation and test fractions, e.g. (0.8, 0.1, 0.1); train must be > 0.",
        )
    return values / values.sum()


def _split_sizes(count: int, fractions: np.ndarray) -> np.ndarray:
    """Rows per split so each gets its share of `count` (largest remainders rounded up)."""
    exact = fractions * count
    sizes = np.floor(exact).astype(int)
    for index in np.argsort(-(exact - sizes), kind="stable")[: count - sizes.sum()]:
        sizes[index] += 1
    return sizes


def _cut_points(count: int, fractions: np.ndarray) -> list[int]:
    """Where to cut `count` rows so each split gets its share."""
    return list(np.cumsum(_split_sizes(count, fractions))[:-1])


def split_dataset(
    dataset: LabeledDataset,
    sizes: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    stratify: bool = True,
) -> dict[str, LabeledDataset]:
    """{"train", "validation", "test"} subsets, deterministic for `seed` (empty ones where size is 0)."""
    strata = dataset.labels if stratify and get_task(dataset.task).stratified else None
    return {
        name: dataset.subset(indices)
        for name, indices in split_indices(len(dataset), sizes, seed, strata).items()
    }


def split_by_column(dataset: LabeledDataset) -> dict[str, LabeledDataset]:
    """Subsets named by the dataset's split column (train / validation / test and their synonyms)."""
    if dataset.split_values is None:
        raise DataImportError(
            "The column mapping has no split column.", "Map the column that names the split."
        )
    values = np.asarray(dataset.split_values)
    splits = {name: dataset.subset(np.flatnonzero(values == name)) for name in SPLITS}
    if not len(splits["train"]):
        raise DataImportError("The split column names no training rows.", "Mark some rows 'train'.")
    return splits


def load_split_files(
    files: Mapping[str, str | Path],
    mapping: ColumnMapping,
    exclude_problem_rows: bool = False,
    label_names: Sequence[str] | None = None,
    read_options: ReadOptions = DETECT,
) -> dict[str, LabeledDataset]:
    """Datasets from separate files ({"train": path, "validation": path, "test": path}) sharing one
    label space: `label_names` if given (e.g. a resumed run's), else the training file's. A label only
    in validation / test is an `unknown_label` problem row there."""
    unknown = set(files) - set(SPLITS)
    if unknown or "train" not in files:
        raise DataImportError(
            f"Split files must be named train / validation / test, got {', '.join(sorted(files))}.",
            "Give at least a training file.",
        )
    train = build_dataset(
        read_table(files["train"], read_options), mapping, label_names, exclude_problem_rows
    )
    datasets = {"train": train}
    names = train.label_names if mapping.spec.has_label_names else None
    for name in SPLITS[1:]:
        if name in files:
            table = read_table(files[name], read_options)
            datasets[name] = build_dataset(table, mapping, names, exclude_problem_rows)
    return datasets
