"""Kernel Inducing Points (KIP) — Nguyen, Chen & Lee, "Dataset Meta-Learning from Kernel
Ridge-Regression", ICLR 2021 (arXiv:2011.00050).

Learn a support set (X_s, y_s) such that kernel ridge regression on it predicts real data well:

    L(X_s, y_s) = 1/2 mean (y_t - K_ts (K_ss + lambda I)^{-1} y_s)^2,    lambda = reg * tr(K_ss) / |S|
    X_s <- Adam(X_s, grad_{X_s} L)        (and y_s too, with learn_labels)

(X_t, y_t) is a fresh class-balanced batch of real training images with centred one-hot labels, and
K the kernel of an infinitely wide fully connected ReLU network (its NTK or NNGP, `ddlab.kernels`).
The settings follow the authors' KIP colab (google-research/kip/KIP.ipynb): Adam at 0.04, a target
batch of 5,000, ridge 1e-6 times the mean diagonal, labels one-hot minus 1/classes, the FC1 NTK.

Why this is the cheapest bilevel method: DD unrolls the inner training and MTT imitates it, but for
an infinitely wide network trained on the squared loss the inner problem has a closed form — the
trained network *is* the KRR predictor K_ts (K_ss + lambda I)^{-1} y_s. The meta-gradient is then
exact (no truncated unroll, no random network draws), and one iteration costs two kernel matrices
and one |S| x |S| solve. The price: the set is optimal for the kernel, and only transfers to finite
networks (such as the course's ConvNet) as far as they behave like it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .. import kernels
from ..data import Dataset, class_major_labels
from ..synthetic import SyntheticSet
from .base import Method, register
from .image_set import INITS, initial_images


@dataclass(frozen=True)
class KIP:
    """Nguyen, Chen & Lee 2021's settings (their colab's) for fully connected kernels."""

    ipc: int = 1  # synthetic images per class
    init: str = "real"  # initial images: "real" (random real ones) or "noise" (Gaussian)
    learn_labels: bool = False  # also learn the support labels y_s (the paper's label learning)
    kernel: str = "ntk"  # "ntk" (the trained infinite network) or "nngp" (its Bayesian posterior)
    depth: int = 1  # hidden ReLU layers of the infinite network (the paper's FC1, FC2, FC3)
    reg: float = 1e-6  # ridge, relative to the mean diagonal of K_ss
    real_batch: int = 5000  # real images (the target batch X_t) per iteration, the same number per class
    lr: float = 0.04  # Adam step size on pixels (and labels); the colab's 0.04, not 0.01
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's moment decays (PyTorch's defaults)
    iterations: int = 1000  # Adam steps (the colab: about 1,000 for convergence)
    lr_decay_every: int = 1000  # iterations between decays of lr (the paper keeps it constant)
    lr_decay: float = 1.0  # factor applied at each decay (1: none)

    def __post_init__(self):
        for name in ("ipc", "depth", "real_batch", "iterations", "lr_decay_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"KIP.{name} must be a positive integer, got {value!r}")
        for name in ("lr", "lr_decay"):
            if not getattr(self, name) > 0:
                raise ValueError(f"KIP.{name} must be positive, got {getattr(self, name)!r}")
        for name, allowed in (("init", INITS), ("kernel", kernels.KERNELS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"KIP.{name}={getattr(self, name)!r} is not allowed; use one of: {', '.join(allowed)}")
        if not isinstance(self.learn_labels, bool):
            raise ValueError(f"KIP.learn_labels must be True or False, got {self.learn_labels!r}")
        if not self.reg >= 0:
            raise ValueError(f"KIP.reg must be >= 0, got {self.reg!r}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"KIP.betas must be two numbers in [0, 1), got {self.betas!r}")


def centred_one_hot(labels: Tensor, classes: int) -> Tensor:
    """KIP's regression targets: one-hot minus 1/classes, so every target vector sums to zero and
    the kernel need not fit a constant offset (the official KIP code centres its labels so)."""
    return F.one_hot(labels, classes).double() - 1 / classes  # (N, classes)


@register("kip", KIP)
class KernelInducingPoints(Method):
    """KIP: the support set that kernel ridge regression with an infinite ReLU network learns best from."""

    def __init__(self, config: KIP, data: Dataset, generator: torch.Generator):
        super().__init__(config, data, generator)
        smallest = data.smallest_class
        self.real_per_class, remainder = divmod(config.real_batch, data.num_classes)
        if remainder or max(config.ipc, self.real_per_class) > smallest:
            raise ValueError(
                f"KIP.ipc={config.ipc} and real_batch={config.real_batch} do not fit {data.name}: the real "
                f"batch must split evenly over its {data.num_classes} classes, and neither ipc nor "
                f"real_batch / {data.num_classes} may exceed its smallest class ({smallest} images)"
            )
        self.labels = class_major_labels(data.num_classes, config.ipc, data.device)  # (N,)
        self.images = initial_images(data, config.ipc, config.init, generator).requires_grad_()  # (N, C, H, W)
        self.targets = centred_one_hot(self.labels, data.num_classes).requires_grad_(
            config.learn_labels
        )  # (N, classes)
        self.config_dict = self.describe_config()

    def parameters(self) -> list[Tensor]:
        return [self.images, self.targets] if self.config.learn_labels else [self.images]

    def outer_loss(self) -> Tensor:
        config = self.config
        classes = self.data.num_classes
        x_real = torch.cat(
            [self.data.sample_per_class(c, self.real_per_class, self.generator) for c in range(classes)]
        )  # (B, C, H, W), class-major
        y_real = class_major_labels(classes, self.real_per_class, x_real.device)  # (B,)
        k_ss = kernels.kernel(config.kernel, self.images, self.images, config.depth)  # (N, N)
        k_ts = kernels.kernel(config.kernel, x_real, self.images, config.depth)  # (B, N)
        predicted = kernels.krr_predict(k_ts, k_ss, self.targets, config.reg)  # (B, classes)
        residual = predicted - centred_one_hot(y_real, classes)  # (B, classes)
        return 0.5 * (residual**2).mean()  # half the mean over all B x classes entries, as the colab

    def snapshot(self) -> SyntheticSet:
        soft_labels = self.targets.detach().clone() if self.config.learn_labels else None
        return SyntheticSet(
            self.images.detach().clone(), self.labels.clone(), None, self.config_dict, soft_labels=soft_labels
        )

    def start_from(self, start: SyntheticSet) -> None:
        """Continue from `start`'s images and, when labels are learned, from its learned labels."""
        super().start_from(start)
        if self.config.learn_labels and start.soft_labels is not None:
            with torch.no_grad():
                self.targets.copy_(start.soft_labels.to(self.targets))
