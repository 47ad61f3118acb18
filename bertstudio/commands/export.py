"""`bertstudio export`: a model or a run as an ONNX folder (optionally int8) or a Hugging Face folder,
with a model card and, for ONNX, what the export costs and gains measured on this machine."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="export a model (ONNX, int8, Hugging Face folder) with a model card"
    )
    parser.add_argument("--model", required=True, help="model folder, run folder, or a run's model/ folder")
    parser.add_argument("--format", choices=("onnx", "hf"), default="onnx", help="onnx (default) or hf")
    parser.add_argument("--out", required=True, help="output folder (must not exist unless --overwrite)")
    parser.add_argument("--quantize", choices=("int8",), help="also write an int8 graph (ONNX only)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    parser.add_argument(
        "--no-measure", action="store_true", help="ONNX: skip the comparison with torch (metric, latency)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="latency batch size (default 32)")
    parser.add_argument("--seq-length", type=int, default=128, help="latency sequence length (default 128)")
    parser.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bertstudio.export import ExportRequest, export_model

    request = ExportRequest(
        model=Path(args.model),
        out=Path(args.out),
        format=args.format,
        quantize=args.quantize,
        overwrite=args.overwrite,
        measure=not args.no_measure,
        batch_size=args.batch_size,
        sequence_length=args.seq_length,
    )

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    report = export_model(request, progress)
    print("\n".join(report.lines()))
    return 0
