"""Fair scores: what a synthetic set's *images* add, with its labels' and its protocol's help taken out.

DD-Ranking (Li et al. 2025, "DD-Ranking: Rethinking the Evaluation of Dataset Distillation",
arXiv:2505.13300) argues that a set's test accuracy credits its images with what its soft labels
and the evaluation's augmentation do: random real images with a teacher's soft labels, trained
under the same protocol, already score far above random real images with class labels. So each
set is scored four ways here, all under one `Judge` (the same networks, seeds and test images):

    hard          the set's images with class indices only (`SyntheticSet.with_hard_labels`)
    soft          the set as made, trained on its learned labels (None where networks train on
                  its classes: hard labels, or KIP's regression targets; `trains_on_soft_labels`)
    random_hard   random real training images of the same classes, as many of each as the set
                  has, in the same places (a DD schedule keeps its batches and step sizes)
    random_soft   the same random images with a teacher's soft labels: a network trained
                  on the real training data (DD-Ranking's teacher), so the soft labels' own lift is
                  not credited to the distilled images (only beside `soft`)
    whole         networks of the judge's architecture trained on the real training data: the
                  ceiling (DD-Ranking's hard-label recovery is `gap`, how far `hard` stays below it)

and `FairScores` reports the gains: `gain` = hard - random_hard, `soft_gain` = soft - random_soft
(DD-Ranking's improvement over random), `naive_gain` = the set as made against random real images
with class labels (what a plain table implies), and `gap` = whole - hard.

The networks trained on the real data ("whole data") are the expensive part: minutes of a CPU for a
ConvNet, so they are cached on disk under ``<data root>/whole_data/`` the way pretrained pools are
(`ddlab.sources.cache`: atomic, sha256-verified, weights only; a damaged file is rebuilt), keyed by
everything they depend on, and their size is the profile's `ddlab.recipes.whole_data()`. They train
with the protocol's optimiser and without augmentation (one set of networks per architecture and
width, whatever augmentation each set's paper uses). The random real images' scores are kept in
memory too: every set of one protocol and class counts is compared with the same random images.
With one image per class or K of each, seed s draws the very images of the random_real coreset of
seed s (`baselines.random_real` draws them the same way), which the leaderboard's DSA and DM runs
start from: their gain is what distilling added to the images they started with.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from .. import protocol as _protocol
from ..data import Dataset, cache_file
from ..evaluate import Scores, evaluate
from ..functional import accuracy_many, predict_many
from ..inits import InitSpec
from ..nets import Params, make_net
from ..recipes import WholeData, whole_data
from ..sources import cache, course_files
from ..synthetic import SyntheticSet

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: all the training images as they are, not a shuffled copy
REAL_SEED = 0  # draws the real-data networks' images, initialisations and minibatches
# The teacher's probabilities as they are (DD-Ranking's setting for sets with learned labels): a
# higher temperature would flatten them, and the comparison is with labels a set learned at T = 1.
TEMPERATURE = 1.0


@dataclass(frozen=True)
class Judge:
    """One way of scoring sets, the same for every set it scores: fresh networks trained under
    `protocol`, or (None) the set's learned step sizes replayed under the init setting it was
    distilled for (a DD schedule, `ddlab.evaluate`: a fixed-init set on its one network, a
    random-init one on unseen random initialisations); `n_models` networks from `seed`, tested on the first
    `test_examples` test images (None: all)."""

    protocol: _protocol.Protocol | None
    n_models: int
    test_examples: int | None = None
    seed: int = 0

    def __call__(self, synthetic: SyntheticSet, data: Dataset) -> Scores:
        on = self.test_set(data)
        if self.protocol is None:
            return evaluate(synthetic, data, n_models=self.n_models, seed=self.seed, on=on)
        return evaluate(synthetic, data, n_models=self.n_models, seed=self.seed, on=on, protocol=self.protocol)

    def test_set(self, data: Dataset) -> tuple[Tensor, Tensor]:
        return data.x_test[: self.test_examples], data.y_test[: self.test_examples]

    def real_protocol(self, synthetic: SyntheticSet, budget: WholeData) -> _protocol.Protocol:
        """How the networks trained on the real data are trained: the judge's network (a replayed
        set: the architecture and init scheme its config names) with the protocol's default
        optimiser for `budget.epochs`, without augmentation."""
        if self.protocol is None:
            spec = InitSpec.of(synthetic.config)
            network = dict(arch=spec.arch, init_scheme=spec.scheme)
        else:
            network = dict(arch=self.protocol.arch, width=self.protocol.width, init_scheme=self.protocol.init_scheme)
        return _protocol.Protocol(**network, augmentation="none", epochs=budget.epochs)


@dataclass(frozen=True)
class FairScores:
    hard: Scores  # the set's images with class indices only
    soft: Scores | None  # the set trained on its learned labels; None: it trains on its classes
    random_hard: Scores  # random real images, the same classes and counts, class indices
    random_soft: Scores | None  # the same images with the teacher's soft labels (beside `soft`)
    whole: Scores  # networks of the judge's architecture trained on the real training data

    @property
    def gain(self) -> float:
        """What the images add over random real ones, both with class labels (in [-1, 1])."""
        return self.hard.mean - self.random_hard.mean

    @property
    def soft_gain(self) -> float | None:
        """What the images and their learned labels add over random real images with a teacher's
        labels: the fair gain of a soft-label set (None without soft labels)."""
        return None if self.soft is None else self.soft.mean - self.random_soft.mean

    @property
    def naive_gain(self) -> float:
        """The set as made (soft labels if it has them) against random real images with class
        labels: the comparison an accuracy table implies, which credits the images with the labels' lift."""
        return (self.hard if self.soft is None else self.soft).mean - self.random_hard.mean

    @property
    def gap(self) -> float:
        """How far the hard-label accuracy stays below networks trained on all the real data."""
        return self.whole.mean - self.hard.mean

    def summary(self) -> str:
        lines = [
            f"hard labels        {self.hard.format()}   random real: {self.random_hard.format()}   "
            f"gain {points(self.gain)}"
        ]
        if self.soft is not None:
            lines.append(
                f"soft labels        {self.soft.format()}   random real, teacher's labels: "
                f"{self.random_soft.format()}   gain {points(self.soft_gain)}"
            )
        lines.append(f"all real data      {self.whole.format()}   gap to hard labels {points(self.gap)}")
        return "\n".join(lines)


def points(difference: float | None) -> str:
    """A difference of accuracies in percentage points, signed: '+12.3'; '—' for None."""
    return "—" if difference is None else f"{100 * difference:+.1f}"


def fair_scores(
    synthetic: SyntheticSet,
    data: Dataset,
    judge: Judge,
    budget: WholeData | None = None,
    seed: int = 0,
    scored: Scores | None = None,
    root: str | os.PathLike | None = None,
    teacher: Callable[[Tensor], Tensor] | None = None,
) -> FairScores:
    """`synthetic` scored the fair ways of the module docstring by `judge`. budget: the networks
    trained on the real data (default: the profile's `recipes.whole_data()`); seed: which random
    real images; scored: the set's own score by `judge` if already measured (not measured again);
    root: where the real-data networks are cached (default: the data root); teacher: images ->
    soft labels for the random real images (default: the first real-data network at `TEMPERATURE`).
    A set relabelled by its own teacher (SRe2L, RDED) passes that teacher at its temperature, so the
    random images learn from the very labels the set does and only the images differ."""
    budget = budget or whole_data()
    real = judge.real_protocol(synthetic, budget)
    net, trained = whole_data_networks(data, real, budget, root)
    x, y = judge.test_set(data)
    whole = Scores(accuracy_many(net, trained, x, y).cpu(), "whole data")
    soft = random_soft = None
    if synthetic.trains_on_soft_labels:
        soft = judge(synthetic, data) if scored is None else scored
        first = {name: value[:1] for name, value in trained.items()}  # the first network
        random = random_like(synthetic, data, seed)
        labels = teacher_labels(net, first, random.images) if teacher is None else teacher(random.images)
        random_soft = judge(replace(random, soft_labels=labels), data)
        hard = judge(synthetic.with_hard_labels(), data)
    else:  # training on the set already uses its class indices (KIP's targets are not trained on)
        hard = judge(synthetic, data) if scored is None else scored
    return FairScores(hard, soft, random_hard(synthetic, data, judge, seed), random_soft, whole)


def random_like(synthetic: SyntheticSet, data: Dataset, seed: int = 0) -> SyntheticSet:
    """`synthetic` with random real training images in place of its own: in each place an image of
    that place's class (its hard label), drawn without replacement, so the same counts per class
    (any counts, unlike `baselines.random_real`'s K of each) and a DD schedule's same batches and
    step sizes. Class indices only."""
    labels = synthetic.labels.to(data.device)
    images = torch.empty_like(synthetic.images.detach().to(data.device))  # (N, C, H, W)
    generator = torch.Generator().manual_seed(seed)
    for c in labels.unique().tolist():
        where = (labels == c).nonzero().flatten()
        images[where] = data.sample_per_class(c, len(where), generator)
    made = replace(
        synthetic.to(data.device),
        images=images,
        soft_labels=None,
        history={},
        config={**synthetic.config, "method": "random_real"},
    )
    return made


def teacher_labels(net: nn.Module, teacher: Params, images: Tensor, temperature: float = TEMPERATURE) -> Tensor:
    """The teacher's label distribution for each image: softmax(logits / temperature), (N, classes)."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    return predict_many(net, teacher, images.detach())[0].div(temperature).softmax(1)


def random_hard(synthetic: SyntheticSet, data: Dataset, judge: Judge, seed: int = 0) -> Scores:
    """`judge`'s score of `random_like(synthetic)`. Under a protocol it depends only on the class
    counts and the places, so sets alike in those share one measurement (kept in memory)."""
    if judge.protocol is None:  # a replayed schedule: its step sizes belong to the set
        return judge(random_like(synthetic, data, seed), data)
    return _random_hard(data, tuple(synthetic.labels.tolist()), synthetic.images.shape, judge, seed)


@lru_cache(maxsize=64)
def _random_hard(data: Dataset, labels: tuple[int, ...], shape: torch.Size, judge: Judge, seed: int) -> Scores:
    placeholder = SyntheticSet(torch.zeros(shape), torch.tensor(labels), config={"dataset": data.name})
    return judge(random_like(placeholder, data, seed), data)


# --- the networks trained on the real data, cached --------------------------------------------

_trained: dict[tuple[str, str], Params] = {}  # the verified file's weights, per path and device


# The default profile's real-data networks (notebooks 09 and 13: a ConvNet of width 32 and DD's
# LeNet on MNIST, the ConvNet on Fashion-MNIST), shipped so that a learner's first run does not
# spend minutes training them: file name in assets/whole_data/ -> its sha256. Made by
# `whole_data_networks` like any cache, then copied there.
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "whole_data"
SHA256: dict[str, str] = {
    "fashion_mnist-convnet-w32-6c364979972a.pt": "8b6fed8a790becb9115dac74903bea66d58a5c7edc2a8020c61ea8a5bc8405fb",
    "mnist-convnet-w32-c2fb64eea1b9.pt": "6c150d841cc676bf52595bf81f05362ac8b1fd45239226954f6c3312321da980",
    "mnist-lenet-w128-e99d21ef33d7.pt": "b0cc380206c32856736ea610f6019cb90673cadb385d178dcaa83d0a1a2b554f",
}


def whole_data_networks(
    data: Dataset, real: _protocol.Protocol, budget: WholeData, root: str | os.PathLike | None = None
) -> tuple[nn.Module, Params]:
    """`budget.n_models` networks trained under `real` on `budget.examples` random training images
    of `data` (all of them by default): the template network and the stacked weights. From memory,
    else the shipped file (`SHA256`), else the verified cache file, else trained and cached."""
    key = whole_data_key(data, real, budget)
    name = f"{data.name}-{real.arch}-w{real.width}-{cache.key_digest(key)}.pt"
    path = cache_file("whole_data", name, root=root)
    net = make_net(real.arch, *data.net_args, width=real.width)
    memo = (str(path), str(data.device))
    if memo not in _trained:
        source = (
            course_files.shipped(
                "assets/whole_data",
                name,
                SHA256,
                "whole-data networks",
                "ddlab.experiments.fair.SHA256",
                in_clone=SHIPPED_DIR / name,
            )
            or path
        )  # a shipped file that fails its check raises
        try:
            params = _load(source, key, net, budget.n_models)
        except FileNotFoundError:
            params = _train_and_save(data, real, budget, key, path)
        except ValueError as error:
            log.warning("%s; training them again", error)
            params = _train_and_save(data, real, budget, key, path)
        _trained[memo] = {name: value.to(data.device) for name, value in params.items()}
    return net, _trained[memo]


def whole_data_key(data: Dataset, real: _protocol.Protocol, budget: WholeData) -> dict[str, Any]:
    """Everything the networks depend on: the data (by name and size), the protocol and the budget."""
    return {
        "format": FORMAT_VERSION,
        "dataset": data.name,
        "train": len(data.y_train),
        "image_shape": list(data.image_shape),
        "classes": data.num_classes,
        "protocol": cache.keyed_fields(real),
        "budget": asdict(budget),
        "seed": REAL_SEED,
    }


def _train_and_save(
    data: Dataset, real: _protocol.Protocol, budget: WholeData, key: dict[str, Any], path: Path
) -> Params:
    generator = torch.Generator().manual_seed(REAL_SEED)
    examples = len(data.y_train) if budget.examples is None else min(budget.examples, len(data.y_train))
    # All of them: the training set as it is (training shuffles every epoch), not a shuffled copy
    # of it, which would add the dataset's size to a Binder session's peak memory.
    x, y = (data.x_train, data.y_train) if examples == len(data.y_train) else data.sample(examples, generator)
    log.info(
        "training %d %s networks on %d %s images (cached in %s)", budget.n_models, real.arch, examples, data.name, path
    )
    _, params = _protocol.train(
        SyntheticSet(x, y, config={"dataset": data.name}), data, real, budget.n_models, generator
    )
    cache.write_state(path, {"key": key, "params": {k: v.detach().cpu().contiguous() for k, v in params.items()}})
    return params


def _load(path: Path, key: dict[str, Any], net: nn.Module, n_models: int) -> Params:
    """The verified weights at `path`, on the CPU; FileNotFoundError if there are none, ValueError
    (one line) if the file is not the networks `key` describes."""
    if not path.is_file():
        raise FileNotFoundError(f"no whole-data networks at {path}")
    state = cache.read_state(path, "whole-data networks")
    params = state.get("params")
    shapes = {name: (n_models, *p.shape) for name, p in net.named_parameters()}
    if (
        state.get("key") != key
        or not isinstance(params, dict)
        or {name: tuple(getattr(p, "shape", ())) for name, p in params.items()} != shapes
    ):
        raise ValueError(f"whole-data networks {path} were not made with the requested settings")
    return params
