"""Notebook 05's write-it-yourself exercise: DC's distance between one layer's two gradients."""

from __future__ import annotations

import torch

from ...methods import layer_distance
from ..code import code_exercise
from .networks import between


def _one_direction_per_layer(g_syn, g_real):
    """The whole layer's gradient as one vector: a single cosine, blind to each channel's direction."""
    a, b = g_syn.flatten(), g_real.flatten()
    return 1 - (a * b).sum() / (a.norm() * b.norm() + 1e-6)


@code_exercise(
    "05.w1",
    name="matching_distance",
    reference=layer_distance,
    wrong=_one_direction_per_layer,
    wrt=("g_syn", "g_real"),
    why="One cosine per output channel compares each channel's incoming-weight gradient by "
    "direction alone: a single synthetic image cannot reproduce the size of a 256-image "
    "gradient, but it can point every channel the same way. One cosine per layer would let "
    "a channel point anywhere as long as the large ones agree.",
    hint="`g.flatten(1)` makes one row per output channel (out, fan_in); the cosine of two rows "
    "is (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-6).",
    solution="""
def matching_distance(g_syn, g_real):
    a, b = g_syn.flatten(1), g_real.flatten(1)
    cosine = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-6)
    return (1 - cosine).sum()

check_code("05.w1", matching_distance)
""",
)
def layer_distance_inputs(generator: torch.Generator) -> dict:
    out, fan_in = between(3, 8, generator), between(2, 5, generator)
    shape = (out, fan_in, 3, 3) if between(0, 1, generator) else (out, 9 * fan_in)  # a conv or a linear layer
    # Rows as long as a real layer's, so the 1e-6 that keeps the cosine finite changes nothing visible.
    g_syn, g_real = (10 * torch.randn(shape, generator=generator, dtype=torch.float64) for _ in range(2))
    return {"g_syn": g_syn, "g_real": g_real}
