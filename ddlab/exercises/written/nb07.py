"""Notebook 07's write-it-yourself exercise: DM's loss on the embeddings of one random network.

ddlab's DM (`methods/dm.py`) computes its loss inside `outer_loss`, class by class, on the features
of the network it draws; `class_mean_distance` below is that loss once the features are computed,
and tests/test_code_exercises.py checks it equals `DistributionMatching.outer_loss` on MNIST."""

from __future__ import annotations

import torch
from torch import Tensor

from ..code import code_exercise
from .networks import between


def class_mean_distance(real: Tensor, syn: Tensor) -> Tensor:
    """sum_c || mean of real[c] - mean of syn[c] ||^2 for (classes, B, D) and (classes, ipc, D)
    embeddings; the real side is a fixed target (DM embeds it without a gradient)."""
    return ((real.detach().mean(1) - syn.mean(1)) ** 2).sum()


def _averaged_over_features(real, syn):
    """Averaging the squares over the D features instead of summing: the loss and its gradient
    shrink by D, so the pixels' step size that suits DM's loss no longer does."""
    return ((real.mean(1) - syn.mean(1)) ** 2).mean(1).sum()


@code_exercise(
    "07.w1",
    name="dm_loss",
    reference=class_mean_distance,
    wrong=_averaged_over_features,
    wrt=("syn",),
    why="The loss is the linear-kernel MMD of each class: only the mean embeddings meet, so a "
    "synthetic image is pulled towards where the real class sits on average in this "
    "network's features, and the gradient reaches the synthetic side only (the real mean "
    "is a target).",
    hint="`real.mean(1)` is each class's mean embedding, (classes, D); square the difference, "
    "sum over features and classes.",
    solution="""
def dm_loss(real, syn):
    return ((real.mean(1) - syn.mean(1)) ** 2).sum()

check_code("07.w1", dm_loss)
""",
)
def dm_loss_inputs(generator: torch.Generator) -> dict:
    classes, batch, ipc, features = (
        between(2, 10, generator),
        between(5, 30, generator),
        between(1, 3, generator),
        between(8, 64, generator),
    )
    real = torch.randn((classes, batch, features), generator=generator, dtype=torch.float64)
    syn = torch.randn((classes, ipc, features), generator=generator, dtype=torch.float64)
    return {"real": real, "syn": syn}
