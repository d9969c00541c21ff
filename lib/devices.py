"""Where the work runs: the device, the cores this process may use, and torch's thread count."""
from __future__ import annotations

import os
from contextlib import contextmanager

import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA when it is there, else the CPU."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu" or (isinstance(device, str) and device.startswith("cuda")):
        return torch.device(device)
    raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}")


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, which containers and ``taskset`` narrow),
    not merely the cores the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


@contextmanager
def torch_threads(count: int):
    """torch's intra-op thread count set to ``count`` for the block, and restored after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
