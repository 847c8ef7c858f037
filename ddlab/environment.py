"""What is this session running on? One call, so notebook 00 can show it and bug reports can quote it."""

from __future__ import annotations

import platform
from pathlib import Path

import torch

from . import profile, routes
from .data import Dataset
from .sources.course_files import FetchError

# Where Linux says how much memory this session may still take: the container's limit and use (cgroup
# v2, then v1; Binder's 2 GB is such a limit), and the machine's own estimate of what is available.
CGROUP_LIMITS = (
    ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
    ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
)
MEMINFO = "/proc/meminfo"


def describe(data: Dataset | None = None) -> str:
    """A few lines: Python and PyTorch versions, the compute device, the budget profile, free memory
    against the notebooks' measured peaks and, given a loaded dataset, its size, device and where its
    files came from."""
    if torch.cuda.is_available():
        device = f"GPU: {torch.cuda.get_device_name(0)}"
    else:
        device = f"CPU only, {torch.get_num_threads()} threads (a GPU makes the long runs fly)"
    lines = [
        f"Python {platform.python_version()} · PyTorch {torch.__version__}",
        f"compute: {device}",
        f"profile: {profile.current()} (budgets chosen by ddlab.profile)",
        memory_report(available_memory_mib()),
    ]
    if data is not None:
        lines.append(
            f"data: {data.name}, {len(data.x_train):,} train / {len(data.x_test):,} test images "
            f"of shape {tuple(data.image_shape)} on {data.device}, source: {data.source}"
        )
    return "\n".join(lines)


def memory_report(free_mib: float | None) -> str:
    """One line: the memory this session has left beside what one notebook needs at its peak (the
    default profile's measured peaks), and what to do when two notebooks would not fit."""
    try:
        low, high = routes.peak_memory_mib("default")
    except (FetchError, ValueError) as error:
        return f"memory: {_gib(free_mib)} free; the notebooks' measured peaks are not known here ({error})"
    need = f"each notebook peaks at {_gib(low)} to {_gib(high)} (measured, default profile)"
    if free_mib is None:
        return f"memory: not known on this system; {need}"
    if free_mib < high:
        verdict = (
            " — too little for the largest: shut down every other kernel (Kernel > Shut Down All Kernels) "
            "before you go on"
        )
    elif free_mib < 2 * high:
        verdict = ": room for one notebook at a time; shut down each notebook's kernel before you open the next"
    else:
        verdict = ": room to spare"
    return f"memory: {_gib(free_mib)} free; {need}{verdict}"


def available_memory_mib() -> float | None:
    """MiB this process can still allocate: the smaller of the container's headroom and the machine's
    MemAvailable; None where Linux's files are missing (macOS, Windows)."""
    candidates = []
    for limit_file, usage_file in CGROUP_LIMITS:
        limit, usage = _read_number(limit_file), _read_number(usage_file)
        if limit is not None and usage is not None and limit < 2**60:  # "max" or a huge number: no limit
            candidates.append((limit - usage) / 2**20)
            break
    try:
        for line in Path(MEMINFO).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(int(line.split()[1]) / 1024)  # kB
    except OSError:
        pass
    return min(candidates) if candidates else None


def _read_number(path: str) -> int | None:
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def _gib(mib: float | None) -> str:
    return "unknown" if mib is None else f"{mib / 1024:.1f} GiB"
