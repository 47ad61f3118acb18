"""Inputs that must be refused (with what and where) or bounded: the same label rules in the report and
in training, wrong weight dtypes, huge text fields, wide headers, codecs that are no text encodings,
unreadable or impossible config.json files, damaged metrics lines, non-record JSON lines."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from bertstudio.cli import main
from bertstudio.data import Dialect, Table
from bertstudio.data.encoded import CHARS_PER_TOKEN
from bertstudio.training import RunFolder
from tests.core.training_fixtures import run_config, sentiment_csv, tiny_model, write_csv


def train_args(model, data, out, *extra: str) -> list[str]:
    return [
        "train", "--model", str(model), "--data", str(data), "--text", "text", "--label", "label",
        "--out", str(out), "--max-steps", "1", "--max-length", "24", "--plain", *extra,
    ]  # fmt: skip


def test_one_class_is_refused_by_train_as_by_inspect(tmp_path, capsys):
    data = write_csv(tmp_path / "one.csv", ["text", "label"], [[f"good film {i}", "pos"] for i in range(30)])
    assert main(["data", "inspect", str(data), "--text", "text", "--label", "label"]) == 2
    inspect_error = capsys.readouterr().err
    assert main(train_args(tiny_model(tmp_path), data, tmp_path / "run")) == 2
    train_error = capsys.readouterr().err
    rule = "Only 1 class (pos) in 'label': a classifier needs at least two"
    assert rule in inspect_error and rule in train_error and str(data) in train_error
    assert not (tmp_path / "run" / "model").exists()


def test_thousands_of_classes_warn_in_train_as_in_inspect(tmp_path, capsys):
    rows = [[f"film {i}", f"L{i % 1500}"] for i in range(3000)]
    data = write_csv(tmp_path / "many.csv", ["text", "label"], rows)
    assert main(["data", "inspect", str(data), "--text", "text", "--label", "label"]) == 0
    warning = "'label' has 1,500 classes for 3,000 rows (2.0 rows per class)"
    assert warning in capsys.readouterr().out
    assert main(train_args(tiny_model(tmp_path), data, tmp_path / "run")) == 0
    assert f"warning: {warning}" in capsys.readouterr().out


@pytest.mark.parametrize("dtype", [torch.int32, torch.bool])
def test_a_float_weight_stored_as_integers_or_booleans_is_refused_by_name(tmp_path, capsys, dtype):
    model = tiny_model(tmp_path)
    weights = load_file(str(model / "model.safetensors"))
    name = next(k for k in weights if k.endswith("attention.self.query.weight"))
    weights[name] = weights[name].to(dtype)
    save_file(weights, str(model / "model.safetensors"))
    assert main(["model", "info", str(model)]) == 2
    error = capsys.readouterr().err
    assert name.removeprefix("bert.") in error and str(dtype).removeprefix("torch.") in error
    assert "model.safetensors" in error


def test_a_huge_text_field_is_cut_before_tokenizing_and_counted_as_truncated(tmp_path, monkeypatch, capsys):
    import bertstudio.data.encoded as encoded
    import bertstudio.text as text

    huge = "great fun " * 300_000  # 3 MB in one cell
    rows = [[f"good film {i}", "pos"] if i % 2 else [f"bad film {i}", "neg"] for i in range(20)]
    data = write_csv(tmp_path / "huge.csv", ["text", "label"], rows + [[huge, "pos"]])
    longest_given = []

    def spy(module):
        real = module.encode

        def encode(tokenizer, texts, pairs=None, max_length=None):
            longest_given.append(max(map(len, texts)))
            return real(tokenizer, texts, pairs, max_length=max_length)

        monkeypatch.setattr(module, "encode", encode)

    spy(encoded)  # training's encoder
    spy(text)  # the report's token statistics
    model = tiny_model(tmp_path)
    args = ["data", "inspect", str(data), "--text", "text", "--label", "label", "--model", str(model)]
    assert main([*args, "--max-length", "24"]) == 0
    assert "4.8% of rows are longer than 24 tokens" in capsys.readouterr().out  # 1 of 21
    assert main(train_args(model, data, tmp_path / "run")) == 0
    assert "1 texts are far longer than 24 tokens" in capsys.readouterr().out
    assert longest_given and max(longest_given) <= 24 * CHARS_PER_TOKEN


def test_column_lookup_in_a_wide_header_is_linear():
    comparisons = []

    class Name(str):
        __hash__ = str.__hash__

        def __eq__(self, other):
            comparisons.append(1)
            return str.__eq__(self, other)

    columns = [Name(f"c{i}") for i in range(2_000)]
    table = Table(
        path=None,
        columns=columns,
        data=[[str(i)] for i in range(2_000)],
        line_numbers=np.array([2]),
        dialect=Dialect(format="csv", encoding="utf-8"),
    )
    assert [table.column(f"c{i}")[0] for i in range(2_000)] == [str(i) for i in range(2_000)]
    assert len(comparisons) < 10 * 2_000  # list.index per lookup made about 2,000,000


@pytest.mark.parametrize("encoding", ["utf-16", "rot13", "base64", "zlib_codec"])
def test_codecs_that_cannot_read_the_file_are_a_message(tmp_path, capsys, encoding):
    data = sentiment_csv(tmp_path)
    assert main(["data", "inspect", str(data), "--text", "text", "--encoding", encoding]) == 2
    error = capsys.readouterr().err
    assert str(data) in error and encoding in error


@pytest.mark.parametrize("kind", ["directory", "symlink loop", "vocab_size 10**9"])
def test_an_unusable_config_json_is_a_message_before_anything_is_allocated(tmp_path, capsys, kind):
    model = tiny_model(tmp_path)
    config = model / "config.json"
    if kind == "directory":
        config.unlink()
        config.mkdir()
    elif kind == "symlink loop":
        config.unlink()
        config.symlink_to(config.name)
    else:
        config.write_text(json.dumps({**json.loads(config.read_text()), "vocab_size": 10**9}))
    assert main(["model", "info", str(model)]) == 2
    error = capsys.readouterr().err
    assert str(config) in error
    if kind == "vocab_size 10**9":
        assert "vocab_size 1,000,000,000" in error and "more than this machine has" in error


def test_a_metrics_line_with_a_step_that_is_no_whole_number_is_skipped(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    from bertstudio.training import TrainingControl, resume_training, run_training

    control = TrainingControl()
    run_training(
        run_config(model, data, tmp_path / "run", max_steps=4),
        lambda e: e.kind == "step" and control.cancel(),
        control,
    )
    with open(tmp_path / "run" / "metrics.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"kind": "step", "step": "seven", "loss": 1.0}) + "\n")
        handle.write(json.dumps({"kind": "step", "step": 2.5, "loss": 1.0}) + "\n")
    steps = [r["step"] for r in RunFolder(tmp_path / "run").read_events() if r["kind"] == "step"]
    assert steps == [1]
    assert resume_training(tmp_path / "run").ok


def test_json_lines_that_are_no_record_are_counted_alike_and_named_by_predict(tmp_path, capsys):
    records = [
        json.dumps({"text": f"good fun {i}" if i % 2 else f"bad sad {i}", "label": "pos" if i % 2 else "neg"})
        for i in range(20)
    ]
    data = tmp_path / "mixed.jsonl"
    data.write_text("\n".join([*records[:10], "[1, 2]", "3", "null", *records[10:]]) + "\n", encoding="utf-8")
    assert main(["data", "inspect", str(data), "--text", "text", "--label", "label"]) == 0
    report = capsys.readouterr().out
    assert "Rows      23" in report and "3 of 23 rows have problems" in report and "usable: 20 rows" in report
    model = tiny_model(tmp_path)
    assert main(train_args(model, sentiment_csv(tmp_path), tmp_path / "run")) == 0
    capsys.readouterr()
    out = tmp_path / "predictions.csv"
    assert (
        main(
            [
                "predict",
                "--model",
                str(tmp_path / "run" / "model"),
                "--data",
                str(data),
                "--text",
                "text",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    said = capsys.readouterr().out
    assert (
        "Wrote 20 rows" in said
        and "3 lines of the file are no JSON object and were left out (line 11, 12, 13)" in said
    )


def test_train_errors_name_the_file(tmp_path, capsys):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    assert main(train_args(model, data, tmp_path / "a", "--text", "review")) == 2
    assert str(data) in capsys.readouterr().err
    (model / "config.json").write_text("{broken")
    assert main(train_args(model, data, tmp_path / "b")) == 2
    assert str(model / "config.json") in capsys.readouterr().err
