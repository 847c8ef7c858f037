"""Notebook 12's write-it-yourself exercise: the loss a network trains on with one image left out."""

from __future__ import annotations

import torch
from torch.func import functional_call
from torch.nn import functional as F

from ...functional import loss
from ..code import code_exercise
from .networks import between, digits, lenet


def without_example(net, params, x, y, i):
    """ddlab's leave-one-out: example i weighted zero in the loss (`functional.loss`'s weights)."""
    keep = torch.ones(len(y), dtype=x.dtype)
    keep[i] = 0
    return loss(net, params, x, y, keep)


def _zeroed_but_still_counted(net, params, x, y, i):
    """Example i's loss zeroed, but the mean still divides by all N: as if a blank example stayed."""
    per_example = F.cross_entropy(functional_call(net, params, (x,)), y, reduction="none")
    return per_example.masked_fill(torch.arange(len(y)) == i, 0).mean()


@code_exercise(
    "12.w1",
    name="loss_without",
    reference=without_example,
    wrong=_zeroed_but_still_counted,
    wrt=("params", "x"),
    why="The network trained without image i must see exactly the set minus that image: the mean "
    "over the other N - 1, not a zero among N (which would shrink every step by (N-1)/N and "
    "change all the others' weight). `leave_one_out` trains all N + 1 networks at once "
    "with this loss, a weight of zero per left-out image.",
    hint='`F.cross_entropy(logits, y, reduction="none")` gives one loss per example; average '
    "those of every example but i (a mask, or `torch.cat` of the two slices around i).",
    solution="""
def loss_without(net, params, x, y, i):
    per_example = F.cross_entropy(functional_call(net, params, (x,)), y, reduction="none")
    keep = torch.arange(len(y)) != i
    return per_example[keep].mean()

check_code("12.w1", loss_without)
""",
)
def loss_without_inputs(generator: torch.Generator) -> dict:
    net, params = lenet(generator)
    n = between(3, 10, generator)
    x, y = digits(n, generator)
    return {"net": net, "params": params, "x": x, "y": y, "i": between(0, n - 1, generator)}
