"""A small network and its weights in float64, the random inputs of the exercises that train one.
float64 because a learner's right answer, computed in another order, then agrees with the package's
to about 1e-12, so the check's tolerance can be tight enough to catch a small mistake."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...nets import Params, init_params, make_net

_LENET = make_net("lenet")  # the template: functional_call runs it on the weights given, any dtype


def lenet(generator: torch.Generator) -> tuple[nn.Module, Params]:
    """Notebook 01's LeNet with fresh Xavier weights in float64."""
    theta = init_params(_LENET, "xavier", generator)
    return _LENET, {name: p.double() for name, p in theta.items()}


def digits(n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """`n` random 28 x 28 images (float64, like normalised MNIST) and random labels 0..9."""
    return (
        torch.randn((n, 1, 28, 28), generator=generator, dtype=torch.float64),
        torch.randint(10, (n,), generator=generator),
    )


def between(low: int, high: int, generator: torch.Generator) -> int:
    """A random integer in low..high: every draw a new shape, so no hard-wired size passes."""
    return int(torch.randint(low, high + 1, (), generator=generator))
