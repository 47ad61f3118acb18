"""Export: ONNX graphs equal to our torch models on padded batches (checked with onnxruntime, and
transformers for the Hugging Face folder), int8 with its comparison, model cards, bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from bertstudio.cli import main
from bertstudio.errors import ExportError
from bertstudio.export import ExportRequest, export_model
from bertstudio.model import load_pretrained
from bertstudio.training import RunFolder, run_training
from tests.conftest import make_tiny_model_dir
from tests.core.training_fixtures import run_config, sentiment_csv, tiny_model

ort = pytest.importorskip("onnxruntime")
yaml = pytest.importorskip("yaml")

LABELS = {
    "classification": ["neg", "pos"],
    "multi_label": ["a", "b", "c"],
    "token_classification": ["O", "B", "I"],
}
TASKS = ("classification", "multi_label", "regression", "token_classification", "masked_lm", "base")


def padded_batch(vocab_size: int, shape=(4, 13), seed: int = 5) -> dict[str, torch.Tensor]:
    """Rows of different lengths (the first full, the others padded from different positions)."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab_size, shape, generator=generator)
    mask = torch.ones(shape, dtype=torch.long)
    for row in range(1, shape[0]):
        mask[row, shape[1] - 3 * row :] = 0
    ids[mask == 0] = 0
    types = torch.zeros_like(ids)
    types[:, shape[1] // 2 :] = 1  # a second segment, so token types reach the graph
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def onnx_outputs(folder: Path, batch: dict[str, torch.Tensor], graph: str = "model.onnx") -> np.ndarray:
    session = ort.InferenceSession(str(folder / graph), providers=["CPUExecutionProvider"])
    feed = {i.name: batch[i.name].numpy() for i in session.get_inputs()}
    return session.run(None, feed)[0]


@pytest.mark.parametrize("task", TASKS)
def test_onnx_export_equals_the_torch_model_on_padded_batches(tmp_path, task):
    model_dir = make_tiny_model_dir(tmp_path / "model", task, LABELS.get(task), seed=1)
    out = tmp_path / "onnx"
    report = export_model(ExportRequest(model=model_dir, out=out, format="onnx", measure=False))
    assert report.out_dir == out
    assert {"model.onnx", "config.json", "tokenizer.json", "vocab.txt", "README.md"} <= set(os.listdir(out))
    assert "model.safetensors" not in os.listdir(out)

    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input_ids", "attention_mask", "token_type_ids"]
    expected_output = "last_hidden_state" if task == "base" else "logits"
    assert [o.name for o in session.get_outputs()] == [expected_output]
    model, _ = load_pretrained(model_dir)
    for shape in [(4, 13), (1, 5), (7, 40)]:  # dynamic batch and sequence axes
        batch = padded_batch(model.config.vocab_size, shape)
        with torch.no_grad():
            expected = getattr(model(**batch), expected_output).numpy()
        got = onnx_outputs(out, batch)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    # padding must not leak: a padded row gives what the same row alone, unpadded, gives
    batch = padded_batch(model.config.vocab_size, (4, 13))
    alone = {k: v[2:3, : int(batch["attention_mask"][2].sum())] for k, v in batch.items()}
    if task in ("classification", "multi_label", "regression"):
        np.testing.assert_allclose(onnx_outputs(out, batch)[2], onnx_outputs(out, alone)[0], atol=1e-4)


def test_hugging_face_export_loads_in_transformers_with_the_same_logits(tmp_path):
    transformers = pytest.importorskip("transformers")
    model_dir = make_tiny_model_dir(tmp_path / "model", "classification", ["neg", "pos"], seed=2)
    out = tmp_path / "hf"
    export_model(ExportRequest(model=model_dir, out=out, format="hf"))
    reference = transformers.AutoModelForSequenceClassification.from_pretrained(out).eval()
    ours, _ = load_pretrained(out)
    batch = padded_batch(ours.config.vocab_size)
    with torch.no_grad():
        np.testing.assert_allclose(ours(**batch).logits.numpy(), reference(**batch).logits.numpy(), atol=1e-5)
    assert (out / "README.md").read_text().startswith('---\nlibrary_name: "transformers"')


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A finished classification run of a tiny model that fits its data (test split: 12 rows)."""
    folder = tmp_path_factory.mktemp("export_run")
    data, model = sentiment_csv(folder, count=120), tiny_model(folder)
    config = run_config(model, data, folder / "run", epochs=8, batch_size=16, max_length=12)
    result = run_training(config)
    assert result.status == "completed", result.error
    return folder / "run"


def quick(run: Path, out: Path, **changes) -> ExportRequest:
    settings = dict(model=run, out=out, format="onnx", batch_size=4, sequence_length=16, repeats=1)
    return ExportRequest(**{**settings, **changes})


def test_int8_export_of_a_run_compares_on_the_runs_own_test_split(trained_run, tmp_path):
    report = export_model(quick(trained_run, tmp_path / "int8", quantize="int8"))
    comparison = report.comparison
    assert [v.name for v in comparison.variants] == ["torch fp32", "ONNX fp32", "ONNX int8"]
    assert comparison.metric_name == "accuracy" and comparison.eval_split == "test"
    assert comparison.eval_rows == RunFolder(trained_run).read_info()["sizes"]["test"] == 12
    recorded = json.loads((trained_run / "eval" / "test_metrics.json").read_text())["accuracy"]
    torch_fp32, onnx_fp32, int8 = comparison.variants
    assert torch_fp32.metric == pytest.approx(recorded)  # the same split the run evaluated
    assert onnx_fp32.agreement == 1.0 and onnx_fp32.max_abs_difference < 1e-5
    assert int8.agreement >= 0.9 and int8.metric is not None
    for variant, name in [(onnx_fp32, "model.onnx"), (int8, "model_quantized.onnx")]:
        assert variant.file_bytes == (tmp_path / "int8" / name).stat().st_size == report.files[name]
        assert variant.seconds_per_batch > 0
    graph = __import__("onnx").load(str(tmp_path / "int8" / "model_quantized.onnx"))
    assert any(node.op_type == "MatMulInteger" for node in graph.graph.node)  # linear layers in int8
    batch = padded_batch(120, (3, 10))
    expected = load_pretrained(trained_run / "model")[0](**batch).logits.detach().numpy()
    agree = onnx_outputs(tmp_path / "int8", batch, "model_quantized.onnx").argmax(-1) == expected.argmax(-1)
    assert agree.mean() >= 2 / 3


def front_matter(text: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert match, "no front matter"
    return yaml.safe_load(match.group(1))


def test_model_card_front_matter_parses_and_matches_the_run(trained_run, tmp_path):
    report = export_model(quick(trained_run, tmp_path / "card", quantize="int8"))
    card = (report.out_dir / "README.md").read_text()
    meta = front_matter(card)
    assert meta["library_name"] == "onnx" and meta["pipeline_tag"] == "text-classification"
    assert {"bertstudio", "bert", "onnx", "int8"} <= set(meta["tags"])
    assert "accuracy" in meta["metrics"] and "macro_f1" in meta["metrics"]

    info = RunFolder(trained_run).read_info()
    data = info["data"][0]
    assert f"| sentiment.csv | {data['size']:,} | `{data['sha256']}` |" in card
    assert str(Path(data["path"]).parent) not in card  # the card names the file, not this machine's path
    for split, rows in info["sizes"].items():
        assert f"| {split} | {rows:,} |" in card
    assert "Text classification: one class per text" in card  # the task registry's words
    assert "| 0 | neg |" in card and "| 1 | pos |" in card
    assert "| learning_rate | 0.003 |" in card and "| max_length | 12 |" in card
    metrics = json.loads((trained_run / "eval" / "test_metrics.json").read_text())
    assert f"| accuracy | {metrics['accuracy']:.4f} |" in card
    for name, row in zip(metrics["labels"], metrics["confusion_matrix"], strict=True):
        assert f"| {name} | " + " | ".join(map(str, row)) + " |" in card
    assert "Inputs longer than 12 tokens" in card and "of the test split's examples" in card
    assert "| ONNX int8 |" in card

    # the card's three lines of ONNX Runtime code run in the folder and give the model's logits
    code = re.search(r"With ONNX Runtime:\n\n```python\n(.*?)```", card, re.S).group(1)
    assert len(code.strip().splitlines()) == 3
    namespace: dict = {}
    cwd = os.getcwd()
    os.chdir(report.out_dir)
    try:
        exec(code.replace("model_quantized.onnx", "model.onnx"), namespace)
    finally:
        os.chdir(cwd)
    model, tokenizer = load_pretrained(trained_run / "model")
    encoding = tokenizer.encode("Your text here")
    expected = model(torch.tensor([encoding.ids]), attention_mask=torch.tensor([encoding.attention_mask]))
    np.testing.assert_allclose(namespace["logits"], expected.logits.detach().numpy(), atol=1e-4)


def test_cli_exports_and_prints_the_comparison(trained_run, tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(
        ["export", "--model", str(trained_run / "model"), "--out", str(out), "--quantize", "int8"]
        + ["--batch-size", "2", "--seq-length", "8"]
    )
    printed = capsys.readouterr().out
    assert code == 0 and (out / "model_quantized.onnx").is_file()
    assert "ONNX int8" in printed and "accuracy (test)" in printed and "ms per batch 2x8" in printed


def test_a_pretraining_model_has_no_onnx_path_and_says_which(tmp_path, capsys):
    model_dir = make_tiny_model_dir(tmp_path / "model", "pretraining")
    out = tmp_path / "out"
    code = main(["export", "--model", str(model_dir), "--out", str(out)])
    error = capsys.readouterr().err
    assert code == 2 and "'pretraining' model cannot be exported to ONNX" in error
    assert "--format hf" in error and "Traceback" not in error
    assert not out.exists()
    export_model(ExportRequest(model=model_dir, out=out, format="hf"))  # the Hugging Face folder works
    assert load_pretrained(out)[0].task == "pretraining"


def test_an_existing_output_folder_is_refused_unless_overwrite_then_replaced_whole(tmp_path):
    model_dir = make_tiny_model_dir(tmp_path / "model", "classification", ["neg", "pos"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="already exists"):
        export_model(ExportRequest(model=model_dir, out=out, format="onnx", measure=False))
    assert os.listdir(out) == ["keep.txt"]
    export_model(ExportRequest(model=model_dir, out=out, format="onnx", measure=False, overwrite=True))
    assert "model.onnx" in os.listdir(out) and "keep.txt" not in os.listdir(out)
    assert sorted(os.listdir(tmp_path)) == ["model", "out"]  # no temp or old folder left beside it
    with pytest.raises(ExportError, match="replace the model"):
        export_model(ExportRequest(model=model_dir, out=model_dir, format="hf", overwrite=True))
    assert (model_dir / "model.safetensors").is_file()


def test_int8_is_refused_for_the_hugging_face_format(tmp_path):
    model_dir = make_tiny_model_dir(tmp_path / "model", "classification", ["neg", "pos"])
    with pytest.raises(ExportError, match="int8 quantisation applies to ONNX"):
        export_model(ExportRequest(model=model_dir, out=tmp_path / "out", format="hf", quantize="int8"))


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (needs root); skipped where mounting is not permitted."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip() or result.returncode}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


@pytest.mark.parametrize("export_format", ["onnx", "hf"])
def test_a_disk_that_fills_up_gives_a_clear_message_and_leaves_nothing(tmp_path, small_disk, export_format):
    from bertstudio.model import BertConfig, build_model, save_pretrained
    from tests.conftest import tiny_vocab

    vocab = tiny_vocab()
    config = BertConfig(vocab_size=len(vocab), hidden_size=128, num_hidden_layers=2, num_attention_heads=2)
    config.id2label = {0: "neg", 1: "pos"}
    model_dir = save_pretrained(build_model(config, "classification"), None, tmp_path / "model")  # ~3 MB
    tokenizer_source = make_tiny_model_dir(tmp_path / "tok")
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        (model_dir / name).write_bytes((tokenizer_source / name).read_bytes())
    out = small_disk / "export"
    with pytest.raises(ExportError) as caught:
        export_model(ExportRequest(model=model_dir, out=out, format=export_format, measure=False))
    assert "No space left on device" in str(caught.value) and "nothing was left behind" in str(caught.value)
    assert os.listdir(small_disk) == []


FAMILIES = ("bert", "roberta", "xlm-roberta", "distilbert", "albert", "electra", "deberta-v2", "modernbert")
# a ModernBERT with a local layer whose window (8) is shorter than the batch's texts (17)
FAMILY_SETTINGS = {"modernbert": {"extra": {"local_attention": 8, "global_attn_every_n_layers": 2}}}


@pytest.mark.parametrize("model_type", FAMILIES)
@pytest.mark.parametrize("task", ["classification", "token_classification", "masked_lm"])
def test_every_family_exports_through_its_public_forward(model_type, task):
    import io

    from bertstudio.export.onnx_graph import export_onnx
    from bertstudio.model import BertConfig, build_model
    from bertstudio.model.family import family_for

    family = family_for(model_type)
    if task not in family.tasks:
        pytest.skip(f"{family.title} has no {task} head")
    config = BertConfig(
        model_type=model_type,
        vocab_size=99,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=70,
        id2label={0: "a", 1: "b", 2: "c"},
        **({"pad_token_id": 1} if family.positions_from_padding else {}),
        **FAMILY_SETTINGS.get(model_type, {}),
    )
    torch.manual_seed(0)
    model = build_model(config, task).eval()
    graph = io.BytesIO()
    names = export_onnx(model, graph)
    assert ("token_type_ids" in names) == family.capabilities.token_types
    session = ort.InferenceSession(graph.getvalue(), providers=["CPUExecutionProvider"])
    batch = padded_batch(99, (3, 17))
    batch["input_ids"][batch["attention_mask"] == 0] = config.pad_token_id
    if not family.capabilities.token_types:
        batch.pop("token_type_ids")
    with torch.no_grad():
        expected = model(**batch).logits.numpy()
    got = session.run(None, {name: batch[name].numpy() for name in names})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def small_run(folder: Path, task: str) -> Path:
    """A short finished run of `task` on a tiny model (enough to have a test split and a head)."""
    from tests.core.training_fixtures import sentiment_rows, write_csv

    rows = sentiment_rows(60)
    if task == "multi_label":
        data = write_csv(
            folder / "d.csv", ["text", "label"], [(t, f"{y}|x" if "film" in t else y) for t, y in rows]
        )
        extra = {"label_delimiter": "|"}
    elif task == "regression":
        data = write_csv(
            folder / "d.csv", ["text", "label"], [(t, 4.5 if y == "pos" else 1.0) for t, y in rows]
        )
        extra = {}
    else:  # token_classification: a tag per word, B-POS on the keyword
        tagged = [
            (t, " ".join("B-POS" if w in ("good", "great", "love") else "O" for w in t.split()))
            for t, _ in rows
        ]
        data = write_csv(folder / "d.csv", ["text", "label"], tagged)
        extra = {}
    config = run_config(
        tiny_model(folder), data, folder / "run", task=task, max_steps=6, test_fraction=0.2, **extra
    )
    assert run_training(config).status == "completed"
    return folder / "run"


@pytest.mark.parametrize(
    "task, metric", [("multi_label", "micro_f1"), ("regression", "pearson"), ("token_classification", "f1")]
)
def test_the_comparison_scores_every_task_on_its_run(tmp_path, task, metric):
    run = small_run(tmp_path, task)
    comparison = export_model(quick(run, tmp_path / "out", quantize="int8")).comparison
    assert comparison.metric_name == metric and comparison.eval_split == "test"
    torch_fp32, onnx_fp32, int8 = comparison.variants
    # (a barely trained regressor predicts nearly one value, so its Pearson moves with float rounding)
    assert onnx_fp32.metric == pytest.approx(torch_fp32.metric, abs=1e-3)
    if task == "regression":  # no discrete prediction to agree on: the largest value difference instead
        assert onnx_fp32.agreement is None and onnx_fp32.max_abs_difference < 1e-4
    else:
        assert onnx_fp32.agreement == 1.0 and int8.agreement is not None


def test_the_base_model_is_named_by_its_hub_id_and_its_cards_language(tmp_path, minilm_path):
    from bertstudio.export.source import describe_base

    assert describe_base(minilm_path).language == ["en"]  # from all-MiniLM-L6-v2's own card
    snapshot = tmp_path / "models--org--tiny-bert" / "snapshots" / "abc123"
    make_tiny_model_dir(snapshot)
    (snapshot / "README.md").write_text("---\nlanguage:\n- de\n- fr\nlicense: mit\n---\n# tiny\n")
    base = describe_base(snapshot)
    assert base.repo_id == "org/tiny-bert" and base.language == ["de", "fr"]
