"""Adaptation — Wang et al. 2018, Section 4.2: a few distilled images that teach *pretrained* networks MNIST.

Under the pretrained init settings (`ddlab.methods.dd`) the networks start out trained on other
digits (`ddlab.sources.pretrained`: USPS, or scikit-learn's UCI digits offline). Distilling MNIST for them
gives a handful of images whose few GD steps adapt those networks to MNIST. Three numbers tell the
story, each measured on the same networks, the ones `ddlab.evaluate` reports on:

  before      the pretrained networks, untouched (`before`);
  real        after the same steps on as many random real MNIST images with a tuned fixed step size
              (fine-tuning on real data: `ddlab.experiments.baselines`' random_real under the same setting);
  distilled   after the steps on the distilled images with their learned step sizes.

The paper (project page; USPS -> MNIST, pretrained networks of unknown weights, 100 distilled
images) reports its before and after in `ddlab.papers`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from ..data import Dataset
from ..evaluate import Scores, evaluate
from ..inits import PRETRAINED_SETTINGS
from ..synthetic import SyntheticSet
from .baselines import dd_config
from .comparison import compare


def before(
    synthetic: SyntheticSet,
    data: Dataset,
    init: str | None = None,
    n_models: int = 20,
    seed: int = 0,
    on: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> Scores:
    """Accuracy of the networks `evaluate(synthetic, data, init, n_models, seed)` trains, *before*
    any step: the same set with every step size zero, so each step leaves the weights where they
    are and "before" and "after" are measured on exactly the same networks."""
    return evaluate(without_steps(synthetic), data, init=init, n_models=n_models, seed=seed, on=on)


def without_steps(synthetic: SyntheticSet) -> SyntheticSet:
    """`synthetic` with every step size zero: training on it leaves any network as it was."""
    if synthetic.lrs is None:
        raise ValueError(f"a set with step sizes (DD or a baseline) is needed; a {synthetic.method!r} set has none")
    return dataclasses.replace(synthetic, lrs=torch.zeros_like(synthetic.lrs))


@dataclass(frozen=True)
class Adaptation:
    setting: str  # the pretrained init setting the networks come from
    images: int  # images in the distilled set, and in each draw of real images
    before: Scores  # the pretrained networks, untouched
    real: Scores  # after the same steps on random real images (every draw's networks pooled)
    distilled: Scores  # after the steps on the distilled images
    real_step_size: float  # the real images' tuned fixed step size

    def bars(self) -> dict[str, Scores]:
        """The three results in story order, for `ddlab.plots.plot_bars`."""
        return {"before": self.before, "random real": self.real, "distilled": self.distilled}

    def __str__(self) -> str:
        return (
            f"{self.setting}, {self.images} images: before {self.before.format()} -> random real "
            f"(step {self.real_step_size:g}) {self.real.format()} -> distilled {self.distilled.format()}"
        )


def adapt(
    distilled: SyntheticSet,
    data: Dataset,
    n_models: int = 20,
    n_sets: int = 3,
    seed: int = 0,
    step_sizes: tuple[float, ...] | None = None,
) -> Adaptation:
    """Before, real and distilled for a set distilled under a pretrained setting (see the module
    docstring). The real images are `n_sets` draws of random_real in the set's layout, with one fixed
    step size tuned on the first draw (over `step_sizes`, default `ddlab.experiments.baselines.STEP_SIZES`)."""
    setting = distilled.config.get("init")
    if setting not in PRETRAINED_SETTINGS:
        raise ValueError(
            f"adapt() needs a set distilled under {' or '.join(PRETRAINED_SETTINGS)}, got init={setting!r}"
        )
    real = compare(
        dd_config(distilled),
        data,
        settings=(setting,),
        names=("random_real",),
        n_models=n_models,
        n_sets=n_sets,
        seed=seed,
        step_sizes=step_sizes,
    ).row("random_real")
    return Adaptation(
        setting,
        len(distilled),
        before(distilled, data, n_models=n_models, seed=seed),
        real.scores[setting],
        evaluate(distilled, data, n_models=n_models, seed=seed),
        real.step_sizes[setting],
    )
