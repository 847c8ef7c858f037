"""Differentiable siamese augmentation (DSA) — Zhao & Bilen, ICML 2021 (arXiv:2102.08259).

Matching a real batch against a synthetic one under augmentation only works if both batches see
the *same* transformation: otherwise the matching loss compares a rotated real digit with an
unrotated synthetic one and asks the synthetic image to undo a random rotation. DSA therefore
samples the transformation's parameters once and applies them to both batches ("siamese"), and
every transform is differentiable with respect to the pixels, so the gradient of the matching loss
reaches the synthetic images through the augmentation:

    loss = D( grad_theta l(A_w(x_real)), grad_theta l(A_w(x_syn)) ),   w ~ Omega sampled once

Transforms (the paper's, minus flip by default: a mirrored digit is another symbol, or none):

    color   brightness, saturation, contrast (per image). Saturation scales each pixel's distance
            to its mean over *channels*; a 1-channel digit is its own channel mean, so on MNIST
            saturation is exactly the identity and "color" means brightness and contrast.
    crop    translation by up to 12.5% of the side (3.5 -> 4 pixels on 28x28), zero fill
    cutout  a zeroed square half the side long, anywhere (clipped at the border)
    scale   independent x/y scale in [1/1.2, 1.2]        (affine grid + bilinear sampling)
    rotate  rotation by up to +-15 degrees               (affine grid + bilinear sampling)
    flip    a left-right mirror, each image with probability 1/2 (only where mirrored images are
            still the dataset's: IDC's judge of Fashion-MNIST)

"Zero" is the dataset mean, since images are normalised. As in the DSA code's single mode, each
call applies *one* transform family, drawn at random (IDC's code first puts every image through
the families in `Augmentation.always`: flip, color). Parameters are drawn on the CPU from an
explicit generator and then moved, so a seed gives the same augmentation on every device.

Two entry points:
  * `siamese(x_real, x_syn, generator)` — one draw for the whole of both batches (matching);
  * `augment(x, generator)` — one draw per image (training networks on a set, as in evaluation).

`Augmentation` configures strengths; `DSA` is the paper's, and `DC_MNIST` approximates the
non-differentiable crop/scale/rotate augmentation the DC code uses when it evaluates MNIST sets.
`cutmix` is the label-mixing augmentation of IDC's judge (Yun et al., ICCV 2019).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

Draw = dict[str, Tensor]  # one transform's parameters: {name: (n, ...)}, n = 1 (siamese) or batch size

OPS = ("color", "crop", "cutout", "scale", "rotate")  # DSA's families, drawn from by default
FAMILIES = (*OPS, "flip")


@dataclass(frozen=True)
class Augmentation:
    """Which transforms, their strengths, and whether a batch shares one transform family."""

    ops: tuple[str, ...] = OPS  # transform families to draw from (uniformly)
    always: tuple[str, ...] = ()  # families every image goes through first, in this order (IDC's code)
    one_per: str = "batch"  # "batch": one family per call (DSA); "image": each image draws its own (DC)
    brightness: float = 1.0  # added brightness uniform in +-brightness/2 (normalised units)
    saturation: float = 2.0  # saturation factor uniform in [0, saturation); identity on 1 channel
    contrast: float = 0.5  # contrast factor uniform in [contrast, contrast + 1)
    crop: float = 0.125  # largest translation, as a fraction of the side
    cutout: float = 0.5  # side of the zeroed square, as a fraction of the image side
    scale: float = 1.2  # per-axis scale uniform in [1/scale, scale]
    rotate: float = 15.0  # rotation uniform in +-rotate degrees

    def __post_init__(self):
        unknown = [op for op in (*self.ops, *self.always) if op not in FAMILIES]
        if unknown or not self.ops:
            raise ValueError(
                f"unknown augmentation {unknown[0] if unknown else 'list ()'!r}; available: {', '.join(FAMILIES)}"
            )
        if self.one_per not in ("batch", "image"):
            raise ValueError(f"Augmentation.one_per={self.one_per!r} is not allowed; use 'batch' or 'image'")


DSA = Augmentation()
# The DC code's evaluation augmentation for MNIST: per image one of crop (4 px), scale (+-20%),
# rotate (+-45 degrees). Here with DSA's differentiable ops, zero (= mean) fill, bilinear sampling.
DC_MNIST = Augmentation(ops=("crop", "scale", "rotate"), one_per="image", crop=4 / 28, rotate=45.0)


# --- the transforms: pure functions of the images and explicit parameters ---------------------
# Parameters have a leading dim of 1 (broadcast over the batch) or of the batch size.


def brightness(x: Tensor, shift: Tensor) -> Tensor:
    return x + shift.view(-1, 1, 1, 1).to(x)


def saturation(x: Tensor, factor: Tensor) -> Tensor:
    mean = x.mean(dim=1, keepdim=True)  # (N, 1, H, W): the mean over channels
    return (x - mean) * factor.view(-1, 1, 1, 1).to(x) + mean


def contrast(x: Tensor, factor: Tensor) -> Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (N, 1, 1, 1): each image's mean
    return (x - mean) * factor.view(-1, 1, 1, 1).to(x) + mean


def translate(x: Tensor, dy: Tensor, dx: Tensor) -> Tensor:
    """Shift each image by whole pixels (dy down, dx right); uncovered pixels become 0."""
    n, _, h, w = x.shape
    pad = int(max(dy.abs().max(), dx.abs().max()))
    padded = F.pad(x, [pad] * 4)  # (N, C, H+2p, W+2p)
    rows = (torch.arange(h) - dy.view(-1, 1) + pad).expand(n, h).to(x.device)  # (N, H) source rows
    cols = (torch.arange(w) - dx.view(-1, 1) + pad).expand(n, w).to(x.device)  # (N, W)
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    shifted = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    # Copied to plain (N, C, H, W) strides: with one channel the permuted tensor counts as contiguous yet
    # looks channels-last to a convolution, whose CPU backward then returns input gradients that differ
    # from the float64 ones by percents (tests/test_augment.py shows it).
    return shifted.clone(memory_format=torch.contiguous_format)


def cutout(x: Tensor, cy: Tensor, cx: Tensor, size: int) -> Tensor:
    """Zero a size x size square centred at (cy, cx) in each image (clipped at the border)."""
    h, w = x.shape[-2:]
    rows = torch.arange(h).view(1, h, 1) - cy.view(-1, 1, 1) + size // 2  # (N, H, 1)
    cols = torch.arange(w).view(1, 1, w) - cx.view(-1, 1, 1) + size // 2  # (N, 1, W)
    inside = (rows >= 0) & (rows < size) & (cols >= 0) & (cols < size)  # (N, H, W)
    return x * (~inside).unsqueeze(1).to(x)


def affine(x: Tensor, theta: Tensor) -> Tensor:
    """Resample each image through the 2x3 matrix `theta` (output -> input coordinates)."""
    theta = theta.to(x).expand(x.shape[0], 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


# --- drawing parameters and applying one family ------------------------------------------------


def sample(op: str, n: int, side: int, strength: Augmentation, generator: torch.Generator) -> Draw:
    """`n` draws of family `op`'s parameters for images `side` pixels wide, on the CPU."""

    def uniform(low: float, high: float) -> Tensor:
        return low + (high - low) * torch.rand(n, generator=generator)

    if op == "color":
        return {
            "shift": uniform(-strength.brightness / 2, strength.brightness / 2),
            "saturation": uniform(0, strength.saturation),
            "contrast": uniform(strength.contrast, strength.contrast + 1),
        }
    if op == "crop":
        k = int(side * strength.crop + 0.5)
        return {
            "dy": torch.randint(-k, k + 1, (n,), generator=generator),
            "dx": torch.randint(-k, k + 1, (n,), generator=generator),
        }
    if op == "cutout":  # centres as in the DSA code: 0 .. side (an even square may hang over either edge)
        centres = side + 1 - int(side * strength.cutout + 0.5) % 2
        return {
            "cy": torch.randint(0, centres, (n,), generator=generator),
            "cx": torch.randint(0, centres, (n,), generator=generator),
        }
    if op == "scale":
        sx, sy = uniform(1 / strength.scale, strength.scale), uniform(1 / strength.scale, strength.scale)
        zero = torch.zeros(n)
        return {"theta": torch.stack([torch.stack([sx, zero, zero], -1), torch.stack([zero, sy, zero], -1)], 1)}
    if op == "rotate":
        angle = uniform(-strength.rotate, strength.rotate) * math.pi / 180
        cos, sin, zero = angle.cos(), angle.sin(), torch.zeros(n)
        return {"theta": torch.stack([torch.stack([cos, -sin, zero], -1), torch.stack([sin, cos, zero], -1)], 1)}
    if op == "flip":
        return {"mirror": torch.rand(n, generator=generator) < 0.5}
    raise ValueError(f"unknown augmentation {op!r}; available: {', '.join(FAMILIES)}")


def apply(op: str, x: Tensor, draw: Draw, strength: Augmentation) -> Tensor:
    """Family `op` with parameters `draw` applied to the batch `x` (N, C, H, W)."""
    if op == "color":
        return contrast(saturation(brightness(x, draw["shift"]), draw["saturation"]), draw["contrast"])
    if op == "crop":
        return translate(x, draw["dy"], draw["dx"])
    if op == "cutout":
        return cutout(x, draw["cy"], draw["cx"], int(x.shape[-1] * strength.cutout + 0.5))
    if op in ("scale", "rotate"):
        return affine(x, draw["theta"])
    if op == "flip":
        return torch.where(draw["mirror"].view(-1, 1, 1, 1).to(x.device), x.flip(-1), x)
    raise ValueError(f"unknown augmentation {op!r}; available: {', '.join(FAMILIES)}")


def _pick(strength: Augmentation, n: int, generator: torch.Generator) -> Tensor:
    return torch.randint(len(strength.ops), (n,), generator=generator)


# --- the two entry points -----------------------------------------------------------------------


def siamese(
    x_real: Tensor, x_syn: Tensor, generator: torch.Generator, strength: Augmentation = DSA
) -> tuple[Tensor, Tensor]:
    """Both batches through the *same* randomly drawn transform (one family, one parameter draw
    shared by every image of both batches): what DSA matches under."""
    for op in strength.always:
        draw = sample(op, 1, x_real.shape[-1], strength, generator)
        x_real, x_syn = apply(op, x_real, draw, strength), apply(op, x_syn, draw, strength)
    op = strength.ops[int(_pick(strength, 1, generator))]
    draw = sample(op, 1, x_real.shape[-1], strength, generator)
    return apply(op, x_real, draw, strength), apply(op, x_syn, draw, strength)


def augment(x: Tensor, generator: torch.Generator, strength: Augmentation = DSA) -> Tensor:
    """Each image through its own random draw: how networks are trained on a distilled set.
    Fits `ddlab.functional.train_many`'s ``augment`` hook (with `functools.partial` for `strength`)."""
    n, side = x.shape[0], x.shape[-1]
    for op in strength.always:
        x = apply(op, x, sample(op, n, side, strength, generator), strength)
    if strength.one_per == "batch":
        op = strength.ops[int(_pick(strength, 1, generator))]
        return apply(op, x, sample(op, n, side, strength, generator), strength)
    choice = _pick(strength, n, generator).to(x.device).view(n, 1, 1, 1)  # each image's family
    out = x
    for k, op in enumerate(strength.ops):  # every family on the whole batch, kept where chosen
        out = torch.where(choice == k, apply(op, x, sample(op, n, side, strength, generator), strength), out)
    return out


def cutmix(x: Tensor, y: Tensor, generator: torch.Generator, p: float) -> tuple[Tensor, Tensor]:
    """CutMix as IDC's judge trains with it: with probability `p`, paste a box of the batch shuffled
    into the batch and mix the soft labels `y` (N, classes) by the area each image keeps, which makes
    the soft-label cross-entropy exactly the code's ratio * CE(y) + (1 - ratio) * CE(y shuffled).
    The box keeps a share lam ~ U(0, 1) (the code's Beta(1, 1)) before clipping at the border."""
    if float(torch.rand(1, generator=generator)) >= p:
        return x, y
    n, (h, w) = x.shape[0], x.shape[-2:]
    lam = float(torch.rand(1, generator=generator))
    shuffled = torch.randperm(n, generator=generator).to(x.device)
    cut = math.sqrt(1.0 - lam)
    half_h, half_w = int(h * cut) // 2, int(w * cut) // 2
    cy, cx = (int(torch.randint(side, (1,), generator=generator)) for side in (h, w))
    top, bottom = max(cy - half_h, 0), min(cy + half_h, h)
    left, right = max(cx - half_w, 0), min(cx + half_w, w)
    mixed = x.clone()
    mixed[..., top:bottom, left:right] = x[shuffled][..., top:bottom, left:right]
    kept = 1.0 - (bottom - top) * (right - left) / (h * w)
    return mixed, kept * y + (1.0 - kept) * y[shuffled]
