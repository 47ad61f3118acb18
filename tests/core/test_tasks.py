"""Every task of the registry, on every face: CLI choices, TOML round trip, and one generic suite
each fine-tuning spec passes (mapped from the spec's own columns, trained on a tiny separable table,
evaluated with the metrics the spec declares, and learned)."""

from __future__ import annotations

import dataclasses
import random

import pytest

from bertstudio.cli import build_parser, main
from bertstudio.data import ColumnMapping, read_table
from bertstudio.errors import ConfigError
from bertstudio.tasks import all_tasks, fine_tuning_tasks, get_task, pretraining_tasks, task_names
from bertstudio.tasks.spec import ANSWER_SPAN, MULTI_LABEL, REGRESSION, SIMILARITY, SINGLE_LABEL, TOKEN_TAGS
from bertstudio.training import RunConfig, run_training
from bertstudio.training.config import COLUMN_FIELDS
from tests.core.training_fixtures import FILLER, NEGATIVE, POSITIVE, eval_records, tiny_model, write_csv

STRONG = ("love", "hate", "great", "terrible")  # a multi-label example's second label: strong words
FINE_TUNING = [spec.name for spec in fine_tuning_tasks()]
PRETRAINING = [spec.name for spec in pretraining_tasks()]


def test_unknown_task_names_the_choices():
    with pytest.raises(ConfigError) as error:
        get_task("summarization")
    assert all(name in str(error.value) for name in task_names())


def test_specs_are_consistent():
    for spec in all_tasks():
        assert spec.best_metric in spec.metrics, spec.name
        assert spec.pretraining == (not spec.columns), spec.name
        assert not spec.best_metric_without_label or spec.best_metric_without_label in spec.metrics
        for role in spec.columns:  # a role is a mapping field and a run setting, named by a flag
            assert (
                spec.answers_questions or role.name in {f.name for f in dataclasses.fields(ColumnMapping)}
            ) and role.name in COLUMN_FIELDS
            assert role.flag.startswith("--")


@pytest.mark.parametrize("task", FINE_TUNING)
def test_train_and_data_inspect_accept_every_fine_tuning_task(task):
    parser = build_parser()
    assert parser.parse_args(["train", "--task", task]).task == task
    assert parser.parse_args(["data", "inspect", "f.csv", "--task", task]).task == task


def saved_config(tmp_path, *argv: str) -> RunConfig:
    """The run config a command would run, written with --save-config."""
    path = tmp_path / "saved.toml"
    assert main([*argv, "--out", str(tmp_path / "run"), "--save-config", str(path)]) == 0
    return RunConfig.load_toml(path)


def test_pretrain_reaches_every_pretraining_task_at_its_defaults(tmp_path):
    reached = {}
    for extra in ([], ["--model", str(tmp_path)]):
        config = saved_config(tmp_path, "pretrain", "--corpus", "c.txt", *extra)
        reached[config.task] = config
    assert set(reached) == set(PRETRAINING)
    for task, config in reached.items():  # the window's defaults, not a second set (lr 1e-4 before)
        assert config.learning_rate == get_task(task).defaults.learning_rate
        assert config.epochs == get_task(task).defaults.epochs


@pytest.mark.parametrize("task", FINE_TUNING)
def test_train_starts_from_the_task_defaults(tmp_path, task):
    columns = [part for role in get_task(task).columns for part in (role.flag, role.name)]
    argv = ["train", "--task", task, "--model", "m", "--data", "d.csv", *columns]
    config = saved_config(tmp_path, *argv)
    assert config.learning_rate == get_task(task).defaults.learning_rate
    assert config.epochs == get_task(task).defaults.epochs
    assert config.best_metric == get_task(task).best_metric


@pytest.mark.parametrize("task", task_names())
def test_run_config_round_trips_through_toml_with_the_task_defaults(tmp_path, task):
    spec = get_task(task)
    config = RunConfig.for_task(task, output_dir=str(tmp_path / "run"))
    assert config.learning_rate == spec.defaults.learning_rate and config.epochs == spec.defaults.epochs
    assert config.best_metric == (spec.best_metric_without_label or spec.best_metric)
    assert config.greater_is_better == spec.greater_is_better
    assert RunConfig.for_task(task, label_columns=["score"]).best_metric == spec.best_metric
    config.save_toml(tmp_path / "run.toml")
    assert RunConfig.load_toml(tmp_path / "run.toml") == config


# ---------------------------------------------------------------- the generic suite


def separable_rows(spec, count: int, seed: int = 0) -> list[dict]:
    """Rows keyed by column role whose target a tiny model can learn: a sentiment keyword decides it
    (in the second text when the task reads one, so a dropped pair could not learn it)."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        positive = index % 2 == 1
        keyword = rng.choice(POSITIVE if positive else NEGATIVE)
        filler = rng.sample(FILLER, 4)
        if spec.problem_type == ANSWER_SPAN:  # the answer is the one sentiment word of the context
            context = " ".join([*filler[:2], keyword, *filler[2:]])
            rows.append({"context": context, "question": "what was it like?", "answer": keyword})
            continue
        if spec.problem_type == TOKEN_TAGS:
            words = [*filler[:2], keyword, *filler[2:]]
            tag = "B-POS" if positive else "B-NEG"
            rows.append(
                {"text": " ".join(words), "labels": " ".join("O" if w != keyword else tag for w in words)}
            )
            continue
        row = {"text": " ".join(filler)}
        if spec.reads("text_pair"):
            row["text_pair"] = f"{keyword} {rng.choice(FILLER)}"
        else:
            row["text"] = " ".join([*filler, keyword])
        if spec.problem_type == SINGLE_LABEL:
            row["labels"] = "pos" if positive else "neg"
        elif spec.problem_type == MULTI_LABEL:
            strong = ["strong"] if keyword in STRONG else []
            row["labels"] = "|".join(["pos" if positive else "neg", *strong])
        elif spec.problem_type == REGRESSION:
            row["labels"] = 4.5 if positive else 1.0
        elif spec.problem_type == SIMILARITY:
            row["labels"] = 0.9 if positive else 0.1
        rows.append(row)
    return rows


def mapping_for(spec, table) -> ColumnMapping:
    """The mapping built from the spec's columns (each column is named after its role)."""
    values = {role.name: role.name for role in spec.columns if role.name in table.columns}
    values["labels"] = [values["labels"]]
    delimiter = "|" if spec.problem_type == MULTI_LABEL else None
    return ColumnMapping(**values, task=spec.name, label_delimiter=delimiter)


LEARNED = {  # the best metric a tiny model reaches on the separable table
    SINGLE_LABEL: lambda m: m["accuracy"] >= 0.9,
    MULTI_LABEL: lambda m: m["micro_f1"] >= 0.9,
    REGRESSION: lambda m: m["pearson"] >= 0.9,
    TOKEN_TAGS: lambda m: m["f1"] >= 0.9,
    ANSWER_SPAN: lambda m: m["f1"] >= 90.0,  # SQuAD figures are percentages
    SIMILARITY: lambda m: m["pearson"] >= 0.9,
}


@pytest.mark.parametrize("task", FINE_TUNING)
def test_every_fine_tuning_spec_maps_trains_evaluates_and_learns(tmp_path, task):
    spec = get_task(task)
    rows = separable_rows(spec, 120)
    columns = list(rows[0])
    data = write_csv(tmp_path / "data.csv", columns, [[row[c] for c in columns] for row in rows])
    if spec.answers_questions:  # its own columns (context, question, answer), in windows of 24 tokens
        columns_settings = {
            COLUMN_FIELDS[role.name]: role.name for role in spec.columns if role.name in columns
        }
        columns_settings["doc_stride"] = 4
    else:
        table = read_table(data)
        mapping = mapping_for(spec, table)
        mapping.check(table)
        columns_settings = dict(
            text_column=mapping.text,
            text_pair_column=mapping.text_pair or "",
            label_columns=mapping.labels,
            label_delimiter=mapping.label_delimiter or "",
        )
    config = RunConfig.for_task(
        task,
        model_path=str(tiny_model(tmp_path)),
        data_path=str(data),
        **columns_settings,
        output_dir=str(tmp_path / "run"),
        max_length=24,
        batch_size=8,
        learning_rate=3e-3,
        warmup_ratio=0.0,
        epochs=12,
        log_every_steps=0,
        seed=3,
    )
    result = run_training(config)
    assert result.status == "completed", result.error
    evaluated = eval_records(tmp_path / "run")[-1]["metrics"]
    assert set(spec.metrics) <= set(evaluated)
    assert set(spec.metrics) <= set(result.test_metrics)
    assert LEARNED[spec.problem_type](result.test_metrics), result.test_metrics


@pytest.mark.parametrize("task", PRETRAINING)
def test_every_pretraining_spec_evaluates_its_metrics(tmp_path, task):
    from tests.core.test_training_tasks import write_corpus

    spec = get_task(task)
    config = RunConfig.for_task(
        task,
        model_path=str(tiny_model(tmp_path)) if spec.starts_from_model else "",
        preset="tiny",
        vocab_size=120,
        corpus_paths=[str(write_corpus(tmp_path / "corpus.txt", documents=60))],
        output_dir=str(tmp_path / "run"),
        max_length=24,
        max_steps=3,
        batch_size=8,
        log_every_steps=0,
        test_fraction=0.0,
    )
    result = run_training(config)
    assert result.status == "completed", result.error
    assert set(spec.metrics) <= set(eval_records(tmp_path / "run")[-1]["metrics"])
