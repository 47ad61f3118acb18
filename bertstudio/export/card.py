"""The model card: README.md in the Hugging Face format (YAML front matter, then Markdown), written from
the run that trained the model: data, settings, results, limits, and how to load the folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bertstudio import __version__
from bertstudio.export.compare import Comparison
from bertstudio.export.source import EvaluationSet, RunFacts
from bertstudio.export.tasks import ONNX_TASKS
from bertstudio.tasks import get_task, task_for_head

# Heads that serve no fine-tuning task of the registry.
HEAD_WORDS = {
    "masked_lm": "Masked language model: fills in the masked tokens of a text",
    "pretraining": "BERT pretraining: masked language modelling and next-sentence prediction",
    "base": "An encoder without a task head: one vector per token",
}
HYPER_PARAMETERS = (
    "epochs",
    "max_steps",
    "batch_size",
    "gradient_accumulation",
    "learning_rate",
    "weight_decay",
    "schedule",
    "warmup_ratio",
    "max_grad_norm",
    "max_length",
    "precision",
    "seed",
)


@dataclass
class CardFacts:
    """Everything a card says, gathered by the export."""

    title: str
    format: str  # "hf" or "onnx"
    model_task: str
    label_names: list[str]
    max_length: int  # the longest input the model accepts, in tokens
    input_length: int  # inputs are cut to this many tokens: the length it was trained with
    model_type: str = "bert"  # config.json's model_type
    family_title: str = "BERT"  # the family as people write it, e.g. "RoBERTa"
    base_model: str | None = None  # a Hub repo id, when the base is known by one
    language: list[str] = field(default_factory=list)
    run: RunFacts | None = None
    evaluation: EvaluationSet | None = None
    comparison: Comparison | None = None
    graph_files: list[str] = field(default_factory=list)  # model.onnx, model_quantized.onnx
    input_names: list[str] = field(default_factory=list)  # the graph's inputs


def render_card(facts: CardFacts) -> str:
    parts = [front_matter(facts), f"# {facts.title}\n", _intro(facts), _task_section(facts)]
    if facts.run is not None:
        parts += [_data_section(facts.run), _settings_section(facts.run), _results_section(facts.run)]
    if facts.comparison is not None:
        parts.append(_comparison_section(facts.comparison))
    parts += [_limits_section(facts), _usage_section(facts)]
    return "\n".join(parts)


def front_matter(facts: CardFacts) -> str:
    """YAML between --- lines; every string is written as a JSON string (valid YAML, any characters)."""
    tags = ["bertstudio", facts.model_type, facts.model_task]
    if facts.format == "onnx":
        tags.append("onnx")
    if any("quantized" in name for name in facts.graph_files):
        tags.append("int8")
    fields: dict[str, str | list[str]] = {
        "library_name": "onnx" if facts.format == "onnx" else "transformers",
    }
    task = ONNX_TASKS.get(facts.model_task)
    if task is not None:
        fields["pipeline_tag"] = task.pipeline_tag
    if facts.base_model:
        fields["base_model"] = facts.base_model
    fields["tags"] = tags
    metrics = _metric_names(facts.run)
    if metrics:
        fields["metrics"] = metrics
    if facts.language:
        fields["language"] = facts.language
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"- {json.dumps(item)}" for item in value]
        else:
            lines.append(f"{key}: {json.dumps(value)}")
    return "\n".join([*lines, "---", ""])


def _metric_names(run: RunFacts | None) -> list[str]:
    """The task's metrics the run recorded (the loss is not a metric of the model card kind)."""
    if run is None or not run.eval_metrics:
        return []
    return [m for m in get_task(run.config.task).metrics if m != "loss" and m in run.eval_metrics]


def task_description(model_task: str, run: RunFacts | None) -> str:
    """The run's task (or the task the head serves) as the registry describes it."""
    spec = get_task(run.config.task) if run is not None else task_for_head(model_task)
    if spec is None:
        return HEAD_WORDS.get(model_task, model_task)
    return f"{spec.title}: {spec.help}"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _intro(facts: CardFacts) -> str:
    layout = (
        "an ONNX graph (`" + "`, `".join(facts.graph_files) + "`) with its config and tokenizer"
        if facts.format == "onnx"
        else "weights in the Hugging Face layout (`model.safetensors`, `config.json`, tokenizer files)"
    )
    base = f" It was fine-tuned from `{facts.base_model}`." if facts.base_model else ""
    return f"A {facts.family_title} model exported by BERT Studio {__version__}: {layout}.{base}\n"


def _task_section(facts: CardFacts) -> str:
    lines = ["## Task", "", task_description(facts.model_task, facts.run) + ".", ""]
    if facts.label_names and facts.model_task not in ("masked_lm", "pretraining", "base"):
        lines += ["| id | label |", "|---:|---|"]
        lines += [f"| {i} | {_cell(name)} |" for i, name in enumerate(facts.label_names)]
        lines.append("")
    return "\n".join(lines)


def _data_section(run: RunFacts) -> str:
    config = run.config
    lines = ["## Training data", ""]
    if run.data_files:
        lines += ["| file | size (bytes) | sha256 |", "|---|---:|---|"]
        lines += [f"| {_cell(f.name)} | {f.size:,} | `{f.sha256}` |" for f in run.data_files]
        lines.append("")
    if config.is_pretraining:
        how = f"{config.validation_fraction:.0%} of the corpus held out for evaluation"
    elif config.validation_path or config.test_path:
        how = "separate files for training, validation and test"
    elif config.split_column:
        how = f"the column `{config.split_column}` names each row's split"
    else:
        how = (
            f"random split (seed {config.seed}): {config.validation_fraction:.0%} validation, "
            f"{config.test_fraction:.0%} test"
        )
    lines.append(f"Split: {how}.")
    if run.sizes:
        lines += ["", "| split | rows |", "|---|---:|"]
        lines += [f"| {name} | {rows:,} |" for name, rows in run.sizes.items() if rows]
    lines.append("")
    if config.text_column:
        columns = [f"text `{config.text_column}`"]
        if config.text_pair_column:
            columns.append(f"second text `{config.text_pair_column}`")
        if config.label_columns:
            columns.append("labels " + ", ".join(f"`{c}`" for c in config.label_columns))
        lines += ["Columns: " + "; ".join(columns) + ".", ""]
    return "\n".join(lines)


def _settings_section(run: RunFacts) -> str:
    values = run.config.to_dict()
    lines = ["## Hyper-parameters", "", "| setting | value |", "|---|---|"]
    lines += [f"| {name} | {values[name]} |" for name in HYPER_PARAMETERS if name in values]
    return "\n".join([*lines, ""])


def _results_section(run: RunFacts) -> str:
    metrics = run.eval_metrics
    if not run.eval_split:
        return "## Evaluation results\n\nThe run recorded no evaluation results.\n"
    rows = run.sizes.get(run.eval_split)
    size = f", {rows:,} rows" if rows else ""
    lines = [f"## Evaluation results ({run.eval_split} split{size})", "", "| metric | value |", "|---|---:|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in metrics.items() if _is_number(v) and not isinstance(v, int)]
    lines.append("")
    matrix, names = metrics.get("confusion_matrix"), metrics.get("labels")
    if matrix and names:
        lines += ["Confusion matrix (rows: true label, columns: predicted label):", ""]
        lines.append("| true \\ predicted | " + " | ".join(_cell(n) for n in names) + " |")
        lines.append("|---|" + "---:|" * len(names))
        lines += [
            f"| {_cell(name)} | " + " | ".join(str(v) for v in row) + " |"
            for name, row in zip(names, matrix, strict=True)
        ]
        lines.append("")
    return "\n".join(lines)


def _comparison_section(comparison: Comparison) -> str:
    header, rows = comparison.table()
    lines = ["## ONNX and int8 on this machine", ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|---|" + "---:|" * (len(header) - 1))
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [
        "",
        f"Latency: median of repeated batches of {comparison.batch_size} x {comparison.sequence_length} "
        f"tokens on the CPU, {comparison.threads} threads for torch and ONNX Runtime alike. Agreement: share "
        "of predictions equal to the torch fp32 model's.",
        *comparison.notes,
        "",
    ]
    return "\n".join(lines)


def _limits_section(facts: CardFacts) -> str:
    evaluation = facts.evaluation
    lines = ["## Known limits", ""]
    lines.append(
        f"- Inputs longer than {facts.input_length} tokens were cut off in training (the tokenizer's "
        f"model_max_length says so); the model accepts at most "
        f"{facts.max_length} tokens."
    )
    if evaluation is not None:
        lines.append(
            f"- {evaluation.truncated_share:.1%} of the {evaluation.split} split's examples were longer than "
            f"{evaluation.max_length} tokens and were truncated."
        )
    if facts.label_names and facts.model_task in ("classification", "multi_label", "token_classification"):
        lines.append(f"- It knows only the {len(facts.label_names)} labels above.")
    if facts.run is not None and facts.run.data_files:
        lines.append(
            "- It has learned only from the data above; check it on your own data before relying on it."
        )
    return "\n".join([*lines, ""])


def _usage_section(facts: CardFacts) -> str:
    task = ONNX_TASKS.get(facts.model_task)
    auto = task.transformers_class if task else "AutoModel"
    if facts.format == "hf":
        code = [
            f"from transformers import AutoTokenizer, {auto}",
            'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")',
            f'model = {auto}.from_pretrained("path/to/this/folder")',
        ]
        return "\n".join(["## How to use", "", "```python", *code, "```", ""])
    output = task.output if task else "logits"
    graph = facts.graph_files[-1] if facts.graph_files else "model.onnx"
    encoding_field = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
    feed = ", ".join(
        f'"{name}": np.array([e.{encoding_field[name]}], dtype=np.int64)' for name in facts.input_names
    )
    code = [
        "import numpy as np, onnxruntime; from tokenizers import Tokenizer",
        f'session, tokenizer = onnxruntime.InferenceSession("{graph}"), Tokenizer.from_file("tokenizer.json"); '
        f"tokenizer.enable_truncation({facts.input_length})",
        f'e = tokenizer.encode("Your text here"); {output} = session.run(["{output}"], {{{feed}}})[0]',
    ]
    lines = ["## How to use", "", "With ONNX Runtime:", "", "```python", *code, "```", ""]
    if task is not None:
        optimum = [
            f"from optimum.onnxruntime import {task.optimum_class}",
            f'model = {task.optimum_class}.from_pretrained("path/to/this/folder", file_name="{graph}")',
        ]
        lines += ["With Optimum:", "", "```python", *optimum, "```", ""]
    return "\n".join(lines)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
