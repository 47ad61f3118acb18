"""ONNX Runtime sessions, and an ONNX graph behind our models' call interface.

`OnnxModel(session, output)(**batch).logits` answers like `model(**batch).logits` of a torch model, so
the core evaluation code (training.evaluation) scores an exported graph unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bertstudio.errors import ExportError


def require_onnxruntime() -> None:
    """ExportError saying how to install the export extra when onnx / onnxruntime are missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ExportError(
            f"ONNX export needs the onnx and onnxruntime packages ({exc}).",
            "Install the export extra: pip install 'bertstudio[export]'.",
        ) from None


def inference_session(path: str | Path, threads: int | None = None):
    """A CPU session with every graph optimisation on; `threads` intra-op threads (None: the runtime's choice)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass
class OnnxOutput:
    logits: torch.Tensor
    loss: None = None
    nsp_logits: None = None


class OnnxModel:
    """An inference session that takes a batch of tensors by name and returns its output as `logits`."""

    training = False

    def __init__(self, session, output: str = "logits") -> None:
        self.session = session
        self.output = output
        self.input_names = [i.name for i in session.get_inputs()]

    def eval(self) -> OnnxModel:
        return self

    def train(self, mode: bool = True) -> OnnxModel:
        return self

    def run(self, batch: dict[str, Any]) -> np.ndarray:
        feed = {name: np.asarray(_numpy(batch[name]), dtype=np.int64) for name in self.input_names}
        return self.session.run([self.output], feed)[0]

    def __call__(self, **batch: Any) -> OnnxOutput:
        if "token_type_ids" in self.input_names and "token_type_ids" not in batch:
            batch["token_type_ids"] = torch.zeros_like(torch.as_tensor(batch["input_ids"]))
        return OnnxOutput(logits=torch.from_numpy(self.run(batch)))


def _numpy(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
