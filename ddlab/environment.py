"""What is this session running on? One call, so notebook 00 can show it and bug reports can quote it."""
from __future__ import annotations

import platform

import torch

from . import profile
from .data import Dataset


def describe(data: Dataset | None = None) -> str:
    """A few lines: Python and PyTorch versions, the compute device, the budget profile and, given
    a loaded dataset, its size, device and where its files came from."""
    if torch.cuda.is_available():
        device = f"GPU: {torch.cuda.get_device_name(0)}"
    else:
        device = f"CPU only, {torch.get_num_threads()} threads (a GPU makes the long runs fly)"
    lines = [f"Python {platform.python_version()} · PyTorch {torch.__version__}",
             f"compute: {device}",
             f"profile: {profile.current()} (budgets chosen by ddlab.profile)"]
    if data is not None:
        lines.append(f"data: {data.name}, {len(data.x_train):,} train / {len(data.x_test):,} test images "
                     f"of shape {tuple(data.image_shape)} on {data.device}, source: {data.source}")
    return "\n".join(lines)
