"""Which device training will use, in words for the status bar; imported torch only when called."""

from __future__ import annotations

import os


def probe_device() -> str:
    """Cap torch's CPU threads so the window keeps a core, and describe the device in use."""
    import torch

    cpus = os.cpu_count() or 1
    torch.set_num_threads(max(1, cpus - 1))
    if torch.cuda.is_available():
        return f"CUDA: {torch.cuda.get_device_name(0)}"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "Apple GPU (MPS)"
    threads = torch.get_num_threads()
    return f"CPU, {threads} thread{'s' if threads != 1 else ''}"
