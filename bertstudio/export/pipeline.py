"""`export_model`: a model folder or run -> a Hugging Face folder or an ONNX folder (optionally with an
int8 graph), each with a model card, written atomically; what `bertstudio export` and the window run."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bertstudio.atomic import atomic_write_bytes, atomic_write_text
from bertstudio.errors import BertStudioError, ExportError
from bertstudio.export.compare import Comparison

FORMATS = {"hf": "Hugging Face folder", "onnx": "ONNX"}
QUANTIZATIONS = ("int8",)
GRAPH_FILE = "model.onnx"
QUANTIZED_FILE = "model_quantized.onnx"  # the name Optimum's quantizer gives it
PARITY_TOLERANCE = 1e-3  # an export whose graph differs more than this from torch is refused

Progress = Callable[[float, str], None]


@dataclass
class ExportRequest:
    model: Path  # a model folder, a run folder, or a run's model/ folder
    out: Path
    format: str = "onnx"  # one of FORMATS
    quantize: str | None = None  # one of QUANTIZATIONS (ONNX only)
    overwrite: bool = False  # replace an existing output folder (atomically)
    measure: bool = True  # ONNX: compare with torch (metric, agreement, sizes, latency)
    batch_size: int = 32  # latency batch
    sequence_length: int = 128
    repeats: int = 5  # timed batches per variant (after one warm-up)


@dataclass
class ExportReport:
    out_dir: Path
    format: str
    files: dict[str, int]  # file name -> bytes
    comparison: Comparison | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        text = [f"Exported ({FORMATS[self.format]}) to {self.out_dir}:"]
        text += [f"  {name:<28} {size / 1e6:9.2f} MB" for name, size in sorted(self.files.items())]
        if self.comparison is not None:
            text += ["", *self.comparison.lines()]
        return text + self.notes


def export_model(request: ExportRequest, progress: Progress | None = None) -> ExportReport:
    """Export as `request` says; ExportError (or another BertStudioError) says why not. Nothing is left
    at `request.out` unless the whole export succeeded."""
    from bertstudio.export.folder import check_target, staged_folder
    from bertstudio.export.source import describe_base, locate
    from bertstudio.model import load_pretrained
    from bertstudio.model.family import SENTENCE_TASK

    say = progress or (lambda fraction, message: None)
    _check_request(request)
    source = locate(request.model)
    say(0.02, "Loading the model")
    onnx = request.format == "onnx"
    # a sentence encoder's folder is exported with its sentence-transformers files (pooling, normalize)
    sentence = not onnx and (source.model_dir / "modules.json").is_file()
    model, tokenizer = load_pretrained(source.model_dir, task=SENTENCE_TASK if sentence else None)
    if onnx:
        from bertstudio.export.runtime import require_onnxruntime
        from bertstudio.export.tasks import onnx_task

        onnx_task(model.task)
        require_onnxruntime()
    protected = [source.model_dir] + ([source.run.run_dir] if source.run else [])
    check_target(request.out, request.overwrite, protected)
    notes: list[str] = []
    evaluation = _evaluation_set(source.run, tokenizer, model, notes, say)
    base = describe_base(source.run.config.model_path) if source.run else describe_base(source.model_dir)
    with staged_folder(request.out) as staging:
        comparison, graphs, input_names = None, [], []
        if onnx:
            graphs, input_names = _write_graphs(model, tokenizer, staging, request.quantize, say)
            if request.measure:
                comparison = _measure(
                    model, staging, graphs, input_names, source.run, evaluation, request, say
                )
        else:
            from bertstudio.model import save_pretrained

            say(0.3, "Writing the Hugging Face folder")
            save_pretrained(model, tokenizer, staging)
        say(0.95, "Writing the model card")
        card = _card(request, model, tokenizer, source, base, evaluation, comparison, graphs, input_names)
        atomic_write_text(staging / "README.md", card)
        files = {
            str(p.relative_to(staging)): p.stat().st_size for p in sorted(staging.rglob("*")) if p.is_file()
        }
    say(1.0, "Done")
    return ExportReport(request.out, request.format, files, comparison, notes)


def _check_request(request: ExportRequest) -> None:
    if request.format not in FORMATS:
        raise ExportError(
            f"Unknown export format {request.format!r}.", f"Choose one of: {', '.join(FORMATS)}."
        )
    if request.quantize is not None and request.quantize not in QUANTIZATIONS:
        raise ExportError(f"Unknown quantisation {request.quantize!r}.", "Choose int8.")
    if request.quantize and request.format != "onnx":
        raise ExportError("int8 quantisation applies to ONNX exports.", "Use --format onnx --quantize int8.")


def _evaluation_set(run, tokenizer, model, notes: list[str], say: Progress):
    from bertstudio.export.source import evaluation_set

    if run is None:
        return None
    say(0.05, "Reading the run's evaluation data")
    try:
        evaluation = evaluation_set(run, tokenizer, model.config.max_length)
    except BertStudioError as exc:
        notes.append(f"The run's data could not be read, so nothing was measured on it: {exc.message}")
        return None
    if evaluation is None:
        notes.append("The run has no labelled held-out split; nothing was measured on its data.")
    return evaluation


def _write_graphs(model, tokenizer, staging: Path, quantize: str | None, say: Progress):
    from bertstudio.export.onnx_graph import export_onnx
    from bertstudio.export.quantize import quantize_int8
    from bertstudio.model.hub import save_config_and_tokenizer

    save_config_and_tokenizer(model, tokenizer, staging)
    say(0.15, "Exporting the ONNX graph")
    buffer = io.BytesIO()
    input_names = export_onnx(model, buffer)
    atomic_write_bytes(staging / GRAPH_FILE, buffer.getvalue())
    say(0.35, "Checking the graph against the torch model")
    _check_parity(model, staging / GRAPH_FILE, input_names)
    graphs = [GRAPH_FILE]
    if quantize == "int8":
        say(0.45, "Quantising to int8")
        quantize_int8(staging / GRAPH_FILE, staging / QUANTIZED_FILE)
        graphs.append(QUANTIZED_FILE)
    return graphs, input_names


def _check_parity(model, graph: Path, input_names: list[str]) -> None:
    import numpy as np
    import torch

    from bertstudio.export.onnx_graph import CHECK_SHAPE, example_inputs
    from bertstudio.export.runtime import OnnxModel, inference_session
    from bertstudio.export.tasks import onnx_task

    output = onnx_task(model.task).output
    batch = example_inputs(model, input_names, CHECK_SHAPE, seed=1)
    with torch.no_grad():
        expected = getattr(model(**batch), output).numpy()
    got = OnnxModel(inference_session(graph), output).run(batch)
    difference = float(np.max(np.abs(expected - got)))
    if not difference <= PARITY_TOLERANCE:
        raise ExportError(
            f"The exported graph does not reproduce the model (largest output difference {difference:.2e} "
            "on a padded test batch); nothing was written.",
            "This model's forward takes a path the ONNX tracer cannot record. Export it in the Hugging Face "
            "format (--format hf) instead.",
        )


def _measure(model, staging, graphs, input_names, run, evaluation, request, say) -> Comparison:
    import torch

    from bertstudio.export.compare import (
        Variant,
        agreement,
        headline_metric,
        largest_difference,
        median_seconds,
        timing_batch,
        torch_latency,
    )
    from bertstudio.export.runtime import OnnxModel, inference_session
    from bertstudio.export.tasks import onnx_task

    threads = torch.get_num_threads()
    length = min(request.sequence_length, model.config.max_length)
    comparison = Comparison(batch_size=request.batch_size, sequence_length=length, threads=threads)
    batch = timing_batch(model.config.vocab_size, request.batch_size, length, input_names)
    output = onnx_task(model.task).output
    names = ["torch fp32", "ONNX fp32", "ONNX int8"]
    runners = [model] + [OnnxModel(inference_session(staging / g, threads), output) for g in graphs]
    task = run.config.task if run is not None and evaluation is not None else None
    if task is not None:
        comparison.metric_name = headline_metric(task)
        comparison.eval_split = evaluation.split
        comparison.eval_rows = len(evaluation.source.lengths)
    else:
        comparison.notes.append(
            "No evaluation split (the model is not from a run with labelled held-out data): the largest "
            "output difference is measured on the timing batch."
        )
    reference = None
    for index, (name, runner) in enumerate(zip(names, runners)):
        say(0.5 + 0.4 * index / len(runners), f"Measuring {name}")
        if index == 0:
            seconds = torch_latency(model, batch, request.repeats)
        else:
            seconds = median_seconds(lambda r=runner: r.run(batch), request.repeats)
        variant = Variant(name=name, seconds_per_batch=seconds)
        if index:
            variant.file_bytes = (staging / graphs[index - 1]).stat().st_size
        if task is not None:
            outputs, metric = _evaluate(runner, evaluation, task, run.label_names, comparison.metric_name)
            variant.metric = metric
            if reference is None:
                reference = outputs
            else:
                variant.agreement = agreement(task, reference, outputs)
                variant.max_abs_difference = largest_difference(task, reference, outputs)
        else:
            outputs = [_forward(runner, batch, output)]
            if reference is None:
                reference = outputs
            else:
                variant.max_abs_difference = float(abs(reference[0] - outputs[0]).max())
        comparison.variants.append(variant)
    return comparison


def _evaluate(runner, evaluation, task: str, label_names: list[str], metric: str | None):
    from bertstudio.training.device import setup_device
    from bertstudio.training.evaluation import evaluate

    result = evaluate(runner, evaluation.source, task, label_names or None, setup_device("cpu", "fp32"), 32)
    value = result.metrics.get(metric) if metric else None
    return result.outputs, (float(value) if value is not None else None)


def _forward(runner, batch, output: str):
    import torch

    if hasattr(runner, "run"):
        return runner.run(batch)
    with torch.inference_mode():
        return getattr(runner(**batch), output).numpy()


def _card(request, model, tokenizer, source, base, evaluation, comparison, graphs, input_names) -> str:
    from bertstudio.export.card import CardFacts, render_card
    from bertstudio.text import max_length_of

    config = model.config
    return render_card(
        CardFacts(
            title=(source.run.run_dir if source.run else source.model_dir).resolve().name,
            format=request.format,
            model_task=model.task,
            label_names=[config.id2label[i] for i in sorted(config.id2label)],
            max_length=config.max_length,
            input_length=max_length_of(tokenizer) or config.max_length,
            model_type=config.model_type,
            family_title=model.family.title,
            base_model=base.repo_id if source.run is not None else None,
            language=base.language,
            run=source.run,
            evaluation=evaluation,
            comparison=comparison,
            graph_files=graphs,
            input_names=input_names,
        )
    )
