"""Do distilled images look like real ones, in numbers? Their pixel statistics.

A real MNIST pixel is a brightness in [0, 1]. A distilled image is optimised in the normalised space
the networks see, where nothing keeps it in range, and `Dataset.to_pixels` clamps it for display —
which hides exactly how unlike a photograph it is. Here the values are measured *before* clamping:
the histogram of pixel values, and the fractions darker than black (< 0) and brighter than white
(> 1). Real images give 0 and 0. (A measurement of our own beside Yang et al.'s Section 3, which
asks how distilled data differs from real data: images no camera could produce are one candidate.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..data import Dataset

SPAN = (-1.0, 2.0)  # histogram range in pixel units; values beyond it count in the outermost bins
TOLERANCE = 1e-4  # float round-off of x * std + mean (a grey level is 1/255): not "outside"


@dataclass(frozen=True)
class PixelStats:
    edges: Tensor  # (bins + 1,) histogram bin edges, pixel units
    density: Tensor  # (bins,) fraction of all values per unit of pixel value (integrates to 1)
    below: float  # fraction of values < 0 (darker than black)
    above: float  # fraction of values > 1 (brighter than white)
    mean: float  # mean pixel value
    std: float  # spread of the pixel values
    low: float  # smallest value
    high: float  # largest value

    @property
    def outside(self) -> float:
        """Fraction of values outside the valid range [0, 1]."""
        return self.below + self.above

    def __str__(self) -> str:
        return (
            f"mean {self.mean:.3f}, std {self.std:.3f}, range [{self.low:.2f}, {self.high:.2f}], "
            f"{100 * self.outside:.1f}% outside [0, 1] ({100 * self.below:.1f}% below, {100 * self.above:.1f}% above)"
        )


def pixel_stats(images: Tensor, data: Dataset, bins: int = 60, span: tuple[float, float] = SPAN) -> PixelStats:
    """Statistics of normalised `images` (N, C, H, W) in `data`'s pixel units, unclamped."""
    if images.ndim != 4 or images.shape[1:] != data.image_shape:
        raise ValueError(
            f"images must have shape (N, {', '.join(map(str, data.image_shape))}), got {tuple(images.shape)}"
        )
    if bins <= 0 or not span[0] < 0 < 1 < span[1]:
        raise ValueError(f"need bins > 0 and a span around [0, 1], got bins={bins!r}, span={span!r}")
    values = data.to_pixels(images.detach(), clamp=False).flatten().double().cpu()  # (N * C * H * W,)
    counts = torch.histc(values.clamp(*span), bins=bins, min=span[0], max=span[1])
    edges = torch.linspace(span[0], span[1], bins + 1, dtype=torch.float64)
    density = counts / counts.sum() / (edges[1] - edges[0])
    below, above = (values < -TOLERANCE).double().mean().item(), (values > 1 + TOLERANCE).double().mean().item()
    return PixelStats(
        edges,
        density,
        below,
        above,
        values.mean().item(),
        values.std().item(),
        values.min().item(),
        values.max().item(),
    )
