"""Notebook 14: what TESLA's constant-memory gradient costs against MTT's unroll, as measured once by
``benchmarks/tesla_memory.py`` (one MTT outer iteration per row, each in a fresh process), drawn the way
notebook 01 draws DD's unroll cost (`ddlab.figures.dd.plot_unroll_cost`): memory and time against the
number of differentiable steps, side by side."""

from __future__ import annotations

import json
from typing import Any

import torch

from ..methods import TrajectoryMatching
from ..sources.course_files import course_file
from .dd import graph_bytes

BENCHMARK = "benchmarks/tesla_memory.json"
MODES = {"plain": "MTT: back-propagate the unroll", "tesla": "TESLA: one step at a time"}


def measured() -> dict[str, Any]:
    """The benchmark's JSON: a clone's own file, or fetched once from the repository for an installed ddlab."""
    return json.loads(course_file(BENCHMARK).read_text())


def kept_for_backward(student: TrajectoryMatching, seed: int = 1) -> int:
    """Bytes that one outer loss of `student`'s settings keeps alive for its backward pass (`graph_bytes`),
    on the draws of expert, start epoch and minibatches of `seed`: the unroll keeps every step's graph;
    TESLA has pulled its gradient back step by step already (its peak inside is one step's graph)."""
    probe = TrajectoryMatching(student.config, student.data, torch.Generator().manual_seed(seed), student.experts)
    with torch.no_grad():
        probe.images.copy_(student.images)
    return graph_bytes(probe.outer_loss())


def rows(bench: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    """The benchmark's rows of `mode` ("plain" or "tesla"), by number of student steps."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return sorted((r for r in bench["rows"] if r["mode"] == mode), key=lambda r: r["steps"])


def plot_memory_and_time(bench: dict[str, Any], axes=None):
    """Peak memory and CPU seconds of one outer iteration against the number of student steps N,
    plain unroll against TESLA. Returns the two Axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    memory, seconds = axes
    for (mode, label), color in zip(MODES.items(), ("#35608f", "#b83232")):
        found = rows(bench, mode)
        steps = [r["steps"] for r in found]
        memory.plot(steps, [r["peak_mib"] for r in found], "o-", color=color, label=label)
        seconds.plot(steps, [r["cpu_seconds"] for r in found], "o-", color=color, label=label)
    memory.set(xlabel="student steps N", ylabel="peak memory (MiB)", title="memory of one outer iteration")
    seconds.set(xlabel="student steps N", ylabel="CPU seconds (one thread)", title="time of one outer iteration")
    for ax in axes:
        ax.set_xticks([r["steps"] for r in rows(bench, "plain")])
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    memory.legend(fontsize=9)
    axes[0].figure.tight_layout()
    return axes
