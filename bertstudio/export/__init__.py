"""Deploying a model: ONNX export (with int8 quantisation), the Hugging Face folder, model cards.

Names load on first use, so importing this package imports neither torch nor onnxruntime.
"""

from __future__ import annotations

from bertstudio.lazy import lazy_exports

_EXPORTS = {
    "ExportReport": "pipeline",
    "ExportRequest": "pipeline",
    "FORMATS": "pipeline",
    "QUANTIZATIONS": "pipeline",
    "export_model": "pipeline",
    "Comparison": "compare",
    "ONNX_TASKS": "tasks",
    "onnx_task": "tasks",
    "render_card": "card",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
