"""Dynamic int8 quantisation of an ONNX graph's linear layers with ONNX Runtime."""

from __future__ import annotations

import logging
from pathlib import Path


def quantize_int8(source: Path, target: Path) -> None:
    """Write `target`: `source` with the weights of every MatMul in int8 (activations quantised per
    batch at run time), the layers that carry nearly all of an encoder's work."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = _DropPreprocessingAdvice()
    root = logging.getLogger()
    root.addFilter(quiet)
    try:
        quantize_dynamic(
            str(source),
            str(target),
            op_types_to_quantize=["MatMul"],
            weight_type=QuantType.QInt8,
            per_channel=False,
            reduce_range=False,
        )
    finally:
        root.removeFilter(quiet)


class _DropPreprocessingAdvice(logging.Filter):
    """The quantiser logs advice to the root logger on every call ("consider pre-processing"): it is for
    static quantisation of vision models, and would reach the user's terminal as a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()
