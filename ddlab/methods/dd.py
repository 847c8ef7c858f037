"""Dataset Distillation — Wang, Zhu, Torralba & Efros, 2018 (arXiv:1811.10959).

Learn synthetic images x~ (one batch per training step) and step sizes eta~ such that a network
trained on them for a few steps of gradient descent does well on real data:

    theta_0                ~ p(theta_0)                          (fixed, or a fresh draw)
    theta_{i+1}            = theta_i - eta~_i grad_theta l(x~_i, theta_i)     i = 0 .. steps*epochs-1
    x~*, eta~*             = argmin  E_{theta_0} [ l(x_real, theta_final) ]

The outer loss is differentiated through the whole unroll (`ddlab.functional.unroll`), so the
gradient with respect to x~_i carries the Hessian-vector products of every later step: the images
learn what the *next* steps need, not only what helps at theta_i.

Init settings (paper, Section 3.2 and 4.1-4.2):
  "fixed"             — one known initialisation, used both while distilling and at test time; the
                        images can exploit it (MNIST, 10 images: 93.8% in the paper).
  "random"            — a fresh batch of `n_nets` initialisations from the distribution every
                        iteration; the images must work for any network from it (MNIST, 100 images:
                        79.5 +- 8.1%).
  "fixed_pretrained"  — one network pretrained on a source task (other digits, `ddlab.pretrained`):
                        the fixed init after pretraining; the images adapt *that* network to MNIST.
  "random_pretrained" — a pool of networks pretrained on the source task, split in two: `n_nets` of
                        the first `pool_train` are drawn every iteration while distilling, and only
                        the others — networks the distillation never saw — are used for testing.

Poisoning (Section 4.3, "malicious data"): with ``attack=(source, target)`` the outer loss keeps
the real images but counts every real `source` image as `target` (`relabel`), so the images learn
to make the networks, after their few GD steps, call `source` `target` and keep every other class.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.func import vmap
from torch.nn import functional as F

from ..data import Dataset
from ..functional import loss, unroll
from ..nets import ARCHITECTURES, INIT_SCHEMES, Params, init_params, make_net, sample_inits
from ..pretrained import Pool, pretrained_pool
from ..source_digits import SOURCES
from ..synthetic import SyntheticSet
from . import Method, register

INIT_SETTINGS = ("fixed", "random", "fixed_pretrained", "random_pretrained")
SINGLE_INIT_SETTINGS = ("fixed", "fixed_pretrained")      # one network, the same at distill and test time
PRETRAINED_SETTINGS = ("fixed_pretrained", "random_pretrained")
# What initialisations are drawn for: distilling (or any other training), or evaluation. Only
# random_pretrained tells them apart, by drawing from disjoint parts of its pool.
USES = ("distill", "test")


@dataclass(frozen=True)
class DD:
    """Wang et al. 2018's defaults (their code's MNIST / LeNet settings)."""
    ipc: int = 1                         # synthetic images per class per step
    steps: int = 10                      # distinct synthetic batches = GD steps per epoch
    epochs: int = 3                      # passes over the steps: steps * epochs GD steps in all
    init: str = "random"                 # fixed, random, fixed_pretrained or random_pretrained (see above)
    init_scheme: str = "xavier"          # distribution of initial weights: xavier, kaiming, default
    init_seed: int = 0                   # which init is "the" fixed one
    n_nets: int = 4                      # random settings: initialisations averaged per iteration
    pool_size: int = 30                  # pretrained settings: networks pretrained on the source digits
    pool_train: int = 10                 # the first pool_train of them serve distilling; the rest only testing
    pretrain_source: str = "auto"        # source digits: usps, digits (UCI, in scikit-learn) or auto
    arch: str = "lenet"                  # network to distil for
    distill_lr: float = 0.02             # initial value of every learned step size
    lr: float = 0.01                     # Adam's step size for images and step sizes
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas
    real_batch: int = 1024               # real images per outer iteration
    iterations: int = 5000               # outer iterations
    lr_decay_every: int = 1000           # outer iterations between learning-rate decays
    lr_decay: float = 0.5                # factor applied at each decay
    attack: tuple[int, ...] = ()         # (source, target): poison, outer loss calls real `source` images `target`

    def __post_init__(self):
        for name in ("ipc", "steps", "epochs", "n_nets", "pool_size", "pool_train", "real_batch", "iterations",
                     "lr_decay_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"DD.{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("distill_lr", "lr", "lr_decay"):
            if not getattr(self, name) > 0:
                raise ValueError(f"DD.{name} must be positive, got {getattr(self, name)!r}")
        _check_choice("init", self.init, INIT_SETTINGS)
        _check_choice("init_scheme", self.init_scheme, INIT_SCHEMES)
        _check_choice("arch", self.arch, tuple(ARCHITECTURES))
        _check_choice("pretrain_source", self.pretrain_source, SOURCES)
        if self.pool_train >= self.pool_size:
            raise ValueError(f"DD.pool_train={self.pool_train} leaves no unseen network for testing; "
                             f"it must be smaller than DD.pool_size={self.pool_size}")
        if self.attack and (len(self.attack) != 2 or self.attack[0] == self.attack[1]
                            or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in self.attack)):
            raise ValueError(f"DD.attack={self.attack!r} is not allowed; use () for no attack or (source, target), "
                             "two different class indices")
        if self.init == "random_pretrained" and self.n_nets > self.pool_train:
            raise ValueError(f"DD.n_nets={self.n_nets} is more than the DD.pool_train={self.pool_train} "
                             "pretrained networks distilling may use")


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"DD.{name}={value!r} is not allowed; use one of: {', '.join(allowed)}")


def network(config: DD, data: Dataset) -> nn.Module:
    """The template network for `config` on `data` (weights live in separate params dicts)."""
    channels, side, _ = data.image_shape
    return make_net(config.arch, channels, data.num_classes, side)


def draw_inits(config: DD, data: Dataset, setting: str, n: int, generator: torch.Generator, *,
               use: str = "distill") -> Params:
    """`n` initialisations for `setting`, stacked for vmap, for `use` "distill" or "test".
    Only evaluation asks for "test": the unseen networks are never reached by default.

    fixed              the one known init (drawn from `config.init_seed`), repeated; `generator` unused
    random             fresh draws from `config.init_scheme` with `generator`
    fixed_pretrained   the fixed init pretrained on the source digits (pool network 0), repeated
    random_pretrained  `n` different networks drawn with `generator` from the pool's part for `use`
                       (`pool_part`): distilling never sees a network that testing uses
    """
    if setting not in INIT_SETTINGS:
        raise ValueError(f"unknown init setting {setting!r}; use one of: {', '.join(INIT_SETTINGS)}")
    _check_use(use)
    if n <= 0:
        raise ValueError(f"number of initialisations must be positive, got {n}")
    net = network(config, data)
    if setting == "fixed":
        fixed = init_params(net, config.init_scheme, torch.Generator().manual_seed(config.init_seed))
        return {k: v.to(data.device).expand(n, *v.shape) for k, v in fixed.items()}
    if setting == "random":
        return sample_inits(net, n, config.init_scheme, generator, data.device)
    if setting == "fixed_pretrained":
        return {k: v[0].expand(n, *v.shape[1:]) for k, v in pool(config, data).params.items()}
    part = pool_part(config, data, use)
    available = next(iter(part.values())).shape[0]
    if n > available:
        raise ValueError(f"random_pretrained has {available} networks for {use!r} (DD.pool_size={config.pool_size}, "
                         f"DD.pool_train={config.pool_train}); cannot draw {n}")
    pick = torch.randperm(available, generator=generator)[:n].to(data.device)
    return {k: v[pick] for k, v in part.items()}


def pool(config: DD, data: Dataset) -> Pool:
    """The pretrained pool of `config` (built on first use, then cached on disk): `pool_size`
    networks of `config.arch`, network i pretrained from the i-th init of seed `init_seed`."""
    if data.image_shape != (1, 28, 28) or data.num_classes != 10:
        raise ValueError(f"pretrained init settings need 1x28x28 images in 10 classes (the source task is "
                         f"digits); {data.name} has {data.image_shape} in {data.num_classes}")
    return pretrained_pool(config.arch, config.init_scheme, config.pool_size, config.init_seed,
                           config.pretrain_source, device=data.device)


def pool_part(config: DD, data: Dataset, use: str) -> Params:
    """The networks of the pool that `use` may draw from: the first `pool_train` for "distill",
    the remaining (unseen) ones for "test". Slices of one ordering, so the parts never overlap."""
    _check_use(use)
    part = slice(0, config.pool_train) if use == "distill" else slice(config.pool_train, config.pool_size)
    return {k: v[part] for k, v in pool(config, data).params.items()}


def _check_use(use: str) -> None:
    if use not in USES:
        raise ValueError(f"unknown use {use!r} of initialisations; use one of: {', '.join(USES)}")


def check_attack(attack: tuple[int, ...], data: Dataset) -> None:
    """A one-line error if `attack` names a class `data` does not have (the config checks the rest)."""
    if any(c >= data.num_classes for c in attack):
        raise ValueError(f"DD.attack={tuple(attack)!r} names a class {data.name} does not have; "
                         f"use classes 0..{data.num_classes - 1}")


def relabel(y: Tensor, attack: tuple[int, ...]) -> Tensor:
    """The labels the outer loss aims for: `y`, with class `source` called `target` under
    ``attack=(source, target)`` (no attack: `y` itself). Wang et al.'s code does the same."""
    if not attack:
        return y
    source, target = attack
    return torch.where(y == source, target, y)


def _inverse_softplus(y: Tensor) -> Tensor:
    """x with softplus(x) = y, for step sizes y > 0 (in the stable form y + log(1 - e^-y))."""
    return y + torch.log(-torch.expm1(-y))


@register("dd", DD)
class DatasetDistillation(Method):
    def __init__(self, config: DD, data: Dataset, generator: torch.Generator):
        super().__init__(config, data, generator)
        if config.ipc > min(len(data.per_class(c)) for c in range(data.num_classes)):
            raise ValueError(f"DD.ipc={config.ipc} is more images than the smallest class has")
        check_attack(config.attack, data)
        self.net = network(config, data)
        per_step = data.num_classes * config.ipc
        # Labels are fixed, class-major within each step: [0]*ipc + [1]*ipc + ... for every step.
        self.labels = torch.arange(data.num_classes).repeat_interleave(config.ipc).repeat(config.steps)
        self.labels = self.labels.to(data.device)                                # (steps * per_step,)
        # Images start as Gaussian noise in normalised space, as in the paper's code.
        noise = torch.randn((config.steps * per_step, *data.image_shape), generator=generator)
        self.images = noise.to(data.device).requires_grad_()                     # (N, C, H, W)
        # Step sizes are learned through a softplus, which keeps them positive.
        raw = _inverse_softplus(torch.full((config.steps * config.epochs,), config.distill_lr, dtype=torch.float64)).float()
        self.raw_lrs = raw.to(data.device).requires_grad_()                      # (steps * epochs,)
        single = config.init in SINGLE_INIT_SETTINGS
        self.fixed_init = draw_inits(config, data, config.init, 1, generator, use="distill") if single else None
        self.config_dict = self.describe_config()
        if config.init in PRETRAINED_SETTINGS:
            # "auto" resolved: a saved set names the source digits its networks were pretrained on
            self.config_dict["pretrain_source"] = pool(config, data).key["source"]

    def parameters(self) -> list[Tensor]:
        return [self.images, self.raw_lrs]

    def _current(self) -> SyntheticSet:
        return SyntheticSet(self.images, self.labels, F.softplus(self.raw_lrs), self.config_dict)

    def outer_labels(self, y: Tensor) -> Tensor:
        return relabel(y, self.config.attack)

    def start_from(self, start: SyntheticSet) -> None:
        """The images and the learned step sizes of `start` (one per step x epoch, as this config)."""
        super().start_from(start)
        if start.lrs is None or start.lrs.shape != self.raw_lrs.shape:
            got = None if start.lrs is None else tuple(start.lrs.shape)
            raise ValueError(f"cannot continue from a set with step sizes {got}; this config learns "
                             f"{tuple(self.raw_lrs.shape)} (steps x epochs must match)")
        with torch.no_grad():
            self.raw_lrs.copy_(_inverse_softplus(start.lrs.to(self.raw_lrs.device)))

    def outer_loss(self) -> Tensor:
        x_real, y_real = self.data.sample(self.config.real_batch, self.generator)  # (B, C, H, W), (B,)
        y_real = self.outer_labels(y_real)
        batches, lrs = self._current().schedule()

        def real_loss_after_training(theta0: Params) -> Tensor:
            return loss(self.net, unroll(self.net, theta0, batches, lrs), x_real, y_real)

        if self.fixed_init is not None:
            return real_loss_after_training({k: v[0] for k, v in self.fixed_init.items()})
        inits = draw_inits(self.config, self.data, self.config.init, self.config.n_nets, self.generator, use="distill")
        return vmap(real_loss_after_training)(inits).mean()

    def snapshot(self) -> SyntheticSet:
        current = self._current()
        return SyntheticSet(current.images.detach().clone(), self.labels.clone(),
                            current.lrs.detach().clone(), current.config)
