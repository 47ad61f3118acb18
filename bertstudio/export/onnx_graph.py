"""Our torch model -> an ONNX graph with dynamic batch and sequence axes, through its public forward.

The TorchScript-based exporter is used: torch.export (the dynamo exporter) cannot follow the forward's
data-dependent check "is anything padded?", while tracing records one path of it. The example batch has
padding, so the traced graph always applies the attention mask; on an unpadded batch that mask is all
ones and the result is the same.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import BinaryIO

import torch
from torch import nn

from bertstudio.export.tasks import onnx_task

OPSET = 17
EXAMPLE_SHAPE = (2, 8)  # traced batch: two rows, the second padded
CHECK_SHAPE = (3, 11)  # another shape for the parity check, so a shape frozen into the graph shows


class _NamedForward(nn.Module):
    """The model's forward as the graph sees it: named tensors in, one named output tensor out."""

    def __init__(self, model: nn.Module, output: str, input_names: list[str]) -> None:
        super().__init__()
        self.model = model
        self.output = output
        self.input_names = input_names

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return getattr(self.model(**dict(zip(self.input_names, tensors))), self.output)


def model_input_names(model: nn.Module) -> list[str]:
    """input_ids, attention_mask, and token_type_ids when the model has segments (the names consumers
    such as Optimum feed by)."""
    accepted = inspect.signature(model.forward).parameters
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in accepted and model.family.capabilities.token_types:
        names.append("token_type_ids")
    return names


def example_inputs(
    model: nn.Module, input_names: list[str], shape: tuple[int, int], seed: int = 0
) -> dict[str, torch.Tensor]:
    """A batch of valid token ids in which every row after the first is padded from its middle on."""
    batch, seq = shape
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=generator)
    mask = torch.ones(batch, seq, dtype=torch.long)
    mask[1:, seq // 2 :] = 0
    tensors = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    return {name: tensors[name] for name in input_names}


def export_onnx(model: nn.Module, target: Path | BinaryIO) -> list[str]:
    """Write the model's graph to `target` (a path or a binary file; fp32, CPU); returns its input names."""
    output = onnx_task(model.task).output
    input_names = model_input_names(model)
    model = model.to("cpu", torch.float32).eval()
    wrapper = _NamedForward(model, output, input_names).eval()
    example = example_inputs(model, input_names, EXAMPLE_SHAPE)
    axes = {name: {0: "batch_size", 1: "sequence_length"} for name in input_names}
    output_axes = (
        {0: "batch_size", 1: "sequence_length"} if onnx_task(model.task).per_token else {0: "batch_size"}
    )
    with warnings.catch_warnings():
        # the TorchScript exporter warns that it is legacy, and that a Python bool freezes a branch (above)
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(
                wrapper,
                tuple(example.values()),
                str(target) if isinstance(target, Path) else target,
                input_names=input_names,
                output_names=[output],
                dynamic_axes={**axes, output: output_axes},
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,
            )
    return input_names
