"""Dataset Distillation — Wang, Zhu, Torralba & Efros, 2018 (arXiv:1811.10959).

Learn synthetic images x~ (one batch per training step) and step sizes eta~ such that a network
trained on them for a few steps of gradient descent does well on real data:

    theta_0                ~ p(theta_0)                          (fixed, or a fresh draw)
    theta_{i+1}            = theta_i - eta~_i grad_theta l(x~_i, theta_i)     i = 0 .. steps*epochs-1
    x~*, eta~*             = argmin  E_{theta_0} [ l(x_real, theta_final) ]

The outer loss is differentiated through the whole unroll (`ddlab.functional.unroll`), so the
gradient with respect to x~_i carries the Hessian-vector products of every later step: the images
learn what the *next* steps need, not only what helps at theta_i.

Init settings (paper, Section 3.2 and 4.1):
  "fixed"  — one known initialisation, used both while distilling and at test time; the images
             can exploit it (MNIST, 10 images: 93.8% in the paper).
  "random" — a fresh batch of `n_nets` initialisations from the distribution every iteration; the
             images must work for any network from it (MNIST, 100 images: 79.5 +- 8.1%).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.func import vmap
from torch.nn import functional as F

from ..data import Dataset
from ..functional import loss, unroll
from ..nets import ARCHITECTURES, INIT_SCHEMES, Params, init_params, make_net, sample_inits
from ..synthetic import SyntheticSet
from . import Method, register

INIT_SETTINGS = ("fixed", "random")


@dataclass(frozen=True)
class DD:
    """Wang et al. 2018's defaults (their code's MNIST / LeNet settings)."""
    ipc: int = 1                         # synthetic images per class per step
    steps: int = 10                      # distinct synthetic batches = GD steps per epoch
    epochs: int = 3                      # passes over the steps: steps * epochs GD steps in all
    init: str = "random"                 # "fixed" (one known init) or "random" (fresh draws)
    init_scheme: str = "xavier"          # distribution of initial weights: xavier, kaiming, default
    init_seed: int = 0                   # which init is "the" fixed one
    n_nets: int = 4                      # random init: initialisations averaged per iteration
    arch: str = "lenet"                  # network to distil for
    distill_lr: float = 0.02             # initial value of every learned step size
    lr: float = 0.01                     # Adam's step size for images and step sizes
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas
    real_batch: int = 1024               # real images per outer iteration
    iterations: int = 5000               # outer iterations
    lr_decay_every: int = 1000           # outer iterations between learning-rate decays
    lr_decay: float = 0.5                # factor applied at each decay

    def __post_init__(self):
        for name in ("ipc", "steps", "epochs", "n_nets", "real_batch", "iterations", "lr_decay_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"DD.{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("distill_lr", "lr", "lr_decay"):
            if not getattr(self, name) > 0:
                raise ValueError(f"DD.{name} must be positive, got {getattr(self, name)!r}")
        _check_choice("init", self.init, INIT_SETTINGS)
        _check_choice("init_scheme", self.init_scheme, INIT_SCHEMES)
        _check_choice("arch", self.arch, tuple(ARCHITECTURES))


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"DD.{name}={value!r} is not allowed; use one of: {', '.join(allowed)}")


def network(config: DD, data: Dataset) -> nn.Module:
    """The template network for `config` on `data` (weights live in separate params dicts)."""
    channels, side, _ = data.image_shape
    return make_net(config.arch, channels, data.num_classes, side)


def draw_inits(config: DD, data: Dataset, setting: str, n: int, generator: torch.Generator) -> Params:
    """`n` initialisations for `setting`, stacked for vmap. "fixed" repeats the one known init
    (drawn from `config.init_seed`, whatever `generator` says); "random" draws from `generator`."""
    _check_choice("init", setting, INIT_SETTINGS)
    net = network(config, data)
    if setting == "fixed":
        fixed = init_params(net, config.init_scheme, torch.Generator().manual_seed(config.init_seed))
        return {k: v.to(data.device).expand(n, *v.shape) for k, v in fixed.items()}
    return sample_inits(net, n, config.init_scheme, generator, data.device)


def _inverse_softplus(y: float) -> float:
    return y + math.log(-math.expm1(-y))


@register("dd", DD)
class DatasetDistillation(Method):
    def __init__(self, config: DD, data: Dataset, generator: torch.Generator):
        super().__init__(config, data, generator)
        if config.ipc > min(len(data.per_class(c)) for c in range(data.num_classes)):
            raise ValueError(f"DD.ipc={config.ipc} is more images than the smallest class has")
        self.net = network(config, data)
        per_step = data.num_classes * config.ipc
        # Labels are fixed, class-major within each step: [0]*ipc + [1]*ipc + ... for every step.
        self.labels = torch.arange(data.num_classes).repeat_interleave(config.ipc).repeat(config.steps)
        self.labels = self.labels.to(data.device)                                # (steps * per_step,)
        # Images start as Gaussian noise in normalised space, as in the paper's code.
        noise = torch.randn((config.steps * per_step, *data.image_shape), generator=generator)
        self.images = noise.to(data.device).requires_grad_()                     # (N, C, H, W)
        # Step sizes are learned through a softplus, which keeps them positive.
        raw = torch.full((config.steps * config.epochs,), _inverse_softplus(config.distill_lr))
        self.raw_lrs = raw.to(data.device).requires_grad_()                      # (steps * epochs,)
        self.fixed_init = draw_inits(config, data, "fixed", 1, generator) if config.init == "fixed" else None
        self.config_dict = self.describe_config()

    def parameters(self) -> list[Tensor]:
        return [self.images, self.raw_lrs]

    def _current(self) -> SyntheticSet:
        return SyntheticSet(self.images, self.labels, F.softplus(self.raw_lrs), self.config_dict)

    def outer_loss(self) -> Tensor:
        x_real, y_real = self.data.sample(self.config.real_batch, self.generator)  # (B, C, H, W), (B,)
        batches, lrs = self._current().schedule()

        def real_loss_after_training(theta0: Params) -> Tensor:
            return loss(self.net, unroll(self.net, theta0, batches, lrs), x_real, y_real)

        if self.fixed_init is not None:
            return real_loss_after_training({k: v[0] for k, v in self.fixed_init.items()})
        inits = draw_inits(self.config, self.data, "random", self.config.n_nets, self.generator)
        return vmap(real_loss_after_training)(inits).mean()

    def snapshot(self) -> SyntheticSet:
        current = self._current()
        return SyntheticSet(current.images.detach().clone(), self.labels.clone(),
                            current.lrs.detach().clone(), current.config)
