"""Rules on the classes of a single-label column, shared by the data report (`data inspect`, the Data
page) and by training, so both refuse and warn about the same label columns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MANY_CLASSES = 1000  # from here on a class column is more likely an id or free text than classes


@dataclass
class LabelVerdict:
    errors: list[str] = field(default_factory=list)  # training cannot go on
    warnings: list[str] = field(default_factory=list)  # it can, but the person should look


def class_verdict(counts: Mapping[str, int], column: str) -> LabelVerdict:
    """Rows per class (label name -> rows) of a classification column: fewer than two classes is an
    error, a thousand or more classes a warning."""
    verdict = LabelVerdict()
    present = [name for name, count in counts.items() if count]
    if len(present) < 2:
        verdict.errors.append(
            f"Only {len(present)} class ({', '.join(present) or 'none'}) in {column!r}: "
            "a classifier needs at least two. Is this the label column?"
        )
    elif len(present) >= MANY_CLASSES:
        rows = sum(counts.values())
        verdict.warnings.append(
            f"{column!r} has {len(present):,} classes for {rows:,} rows ({rows / len(present):.1f} rows per "
            "class): the model learns little about each. Is this the label column? If it is, group rare "
            "labels together."
        )
    return verdict
