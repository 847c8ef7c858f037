"""Notebook 13's write-it-yourself exercises: kernel ridge regression's prediction and Label Solve."""

from __future__ import annotations

import torch

from ... import kernels
from ..code import code_exercise
from .networks import between


def _absolute_ridge(k_ts, k_ss, y_s, reg):
    """lambda = reg itself rather than reg times the mean diagonal: a ridge that means something
    else for every kernel, depth and support size."""
    return k_ts @ torch.linalg.solve(k_ss + reg * torch.eye(len(k_ss), dtype=k_ss.dtype), y_s)


def _weights_not_labels(k_ts, k_ss, y_t, reg):
    """The least-squares KRR weights alpha (K_ts alpha = y_t) returned as if they were labels:
    the labels are y_s = (K_ss + lambda I) alpha."""
    return torch.linalg.lstsq(k_ts, y_t).solution


def _kernel_matrices(generator: torch.Generator, targets: int) -> dict:
    """A support of S points and `targets` points, their Gram matrices under a random feature map
    (positive semi-definite, like an NTK), on a random scale so a relative ridge differs from an
    absolute one."""
    s, d = between(3, 8, generator), between(12, 24, generator)
    scale = 2 + 20 * torch.rand((), generator=generator, dtype=torch.float64)
    f_s, f_t = (torch.randn((n, d), generator=generator, dtype=torch.float64) for n in (s, targets))
    return {"k_ts": scale * f_t @ f_s.T / d, "k_ss": scale * f_s @ f_s.T / d, "s": s}


@code_exercise(
    "13.w1",
    name="krr_predict",
    reference=kernels.krr_predict,
    wrong=_absolute_ridge,
    wrt=("k_ts", "k_ss", "y_s"),
    why="An infinitely wide network trained to convergence on the support set predicts "
    "K_ts (K_ss + lambda I)^-1 y_s: no training loop, one solve. KIP differentiates this "
    "closed form with respect to the support images (through K), which is why its "
    "meta-gradient is exact.",
    hint="lambda = reg * torch.trace(k_ss) / len(k_ss); `torch.linalg.solve(A, y_s)` is A^-1 y_s "
    "without forming the inverse.",
    solution="""
def krr_predict(k_ts, k_ss, y_s, reg):
    ridge = reg * torch.trace(k_ss) / len(k_ss)
    return k_ts @ torch.linalg.solve(k_ss + ridge * torch.eye(len(k_ss), dtype=k_ss.dtype), y_s)

check_code("13.w1", krr_predict)
""",
)
def krr_inputs(generator: torch.Generator) -> dict:
    matrices = _kernel_matrices(generator, between(4, 12, generator))
    y_s = torch.randn((matrices["s"], between(2, 10, generator)), generator=generator, dtype=torch.float64)
    return {"k_ts": matrices["k_ts"], "k_ss": matrices["k_ss"], "y_s": y_s, "reg": 0.1}


@code_exercise(
    "13.w2",
    name="label_solve",
    reference=kernels.label_solve,
    wrong=_weights_not_labels,
    wrt=("k_ts", "k_ss", "y_t"),
    why="The KRR loss is linear least squares in the support labels, so the best labels come in "
    "closed form: the least-squares weights alpha with K_ts alpha ~ y_t, turned into the "
    "labels that produce them, y_s = (K_ss + lambda I) alpha. No optimiser, one solve.",
    hint="`torch.linalg.lstsq(k_ts, y_t).solution` solves K_ts alpha ~ y_t; the labels that "
    "give those weights are (K_ss + lambda I) alpha, lambda = reg * trace(K_ss) / S.",
    solution="""
def label_solve(k_ts, k_ss, y_t, reg):
    alpha = torch.linalg.lstsq(k_ts, y_t).solution
    ridge = reg * torch.trace(k_ss) / len(k_ss)
    return (k_ss + ridge * torch.eye(len(k_ss), dtype=k_ss.dtype)) @ alpha

check_code("13.w2", label_solve)
""",
)
def label_solve_inputs(generator: torch.Generator) -> dict:
    matrices = _kernel_matrices(generator, between(20, 40, generator))
    y_t = torch.randn((matrices["k_ts"].shape[0], between(2, 10, generator)), generator=generator, dtype=torch.float64)
    return {"k_ts": matrices["k_ts"], "k_ss": matrices["k_ss"], "y_t": y_t, "reg": 0.1}
