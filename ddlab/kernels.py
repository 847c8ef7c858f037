"""Infinite-width kernels of a fully connected ReLU network, and kernel ridge regression with them.

A fully connected network with L hidden ReLU layers, in the NTK parameterisation

    h^1 = (sigma_w / sqrt(d)) W^1 x + sigma_b b^1,    h^{l+1} = (sigma_w / sqrt(n)) W^{l+1} relu(h^l) + sigma_b b^{l+1},

all W, b standard normal, becomes a Gaussian process as its width n grows (Lee et al. 2018,
"Deep Neural Networks as Gaussian Processes", arXiv:1711.00165): its output f = h^{L+1} has the
covariance K = K^{L+1} (the NNGP kernel) of the recursion

    K^1(x, x')     = sigma_w^2 x.x' / d + sigma_b^2
    K^{l+1}(x, x') = sigma_w^2 E[relu(u) relu(v)] + sigma_b^2,     (u, v) ~ N(0, K^l on {x, x'}).

Trained by gradient descent on the squared loss it stays close to its linearisation, whose kernel is
the neural tangent kernel (Jacot et al. 2018, "Neural Tangent Kernel", arXiv:1806.07572; the form
below as in Arora et al. 2019, "On Exact Computation with an Infinitely Wide Neural Net",
arXiv:1904.11955):

    Theta^1 = K^1,    Theta^{l+1} = K^{l+1} + Theta^l * sigma_w^2 E[relu'(u) relu'(v)].

For ReLU both expectations are closed forms (Cho & Saul's arc-cosine kernels): with
cos(theta) = K^l(x, x') / sqrt(K^l(x, x) K^l(x', x')),

    E[relu(u) relu(v)]   = sqrt(K^l(x, x) K^l(x', x')) (sin theta + (pi - theta) cos theta) / (2 pi)
    E[relu'(u) relu'(v)] = (pi - theta) / (2 pi).

So both kernels cost one Gram matrix of the flattened images plus a few elementwise operations on
it: exact infinite-width networks on a CPU, with gradients to the images for free. Everything runs
in float64 because kernel matrices are badly conditioned and KRR solves with them.

Kernel ridge regression predicts f(X_t) = K_ts (K_ss + lambda I)^{-1} y_s: the mean of the
NNGP posterior, or the infinitely wide network trained to convergence on (X_s, y_s) (NTK).
Nguyen, Chen & Lee 2021 ("Dataset Meta-Learning from Kernel Ridge-Regression", ICLR 2021,
arXiv:2011.00050) learn the support set (X_s, y_s) itself so that this prediction fits real data
(KIP: `ddlab.methods.kip`), or solve for the best labels y_s in closed form (`label_solve`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

KERNELS = ("ntk", "nngp")
# The KIP paper's fully connected networks: W_std = sqrt(2), b_std = 0.1.
WEIGHT_VAR, BIAS_VAR = 2.0, 0.01


def relu_kernels(
    x: Tensor, y: Tensor, depth: int = 1, weight_var: float = WEIGHT_VAR, bias_var: float = BIAS_VAR
) -> tuple[Tensor, Tensor]:
    """(NNGP, NTK) of a ReLU network with `depth` hidden layers between the rows of `x` and `y`:
    two (N, M) float64 matrices for (N, ...) and (M, ...) inputs (images are flattened)."""
    _check(x, y, depth, weight_var, bias_var)
    x, y = x.flatten(1).double(), y.flatten(1).double()  # (N, D), (M, D)
    d = x.shape[1]
    cov = weight_var * (x @ y.T) / d + bias_var  # (N, M): K^1
    var_x = weight_var * (x * x).sum(1) / d + bias_var  # (N,): K^1(x, x)
    var_y = weight_var * (y * y).sum(1) / d + bias_var  # (M,)
    ntk = cov
    for _ in range(depth):
        norm = torch.sqrt(var_x[:, None] * var_y[None, :])  # (N, M)
        # Clamped inside (-1, 1): arccos has an infinite slope at +-1 (an image with itself).
        cos = (cov / norm).clamp(-1 + 1e-12, 1 - 1e-12)
        theta = torch.arccos(cos)  # (N, M)
        cov = weight_var * norm * (torch.sin(theta) + (math.pi - theta) * cos) / (2 * math.pi) + bias_var
        derivative = weight_var * (math.pi - theta) / (2 * math.pi)  # (N, M)
        ntk = cov + ntk * derivative
        # On the diagonal theta = 0, so E[relu(u)^2] = K(x, x) / 2.
        var_x, var_y = weight_var * var_x / 2 + bias_var, weight_var * var_y / 2 + bias_var
    return cov, ntk


def kernel(name: str, x: Tensor, y: Tensor, depth: int = 1) -> Tensor:
    """The kernel `name` ("ntk" or "nngp") between the rows of `x` and `y`: (N, M) float64."""
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; use one of: {', '.join(KERNELS)}")
    nngp, ntk = relu_kernels(x, y, depth)
    return ntk if name == "ntk" else nngp


def regularised(k_support_support: Tensor, reg: float) -> Tensor:
    """K_ss + lambda I with lambda = reg * tr(K_ss) / n, as KIP does: the ridge is relative to the
    kernel's scale, so one `reg` suits every kernel, depth and support size."""
    n = k_support_support.shape[0]
    if k_support_support.shape != (n, n):
        raise ValueError(f"the support kernel must be square, got shape {tuple(k_support_support.shape)}")
    if not reg >= 0:
        raise ValueError(f"reg must be >= 0, got {reg!r}")
    ridge = reg * torch.trace(k_support_support) / n
    return k_support_support + ridge * torch.eye(n, dtype=k_support_support.dtype, device=k_support_support.device)


def krr_predict(k_test_support: Tensor, k_support_support: Tensor, targets: Tensor, reg: float = 1e-6) -> Tensor:
    """Kernel ridge regression: K_ts (K_ss + lambda I)^{-1} y_s, (T, C) for (T, S), (S, S), (S, C)."""
    if k_test_support.shape[1] != k_support_support.shape[0] or targets.shape[0] != k_support_support.shape[0]:
        raise ValueError(
            f"shapes do not chain: K_ts {tuple(k_test_support.shape)}, K_ss "
            f"{tuple(k_support_support.shape)}, targets {tuple(targets.shape)}; need (T, S), (S, S), (S, C)"
        )
    return k_test_support @ torch.linalg.solve(regularised(k_support_support, reg), targets)


def label_solve(
    k_target_support: Tensor, k_support_support: Tensor, target_labels: Tensor, reg: float = 1e-6
) -> Tensor:
    """The support labels that minimise the KRR loss on a target set, in closed form (Label Solve,
    Nguyen, Chen & Lee 2021):

        y_s* = argmin_y || y_t - K_ts (K_ss + lambda I)^{-1} y ||^2 = (K_ts (K_ss + lambda I)^{-1})^+ y_t.

    The loss is linear least squares in y, so no optimiser is needed. With at least as many target
    points as support points, K_ts has full column rank and (K_ss + lambda I)^{-1} is invertible, so
    the pseudo-inverse splits: y_s* = (K_ss + lambda I) K_ts^+ y_t — one least-squares solve with the
    kernel itself, never forming the product. Returns (S, C) for (T, S), (S, S), (T, C)."""
    t, s = k_target_support.shape
    if t < s:
        raise ValueError(f"Label Solve needs at least as many target points as support points, got {t} < {s}")
    if k_support_support.shape != (s, s) or target_labels.shape[0] != t:
        raise ValueError(
            f"shapes do not chain: K_ts {(t, s)}, K_ss {tuple(k_support_support.shape)}, "
            f"targets {tuple(target_labels.shape)}; need (T, S), (S, S), (T, C)"
        )
    least_squares = torch.linalg.lstsq(k_target_support, target_labels, driver="gelsd").solution  # (S, C)
    return regularised(k_support_support, reg) @ least_squares


@torch.no_grad()
def accuracy(
    support_images: Tensor,
    support_targets: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    name: str = "ntk",
    depth: int = 1,
    reg: float = 1e-6,
    chunk: int = 2000,
) -> float:
    """Test accuracy of KRR with kernel `name` trained on the support set: the class of the largest
    predicted target. The support is solved once; the test set goes through in chunks of `chunk`
    images, so memory stays at (chunk, S) kernel entries however large the test set is."""
    if chunk <= 0:
        raise ValueError(f"chunk must be a positive number of images, got {chunk!r}")
    weights = torch.linalg.solve(
        regularised(kernel(name, support_images, support_images, depth), reg), support_targets.double()
    )  # (S, C)
    correct = 0
    for x, y in zip(test_images.split(chunk), test_labels.split(chunk)):
        predicted = kernel(name, x, support_images, depth) @ weights  # (chunk, C)
        correct += (predicted.argmax(1) == y.to(predicted.device)).sum().item()
    return correct / len(test_labels)


def _check(x: Tensor, y: Tensor, depth: int, weight_var: float, bias_var: float) -> None:
    if x.dim() < 2 or y.dim() < 2 or x[0].numel() != y[0].numel():
        raise ValueError(f"need two batches of equally sized inputs, got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive number of hidden layers, got {depth!r}")
    if not weight_var > 0 or not bias_var >= 0:
        raise ValueError(f"need weight_var > 0 and bias_var >= 0, got {weight_var!r} and {bias_var!r}")
