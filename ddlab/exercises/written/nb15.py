"""Notebook 15's write-it-yourself exercise: SRe2L's BatchNorm-statistics term for one layer.

ddlab's SRe2L (`methods/sre2l.py`) takes each BatchNorm layer's batch mean and biased variance in
`BNConvNet.forward_with_statistics` and sums the distances in `bn_statistics_loss`; `layer_bn_loss`
below is that term for one layer, and the check compares the learner's function with it."""

from __future__ import annotations

import torch
from torch import Tensor

from ...methods import bn_statistics_loss
from ..code import code_exercise
from .networks import between


def layer_bn_loss(features: Tensor, running_mean: Tensor, running_var: Tensor) -> Tensor:
    """||mu - running_mean||_2 + ||sigma^2 - running_var||_2 for the batch `features` (N, C, H, W):
    mu and sigma^2 its per-channel mean and biased variance, as ddlab's SRe2L computes them."""
    mean = features.mean((0, 2, 3))
    variance = features.var((0, 2, 3), unbiased=False)
    return bn_statistics_loss([(mean, variance, running_mean, running_var)], first_multiplier=1.0)


def _unbiased_variance(features, running_mean, running_var):
    """The variance with Bessel's correction: not what BatchNorm normalises a batch by."""
    mean, variance = features.mean((0, 2, 3)), features.var((0, 2, 3), unbiased=True)
    return (mean - running_mean).norm() + (variance - running_var).norm()


@code_exercise(
    "15.w1",
    name="bn_loss",
    reference=layer_bn_loss,
    wrong=_unbiased_variance,
    wrt=("features",),
    why="A BatchNorm layer normalises a batch by its per-channel mean and biased variance over the "
    "images and positions, and remembers their running averages over the real data; SRe2L pulls the "
    "synthetic batch's statistics onto those memories, layer by layer (the first one weighted 10 "
    "times), so the gradient reaches every image of the batch.",
    hint="The channel is dimension 1: average over dimensions (0, 2, 3); `unbiased=False` gives the "
    "biased variance; `.norm()` is the Euclidean norm.",
    solution="""
def bn_loss(features, running_mean, running_var):
    mu = features.mean((0, 2, 3))
    var = features.var((0, 2, 3), unbiased=False)
    return (mu - running_mean).norm() + (var - running_var).norm()

check_code("15.w1", bn_loss)
""",
)
def bn_loss_inputs(generator: torch.Generator) -> dict:
    n, channels, side = between(2, 12, generator), between(1, 16, generator), between(2, 9, generator)
    features = torch.randn((n, channels, side, side), generator=generator, dtype=torch.float64)
    running_mean = torch.randn(channels, generator=generator, dtype=torch.float64)
    running_var = torch.rand(channels, generator=generator, dtype=torch.float64) + 0.5
    return {"features": features, "running_mean": running_mean, "running_var": running_var}
