"""A run's checkpoint predicts a file as the model picker's choice does: `bertstudio predict --checkpoint`
(and the window's batch prediction) apply the checkpoint's weights to the run's exported model, and
refuse a damaged checkpoint or one of another model with a message, writing nothing."""

from __future__ import annotations

import csv

import pytest

from bertstudio.cli import main
from bertstudio.training.checkpoint import list_checkpoints
from tests.conftest import make_tiny_model_dir
from tests.core.training_fixtures import run_config


def write_reviews(path, rows: int, labels: tuple[str, ...] = ("neg", "pos")):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(
            [f"the film was {'good' if i % 2 else 'bad'} {i}", labels[i % len(labels)]] for i in range(rows)
        )
    return path


def train_tiny_run(root, output_dir):
    """6 steps of a tiny 2-label run, a checkpoint every 2 steps; its best is step 2, its export step 6."""
    from bertstudio.training import run_training

    model, data = make_tiny_model_dir(root / "tiny"), write_reviews(root / "reviews.csv", 40)
    config = run_config(model, data, output_dir, max_length=16, learning_rate=5e-3, max_steps=6)
    config.eval_every_steps = config.save_every_steps = 2
    config.keep_checkpoints, config.load_best_at_end = 5, False
    assert run_training(config).status == "completed"
    return output_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkpoint_prediction")
    return train_tiny_run(root, root / "run")


def probabilities(path) -> list[float]:
    """p_pos of each row (the CSV holds 6 digits)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [float(row["p_pos"]) for row in csv.DictReader(handle)]


def predict(run_dir, data, out, *extra) -> int:
    return main(
        ["predict", "--model", str(run_dir / "model"), "--data", str(data), "--text", "text"]
        + ["--out", str(out), *map(str, extra)]
    )


def test_a_checkpoint_predicts_with_its_own_weights(run_dir, tmp_path):
    from bertstudio.inspect.probes import predict as predict_texts
    from bertstudio.training.run_models import ModelChoice, load_model_choice

    data = write_reviews(tmp_path / "unlabelled.csv", 12)
    first, last = list_checkpoints(run_dir / "checkpoints")[0], list_checkpoints(run_dir / "checkpoints")[-1]
    assert predict(run_dir, data, tmp_path / "export.csv") == 0
    assert predict(run_dir, data, tmp_path / "first.csv", "--checkpoint", first) == 0
    assert predict(run_dir, data, tmp_path / "last.csv", "--checkpoint", last) == 0
    export, early, final = (probabilities(tmp_path / f"{n}.csv") for n in ("export", "first", "last"))
    assert final == pytest.approx(export, abs=2e-6)  # the export holds the last step's weights
    assert early != pytest.approx(export, abs=1e-3)  # another step, other weights

    choice = ModelChoice(title="first", model_dir=run_dir / "model", checkpoint=first)
    model, tokenizer = load_model_choice(choice)  # what the playground applies
    texts = [f"the film was {'good' if i % 2 else 'bad'} {i}" for i in range(12)]
    shown = [float(predict_texts(model, tokenizer, text)[0].scores[1]) for text in texts]
    assert shown == pytest.approx(early, abs=1e-5)


def test_a_damaged_checkpoint_is_refused_and_nothing_is_written(run_dir, tmp_path, capsys):
    import shutil

    damaged = tmp_path / "step-damaged"
    shutil.copytree(list_checkpoints(run_dir / "checkpoints")[0], damaged)
    weights = damaged / "model.safetensors"
    content = bytearray(weights.read_bytes())
    content[-5] ^= 0x01
    weights.write_bytes(bytes(content))
    data = write_reviews(tmp_path / "unlabelled.csv", 4)
    assert predict(run_dir, data, tmp_path / "out.csv", "--checkpoint", damaged) == 2
    assert "damaged" in capsys.readouterr().err and not (tmp_path / "out.csv").exists()


def test_a_checkpoint_of_another_run_is_refused(run_dir, tmp_path, capsys):
    from bertstudio.training import run_training

    data = write_reviews(tmp_path / "reviews.csv", 18, labels=("a", "b", "c"))
    other = run_config(make_tiny_model_dir(tmp_path / "tiny"), data, tmp_path / "other", max_steps=2)
    other.save_every_steps = 2
    assert run_training(other).status == "completed"
    foreign = list_checkpoints(tmp_path / "other" / "checkpoints")[-1]
    data = write_reviews(tmp_path / "unlabelled.csv", 4)
    assert predict(run_dir, data, tmp_path / "out.csv", "--checkpoint", foreign) == 2
    error = capsys.readouterr().err
    assert "not a checkpoint of" in error and not (tmp_path / "out.csv").exists()
