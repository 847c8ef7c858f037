"""Dataset Condensation with Distribution Matching (DM) — Zhao & Bilen, WACV 2023 (arXiv:2110.04181).

Make the synthetic images of each class have the same mean embedding as the real ones, in the
feature space of randomly initialised networks — a new network every iteration, never trained:

    theta ~ P_theta                       (a fresh ConvNet, PyTorch's default init)
    loss  = sum_c || mean_{x in T_c} psi_theta(A_w(x)) - mean_{s in S_c} psi_theta(A_w(s)) ||^2
    S    <- S - lr * grad_S loss

psi_theta is the ConvNet without its classifier (the flattened features: 2048 numbers for MNIST at
width 128), T_c a batch of real images of class c, and A_w one DSA transform drawn per class and
applied to both sides (`ddlab.augment.siamese`). Matching means of random features is a cheap
stand-in for matching the distributions (an MMD with the linear kernel of the embedding); since
there is no inner training and no second-order gradient, an iteration costs one forward pass of the
real batches and a forward-backward pass of the small synthetic ones, which is why DM scales where
gradient and trajectory matching do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.func import functional_call

from .. import augment
from ..functional import over_chunks
from ..nets import Params
from .base import register
from .image_set import INITS, ImageSetMethod, check_config

# Bytes of one conv block's activations per pass of the real images: about twice a core's L2 cache
# (`benchmarks/hot_loop_speedups.py dm-chunk` times other sizes against it).
CHUNK_BYTES = 4 << 20


@dataclass(frozen=True)
class DM:
    """Zhao & Bilen 2023's defaults (their code's ConvNet settings)."""

    ipc: int = 1  # synthetic images per class
    init: str = "real"  # initial images: "real" (random real ones, the paper) or "noise"
    dsa: bool = True  # siamese augmentation per class (the paper always uses it)
    real_batch: int = 256  # real images per class per iteration
    width: int = 128  # ConvNet channels (the paper's 128; smaller only for quick tests)
    lr: float = 1.0  # SGD step size on the pixels
    momentum: float = 0.5  # SGD momentum on the pixels
    iterations: int = 20000  # image updates, each against a fresh network
    lr_decay_every: int = 20000  # iterations between decays of lr (the paper keeps it constant)
    lr_decay: float = 1.0  # factor applied at each decay (1: none)
    validation_epochs: int = 50  # epochs per network in the driver's validation check (it only ranks sets)

    def __post_init__(self):
        check_config(
            self,
            ("ipc", "real_batch", "width", "lr", "iterations", "lr_decay_every", "lr_decay", "validation_epochs"),
            {"init": INITS},
        )
        if self.momentum < 0:
            raise ValueError(f"DM.momentum must be >= 0, got {self.momentum!r}")


@register("dm", DM)
class DistributionMatching(ImageSetMethod):
    """Distribution matching: per-class mean embeddings of random ConvNets."""

    def outer_loss(self) -> Tensor:
        theta = self.fresh_network()
        features = {k.removeprefix("features."): v for k, v in theta.items() if k.startswith("features.")}
        means_real, syn = [], []
        for c in range(self.data.num_classes):
            x_real, x_syn = self.real_images(c), self.class_images(c)  # (B, C, H, W), (ipc, C, H, W)
            if self.config.dsa:
                x_real, x_syn = augment.siamese(x_real, x_syn, self.generator)
            means_real.append(self._mean_embedding(features, x_real))  # (D,)
            syn.append(x_syn)
        mean_real = torch.stack(means_real)  # (classes, D)
        mean_syn = self._embed(features, torch.cat(syn)).view(len(syn), self.config.ipc, -1).mean(1)  # (classes, D)
        return ((mean_real - mean_syn) ** 2).sum()

    def _embed(self, features: Params, x: Tensor) -> Tensor:
        """psi_theta: the ConvNet's features, flattened: (N, D). Every class's synthetic images go
        through in one pass: instance norm is per image, so a batch of all classes embeds each
        image as its own class's batch would, in one call instead of ten."""
        return functional_call(self.net.features, features, (x,)).flatten(1)

    def _mean_embedding(self, features: Params, x: Tensor) -> Tensor:
        """The mean of psi_theta over the real batch `x`, without a gradient (the real side is a
        target): (D,). Embedded a few images at a time (`ddlab.functional.over_chunks`), so a block's
        activations stay in the CPU's caches between the conv, the norm, the ReLU and the pooling
        instead of making four trips to memory (a width-128 block's activations are about half a MB
        per image; a whole class's 256, a hundred MB). Per-image normalisation makes the chunks'
        rows exactly the whole batch's."""
        chunk = max(1, CHUNK_BYTES // (4 * self.config.width * x.shape[-1] ** 2))
        sums = over_chunks(self.net.features, features, x, chunk, reduce=lambda out: out.flatten(1).sum(0))
        return sum(sums) / x.shape[0]
