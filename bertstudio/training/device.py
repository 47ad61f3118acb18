"""Where and in which precision a run computes: device choice, mixed precision, CPU thread cap."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch

from bertstudio.errors import TrainingError


@dataclass
class DeviceSetup:
    device: torch.device
    precision: str  # "fp32", "bf16" or "fp16"
    threads: int  # torch CPU threads in use

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)

    @property
    def needs_grad_scaler(self) -> bool:
        return self.precision == "fp16" and self.device.type == "cuda"

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast for the forward pass in the chosen precision (a no-op in fp32)."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def describe(self) -> str:
        """The device and precision in words: 'CPU, 2 threads, fp32', 'CUDA 0 (NVIDIA H200), bf16'."""
        if self.device.type == "cuda":
            name = f"CUDA {self.device.index or 0} ({torch.cuda.get_device_name(self.device)})"
        elif self.device.type == "mps":
            name = "Apple GPU (MPS)"
        else:
            name = f"CPU, {self.threads} thread{'' if self.threads == 1 else 's'}"
        return f"{name}, {self.precision}"


def mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def choose_device(requested: str = "auto", local_rank: int | None = None) -> torch.device:
    """`auto` picks CUDA, then Apple MPS, then CPU; a forced device that is absent is a TrainingError."""
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu"
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise TrainingError(
                "CUDA was asked for, but torch sees no CUDA GPU.", "Use --device auto or cpu."
            )
        return torch.device("cuda", local_rank or 0)
    if requested == "mps":
        if not mps_available():
            raise TrainingError(
                "Apple MPS was asked for, but it is not available.", "Use --device auto or cpu."
            )
        return torch.device("mps")
    if requested == "cpu":
        return torch.device("cpu")
    raise TrainingError(f"Unknown device {requested!r}.", "Use auto, cpu, cuda or mps.")


def choose_precision(requested: str, device: torch.device) -> str:
    """auto: bf16 on GPUs that support it, fp16 (with a gradient scaler) on other CUDA GPUs, else fp32.
    bf16 on CPU is available when asked for (faster on CPUs with bf16 instructions, measure first)."""
    if requested == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "fp32"
    if requested == "fp16" and device.type == "cpu":
        raise TrainingError("fp16 is not supported on CPU.", "Use bf16 or fp32 on CPU.")
    if requested == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise TrainingError("This GPU does not support bf16.", "Use --precision fp16 (or auto).")
    return requested


def cap_cpu_threads(requested: int = 0, processes: int = 1) -> int:
    """Set torch's intra-op threads: `requested`, or all cores but one (so the interface stays
    responsive) shared among the `processes` training on this machine."""
    threads = requested or max(1, (available_cores() - 1) // processes)
    torch.set_num_threads(threads)
    return threads


def available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def setup_device(
    device: str = "auto", precision: str = "auto", cpu_threads: int = 0, local_rank: int | None = None
) -> DeviceSetup:
    chosen = choose_device(device, local_rank)
    threads = cap_cpu_threads(cpu_threads, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    if chosen.type == "cuda":
        torch.cuda.set_device(chosen)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return DeviceSetup(chosen, choose_precision(precision, chosen), threads)


def out_of_memory_error(batch_size: int, accumulation: int, max_length: int) -> TrainingError:
    """The message for CUDA out-of-memory: what to change to keep the same effective batch."""
    smaller = max(1, batch_size // 2)
    return TrainingError(
        f"The GPU ran out of memory with batch size {batch_size} and max length {max_length}.",
        f"Use a smaller batch with gradient accumulation to keep the same effective batch "
        f"(e.g. --batch-size {smaller} --gradient-accumulation {accumulation * 2}), "
        f"or a shorter --max-length, or --precision bf16/fp16.",
    )
