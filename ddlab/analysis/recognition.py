"""Do networks trained on real data recognise distilled images — and when do they start to?

Yang et al. (Sections 3 and 4.2) turn the usual test around: train networks on *real* images and
let them classify the *distilled* ones. If distilled images were noise that only works as training
data, real-trained networks would score at chance on them; the paper finds they recognise them
well, across architectures, so distilled images carry the classes' real features. Following a
network through its real training shows *when*: accuracy on distilled images rises within the
first few hundred steps, early in training — the first hint that distillation stores early
training dynamics.

`recognition`: networks of several architectures trained on a real subset, scored on each set.
`recognition_during_training`: networks scored on each set (and on real test images) every few
steps of real training (`real_training.watch`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .. import recipes
from ..data import Dataset
from ..functional import Schedule, accuracy_many, train_many
from ..nets import Params, make_net, sample_inits
from ..synthetic import SyntheticSet, fingerprint
from . import real_training

ARCHS = ("lenet", "convnet", "mlp")


@dataclass(frozen=True)
class Recognition:
    archs: tuple[str, ...]  # architectures of the real-trained networks
    names: tuple[str, ...]  # the distilled sets, in order
    accuracy: Tensor  # (archs, sets, n_models) fraction of each set's images classified as their label
    test_accuracy: Tensor  # (archs, n_models) accuracy on real test images: how good the judges are
    fingerprints: tuple[str, ...] = ()  # `ddlab.synthetic.fingerprint` of each set's images: which sets were scored

    def summary(self) -> str:
        rows = [f"{'trained on real':>16}  {'real test':>9}  " + "  ".join(f"{n:>12}" for n in self.names)]
        for a, arch in enumerate(self.archs):
            cells = "  ".join(f"{100 * self.accuracy[a, s].mean():>11.1f}%" for s in range(len(self.names)))
            rows.append(f"{arch:>16}  {100 * self.test_accuracy[a].mean():>8.1f}%  {cells}")
        return "\n".join(rows)


def recognition(
    sets: dict[str, SyntheticSet],
    data: Dataset,
    archs: tuple[str, ...] = ARCHS,
    n_models: int | None = None,
    train_examples: int | None = None,
    epochs: int | None = None,
    test_examples: int | None = None,
    seed: int = 0,
) -> Recognition:
    """Train `n_models` networks of each of `archs` on `train_examples` random real training
    images for `epochs` epochs (defaults: the profile's), then score them on every set's images
    (and on the first `test_examples` real test images, default all)."""
    plan = recipes.analysis()
    n_models = n_models or plan.evaluation.n_models
    train_examples = train_examples or plan.real_examples
    epochs = epochs or plan.real_epochs
    generator = torch.Generator().manual_seed(seed)
    x, y = data.sample(train_examples, generator)  # (train_examples, C, H, W)
    schedule = Schedule(
        epochs=epochs, batch_size=real_training.BATCH_SIZE, lr=real_training.LR, momentum=real_training.MOMENTUM
    )
    on_sets, on_test = [], []
    for arch in archs:
        net = make_net(arch, *data.net_args, width=plan.width)
        inits = sample_inits(net, n_models, "default", generator, data.device)
        trained = train_many(net, inits, x, y, schedule, generator)
        on_sets.append(torch.stack([_score(net, trained, s, data) for s in sets.values()]))
        on_test.append(accuracy_many(net, trained, data.x_test[:test_examples], data.y_test[:test_examples]).cpu())
    return Recognition(
        tuple(archs),
        tuple(sets),
        torch.stack(on_sets),
        torch.stack(on_test),
        tuple(fingerprint(s.images) for s in sets.values()),
    )


@dataclass(frozen=True)
class RecognitionCurve:
    steps: list[int]  # real-training steps at which the networks were scored
    accuracy: dict[str, Tensor]  # each set's name, and "test" (real test images) -> (len(steps), n_models)

    def mean(self, name: str) -> list[float]:
        """Accuracy on `name` at every measured step, averaged over the networks."""
        return self.accuracy[name].mean(dim=1).tolist()


def recognition_during_training(
    sets: dict[str, SyntheticSet],
    data: Dataset,
    arch: str = "convnet",
    steps: int = 300,
    every: int = 10,
    n_models: int | None = None,
    test_examples: int = 2000,
    seed: int = 0,
) -> RecognitionCurve:
    """Accuracy on each set's images, and on the first `test_examples` real test images ("test"),
    of `n_models` fresh `arch` networks at step 0 and every `every` steps of training on real data."""
    if "test" in sets:
        raise ValueError("'test' names the real test images' curve; give the distilled sets other names")
    n_models = n_models or recipes.analysis().evaluation.n_models
    generator = torch.Generator().manual_seed(seed)
    net = make_net(arch, *data.net_args, width=recipes.analysis().width)
    inits = sample_inits(net, n_models, "default", generator, data.device)
    test = SyntheticSet(data.x_test[:test_examples], data.y_test[:test_examples])
    scored = {**sets, "test": test}

    def measure(params: Params) -> dict[str, Tensor]:
        return {name: _score(net, params, s, data) for name, s in scored.items()}

    measured, results = real_training.watch(net, inits, data, steps, every, measure, generator)
    return RecognitionCurve(measured, {name: torch.stack([r[name] for r in results]) for name in scored})


def _score(net: torch.nn.Module, params: Params, synthetic: SyntheticSet, data: Dataset) -> Tensor:
    """Accuracy of each stacked network on `synthetic`'s images and labels: (n_models,), on the CPU."""
    return accuracy_many(net, params, synthetic.images.detach().to(data.device), synthetic.labels.to(data.device)).cpu()
