"""Can distilled images stand in for real ones? Mix them, train, and compare.

Yang et al. (Section 3) take a distilled set of `ipc` images per class and add k random real
images per class, k in {0, 2, 10, 50, 250}, and compare with the same k real images plus `ipc`
*more* real ones per class in place of the distilled images. If distilled images were just very good
real images, adding real data could only help. It does not: for every method they tried, a little
real data *lowers* the accuracy of the distilled set, and only once real images dominate the mixture
does accuracy climb again — distilled data works in the setting it was made for, not as data.

Both arms are trained under the standard protocol (`ddlab.protocol`; its size set by the profile,
`budget`). The real images are nested — the k of a smaller k are among those of a larger one — and
the replacement images are real images that are not among them; every training run starts from the
same initialisations, so the curves differ only in their data.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .. import recipes
from ..data import Dataset, class_major_labels
from ..protocol import Protocol, accuracies, sized
from ..synthetic import SyntheticSet

KS = (0, 2, 10, 50, 250)  # real images added per class (the paper's)


@dataclass(frozen=True)
class Mixing:
    ks: tuple[int, ...]  # real images per class added
    ipc: int  # distilled images per class (= real images per class that replace them)
    distilled: Tensor  # (len(ks), n_models) accuracy: distilled set + k real per class
    real: Tensor  # (len(ks), n_models) accuracy: ipc + k real per class

    def summary(self) -> str:
        rows = [f"{'k':>5}  {'distilled + k real':>19}  {'real + k real':>14}"]
        rows += [
            f"{k:>5}  {100 * d.mean():>18.1f}%  {100 * r.mean():>13.1f}%"
            for k, d, r in zip(self.ks, self.distilled, self.real)
        ]
        return "\n".join(rows)


def mixing(
    synthetic: SyntheticSet,
    data: Dataset,
    ks: tuple[int, ...] = KS,
    protocol: Protocol | None = None,
    n_models: int | None = None,
    seed: int = 0,
    on: tuple[Tensor, Tensor] | None = None,
) -> Mixing:
    """Test accuracy of networks trained on `synthetic` plus k real images per class, and on
    real images alone in its place, for every k in `ks` (see the module docstring); measured on
    `on` = (images, labels) instead of the whole test set if given."""
    classes = data.num_classes
    counts = torch.bincount(synthetic.labels.cpu(), minlength=classes)
    if not (counts == counts[0]).all() or counts[0] == 0:
        raise ValueError(f"mixing needs the same number of distilled images in every class, got {counts.tolist()}")
    if not ks or any(not isinstance(k, int) or k < 0 for k in ks):
        raise ValueError(f"ks must be non-negative integers of real images per class, got {ks!r}")
    ipc = int(counts[0])
    protocol = protocol or sized(synthetic.config, recipes.analysis().evaluation)
    n_models = n_models or recipes.analysis().evaluation.n_models
    order = torch.Generator().manual_seed(seed)
    real = torch.stack(
        [data.sample_per_class(c, max(ks) + ipc, order) for c in range(classes)]
    )  # (classes, K, C, H, W)
    synthetic = synthetic.to(data.device)

    def scored(images: Tensor, labels: Tensor) -> Tensor:
        trained_on = SyntheticSet(images, labels, None, synthetic.config)
        # the same seed for every run: the same initialisations, whatever the data
        return accuracies(trained_on, data, protocol, n_models, torch.Generator().manual_seed(seed), on)

    distilled_arm, real_arm = [], []
    for k in ks:
        added, added_labels = _per_class(real[:, :k])
        distilled_arm.append(
            scored(torch.cat([synthetic.images.detach(), added]), torch.cat([synthetic.labels, added_labels]))
        )
        replacement, replacement_labels = _per_class(real[:, : k + ipc])
        real_arm.append(scored(replacement, replacement_labels))
    return Mixing(tuple(ks), ipc, torch.stack(distilled_arm), torch.stack(real_arm))


def _per_class(images: Tensor) -> tuple[Tensor, Tensor]:
    """(classes, k, C, H, W) -> (classes * k, C, H, W) images and their (classes * k,) labels."""
    classes, k = images.shape[:2]
    labels = class_major_labels(classes, k, images.device)
    return images.flatten(0, 1), labels
