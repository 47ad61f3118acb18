"""Answer questions with a saved question-answering model, and score the answers: what `bertstudio
predict` and `evaluate` run for the question_answering task (SQuAD JSON or a table)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bertstudio.atomic import atomic_write_text
from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.errors import ConfigError
from bertstudio.training.evaluation import EvalResult, evaluate
from bertstudio.training.inference import LoadedModel, load_for_inference
from bertstudio.training.prepare import ALLOWS_NO_ANSWER, QASource
from bertstudio.training.qa_answers import MAX_ANSWER_LENGTH, AnswerSettings
from bertstudio.training.results import write_csv

DEFAULT_DOC_STRIDE = 128


@dataclass(frozen=True)
class QAOptions:
    """How contexts are windowed and answers picked; `null_threshold` None: as the model was trained
    (it answers "" only when it learnt from unanswerable questions, at threshold 0)."""

    max_length: int | None = None
    doc_stride: int | None = None  # None: 128, or under half of windows shorter than 258 tokens
    max_answer_length: int = MAX_ANSWER_LENGTH
    null_threshold: float | None = None
    batch_size: int = 32


def load_qa_model(model_dir: str | Path, device: str = "auto", checkpoint: Path | None = None) -> LoadedModel:
    loaded = load_for_inference(model_dir, device=device, checkpoint=checkpoint)
    if loaded.task != "question_answering":
        raise ConfigError(
            f"The model in {model_dir} is a {loaded.task} model, not a question-answering one.",
            "Give the model/ folder of a question_answering run (or leave out the QA flags).",
        )
    return loaded


def answer_settings(loaded: LoadedModel, options: QAOptions) -> AnswerSettings:
    threshold = options.null_threshold
    if threshold is None and loaded.model.config.extra.get(ALLOWS_NO_ANSWER, False):
        threshold = 0.0
    return AnswerSettings(max_answer_length=options.max_answer_length, null_threshold=threshold)


def qa_source(loaded: LoadedModel, dataset, options: QAOptions) -> QASource:
    limit = loaded.model.config.max_length
    max_length = min(options.max_length or limit, limit)
    stride = options.doc_stride
    if stride is None:
        stride = min(DEFAULT_DOC_STRIDE, max_length // 2 - 1)
    return QASource(dataset, loaded.tokenizer, max_length, stride, answer_settings(loaded, options))


def evaluate_questions(loaded: LoadedModel, dataset, options: QAOptions) -> tuple[EvalResult, QASource]:
    """EM / F1 (and v2.0's HasAns / NoAns, best threshold) of the model on `dataset`; the result's
    outputs are the QAAnswers in question order."""
    source = qa_source(loaded, dataset, options)
    result = evaluate(loaded.model, source, loaded.task, None, loaded.setup, options.batch_size)
    return result, source


def write_predictions(dataset, answers, out_path: str | Path) -> str:
    """{id: answer} JSON for a .json target, else a CSV: line, id, question, answer, its start and
    probability. Returns a line saying what was written."""
    out_path = Path(out_path)
    if out_path.suffix.lower() == ".json":
        predictions = {answer.id: answer.text for answer in answers}
        atomic_write_text(out_path, json.dumps(predictions, indent=2, ensure_ascii=False))
    else:
        rows: list[list[Any]] = []
        for example, answer in zip(dataset.examples, answers, strict=True):
            probability = answer.candidates[0].probability if answer.candidates else 0.0
            rows.append(
                [
                    example.line,
                    example.id,
                    example.question,
                    answer.text,
                    answer.char_start,
                    f"{probability:.4f}",
                ]
            )
        write_csv(out_path, ["line", "id", "question", "answer", "answer_start", "probability"], rows)
    unanswered = sum(not answer.text for answer in answers)
    return f"wrote {len(answers)} answers to {out_path} ({unanswered} answered 'no answer')"


def is_qa_model(model_dir: str | Path) -> bool:
    """Whether a model folder's config.json says it answers questions (without loading weights)."""
    from bertstudio.model.config import BertConfig
    from bertstudio.model.hub import resolve_model_folder, task_from_config

    folder = resolve_model_folder(model_dir)
    return task_from_config(BertConfig.from_json_file(folder / "config.json")) == "question_answering"


def predict_questions_file(
    model_dir: str | Path,
    data_path: str | Path,
    out_path: str | Path,
    columns=None,
    options: QAOptions = QAOptions(),
    device: str = "auto",
    read_options: ReadOptions = DETECT,
    checkpoint: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Answer every question of a SQuAD .json file or a table (`columns`: data.squad.QAColumns) and
    write the answers (write_predictions); returns the line saying what was written. `checkpoint`: as
    for inference.predict_file; `progress(done, total)` counts the windows the model has read."""
    from bertstudio.data.squad import QADataset, read_questions
    from bertstudio.training.evaluation import predict_outputs
    from bertstudio.training.qa_answers import answers_from_logits

    parsed = read_questions(data_path, columns, read_options)
    duplicates = [p for p in parsed.problems if p.reason == "duplicate_id"]
    if duplicates and Path(out_path).suffix.lower() == ".json":
        raise ConfigError(
            f"{len(duplicates)} question ids repeat ({duplicates[0].message}): answers by id would overwrite each other.",
            "Give each question its own id, or write a CSV (--out FILE.csv).",
        )
    loaded = load_qa_model(model_dir, device, checkpoint)
    dataset = QADataset(examples=parsed.examples, source=parsed.source, format=parsed.format)
    source = qa_source(loaded, dataset, options)
    outputs, _, _ = predict_outputs(
        loaded.model,
        source,
        loaded.task,
        loaded.setup,
        options.batch_size,
        with_labels=False,
        progress=progress,
    )
    logits = [outputs[i] for i in range(len(outputs))]
    answers = answers_from_logits(dataset.examples, source.windows, logits, source.answer_settings)
    return write_predictions(dataset, answers, out_path)


def evaluate_questions_file(
    model_dir: str | Path,
    data_path: str | Path,
    columns=None,
    options: QAOptions = QAOptions(),
    device: str = "auto",
    read_options: ReadOptions = DETECT,
    exclude_problem_rows: bool = False,
) -> tuple[EvalResult, QASource]:
    from bertstudio.data.squad import build_qa_dataset, read_questions

    parsed = read_questions(data_path, columns, read_options)
    dataset = build_qa_dataset(parsed, exclude_problem_rows)
    return evaluate_questions(load_qa_model(model_dir, device), dataset, options)
