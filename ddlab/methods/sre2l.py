"""Squeeze, Recover and Relabel (SRe2L) — Yin, Xing & Shen, NeurIPS 2023 (arXiv:2306.13092).

Distillation decoupled into three steps that never see each other's networks:

    squeeze   train a teacher with BatchNorm on the real data once (`ddlab.sources.teachers`)
    recover   from noise, optimise images x so the teacher classifies them and their batch
              statistics match what its BatchNorm layers remember of the real data:
                  loss = CE(f(A(x)), y) + r_bn * sum_l a_l (||mu_l(A(x)) - mu_l^BN||_2
                                                           + ||sigma2_l(A(x)) - sigma2_l^BN||_2)
              A a random jitter (a roll by up to `jitter` pixels each way), mu_l and sigma2_l the
              per-channel mean and biased variance of the batch entering BatchNorm layer l, a_l = 10
              for the first layer and 1 for the others (their code's first_bn_multiplier)
    relabel   label each image with the teacher's soft labels, softmax(f(x) / T)

Settings: their small-dataset scripts (recover_cifar.sh: Adam 0.25 with betas (0.5, 0.9), 1,000
iterations, r_bn 0.01, jitter 4 on 32x32 images; relabel_cifar.py: T = 30). Their recovery optimises
one batch holding one image of every class at a time (the batch the BatchNorm statistics are taken
over); here the `ipc` such batches are summed into one loss, which changes nothing (each image's
gradient comes from its own batch, and Adam is per pixel). What differs, and why:

* the learning rate stays constant (theirs: a cosine schedule): the driver's schedule is a step decay;
* no flip by default: their ImageNet recovery flips, their CIFAR one does not, and a mirrored digit is
  another glyph (`flip=True` turns it on);
* relabelling: their students learn from the teacher's labels of every augmented view, made anew each
  epoch; here each image keeps one label vector (the course's protocol augments images under fixed
  labels), and the student trains with cross-entropy on its own logits, not divided by T (so it
  learns logits f(x) / T: the same ranking of classes).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from ..data import Dataset, class_major_labels
from ..sources import teachers
from ..synthetic import SyntheticSet
from .base import Method, register
from .image_set import check_config


@dataclass(frozen=True)
class SRe2L:
    """Yin, Xing & Shen 2023's small-dataset settings (recover_cifar.sh, relabel_cifar.py)."""

    ipc: int = 1  # synthetic images per class
    iterations: int = 1000  # recovery steps on the pixels
    lr: float = 0.25  # Adam step size on the pixels
    betas: tuple[float, float] = (0.5, 0.9)  # Adam's betas (their code's)
    r_bn: float = 0.01  # weight of the BatchNorm-statistics loss
    first_bn_multiplier: float = 10.0  # extra weight of the first BatchNorm layer's term
    jitter: int = 4  # largest random roll in pixels, each way (0: none)
    flip: bool = False  # mirror the batch half the time (their ImageNet code; see above)
    temperature: float = 30.0  # relabelling: softmax(teacher logits / temperature)
    width: int = 32  # the teacher ConvNet's channels, and the students' in the driver's checks
    teacher_epochs: int = 1  # the teacher's training (`ddlab.sources.teachers.TeacherSpec`)
    teacher_examples: int = 60_000  # real training images the teacher sees
    lr_decay_every: int = 1000  # iterations between decays of lr (constant by default)
    lr_decay: float = 1.0  # factor applied at each decay (1: none)
    validation_epochs: int = 50  # epochs per network in the driver's validation check (it only ranks sets)

    def __post_init__(self):
        check_config(
            self,
            (
                "ipc",
                "iterations",
                "lr",
                "r_bn",
                "temperature",
                "width",
                "teacher_epochs",
                "teacher_examples",
                "lr_decay_every",
                "lr_decay",
                "validation_epochs",
            ),
            {},
        )
        if self.first_bn_multiplier < 0:
            raise ValueError(f"SRe2L.first_bn_multiplier must be >= 0, got {self.first_bn_multiplier!r}")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, int) or self.jitter < 0:
            raise ValueError(f"SRe2L.jitter must be a whole number of pixels >= 0, got {self.jitter!r}")

    def teacher(self) -> teachers.TeacherSpec:
        return teachers.TeacherSpec(width=self.width, epochs=self.teacher_epochs, train_examples=self.teacher_examples)


def bn_statistics_loss(
    statistics: list[tuple[Tensor, Tensor, Tensor, Tensor]], first_multiplier: float = 10.0
) -> Tensor:
    """sum_l a_l (||mu_batch - mu_BN||_2 + ||sigma2_batch - sigma2_BN||_2) over the BatchNorm layers'
    (batch mean, batch variance, running mean, running variance), a_0 = `first_multiplier`, else 1."""
    terms = [
        torch.linalg.vector_norm(mean - running_mean) + torch.linalg.vector_norm(variance - running_var)
        for mean, variance, running_mean, running_var in statistics
    ]
    return sum(term * (first_multiplier if layer == 0 else 1.0) for layer, term in enumerate(terms))


def jitter(x: Tensor, pixels: int, flip: bool, generator: torch.Generator) -> Tensor:
    """Their random augmentation of the batch under recovery: a roll by 0..`pixels` pixels down and
    right (wrapping around), and, if `flip`, a mirror half the time."""
    down, right = torch.randint(0, pixels + 1, (2,), generator=generator).tolist()
    x = torch.roll(x, shifts=(down, right), dims=(2, 3))
    if flip and torch.rand((), generator=generator).item() < 0.5:
        x = x.flip(3)
    return x


@register("sre2l", SRe2L)
class SqueezeRecoverRelabel(Method):
    """SRe2L: images recovered from a BatchNorm teacher, relabelled with its soft labels."""

    def __init__(self, config: SRe2L, data: Dataset, generator: torch.Generator):
        super().__init__(config, data, generator)
        data.check_per_class("SRe2L.ipc", config.ipc)
        self.teacher = teachers.load_or_train(config.teacher(), data)
        self.labels = class_major_labels(data.num_classes, config.ipc, data.device)  # (N,)
        noise = torch.randn((len(self.labels), *data.image_shape), generator=generator)
        self.images = noise.to(data.device).requires_grad_()  # (N, C, H, W)
        # The pixels' valid range [0, 1] in normalised units: their code clips the images to it after every step.
        self.low, self.high = (
            data.normalize(torch.zeros(data.image_shape)),
            data.normalize(torch.ones(data.image_shape)),
        )
        self.config_dict = self.describe_config()

    def parameters(self) -> list[Tensor]:
        return [self.images]

    def outer_loss(self) -> Tensor:
        with torch.no_grad():  # the clip after the previous step
            self.images.copy_(self.clipped())
        ipc, loss = self.config.ipc, 0.0
        for j in range(ipc):  # one image of every class per batch, as their recovery
            x = jitter(self.images[j::ipc], self.config.jitter, self.config.flip, self.generator)  # (classes, C, H, W)
            logits, statistics = self.teacher.net.forward_with_statistics(x)
            loss = (
                loss
                + F.cross_entropy(logits, self.labels[j::ipc])
                + self.config.r_bn * bn_statistics_loss(statistics, self.config.first_bn_multiplier)
            )
        return loss

    def clipped(self) -> Tensor:
        low, high = self.low.to(self.images.device), self.high.to(self.images.device)
        return torch.maximum(torch.minimum(self.images.detach(), high), low)

    def snapshot(self) -> SyntheticSet:
        images = self.clipped()
        return SyntheticSet(
            images,
            self.labels.clone(),
            None,
            self.config_dict,
            soft_labels=self.teacher.soft_labels(images, self.config.temperature),
        )
