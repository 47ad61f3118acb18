"""The validation report as plain text, for the terminal (`bertstudio data inspect`)."""

from __future__ import annotations

from bertstudio.data.validation import ValidationReport
from bertstudio.tasks import get_task

BAR_WIDTH = 40


def format_report(report: ValidationReport, max_problems: int = 20) -> str:
    """A readable report: file, rows, mapping, columns, labels, tokens, problems, verdict."""
    dialect = report.dialect
    how = f"{dialect['format']}, {dialect['encoding']}"
    if dialect["format"] == "csv":
        how += f", delimiter {dialect['delimiter']!r}, " + (
            "header row" if dialect["has_header"] else "no header"
        )
    lines = [f"File      {report.source or '(in memory)'} ({how})"]
    blank = f" ({report.blank_lines:,} blank lines skipped)" if report.blank_lines else ""
    lines.append(f"Rows      {report.rows:,}{blank}")
    lines.append(f"Task      {report.task}: {_describe_mapping(report.mapping)}")
    lines += ["Columns"] if report.columns else []
    width = max((len(c.name) for c in report.columns), default=4)
    for column in report.columns:
        length = f", mean {column.mean_length:.1f} chars" if column.mean_length else ""
        example = f"  e.g. {column.examples[0]!r}" if column.examples else ""
        lines.append(
            f"  {column.name:<{width}}  {column.kind:<7}  {column.non_empty:,} filled, {column.empty:,} empty, "
            f"{column.distinct:,} distinct{length}{example}"
        )
    lines += _labels(report)
    lines += _questions(report)
    lines += _splits(report)
    lines += _tokens(report)
    lines += _problems(report, max_problems)
    for warning in report.warnings:
        lines.append(f"Warning   {warning}")
    for doubt in report.doubts:
        lines.append(f"Doubt     {doubt}")
    if report.verdict == "doubtful":
        lines.append(
            f"Result    usable: {report.usable_rows:,} rows, but training would learn little (see Doubt)"
        )
    elif report.usable:
        lines.append(f"Result    usable: {report.usable_rows:,} rows")
    else:
        lines += [f"Result    NOT USABLE: {error}" for error in report.errors]
    return "\n".join(lines)


def _describe_mapping(mapping: dict) -> str:
    if "format" in mapping:  # question answering
        if mapping["format"] == "squad":
            return "SQuAD JSON (contexts, questions and answers by field)"
        named = [f"{role}={mapping[role]!r}" for role in ("context", "question", "answer", "answer_start")]
        return ", ".join(part for part in named if not part.endswith("''"))
    parts = [f"text={mapping['text']!r}"]
    if mapping["text_pair"]:
        parts.append(f"text_pair={mapping['text_pair']!r}")
    if mapping.get("negative"):
        parts.append(f"negative={mapping['negative']!r}")
    if mapping["labels"] or get_task(mapping["task"]).requires("labels"):
        parts.append("labels=" + ", ".join(repr(name) for name in mapping["labels"]))
    if mapping["label_delimiter"]:
        parts.append(f"label delimiter {mapping['label_delimiter']!r}")
    if mapping["split_column"]:
        parts.append(f"split={mapping['split_column']!r}")
    return ", ".join(parts)


def _labels(report: ValidationReport) -> list[str]:
    if report.target_stats:
        stats = report.target_stats
        return [
            f"Target    min {stats['min']:g}, max {stats['max']:g}, mean {stats['mean']:g}, std {stats['std']:g}"
        ]
    if not report.label_counts:
        return []
    total = max(sum(report.label_counts.values()), 1)
    lines = ["Labels" + ("    (imbalanced)" if report.imbalanced else "")]
    shown = sorted(report.label_counts.items(), key=lambda item: -item[1])
    for name, count in shown[:30]:
        lines.append(f"  {name:<20} {count:>10,}  {count / total:6.1%}")
    if len(shown) > 30:
        lines.append(f"  ... and {len(shown) - 30} more labels")
    return lines


def _questions(report: ValidationReport) -> list[str]:
    stats = report.questions
    if stats is None:
        return []
    lines = [
        f"Questions {stats.questions:,} ({stats.unanswerable:,} unanswerable, {stats.unanswerable_share:.1%}), "
        f"{stats.contexts:,} distinct contexts"
    ]
    if stats.windows is not None:
        lines.append(
            f"Windows   {stats.windows:,} of {stats.max_length} tokens (stride {stats.doc_stride}); "
            f"{stats.long_contexts:,} contexts need more than one, up to {stats.most_windows}"
        )
    return lines


def _splits(report: ValidationReport) -> list[str]:
    if not report.split_counts:
        return []
    return ["Splits    " + ", ".join(f"{name} {count:,}" for name, count in report.split_counts.items())]


def _tokens(report: ValidationReport) -> list[str]:
    tokens = report.tokens
    if tokens is None:
        return []
    sample = f" (a sample of {tokens.rows:,} rows)" if tokens.sampled else ""
    lines = [
        f"Tokens    mean {tokens.mean:.1f}, median {tokens.median:g}, 95th percentile {tokens.p95:g}, "
        f"longest {tokens.longest:,}{sample}",
        f"          {tokens.truncated_share:.2%} of rows over max_length {tokens.max_length}; "
        f"[UNK] rate {tokens.unk_rate:.3%}",
    ]
    peak = max(tokens.histogram_counts, default=0) or 1
    edges = tokens.histogram_edges
    for index, count in enumerate(tokens.histogram_counts):
        bar = "#" * round(BAR_WIDTH * count / peak)
        span = (
            f"{edges[index]}"
            if edges[index + 1] - edges[index] == 1
            else f"{edges[index]}-{edges[index + 1] - 1}"
        )
        lines.append(f"  {span:>11} {bar} {count:,}")
    return lines


def _problems(report: ValidationReport, max_problems: int) -> list[str]:
    if not report.problems:
        return ["Problems  none"]
    counts = ", ".join(f"{reason} {count:,}" for reason, count in report.problem_counts.items())
    unusable = (
        f"{report.problem_rows:,} rows cannot be used as they are"
        if report.problem_rows
        else "all rows usable"
    )
    lines = [f"Problems  {unusable} ({counts})"]
    for problem in report.problems[:max_problems]:
        value = f" [{problem.value[:60]!r}]" if problem.value else ""
        severity = "" if problem.severity == "error" else " (warning)"
        lines.append(f"  line {problem.line}: {problem.reason}{severity}: {problem.message}{value}")
    if len(report.problems) > max_problems:
        lines.append(f"  ... and {len(report.problems) - max_problems:,} more (--json lists them all)")
    return lines
