"""The tasks BERT Studio trains, one spec each, and how to look them up."""

from __future__ import annotations

from collections.abc import Iterator

from bertstudio.errors import ConfigError
from bertstudio.tasks.spec import (
    ANSWER_SPAN,
    MASKED_LM,
    MULTI_LABEL,
    REGRESSION,
    SIMILARITY,
    SINGLE_LABEL,
    TOKEN_TAGS,
    ColumnRole,
    TaskDefaults,
    TaskSpec,
)

TEXT = ColumnRole("text", "Text", flag="--text")
TEXT_PAIR = ColumnRole("text_pair", "Second text", flag="--text-pair")
OPTIONAL_PAIR = ColumnRole("text_pair", "Second text", required=False, flag="--text-pair")
LABEL = ColumnRole("labels", "Label", flag="--label")
LABELS = ColumnRole("labels", "Label", multiple=True, flag="--label")
WORDS = ColumnRole("text", "Words", flag="--text")
TAGS = ColumnRole("labels", "Tags", flag="--label")
# Question answering reads a SQuAD .json file as it is, or these columns of a table.
QUESTION = ColumnRole("question", "Question", flag="--question")
CONTEXT = ColumnRole("context", "Context", flag="--context")
ANSWER = ColumnRole("answer", "Answer", flag="--answer")
ANSWER_START = ColumnRole("answer_start", "Answer start", required=False, flag="--answer-start")
ANCHOR = ColumnRole("text", "Anchor text", flag="--text")
POSITIVE = ColumnRole("text_pair", "Positive / second text", flag="--text-pair")
HARD_NEGATIVE = ColumnRole("negative", "Hard negative (optional)", required=False, flag="--negative")
SIMILARITY_SCORE = ColumnRole("labels", "Similarity score (optional)", required=False, flag="--label")

CLASS_METRICS = ("accuracy", "macro_f1", "macro_precision", "macro_recall", "loss")
# Pretraining from scratch: the presets are small (2-4 layers) and learn far too slowly at BERT-base's
# 1e-4 on a corpus of a few MB; 5e-4 with 6% warmup is ELECTRA-Small's setting and trains them stably.
SCRATCH = TaskDefaults(learning_rate=5e-4, epochs=10, batch_size=32, warmup_ratio=0.06)
CONTINUED = TaskDefaults(learning_rate=5e-5, epochs=1, batch_size=32, warmup_ratio=0.06)

_SPECS = (
    TaskSpec(
        name="classification",
        title="Text classification",
        help="one class per text (sentiment, topic, intent)",
        problem_type=SINGLE_LABEL,
        model_head="classification",
        columns=(TEXT, LABEL),  # with a second text it is pair_classification
        metrics=CLASS_METRICS,
        best_metric="accuracy",
        greater_is_better=True,
        stratified=True,
        evaluate_views=("confusion_matrix", "per_class"),
    ),
    TaskSpec(
        name="pair_classification",
        title="Sentence-pair classification",
        help="one class per pair of texts (entailment, paraphrase, question-answer match)",
        problem_type=SINGLE_LABEL,
        model_head="classification",
        columns=(TEXT, TEXT_PAIR, LABEL),
        metrics=CLASS_METRICS,
        best_metric="accuracy",
        greater_is_better=True,
        stratified=True,
        evaluate_views=("confusion_matrix", "per_class"),
        defaults=TaskDefaults(learning_rate=3e-5),
    ),
    TaskSpec(
        name="multi_label",
        title="Multi-label classification",
        help="any number of labels per text (0/1 columns, or labels separated in one cell)",
        problem_type=MULTI_LABEL,
        model_head="multi_label",
        columns=(TEXT, OPTIONAL_PAIR, LABELS),
        metrics=("micro_f1", "macro_f1", "exact_match", "micro_precision", "micro_recall", "loss"),
        best_metric="micro_f1",
        greater_is_better=True,
        evaluate_views=("per_label",),
        defaults=TaskDefaults(epochs=5),
    ),
    TaskSpec(
        name="regression",
        title="Regression (a number per text)",
        help="one number per text (a rating, a similarity score)",
        problem_type=REGRESSION,
        model_head="regression",
        columns=(TEXT, OPTIONAL_PAIR, LABEL),
        metrics=("loss", "pearson", "spearman", "mae", "mse"),
        best_metric="loss",
        greater_is_better=False,
        evaluate_views=("regression_errors",),
        defaults=TaskDefaults(learning_rate=3e-5, epochs=4),
    ),
    TaskSpec(
        name="token_classification",
        title="Token tagging (NER, POS)",
        help="one BIO tag per word (named entities, parts of speech)",
        problem_type=TOKEN_TAGS,
        model_head="token_classification",
        columns=(WORDS, TAGS),
        metrics=("f1", "precision", "recall", "token_accuracy", "loss"),
        best_metric="f1",
        greater_is_better=True,
        evaluate_views=("per_entity",),
    ),
    TaskSpec(
        name="question_answering",
        title="Question answering (extractive)",
        help="the answer to a question as a span of its context (SQuAD v1.1 / v2.0 JSON or a table)",
        problem_type=ANSWER_SPAN,
        model_head="question_answering",
        columns=(CONTEXT, QUESTION, ANSWER, ANSWER_START),
        metrics=("f1", "exact_match", "loss"),
        best_metric="f1",
        greater_is_better=True,
        evaluate_views=("answer_spans",),
        # transformers' question-answering example: 384-token windows sharing 128, 2 epochs at 3e-5
        defaults=TaskDefaults(learning_rate=3e-5, epochs=2, batch_size=12, max_length=384, doc_stride=128),
    ),
    TaskSpec(
        name="sentence_similarity",
        title="Sentence similarity (embeddings)",
        help="an embedding model from (anchor, positive) pairs, or pairs with a similarity score",
        problem_type=SIMILARITY,
        model_head="sentence_embedding",
        columns=(ANCHOR, POSITIVE, HARD_NEGATIVE, SIMILARITY_SCORE),
        metrics=("spearman", "pearson", "mrr", "recall_at_1", "recall_at_10", "loss"),
        best_metric="spearman",
        best_metric_without_label="mrr",
        greater_is_better=True,
        # sentence-transformers' fit defaults; in-batch negatives want the larger batch
        defaults=TaskDefaults(learning_rate=2e-5, epochs=1, batch_size=32),
    ),
    TaskSpec(
        name="continued_pretraining",
        title="Continue pretraining (masked LM) on text",
        help="masked-LM training of a model on your own text (domain adaptation)",
        problem_type=MASKED_LM,
        model_head="masked_lm",
        metrics=("loss", "mlm_accuracy", "perplexity"),
        best_metric="loss",
        greater_is_better=False,
        pretraining=True,
        defaults=CONTINUED,
    ),
    TaskSpec(
        name="pretraining",
        title="Pretrain from scratch (masked LM)",
        help="a new model from a preset, its vocabulary trained on your text",
        problem_type=MASKED_LM,
        model_head="masked_lm",
        metrics=("loss", "mlm_accuracy", "perplexity"),
        best_metric="loss",
        greater_is_better=False,
        pretraining=True,
        starts_from_model=False,
        defaults=SCRATCH,
    ),
)
_BY_NAME = {spec.name: spec for spec in _SPECS}
# Metrics where lower is better, whatever the task (for a metric_for_best the user picks).
LOWER_IS_BETTER = ("loss", "mse", "mae", "rmse", "perplexity", "mlm_loss", "nsp_loss")
# The head of masked-LM pretraining with next-sentence prediction.
NSP_HEAD = "pretraining"


def all_tasks() -> Iterator[TaskSpec]:
    return iter(_SPECS)


def task_names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def fine_tuning_tasks() -> tuple[TaskSpec, ...]:
    return tuple(spec for spec in _SPECS if spec.fine_tuning)


def pretraining_tasks() -> tuple[TaskSpec, ...]:
    return tuple(spec for spec in _SPECS if spec.pretraining)


def get_task(name: str) -> TaskSpec:
    """The spec of task `name`; ConfigError listing the tasks if there is none."""
    spec = _BY_NAME.get(name)
    if spec is None:
        raise ConfigError(f"Unknown task {name!r}.", f"Use one of: {', '.join(_BY_NAME)}.")
    return spec


def is_lower_better(metric: str) -> bool:
    return metric in LOWER_IS_BETTER


def masked_lm_heads() -> tuple[str, ...]:
    """Model heads that predict masked tokens (the probes of the Inspect page use them)."""
    return (*dict.fromkeys(spec.model_head for spec in pretraining_tasks()), NSP_HEAD)


def sequence_heads() -> tuple[str, ...]:
    """Model heads with one output per text (attributions explain them)."""
    return tuple(
        dict.fromkeys(
            spec.model_head
            for spec in fine_tuning_tasks()
            if not spec.per_token and not spec.answers_questions
        )
    )


def task_for_head(head: str, pair: bool = False) -> TaskSpec | None:
    """The fine-tuning task a saved model's head serves (`pair`: its inputs are text pairs)."""
    matches = [spec for spec in fine_tuning_tasks() if spec.model_head == head]
    for spec in matches:
        if spec.requires("text_pair") == pair:
            return spec
    return matches[0] if matches else None
