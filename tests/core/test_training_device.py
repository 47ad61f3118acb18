"""Where a run computes, in the words the window's status bar and the log use."""

from __future__ import annotations

import torch

from bertstudio.training.device import DeviceSetup, setup_device


def test_the_device_is_described_once_with_its_precision_and_thread_count():
    assert DeviceSetup(torch.device("cpu"), "fp32", 2).describe() == "CPU, 2 threads, fp32"
    assert DeviceSetup(torch.device("cpu"), "bf16", 1).describe() == "CPU, 1 thread, bf16"
    described = setup_device("cpu", "auto", 1).describe()
    assert described == "CPU, 1 thread, fp32" and described.count("fp32") == 1
