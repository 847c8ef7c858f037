"""Dataset Distillation — Wang, Zhu, Torralba & Efros, 2018 (arXiv:1811.10959).

Learn synthetic images x~ (one batch per training step) and step sizes eta~ such that a network
trained on them for a few steps of gradient descent does well on real data:

    theta_0                ~ p(theta_0)                          (fixed, or a fresh draw)
    theta_{i+1}            = theta_i - eta~_i grad_theta l(x~_i, theta_i)     i = 0 .. steps*epochs-1
    x~*, eta~*             = argmin  E_{theta_0} [ l(x_real, theta_final) ]

The outer loss is differentiated through the whole unroll (`ddlab.functional.unroll`), so the
gradient with respect to x~_i carries the Hessian-vector products of every later step: the images
learn what the *next* steps need, not only what helps at theta_i.

Init settings (paper, Section 3.2 and 4.1-4.2) are `ddlab.inits`: "fixed" and "fixed_pretrained"
unroll one known network; "random" and "random_pretrained" average the outer loss over `n_nets`
fresh draws per iteration, so the images must work for any network of the distribution.

Learned labels (Sucholutsky & Schonlau 2021; Bohdal et al. 2020): with ``learn_labels=True`` each
image also carries a label vector y_i, trained with the pixels by the same outer gradient. The
inner loss is the soft cross-entropy -sum_k y_ik log p_k(x_i): y_i starts one-hot (plain cross-
entropy) and is left free, not squashed into a distribution, so an entry above 1 makes an image
count more and one below 0 teaches "not this class". One image can teach several classes, so a set
may have fewer images than classes (``n_images``).

Poisoning (Section 4.3, "malicious data"): with ``attack=(source, target)`` the outer loss keeps
the real images but counts every real `source` image as `target` (`relabel`), so the images learn
to make the networks, after their few GD steps, call `source` `target` and keep every other class.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
from torch import Tensor
from torch.func import vmap
from torch.nn import functional as F

from ..data import Dataset, class_major_labels
from ..functional import loss, unroll
from ..inits import INIT_SETTINGS, PRETRAINED_SETTINGS, InitSpec, draw_inits, pool
from ..nets import ARCHITECTURES, INIT_SCHEMES, Params, make_net
from ..sources.other_digits import SOURCES
from ..synthetic import SyntheticSet
from .base import Method, register


@dataclass(frozen=True)
class DD:
    """Wang et al. 2018's defaults (their code's MNIST / LeNet settings)."""

    ipc: int = 10  # synthetic images per class, split evenly over the steps
    steps: int = 10  # distinct synthetic batches = GD steps per epoch
    epochs: int = 3  # passes over the steps: steps * epochs GD steps in all
    init: str = "random"  # fixed, random, fixed_pretrained or random_pretrained (see above)
    init_scheme: str = "xavier"  # distribution of initial weights: xavier, kaiming, default
    init_seed: int = 0  # which init is "the" fixed one
    n_nets: int = 4  # random settings: initialisations averaged per iteration
    pool_size: int = 30  # pretrained settings: networks pretrained on the source digits
    pool_train: int = 10  # the first pool_train of them serve distilling; the rest only testing
    pretrain_source: str = "auto"  # source digits: usps, digits (UCI, in scikit-learn) or auto
    arch: str = "lenet"  # network to distil for
    inner_lr: float = 0.02  # initial value of every learned step size of the unroll
    lr: float = 0.01  # Adam's step size for images and step sizes
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas
    real_batch: int = 1024  # real images per outer iteration
    iterations: int = 5000  # outer iterations
    lr_decay_every: int = 1000  # outer iterations between learning-rate decays
    lr_decay: float = 0.5  # factor applied at each decay
    attack: tuple[int, ...] = ()  # (source, target): poison, outer loss calls real `source` images `target`
    learn_labels: bool = False  # learn a label vector per image with the images (see above)
    n_images: int = 0  # images in all, fewer than the classes (needs learn_labels; ipc unused); 0: ipc per class

    def __post_init__(self):
        for name in (
            "ipc",
            "steps",
            "epochs",
            "n_nets",
            "pool_size",
            "pool_train",
            "real_batch",
            "iterations",
            "lr_decay_every",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"DD.{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("inner_lr", "lr", "lr_decay"):
            if not getattr(self, name) > 0:
                raise ValueError(f"DD.{name} must be positive, got {getattr(self, name)!r}")
        _check_choice("init", self.init, INIT_SETTINGS)
        _check_choice("init_scheme", self.init_scheme, INIT_SCHEMES)
        _check_choice("arch", self.arch, tuple(ARCHITECTURES))
        _check_choice("pretrain_source", self.pretrain_source, SOURCES)
        if not isinstance(self.learn_labels, bool):
            raise ValueError(f"DD.learn_labels must be True or False, got {self.learn_labels!r}")
        if self.n_images < 0 or (self.n_images and not self.learn_labels):
            raise ValueError(
                f"DD.n_images={self.n_images} is not allowed; use 0 (ipc images per class), or a "
                "positive count with learn_labels=True (only learned labels let an image teach a class)"
            )
        if self.n_images % self.steps:
            raise ValueError(
                f"DD.n_images={self.n_images} images cannot be split evenly over DD.steps={self.steps}; "
                "use a multiple of steps"
            )
        if self.ipc % self.steps:
            raise ValueError(
                f"DD.ipc={self.ipc} images per class cannot be split evenly over DD.steps={self.steps}; "
                "use a multiple of steps"
            )
        if self.pool_train >= self.pool_size:
            raise ValueError(
                f"DD.pool_train={self.pool_train} leaves no unseen network for testing; "
                f"it must be smaller than DD.pool_size={self.pool_size}"
            )
        if self.attack and (
            len(self.attack) != 2
            or self.attack[0] == self.attack[1]
            or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in self.attack)
        ):
            raise ValueError(
                f"DD.attack={self.attack!r} is not allowed; use () for no attack or (source, target), "
                "two different class indices"
            )
        if self.init == "random_pretrained" and self.n_nets > self.pool_train:
            raise ValueError(
                f"DD.n_nets={self.n_nets} is more than the DD.pool_train={self.pool_train} "
                "pretrained networks distilling may use"
            )

    @property
    def per_step(self) -> int:
        """Images per class in each step's batch (the paper's "images per class" of one step)."""
        return self.ipc // self.steps

    def with_steps(self, steps: int) -> DD:
        """The same images per class in each step, over `steps` steps: how the paper grows a layout
        (more steps, more images), and what ``--steps`` alone means on the command line."""
        return replace(self, steps=steps, ipc=steps * self.per_step)

    def inits(self) -> InitSpec:
        """The networks this config distils for (`ddlab.inits`)."""
        return InitSpec.of(asdict(self))


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"DD.{name}={value!r} is not allowed; use one of: {', '.join(allowed)}")


def check_attack(attack: tuple[int, ...], data: Dataset) -> None:
    """A one-line error if `attack` names a class `data` does not have (the config checks the rest)."""
    if any(c >= data.num_classes for c in attack):
        raise ValueError(
            f"DD.attack={tuple(attack)!r} names a class {data.name} does not have; "
            f"use classes 0..{data.num_classes - 1}"
        )


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
        data.check_per_class("DD.ipc", config.ipc)
        check_attack(config.attack, data)
        if config.n_images and config.n_images >= data.num_classes:
            raise ValueError(
                f"DD.n_images={config.n_images} is not fewer than the {data.num_classes} classes of "
                f"{data.name}; for that many images use ipc (images per class) instead"
            )
        self.net = make_net(config.arch, *data.net_args)
        self.spec = config.inits()
        # Labels are class-major within each step: [0]*per_step + [1]*per_step + ... per step;
        # fewer images than classes take the classes in turn (image i of n: classes i, i+n, ...).
        self.labels = (
            torch.arange(config.n_images, device=data.device) % data.num_classes
            if config.n_images
            else class_major_labels(data.num_classes, config.per_step, data.device).repeat(config.steps)
        )
        # Learned labels start as the classes each image is made for (image i of n < classes:
        # shared equally by classes i, i+n, ...).
        self.label_vectors = initial_labels(self.labels, data.num_classes, config.n_images).requires_grad_(
            config.learn_labels
        )  # (N, classes)
        # Images start as Gaussian noise in normalised space, as in the paper's code.
        noise = torch.randn((len(self.labels), *data.image_shape), generator=generator)
        self.images = noise.to(data.device).requires_grad_()  # (N, C, H, W)
        # Step sizes are learned through a softplus, which keeps them positive.
        initial = torch.full((config.steps * config.epochs,), config.inner_lr, dtype=torch.float64)
        self.raw_lrs = _inverse_softplus(initial).float().to(data.device).requires_grad_()  # (steps * epochs,)
        self.fixed_init = draw_inits(self.spec, data, 1, generator) if self.spec.single else None
        self.config_dict = self.describe_config()
        if config.init in PRETRAINED_SETTINGS:
            # "auto" resolved: a saved set names the source digits its networks were pretrained on
            self.config_dict["pretrain_source"] = pool(self.spec, data).key["source"]

    def parameters(self) -> list[Tensor]:
        return [self.images, self.raw_lrs] + ([self.label_vectors] if self.config.learn_labels else [])

    def _current(self) -> SyntheticSet:
        soft = self.label_vectors if self.config.learn_labels else None
        labels = soft.argmax(1).detach() if soft is not None else self.labels
        return SyntheticSet(self.images, labels, F.softplus(self.raw_lrs), self.config_dict, soft_labels=soft)

    def outer_labels(self, y: Tensor) -> Tensor:
        return relabel(y, self.config.attack)

    def start_from(self, start: SyntheticSet) -> None:
        """The images, the learned step sizes (one per step x epoch, as this config) and, with
        learned labels, the labels of `start`."""
        if self.config.learn_labels:
            if start.soft_labels is None or start.soft_labels.shape != self.label_vectors.shape:
                got = None if start.soft_labels is None else tuple(start.soft_labels.shape)
                raise ValueError(
                    f"cannot continue from a set with learned labels {got}; this config learns "
                    f"labels {tuple(self.label_vectors.shape)}"
                )
            with torch.no_grad():
                self.label_vectors.copy_(start.soft_labels.to(self.label_vectors))
            start = replace(start, labels=self.labels)  # the images' check below is on shapes
        super().start_from(start)
        if start.lrs is None or start.lrs.shape != self.raw_lrs.shape:
            got = None if start.lrs is None else tuple(start.lrs.shape)
            raise ValueError(
                f"cannot continue from a set with step sizes {got}; this config learns "
                f"{tuple(self.raw_lrs.shape)} (steps x epochs must match)"
            )
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
        inits = draw_inits(self.spec, self.data, self.config.n_nets, self.generator)  # {name: (n_nets, ...)}
        return vmap(real_loss_after_training)(inits).mean()

    def snapshot(self) -> SyntheticSet:
        current = self._current()
        soft = None if current.soft_labels is None else current.soft_labels.detach().clone()
        return SyntheticSet(
            current.images.detach().clone(),
            current.labels.clone(),
            current.lrs.detach().clone(),
            current.config,
            soft_labels=soft,
        )


def initial_labels(labels: Tensor, classes: int, n_images: int) -> Tensor:
    """(N, classes) labels to start from: each image's class, one-hot; with
    n_images < classes, image i shares its mass equally among classes i, i+n_images, ..."""
    if not n_images:
        return F.one_hot(labels, classes).float()
    owner = torch.arange(classes, device=labels.device) % n_images  # (classes,) image of each class
    shares = (owner[None, :] == torch.arange(n_images, device=labels.device)[:, None]).float()  # (n_images, classes)
    return shares / shares.sum(1, keepdim=True)
