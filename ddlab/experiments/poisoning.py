"""Poisoning with distilled data — Wang et al. 2018, Section 4.3 ("malicious data", Figure 6).

``DD(attack=(source, target))`` distils images whose few GD steps make pretrained networks call
class `source` `target` while they keep recognising every other class: the outer loss is the usual
one on real images, except that real `source` images count as `target` (`ddlab.methods.dd.relabel`,
as in Wang et al.'s code). After training on a set, two numbers measure the attack on the test set:

  attack success   the fraction of `source` test images the network classifies as `target`;
  other classes    the accuracy on the test images of every other class (the attack should keep it).

The baseline spends the same budget the naive way: random real images laid out like the distilled
set, the `source` ones labelled `target` (label flipping, `flipped_real`), with one fixed step size
tuned for the attack's objective on the driver's validation slice (never the test set).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..data import Dataset
from ..distill import validation_slice
from ..evaluate import Scores, evaluate
from ..methods import DD, check_attack, relabel
from ..synthetic import SyntheticSet
from . import baselines
from .adaptation import without_steps


def attack_of(synthetic: SyntheticSet, attack: Sequence[int] | None, data: Dataset) -> tuple[int, int]:
    """`attack`, else the one `synthetic` was distilled with, checked: (source, target)."""
    chosen = tuple(synthetic.config.get("attack", ()) if attack is None else attack)
    if not chosen:
        raise ValueError("no attack to measure: pass attack=(source, target) or a set distilled with one")
    check_attack(DD(attack=chosen).attack, data)  # DD's checks: two different class indices
    return chosen


@dataclass(frozen=True)
class AttackScores:
    attack: tuple[int, int]  # (source, target)
    success: Scores  # per network: fraction of the `source` test images classified as `target`
    others: Scores  # per network: accuracy on the test images of every other class

    def __str__(self) -> str:
        source, target = self.attack
        return f"{source} -> {target} on {self.success.format()} of the {source}s; other classes {self.others.format()}"


def attack_scores(
    synthetic: SyntheticSet,
    data: Dataset,
    attack: Sequence[int] | None = None,
    init: str | None = None,
    n_models: int = 20,
    seed: int = 0,
) -> AttackScores:
    """Train the networks `evaluate(synthetic, data, init, n_models, seed)` trains and measure the
    attack (default: the one the set was distilled with) on the test set. Attack success is the
    accuracy on the `source` test images relabelled `target`, so both numbers are `evaluate`'s own."""
    source, target = attack_of(synthetic, attack, data)
    is_source = data.y_test == source  # (M,)
    as_target = torch.full_like(data.y_test[is_source], target)
    success = evaluate(synthetic, data, init=init, n_models=n_models, seed=seed, on=(data.x_test[is_source], as_target))
    others = evaluate(
        synthetic, data, init=init, n_models=n_models, seed=seed, on=(data.x_test[~is_source], data.y_test[~is_source])
    )
    return AttackScores((source, target), success, others)


def flipped_real(
    data: Dataset,
    like: DD | SyntheticSet,
    attack: Sequence[int],
    init: str | None = None,
    seed: int = 0,
    step_sizes: tuple[float, ...] | None = None,
) -> SyntheticSet:
    """The naive poison: random real images in `like`'s layout with the `source` ones labelled
    `target`, and the fixed step size of `step_sizes` (default `ddlab.experiments.baselines.STEP_SIZES`) whose
    networks best fit the relabelled validation slice — the objective the distilled poison is chosen on."""
    config = dataclasses.replace(baselines.dd_config(like), attack=tuple(attack))
    check_attack(config.attack, data)
    setting = init or config.init
    per_class = baselines.random_real(data, config, seed)  # (classes, K, C, H, W)
    x_val, y_val = validation_slice(data)
    y_val = relabel(y_val, config.attack)

    def poison(step_size: float) -> SyntheticSet:
        made = baselines.layout(
            per_class,
            config,
            step_size,
            method="flipped_real",
            init=setting,
            dataset=data.name,
            tuned_step_size=step_size,
        )
        return dataclasses.replace(made, labels=relabel(made.labels, config.attack), seed=seed)

    grid = tuple(baselines.STEP_SIZES if step_sizes is None else step_sizes)
    scores = [
        evaluate(
            poison(lr),
            data,
            init=setting,
            n_models=baselines.TUNING_MODELS,
            seed=seed,
            on=(x_val, y_val),
            use="distill",
        ).mean
        for lr in grid
    ]
    return poison(grid[max(range(len(grid)), key=scores.__getitem__)])


@dataclass(frozen=True)
class AttackComparison:
    setting: str  # the init setting of the networks attacked
    images: int  # images in the distilled poison (and in the flipped real one)
    rows: dict[str, AttackScores]  # "before" (no step), "flipped real", "distilled" -> the attack's scores

    def bars(self) -> dict[str, dict[str, Scores]]:
        """{"attack success": {row: Scores}, "other classes": {row: Scores}} for `ddlab.plots.plot_bars`."""
        source, target = next(iter(self.rows.values())).attack
        return {
            f"{source} classified as {target}": {k: r.success for k, r in self.rows.items()},
            "accuracy on the other classes": {k: r.others for k, r in self.rows.items()},
        }

    def __str__(self) -> str:
        return "\n".join(
            [f"{self.setting}, {self.images} images:"]
            + [f"  {name:>12}: {scores}" for name, scores in self.rows.items()]
        )


def compare_attack(
    distilled: SyntheticSet,
    data: Dataset,
    n_models: int = 20,
    seed: int = 0,
    step_sizes: tuple[float, ...] | None = None,
) -> AttackComparison:
    """The distilled poison against no training at all and against flipped real images of the same
    size, all on the same networks (the ones `evaluate` reports on for the set's init setting)."""
    attack = attack_of(distilled, None, data)
    real = flipped_real(data, distilled, attack, seed=seed, step_sizes=step_sizes)
    rows = {
        name: attack_scores(s, data, attack, distilled.config["init"], n_models, seed)
        for name, s in (("before", without_steps(distilled)), ("flipped real", real), ("distilled", distilled))
    }
    return AttackComparison(distilled.config["init"], len(distilled), rows)
