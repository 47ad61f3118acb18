"""Which device training will use, in words for the status bar; imported torch only when called."""

from __future__ import annotations


def probe_device() -> str:
    """Cap torch's CPU threads so the window keeps a core, and describe where a run with the default
    settings computes, in the words the run itself uses ('CPU, 2 threads, fp32')."""
    from bertstudio.training.device import setup_device

    return setup_device("auto", "auto", 0).describe()
