"""Which model tasks have an ONNX path, what the graph outputs, and how consumers load it.

Output names follow the Hugging Face / Optimum convention (`logits` for task heads, `last_hidden_state`
for a plain encoder), so Optimum's ORTModelFor... classes and transformers.js read the folder as is.
"""

from __future__ import annotations

from dataclasses import dataclass

from bertstudio.errors import ExportError


@dataclass(frozen=True)
class OnnxTask:
    output: str  # name of the graph's one output (a ModelOutput field of the same name)
    per_token: bool  # the output has a sequence axis
    optimum_class: str  # the Optimum ORTModel class that loads the folder
    transformers_class: str  # the transformers Auto class that loads the Hugging Face folder
    pipeline_tag: str  # the Hugging Face Hub's pipeline tag


_SEQUENCE = OnnxTask(
    output="logits",
    per_token=False,
    optimum_class="ORTModelForSequenceClassification",
    transformers_class="AutoModelForSequenceClassification",
    pipeline_tag="text-classification",
)
# model head (model.task) -> its ONNX path
ONNX_TASKS: dict[str, OnnxTask] = {
    "classification": _SEQUENCE,
    "multi_label": _SEQUENCE,
    "regression": _SEQUENCE,
    "token_classification": OnnxTask(
        output="logits",
        per_token=True,
        optimum_class="ORTModelForTokenClassification",
        transformers_class="AutoModelForTokenClassification",
        pipeline_tag="token-classification",
    ),
    "masked_lm": OnnxTask(
        output="logits",
        per_token=True,
        optimum_class="ORTModelForMaskedLM",
        transformers_class="AutoModelForMaskedLM",
        pipeline_tag="fill-mask",
    ),
    "base": OnnxTask(
        output="last_hidden_state",
        per_token=True,
        optimum_class="ORTModelForFeatureExtraction",
        transformers_class="AutoModel",
        pipeline_tag="feature-extraction",
    ),
}

# Tasks a model can have that have no ONNX path yet, and why.
NO_ONNX_PATH: dict[str, str] = {
    "pretraining": "a pretraining model has two heads (masked-LM and next-sentence); no ONNX consumer "
    "loads that pair",
}


def onnx_task(model_task: str) -> OnnxTask:
    """The ONNX spec of a model task; ExportError naming the task when it has none."""
    spec = ONNX_TASKS.get(model_task)
    if spec is not None:
        return spec
    why = NO_ONNX_PATH.get(model_task, "no ONNX output is defined for it yet")
    raise ExportError(
        f"A {model_task!r} model cannot be exported to ONNX: {why}.",
        f"ONNX export covers: {', '.join(ONNX_TASKS)}. Export it in the Hugging Face format (--format hf)"
        + (
            ", or continue pretraining without next-sentence prediction"
            if model_task == "pretraining"
            else ""
        )
        + ".",
    )
