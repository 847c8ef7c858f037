"""Do networks trained on distilled data predict like early-stopped ones, or like few-shot ones?

Two real-data networks can reach the accuracy of a network trained on a distilled set: one trained
to the end on a small random subset of real images, and one trained on all the real images but
stopped early. Yang et al. (Section 4.1) compare their *predictions* image by image: on the test
set, a distilled-data network agrees more with the early-stopped network of the same accuracy than
with the subset-trained one — distilled data stands for the early phase of real training, not for
a handful of real images.

For each of `n_models` networks trained on a distilled set (standard protocol, `budget`):
  * subset match: among networks trained under the same protocol on class-balanced random real
    subsets of several sizes, the one whose test accuracy is closest;
  * early match: among the checkpoints of networks trained on real data (`real_training.watch`,
    one every `every` steps), the one whose test accuracy is closest;
and the agreement of two networks is the fraction of test images on which they predict the same
class (right or wrong).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor

from .. import recipes
from ..data import Dataset, class_major_labels
from ..functional import predict_many
from ..nets import Params, make_net, sample_inits
from ..protocol import Protocol, sized, train
from ..synthetic import SyntheticSet, fingerprint
from . import real_training

SUBSET_IPCS = (1, 2, 5, 10, 20, 50)  # real images per class of the subset-trained networks


@dataclass(frozen=True)
class Agreement:
    accuracy: Tensor  # (n,) test accuracy of each network trained on the distilled set
    subset: Tensor  # (n,) its agreement with the subset-trained network of closest accuracy
    early: Tensor  # (n,) its agreement with the early-stopped checkpoint of closest accuracy
    subset_accuracy: Tensor  # (n,) test accuracy of that subset-trained network
    early_accuracy: Tensor  # (n,) test accuracy of that early-stopped checkpoint
    images: str = ""  # `ddlab.synthetic.fingerprint` of the set's images: which set was measured

    def summary(self) -> str:
        pct = lambda t: f"{100 * t.mean():.1f}%"  # noqa: E731
        return (
            f"distilled-data networks: {pct(self.accuracy)} test accuracy\n"
            f"  agree with early-stopped networks ({pct(self.early_accuracy)}) on {pct(self.early)} of test images\n"
            f"  agree with subset-trained networks ({pct(self.subset_accuracy)}) on {pct(self.subset)} of test images"
        )


def agreement(
    sets: dict[str, SyntheticSet],
    data: Dataset,
    protocol: Protocol | None = None,
    n_models: int | None = None,
    subset_ipcs: tuple[int, ...] = SUBSET_IPCS,
    steps: int = 300,
    every: int = 5,
    seed: int = 0,
    test_examples: int | None = None,
) -> dict[str, Agreement]:
    """Agreement on the test set between networks trained on each of `sets` and real-data networks
    of matched accuracy (see the module docstring). The real-data networks are trained once and
    shared by all sets: subset-trained ones under `protocol` (default: the first set's standard
    protocol at the profile's size), early-stopped ones for `steps` steps with a checkpoint every
    `every`. Each set's own networks follow `_protocols`: all share one architecture and width,
    so that every network is compared with its own kind. Predictions and accuracies are taken on the
    first `test_examples` test images (default: all)."""
    if not sets:
        raise ValueError("agreement needs at least one distilled set, got none")
    protocols = _protocols(sets, protocol)
    reference = next(iter(protocols.values()))
    n_models = n_models or recipes.analysis().evaluation.n_models
    generator = torch.Generator().manual_seed(seed)
    net = make_net(reference.arch, *data.net_args, width=reference.width)
    test = data.x_test[:test_examples]

    subset = [
        _predictions(net, train(_real_subset(data, ipc, generator), data, reference, n_models, generator)[1], test)
        for ipc in subset_ipcs
    ]
    subset = torch.cat(subset)  # (sizes * n, M)
    inits = sample_inits(net, n_models, reference.init_scheme, generator, data.device)
    _, checkpoints = real_training.watch(
        net, inits, data, steps, every, lambda p: _predictions(net, p, test), generator
    )
    early = torch.cat(checkpoints)  # (checkpoints * n, M)

    truth = data.y_test[:test_examples].cpu()
    accuracy = lambda predictions: (predictions == truth).float().mean(-1)  # noqa: E731
    results = {}
    for name, synthetic in sets.items():
        distilled = _predictions(net, train(synthetic, data, protocols[name], n_models, generator)[1], test)
        subset_match = _closest(accuracy(distilled), accuracy(subset))
        early_match = _closest(accuracy(distilled), accuracy(early))
        agree = lambda matched: (distilled == matched).float().mean(-1)  # noqa: E731, B023 (this iteration's)
        results[name] = Agreement(
            accuracy(distilled),
            agree(subset[subset_match]),
            agree(early[early_match]),
            accuracy(subset)[subset_match],
            accuracy(early)[early_match],
            fingerprint(synthetic.images),
        )
    return results


def _protocols(sets: dict[str, SyntheticSet], protocol: Protocol | None) -> dict[str, Protocol]:
    """How the networks of each set are trained: `protocol` for all, else each set's standard
    protocol on the first set's network. (Sets distilled at different widths, as the reference
    sets of `assets/` are, keep their widths in the full profile; the comparison needs one.)"""
    if protocol is not None:
        return dict.fromkeys(sets, protocol)
    budget = recipes.analysis().evaluation
    first = sized(next(iter(sets.values())).config, budget)
    return {name: replace(sized(s.config, budget), arch=first.arch, width=first.width) for name, s in sets.items()}


def _predictions(net: torch.nn.Module, params: Params, x: Tensor) -> Tensor:
    """Predicted class of every image of `x` by each stacked network: (n_models, M) uint8, on the CPU."""
    return predict_many(net, params, x).argmax(-1).to(torch.uint8).cpu()


def _closest(targets: Tensor, candidates: Tensor) -> Tensor:
    """Index of the candidate accuracy closest to each target accuracy: (len(targets),)."""
    return (targets[:, None] - candidates[None, :]).abs().argmin(dim=1)


def _real_subset(data: Dataset, ipc: int, generator: torch.Generator) -> SyntheticSet:
    """`ipc` random real training images of every class, as a set to train on."""
    images = torch.cat([data.sample_per_class(c, ipc, generator) for c in range(data.num_classes)])
    labels = class_major_labels(data.num_classes, ipc, data.device)
    return SyntheticSet(images, labels, None, {"method": "random_real"})
