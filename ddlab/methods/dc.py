"""Dataset Condensation with Gradient Matching (DC) — Zhao, Mopuri & Bilen, ICLR 2021
(arXiv:2006.05929); with differentiable siamese augmentation (DSA) — Zhao & Bilen, ICML 2021
(arXiv:2102.08259).

Learn synthetic images S whose training gradients match those of real data, class by class, all
along the path of a network that is itself being trained on S:

    for each fresh network theta_0 ~ P_theta                       (the paper: 1000 networks)
        for t = 0 .. outer_loop - 1
            S <- S - lr * grad_S  sum_c D( grad_theta l(A_w(S_c); theta_t), grad_theta l(A_w(T_c); theta_t) )
            theta_{t+1} <- theta_t after inner_loop epochs of SGD on S     (not after the last t)

    D(G, G') = sum over layers, sum over output channels i of  1 - cos(G[i], G'[i])

T_c is a fresh batch of real images of class c; A_w is the identity (DC) or one DSA transform with
parameters w drawn per class and applied to both batches (DSA, `ddlab.augment.siamese`). D compares
each output channel's incoming weights' gradient by direction only; biases and normalisation
parameters are left out, as in the paper's code (their gradient is one number per channel: no
direction to compare).

One driver iteration is one image update (one "S <- ..." line). The method keeps the current
network and counts the updates made on it; at the start of `outer_loss` it either draws a fresh
network (every `outer_loop` updates) or first trains the current one on the just-updated images
for `inner_loop` epochs — the paper's order, without a hook in the driver. So the paper's 1000
networks are ``iterations = 1000 * outer_loop`` image updates here (ipc 10: 10,000).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor, nn
from torch.func import grad

from .. import augment
from ..data import Dataset
from ..functional import Schedule, loss, train_many
from ..nets import Params
from .base import register
from .image_set import INITS, FollowsNetwork, check_config

# (outer_loop, inner_loop) by ipc, from the paper's code (`get_loops`): "empirically good".
PAPER_LOOPS = {1: (1, 1), 10: (10, 50), 20: (20, 25), 30: (30, 20), 40: (40, 15), 50: (50, 10)}
NET_BATCH = 256  # minibatch of the inner-loop training on S (the code's batch_train)


@dataclass(frozen=True)
class DC:
    """Zhao et al. 2021's defaults (their code's ConvNet settings)."""

    ipc: int = 1  # synthetic images per class
    init: str = "noise"  # initial images: "noise" (the DC paper) or "real" (random real images)
    dsa: bool = False  # differentiable siamese augmentation of both batches (= the DSA method)
    outer_loop: int = 0  # image updates per fresh network; 0 = the paper's for this ipc (1: 1, 10: 10)
    inner_loop: int = 0  # network epochs on S between updates; 0 = the paper's (ipc 1: 1, 10: 50)
    inner_lr: float = 0.01  # SGD step size of those epochs (no momentum)
    real_batch: int = 256  # real images per class per update
    width: int = 128  # ConvNet channels (the paper's 128; smaller only for quick tests)
    lr: float = 0.1  # SGD step size on the pixels
    momentum: float = 0.5  # SGD momentum on the pixels
    iterations: int = 1000  # image updates: 1000 networks x outer_loop in the paper (ipc 10: 10000)
    lr_decay_every: int = 1000  # image updates between decays of lr (the paper keeps it constant)
    lr_decay: float = 1.0  # factor applied at each decay (1: none)
    validation_epochs: int = 50  # epochs per network in the driver's validation check (it only ranks sets)

    def __post_init__(self):
        check_config(
            self,
            (
                "ipc",
                "inner_lr",
                "real_batch",
                "width",
                "lr",
                "iterations",
                "lr_decay_every",
                "lr_decay",
                "validation_epochs",
            ),
            {"init": INITS},
        )
        name = type(self).__name__
        for field in ("outer_loop", "inner_loop", "momentum"):
            if getattr(self, field) < 0:
                raise ValueError(f"{name}.{field} must be >= 0, got {getattr(self, field)!r}")
        if 0 in (self.outer_loop, self.inner_loop) and self.ipc not in PAPER_LOOPS:
            raise ValueError(
                f"{name}.ipc={self.ipc} has no loop counts in the paper (it gives them for ipc "
                f"{', '.join(map(str, PAPER_LOOPS))}); set outer_loop and inner_loop"
            )

    def loops(self) -> tuple[int, int]:
        """(outer_loop, inner_loop) with 0 replaced by the paper's value for this ipc."""
        paper = PAPER_LOOPS.get(self.ipc, (0, 0))
        return self.outer_loop or paper[0], self.inner_loop or paper[1]


@dataclass(frozen=True)
class DSA(DC):
    """Zhao & Bilen 2021's DSA: the DC algorithm under siamese augmentation, from real images."""

    init: str = "real"  # initial images: random real ones (the DSA paper's runs)
    dsa: bool = True  # siamese augmentation on: what makes it DSA


def layer_distance(g_syn: Tensor, g_real: Tensor) -> Tensor:
    """sum_i (1 - cos) between the gradients' rows, one row per output channel / unit:
    a conv weight (out, in, k, k) gives `out` rows of in*k*k numbers, a linear one (out, in)."""
    a, b = g_syn.flatten(1), g_real.flatten(1)  # (out, fan_in)
    cosine = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-6)  # (out,) eps as the code
    return (1 - cosine).sum()


def gradient_distance(g_syn: Params, g_real: Params) -> Tensor:
    """The DC matching distance D: `layer_distance` summed over the layers of `g_real`."""
    return sum(layer_distance(g_syn[name], g) for name, g in g_real.items())


def weight_gradients(net: nn.Module, theta: Params, x: Tensor, c: int) -> Params:
    """grad of the loss of `net` (weights `theta`) on images `x`, all of class c, w.r.t. the conv and
    linear weights only (what D compares), differentiable w.r.t. `x`."""
    weights = {k: v for k, v in theta.items() if v.dim() > 1}
    y = torch.full((x.shape[0],), c, device=x.device)
    return grad(lambda w: loss(net, {**theta, **w}, x, y))(weights)


@register("dc", DC)
class GradientMatching(FollowsNetwork):
    """Dataset Condensation: match per-class training gradients of real and synthetic images."""

    def __init__(self, config: DC, data: Dataset, generator: torch.Generator):
        super().__init__(config, data, generator)
        self.outer_loop, self.inner_loop = config.loops()
        self.theta: Params | None = None  # the current network's weights
        self.updates = 0  # image updates made on it so far

    def outer_loss(self) -> Tensor:
        if self.theta is None or self.updates == self.outer_loop:
            self.theta, self.updates = self.fresh_network(), 0
        else:  # S changed since the last update: follow it with the network first
            self.theta = self._train_network()
        self.updates += 1
        return sum(self._class_distance(c) for c in range(self.data.num_classes))

    def _class_distance(self, c: int) -> Tensor:
        x_real, x_syn = self.real_images(c), self.class_images(c)  # (B, C, H, W), (ipc, C, H, W)
        if self.config.dsa:
            x_real, x_syn = augment.siamese(x_real, x_syn, self.generator)
        g_real = {k: g.detach() for k, g in self._weight_gradients(x_real, c).items()}
        return gradient_distance(self._weight_gradients(x_syn, c), g_real)

    def _weight_gradients(self, x: Tensor, c: int) -> Params:
        return weight_gradients(self.net, self.theta, x, c)

    def _train_network(self) -> Params:
        """`inner_loop` epochs of plain SGD on the current S (with DSA: augmented per image)."""
        schedule = Schedule(epochs=self.inner_loop, batch_size=NET_BATCH, lr=self.config.inner_lr)
        transform = partial(augment.augment, strength=augment.DSA) if self.config.dsa else None
        one = {k: v.unsqueeze(0) for k, v in self.theta.items()}  # a stack of 1 network
        trained = train_many(
            self.net,
            one,
            self.images.detach(),
            self.labels,
            schedule,
            self.generator,
            vectorize=False,
            augment=transform,
        )  # one network: vmap buys nothing
        return {k: v[0] for k, v in trained.items()}


@register("dsa", DSA)
class DifferentiableSiameseAugmentation(GradientMatching):
    """DSA: gradient matching under differentiable siamese augmentation (the config switches it on)."""
