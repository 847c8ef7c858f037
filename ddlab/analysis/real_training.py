"""The first steps of training networks on real data, measured as they go.

Three analyses look *inside* ordinary training: how well the networks recognise distilled images
after t steps (`recognition`), how curved the loss is after t steps (`hessian`), and which
checkpoint predicts like a network trained on distilled data (`agreement`). They all run this one
loop: `train_many` with the paper's optimiser (SGD, step 0.01, momentum 0.9) and a hook that
calls `measure(params)` before the first step and after every `every`-th.

The first `steps` minibatches of an epoch over all of MNIST are a random sample of `steps *
batch_size` distinct images, taken in random order; that is what is trained on here (one pass over
such a sample), so the run stops exactly after `steps` steps and never holds more than that sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch
from torch import nn

from ..data import Dataset
from ..functional import Schedule, train_many
from ..nets import Params

T = TypeVar("T")

BATCH_SIZE = 128  # real images per step (the paper: 256 on CIFAR-10; MNIST's 60k allow 468 steps of 128)
LR = 0.01  # SGD step size, as the paper's real training
MOMENTUM = 0.9  # SGD momentum, as the paper's real training


def watch(
    net: nn.Module,
    inits: Params,
    data: Dataset,
    steps: int,
    every: int,
    measure: Callable[[Params], T],
    generator: torch.Generator,
    batch_size: int = BATCH_SIZE,
) -> tuple[list[int], list[T]]:
    """Train the stacked networks `inits` for `steps` SGD steps on real training images, calling
    `measure(params)` at step 0 and after every `every`-th step. Returns (the steps measured, the
    measurements). Minibatches come from `generator`; every network sees its own order."""
    for name, value in (("steps", steps), ("every", every), ("batch_size", batch_size)):
        if value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    available = len(data.y_train)
    if steps * batch_size > available:
        raise ValueError(
            f"steps={steps} x batch_size={batch_size} needs {steps * batch_size} images; "
            f"{data.name} has {available} (use at most {available // batch_size} steps)"
        )
    x, y = data.sample(steps * batch_size, generator)  # (steps * B, C, H, W), (steps * B,)
    measured, results = [0], [measure(inits)]

    def on_step(t: int, params: Params) -> None:
        if t % every == 0:
            measured.append(t)
            results.append(measure(params))

    schedule = Schedule(epochs=1, batch_size=batch_size, lr=LR, momentum=MOMENTUM)
    # vmap on an accelerator, the plain loop on a CPU (faster there; same numbers): `ddlab.protocol`.
    train_many(net, inits, x, y, schedule, generator, on_step=on_step)
    return measured, results
