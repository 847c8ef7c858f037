"""Peak memory of a block of code: what Binder and GPUs limit, so the leaderboard reports it.

On a GPU the CUDA allocator's peak; on a CPU the peak resident set of the whole process (Linux: its
high-water mark VmHWM, reset on entry), data included; beside it, how far it rose above what was in
use on entry (what the block itself needed).
"""

from __future__ import annotations

import re
import resource
import sys
from pathlib import Path

import torch


class PeakMemory:
    """``with PeakMemory(device) as peak: ...`` then ``peak.mib``: the peak memory inside the block,
    in MiB, and ``peak.added``: how far it rose above the memory in use on entry. On a GPU the CUDA
    allocator's; else the process's resident set (on Linux its high-water mark is reset on entry;
    elsewhere ``ru_maxrss``, the peak since the process started, and no `added`)."""

    def __init__(self, device: torch.device):
        self.device, self.mib, self.added = torch.device(device), float("nan"), float("nan")

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device) / 2**20
            return self
        try:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            self._start = _proc_status_mib("VmRSS")
        except (OSError, AttributeError):
            self._start = float("nan")  # not Linux: ru_maxrss below
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            self.mib = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            try:
                self.mib = _proc_status_mib("VmHWM")
            except (OSError, AttributeError):
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
                self.mib = peak / (2**20 if sys.platform == "darwin" else 1024)
        self.added = self.mib - self._start


def _proc_status_mib(field_name: str) -> float:
    """A memory field of /proc/self/status (Linux), in MiB."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field_name}:\s+(\d+) kB", status).group(1)) / 1024
