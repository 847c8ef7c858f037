"""The standard evaluation protocol of DC, DSA, DM and MTT: train fresh networks on the set.

A set without learned step sizes is judged the way those papers judge it (their shared code's
``evaluate_synset``): train a freshly initialised ConvNet on the synthetic images alone with

    SGD, lr 0.01 (MTT: the set's learned step size), momentum 0.9, weight decay 5e-4, batch 256,
    lr x 0.1 after half the epochs, 300 epochs — 1000 when the images are augmented while training
    (DSA, DM, MTT; and DC on MNIST),

test it on the real test set, and report mean +- std over 20 such networks. Here all networks are
trained at once by `ddlab.functional.train_many` (vmap) and tested by `accuracy_many`.

Which augmentation (`paper`): DC's code evaluates MNIST with crop/scale/rotate (`augment.DC_MNIST`);
DSA, DM and MTT (and, by default, any other set) with DSA's transforms (`augment.DSA`).

IDC (Kim et al. 2022) trains on its set *decoded* (`methods.idc.training_set`: four images per stored
one at factor 2) and is judged as its code judges MNIST and Fashion-MNIST (`test.py`, `train.py` and
`argument.py` with ``--reproduce``): 1000 epochs in minibatches of 64, the step size x0.2 at 2/3 and
5/6 of training; every image through color (and, on Fashion-MNIST, a mirror half of the time), then
one of crop, scale or rotation drawn per minibatch; and CutMix on half the minibatches, except on
MNIST with multi-formation, where its code trains without it.

Budgets: the full profile runs the papers' epochs and 20 networks; on a CPU the default and quick
profiles train fewer, shorter networks (`sized`, with a `Budget` from `ddlab.recipes`).

Cross-architecture generalisation is the same call with another network:

    for arch in ("convnet", "lenet", "mlp"):
        print(arch, ddlab.evaluate(result, data, protocol=protocol.sized(result.config, recipes.evaluation(), arch=arch)))

The driver's validation check (``evaluate(..., on=slice)``) uses `sized(..., validation=True)`:
no augmentation and the set's ``validation_epochs``, because it only has to rank sets, often.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from . import augment
from .data import Dataset
from .functional import Schedule, accuracy_many, train_many
from .methods import training_set
from .nets import ARCHITECTURES, INIT_SCHEMES, Params, make_net, sample_inits
from .synthetic import SyntheticSet

AUGMENTATIONS = {
    "none": None,
    "dsa": augment.DSA,
    "dc": augment.DC_MNIST,
    "idc": augment.Augmentation(ops=("crop", "scale", "rotate"), always=("color",)),
    "idc_flip": augment.Augmentation(ops=("crop", "scale", "rotate"), always=("flip", "color")),
}
KEYED_WHEN_SET = {"keyed_when_set": True}
VALIDATION_EPOCHS = 50  # for sets whose config names no validation_epochs


@dataclass(frozen=True)
class Protocol:
    """How fresh networks are trained on a synthetic set (the defaults: DSA/DM/MTT's protocol)."""

    arch: str = "convnet"  # network trained on the set: convnet, lenet or mlp
    width: int = 128  # ConvNet channels (the papers' 128)
    augmentation: str = "dsa"  # per-minibatch augmentation: "none", "dsa", "dc" (DC's MNIST set), "idc", "idc_flip"
    epochs: int = 1000  # passes over the set: 300 without augmentation, 1000 with
    batch_size: int = 256  # images per SGD step (capped at the set's size)
    lr: float = 0.01  # SGD step size, x decay_factor at each of decay_at (fractions of training)
    momentum: float = 0.9  # SGD momentum
    weight_decay: float = 5e-4  # L2 penalty
    init_scheme: str = "default"  # PyTorch's default init, as the papers' code
    # Added after cached networks were keyed by a protocol: keyed only when set (`cache.keyed_fields`).
    decay_at: tuple[float, ...] = field(default=(0.5,), metadata=KEYED_WHEN_SET)  # IDC's judge: 2/3 and 5/6
    decay_factor: float = field(default=0.1, metadata=KEYED_WHEN_SET)  # IDC's judge: 0.2
    cutmix: float = field(default=0.0, metadata=KEYED_WHEN_SET)  # CutMix's probability per minibatch (`augment.cutmix`)

    def __post_init__(self):
        for name, allowed in (
            ("arch", tuple(ARCHITECTURES)),
            ("augmentation", tuple(AUGMENTATIONS)),
            ("init_scheme", INIT_SCHEMES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"Protocol.{name}={getattr(self, name)!r} is not allowed; use one of: {', '.join(allowed)}"
                )
        for name in ("width", "epochs", "batch_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Protocol.{name} must be a positive integer, got {getattr(self, name)!r}")
        if not 0.0 <= self.cutmix <= 1.0:
            raise ValueError(f"Protocol.cutmix is a probability in [0, 1], got {self.cutmix!r}")
        object.__setattr__(self, "decay_at", tuple(self.decay_at))  # a JSON record gives a list

    def schedule(self) -> Schedule:
        return Schedule(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            decay_at=self.decay_at,
            decay_factor=self.decay_factor,
        )


def paper(config: dict) -> Protocol:
    """The protocol the paper of a set's method evaluates with (`config` = `SyntheticSet.config`).
    An MTT set is trained with the step size it learned (``learned_lr``), as the MTT paper does."""
    if config.get("method") == "idc":
        fashion = config.get("dataset") == "fashion_mnist"
        return Protocol(
            width=int(config.get("width", 128)),
            augmentation="idc_flip" if fashion else "idc",
            epochs=1000,
            batch_size=64,
            decay_at=(2 / 3, 5 / 6),
            decay_factor=0.2,
            cutmix=0.5 if fashion or int(config.get("factor", 2)) == 1 else 0.0,
        )
    dc_code_on_mnist = config.get("method") == "dc" and not config.get("dsa", False)
    augmentation = "dc" if dc_code_on_mnist else "dsa"
    return Protocol(
        width=int(config.get("width", 128)),
        augmentation=augmentation,
        epochs=1000,
        lr=float(config.get("learned_lr", Protocol.lr)),
    )


def as_published(config: dict) -> Protocol:
    """The paper's protocol exactly as its code runs it: `paper`, but on ConvNets of the papers' width
    (128 channels) whatever width the set was distilled at. The course makes its sets narrower and
    judges them cheaper; this is the judge that makes our number comparable to the paper's."""
    return replace(paper(config), width=Protocol.width)


@dataclass(frozen=True)
class Budget:
    """How much of a paper's protocol a profile affords (the instances live in `ddlab.recipes`)."""

    epoch_fraction: float  # share of the paper's epochs (1.0: all of them)
    n_models: int  # fresh networks per evaluation: mean ± std over them
    width: int | None = None  # ConvNet channels; None: the width the set was made at


def sized(config: dict, budget: Budget | None = None, *, validation: bool = False, arch: str | None = None) -> Protocol:
    """The one place an evaluation protocol is sized: the paper's protocol of a set (`paper`, from
    its ``SyntheticSet.config``) cut to `budget` (width, share of epochs), on `arch` if given.

    validation: the driver's check instead, which only has to rank sets, often: no augmentation and
    the config's ``validation_epochs``, whatever the budget."""
    chosen = paper(config)
    if validation:
        epochs = int(config.get("validation_epochs", VALIDATION_EPOCHS))
        chosen = replace(chosen, augmentation="none", cutmix=0.0, epochs=epochs)
    elif budget is not None:
        chosen = replace(
            chosen, width=budget.width or chosen.width, epochs=max(1, round(budget.epoch_fraction * chosen.epochs))
        )
    return chosen if arch is None else replace(chosen, arch=arch)


def accuracies(
    synthetic: SyntheticSet,
    data: Dataset,
    protocol: Protocol,
    n_models: int,
    generator: torch.Generator,
    on: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Accuracy of each of `n_models` fresh networks trained on `synthetic` under `protocol`,
    on the test set (or on `on` = (images, labels)): (n_models,), on the CPU. Initialisations,
    minibatch orders and augmentations all come from `generator`."""
    net, trained = train(synthetic, data, protocol, n_models, generator)
    x, y = on if on is not None else (data.x_test, data.y_test)
    return accuracy_many(net, trained, x, y).cpu()


def train(
    synthetic: SyntheticSet, data: Dataset, protocol: Protocol, n_models: int, generator: torch.Generator
) -> tuple[nn.Module, Params]:
    """`n_models` fresh networks trained on `synthetic` under `protocol`: the template network and
    the trained weights, stacked (the analyses of `ddlab.analysis` need the networks themselves)."""
    if n_models <= 0:
        raise ValueError(f"n_models must be positive, got {n_models}")
    net = make_net(protocol.arch, *data.net_args, width=protocol.width)
    inits = sample_inits(net, n_models, protocol.init_scheme, generator, data.device)
    strength = AUGMENTATIONS[protocol.augmentation]
    transform = None if strength is None else partial(augment.augment, strength=strength)
    images, targets = training_set(synthetic.to(data.device))
    mix = None
    if protocol.cutmix > 0:  # CutMix mixes labels: hard labels become one-hot soft ones
        targets = targets if targets.is_floating_point() else F.one_hot(targets, data.num_classes).to(images)
        mix = partial(augment.cutmix, p=protocol.cutmix)
    schedule = protocol.schedule()
    trained = train_many(net, inits, images.detach(), targets, schedule, generator, augment=transform, mix=mix)
    return net, trained
