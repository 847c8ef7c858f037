"""Does a single distilled image carry meaning? Read its influence against real images.

Yang et al. (Section 5) interpret each distilled image through the test images it influences
most: if an image only mattered as part of its set, the test images it helps would be scattered
over classes and looks; they find them coherent — same class, shared visual features. Two numbers
per image make that checkable here, from a leave-one-out `Influence`:

  * label purity: the fraction of the `k` test images it helps most that carry its label
    (10% by chance on MNIST);
  * resemblance: how much more those helped images look like the image's nearest real training
    images than the average test image of its class does (cosine similarity of pixels, centred by
    the dataset mean). Above 0: what the distilled image teaches is what its nearest real images
    show — the "semantic" content a person can name.

`shared_features` draws that content: the mean of the helped test images minus the mean of all
test images of the class, a map of the strokes they have in common beyond the class average.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from ..data import Dataset
from ..synthetic import SyntheticSet
from .influence import Influence


@dataclass(frozen=True)
class Semantics:
    neighbours: Tensor  # (N, n) indices into data.x_train of each distilled image's nearest real images
    helped: Tensor  # (N, k) indices into the measured test images: those each image helps most
    purity: Tensor  # (N,) fraction of the helped test images that share the image's label
    resemblance: Tensor  # (N,) similarity of helped images to the neighbours, minus the class average's

    def summary(self) -> str:
        return (
            f"helped test images sharing the distilled image's label: {100 * self.purity.mean():.0f}% "
            f"(chance 10%); resemblance to its nearest real images: {self.resemblance.mean():+.3f} "
            f"cosine over the class average ({(self.resemblance > 0).sum()} of {len(self.resemblance)} images above 0)"
        )


def nearest_real(images: Tensor, data: Dataset, n: int = 5) -> Tensor:
    """Indices of the `n` training images most similar (cosine, centred pixels) to each of
    `images`: (N, n). The distilled images' labels are not used: a neighbour of another class is
    itself a finding."""
    if not 0 < n <= len(data.y_train):
        raise ValueError(f"n must be in 1..{len(data.y_train)} (the training images), got {n!r}")
    return _similarity(images, data.x_train).topk(n, dim=1).indices


def semantics(
    synthetic: SyntheticSet,
    influence: Influence,
    data: Dataset,
    on: tuple[Tensor, Tensor] | None = None,
    k: int = 16,
    n: int = 5,
) -> Semantics:
    """Label purity and resemblance (see the module docstring) of every image of `synthetic`, from
    its leave-one-out `influence` measured on the test images `on` (default: all of them)."""
    x, y = on if on is not None else (data.x_test, data.y_test)
    if influence.loss_change.shape != (len(synthetic.labels), len(y)):
        raise ValueError(
            f"influence covers {tuple(influence.loss_change.shape)} (images, test images); "
            f"the set has {len(synthetic.labels)} images and `on` {len(y)} test images"
        )
    images = synthetic.images.detach().to(data.device)
    neighbours = nearest_real(images, data, n)
    helped = torch.stack([influence.helped(i, k) for i in range(len(synthetic.labels))])  # (N, k)
    labels, y = synthetic.labels.cpu(), y.cpu()
    purity = (y[helped] == labels[:, None]).float().mean(dim=1)
    neighbour_means = torch.stack([data.x_train[idx].mean(dim=0) for idx in neighbours])  # (N, C, H, W)
    similarity = _similarity(neighbour_means, x).cpu()  # (N, M)
    resemblance = torch.stack(
        [similarity[i, helped[i]].mean() - similarity[i, y == labels[i]].mean() for i in range(len(labels))]
    )
    return Semantics(neighbours.cpu(), helped, purity, resemblance)


def shared_features(helped: Tensor, label: int, data: Dataset, on: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """Mean of the test images `helped` (indices into `on`, default the test set) minus the mean of
    all test images labelled `label`: (C, H, W), in normalised units; positive = more ink than the
    class average: the strokes the helped images share."""
    x, y = on if on is not None else (data.x_test, data.y_test)
    return x[helped.to(x.device)].mean(dim=0) - x[y == label].mean(dim=0)


def _similarity(a: Tensor, b: Tensor, chunk: int = 4096) -> Tensor:
    """Cosine similarity of every image of `a` with every image of `b`, pixels centred by `b`'s
    mean: (len(a), len(b)). `b` is centred `chunk` rows at a time: a centred copy of all 60,000
    MNIST training images would add 190 MB to the peak memory of a Binder session."""
    a, b = a.flatten(1), b.flatten(1).to(a.device)
    centre = b.mean(dim=0)
    a = F.normalize(a - centre, dim=1)
    return torch.cat([a @ F.normalize(rows - centre, dim=1).T for rows in b.split(chunk)], dim=1)
