"""Realistic, Diverse and Efficient Dataset Distillation (RDED) — Sun et al., CVPR 2024 (arXiv:2312.03526).

No optimisation at all: real patches, chosen and stitched, relabelled by a teacher.

    for each class c:
        draw `candidates` real images of c; crop each `crops` times at random (square crops of a
            random share of the area, resized to a 1/factor-side patch)
        score every patch by the teacher's cross-entropy on c, the patch padded back to full size:
            a low loss = a patch the teacher finds typical of c ("realistic")
        keep each image's best patch, then the ipc * factor^2 lowest-loss ones
        stitch them factor x factor into ipc images ("diverse": several objects per stored image)
    relabel every stored image with the teacher's soft labels, softmax(f(x) / T)

Settings from their code (synthesize/, argument.py, scripts/): 5 crops per image, 300 candidate
images per class, crops of 8% to 100% of the area with ratio 1, factor 2 in their ImageNet scripts
(four 14x14 patches per 28x28 image here), T = 20 (their CutMix students). What differs, and why:
their patches are padded with zeros in normalised units (ImageNet's mean colour); here with black,
the background of a digit. Their students take the teacher's labels of every augmented view anew;
here each image keeps one label vector (the course's protocol augments under fixed labels).

Why no `register`: there is no outer loss for the driver to minimise. `rded` makes the set directly,
the way the coresets of `ddlab.experiments.baselines` are made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from ..data import Dataset, class_major_labels
from ..sources import teachers
from ..synthetic import SyntheticSet
from .image_set import check_config


@dataclass(frozen=True)
class RDED:
    """Sun et al. 2024's settings (their code's defaults and ImageNet scripts)."""

    ipc: int = 1  # stored images per class
    factor: int = 2  # patches per side of a stored image (factor^2 patches each)
    candidates: int = 300  # real images drawn per class (their mipc)
    crops: int = 5  # random crops per real image; the teacher's favourite is kept
    min_scale: float = 0.08  # smallest crop, as a share of the image's area
    temperature: float = 20.0  # relabelling: softmax(teacher logits / temperature)
    width: int = 32  # the teacher ConvNet's channels, and the students'
    teacher_epochs: int = 1  # the teacher's training (`ddlab.sources.teachers.TeacherSpec`)
    teacher_examples: int = 60_000  # real training images the teacher sees

    def __post_init__(self):
        check_config(
            self,
            ("ipc", "factor", "candidates", "crops", "temperature", "width", "teacher_epochs", "teacher_examples"),
            {},
        )
        for name in ("ipc", "factor", "candidates", "crops"):
            if not isinstance(getattr(self, name), int) or isinstance(getattr(self, name), bool):
                raise ValueError(f"RDED.{name} must be a positive integer, got {getattr(self, name)!r}")
        if not 0 < self.min_scale <= 1:
            raise ValueError(f"RDED.min_scale must be in (0, 1], got {self.min_scale!r}")
        if self.candidates < self.ipc * self.factor**2:
            raise ValueError(
                f"RDED.candidates={self.candidates} is fewer than the ipc * factor^2 = "
                f"{self.ipc * self.factor**2} patches each class needs"
            )

    def teacher(self) -> teachers.TeacherSpec:
        return teachers.TeacherSpec(width=self.width, epochs=self.teacher_epochs, train_examples=self.teacher_examples)


def random_crops(images: Tensor, crops: int, size: int, min_scale: float, generator: torch.Generator) -> Tensor:
    """`crops` random square crops of each image, each a share of the area drawn from
    [min_scale, 1] at a random place, resized to size x size: (N, crops, C, size, size)."""
    n, channels, height, width = images.shape
    shares = min_scale + (1 - min_scale) * torch.rand(n, crops, generator=generator)
    sides = (shares.sqrt() * min(height, width)).round().clamp(1, min(height, width)).long()
    tops = (torch.rand(n, crops, generator=generator) * (height - sides + 1)).long()
    lefts = (torch.rand(n, crops, generator=generator) * (width - sides + 1)).long()
    patches = images.new_empty(n, crops, channels, size, size)
    for i in range(n):
        for k in range(crops):
            side, top, left = sides[i, k].item(), tops[i, k].item(), lefts[i, k].item()
            crop = images[i : i + 1, :, top : top + side, left : left + side]
            patches[i, k] = F.interpolate(
                crop, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )[0]
    return patches


def patch_losses(teacher: teachers.Teacher, patches: Tensor, label: int, fill: Tensor) -> Tensor:
    """The teacher's cross-entropy on class `label` for every patch (..., C, s, s), each placed in
    the middle of a full-size image of `fill` (C, H, W): (...,)."""
    shape = patches.shape[:-3]
    flat = patches.reshape(-1, *patches.shape[-3:])
    canvas = fill.expand(len(flat), *fill.shape).clone()  # (M, C, H, W)
    top, left = (fill.shape[-2] - flat.shape[-2]) // 2, (fill.shape[-1] - flat.shape[-1]) // 2
    canvas[:, :, top : top + flat.shape[-2], left : left + flat.shape[-1]] = flat
    with torch.no_grad():
        logits = torch.cat([teacher.net(part) for part in canvas.split(1024)])
    labels = torch.full((len(flat),), label, device=logits.device)
    return F.cross_entropy(logits, labels, reduction="none").view(shape)


def select(losses: Tensor, n: int) -> tuple[Tensor, Tensor]:
    """RDED's choice from a (images, crops) table of losses: each image's lowest-loss crop, then
    the `n` images whose kept crop has the lowest loss. Returns (image index, crop index), each (n,),
    lowest loss first."""
    best, crop = losses.min(1)  # (images,)
    chosen = best.argsort()[:n]
    return chosen, crop[chosen]


def stitch(patches: Tensor, factor: int) -> Tensor:
    """ipc * factor^2 patches (M, C, s, s) into ipc images (ipc, C, factor*s, factor*s), as their code:
    the k-th run of ipc patches fills place k (row by row) of every image."""
    m, channels, side, _ = patches.shape
    if m % factor**2:
        raise ValueError(f"cannot stitch {m} patches {factor} x {factor}: {m} is not a multiple of {factor**2}")
    ipc = m // factor**2
    grid = patches.view(factor, factor, ipc, channels, side, side)  # (row, column, image, C, s, s)
    return grid.permute(2, 3, 0, 4, 1, 5).reshape(ipc, channels, factor * side, factor * side)


def rded(config: RDED, data: Dataset, seed: int = 0) -> SyntheticSet:
    """The RDED set of `config` for `data`: ipc stitched images per class, class-major, with the
    teacher's soft labels. All randomness from `seed`."""
    data.check_per_class("RDED.candidates", config.candidates)
    height = data.image_shape[-1]
    if height % config.factor:
        raise ValueError(f"RDED.factor={config.factor} does not divide {data.name}'s {height}-pixel images")
    teacher = teachers.load_or_train(config.teacher(), data)
    generator = torch.Generator().manual_seed(seed)
    fill = data.normalize(torch.zeros(data.image_shape)).to(data.device)  # black, in normalised units
    per_class = config.ipc * config.factor**2
    images = []
    for c in range(data.num_classes):
        real = data.sample_per_class(c, config.candidates, generator)  # (candidates, C, H, W)
        patches = random_crops(real, config.crops, height // config.factor, config.min_scale, generator)
        chosen, crop = select(patch_losses(teacher, patches, c, fill), per_class)
        images.append(stitch(patches[chosen, crop], config.factor))  # (ipc, C, H, W)
    stitched = torch.cat(images)
    return SyntheticSet(
        stitched,
        class_major_labels(data.num_classes, config.ipc, data.device),
        None,
        {"method": "rded", **asdict(config), "dataset": data.name},
        seed=seed,
        soft_labels=teacher.soft_labels(stitched, config.temperature),
    )
