"""Notebook 01's write-it-yourself exercise: the inner step that dataset distillation unrolls."""

from __future__ import annotations

import torch

from ...functional import loss, sgd_step
from ..code import code_exercise
from .networks import between, digits, lenet


def _forgot_create_graph(net, theta, x, y, lr):
    """The step's value is right, but its gradient is a constant: the meta-gradient never reaches x."""
    grads = torch.autograd.grad(loss(net, theta, x, y), list(theta.values()))
    return {name: p - lr * g for (name, p), g in zip(theta.items(), grads)}


@code_exercise(
    "01.w1",
    name="inner_step",
    reference=sgd_step,
    wrong=_forgot_create_graph,
    wrt=("theta", "x", "lr"),
    why="Each step is a differentiable function of the images, the step size and the weights it "
    "starts from; chained, the steps are `unroll`, and back-propagating through the chain is "
    "the meta-gradient. create_graph=True is what keeps grad_theta itself on the graph, so "
    "the Hessian-vector products of section 2 can flow back to x.",
    hint="`loss(net, theta, x, y)` is the cross-entropy; `torch.autograd.grad(..., "
    "list(theta.values()), create_graph=True)` its gradient, one tensor per weight, in "
    "the dict's order.",
    solution="""
def inner_step(net, theta, x, y, lr):
    grads = torch.autograd.grad(loss(net, theta, x, y), list(theta.values()), create_graph=True)
    return {name: p - lr * g for (name, p), g in zip(theta.items(), grads)}

check_code("01.w1", inner_step)
""",
)
def inner_step_inputs(generator: torch.Generator) -> dict:
    net, theta = lenet(generator)
    x, y = digits(between(2, 6, generator), generator)
    lr = 0.01 + 0.1 * torch.rand((), generator=generator, dtype=torch.float64)
    return {"net": net, "theta": theta, "x": x, "y": y, "lr": lr}
