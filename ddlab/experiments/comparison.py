"""Distilled data against real-image baselines of the same size, under the same evaluation.

``compare(distilled, data)`` builds Wang et al. 2018's Table 1 for one DD layout: one row for the
distilled set and one per baseline of `ddlab.experiments.baselines` (real images, tuned fixed step size), one
column per init setting, each cell the test accuracy (mean ± std) over unseen networks. A baseline
that draws its images at random is drawn `n_sets` times and the cell pools every draw's networks,
so under a fixed init (one network) the spread says how much the choice of images matters. Every
row is tested on the same unseen networks (one evaluation seed), so rows differ only by their data.

The paper's numbers stand beside ours only where the layout matches and the number was checked
against a public source: the project page (ssnl.github.io/dataset_distillation) gives, for MNIST
and LeNet, 93.8% for 10 images under a fixed init and 79.5 ± 8.1% for 100 images under random
inits; the layouts are the ones its repository's README and option defaults run (1 step x 3 epochs,
and 10 steps x 3 epochs, one image per class per step). The baselines' numbers in the paper's
Table 1 could not be checked from here, so they are left out rather than quoted from memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .. import papers
from ..data import Dataset
from ..evaluate import Scores, evaluate
from ..methods import DD
from ..synthetic import SyntheticSet
from .baselines import BASELINES, dd_config, make_baseline


@dataclass(frozen=True)
class Row:
    method: str  # "distilled (dd)" or a baseline's name
    scores: dict[str, Scores]  # init setting -> test accuracy of every network of every draw
    step_sizes: dict[str, float | None]  # init setting -> tuned fixed step size (None: learned ones)
    seconds: dict[str, float | None]  # init setting -> seconds to select and tune the first draw
    draws: dict[str, int]  # init setting -> sets evaluated (1 if the method is deterministic)
    paper: dict[str, str]  # init setting -> the paper's number for this layout, where checked


@dataclass(frozen=True)
class Comparison:
    layout: str  # what was compared: data, network, images, steps, epochs
    settings: tuple[str, ...]  # the init settings, one column each
    rows: tuple[Row, ...]
    paper: dict[str, str]  # init setting -> the paper's distilled set of this layout, where checked

    def row(self, method: str) -> Row:
        for row in self.rows:
            if row.method == method:
                return row
        raise KeyError(f"no row {method!r}; rows: {', '.join(r.method for r in self.rows)}")

    def __str__(self) -> str:
        columns = [f"{s} init" for s in self.settings]
        lines = [
            f"{self.layout}. Test accuracy (%), mean ± std over unseen networks (n = networks x draws); "
            "baselines are real images with a tuned fixed step size (tuned on a validation slice of the "
            "training set).",
            "",
            "| method | " + " | ".join(columns) + " | tuned fixed step size | select + tune (s) | paper |",
            "|---" * (len(columns) + 4) + "|",
        ]
        for row in self.rows:
            cells = [row.scores[s].format(unit="", count=True) for s in self.settings]
            steps = " / ".join(
                "learned" if row.step_sizes[s] is None else f"{row.step_sizes[s]:g}" for s in self.settings
            )
            seconds = " / ".join("—" if row.seconds[s] is None else f"{row.seconds[s]:.1f}" for s in self.settings)
            paper = " / ".join(row.paper.get(s, "—") for s in self.settings)
            lines.append(f"| {row.method} | " + " | ".join(cells) + f" | {steps} | {seconds} | {paper} |")
        lines.append("")
        if self.paper and not any(row.paper for row in self.rows):
            lines.append(
                "The paper's distilled set of this layout: "
                + ", ".join(f"{v} ({s} init)" for s, v in self.paper.items())
                + "."
            )
        lines.append("Paper: Wang et al. 2018, project page; its baseline numbers are left out (not checked).")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return str(self)


def _layout_key(config: DD) -> tuple[str, int, int, int]:
    """What distilled sets must share to sit in one table, and what the paper's numbers are keyed by."""
    return config.arch, config.ipc, config.steps, config.epochs


def compare(
    like: SyntheticSet | Sequence[SyntheticSet] | DD,
    data: Dataset,
    settings: tuple[str, ...] = ("fixed", "random"),
    names: tuple[str, ...] = tuple(BASELINES),
    n_models: int = 20,
    n_sets: int = 3,
    seed: int = 0,
    step_sizes: tuple[float, ...] | None = None,
) -> Comparison:
    """Rows: the distilled set(s) in `like`, then every baseline in `names` laid out like them;
    columns: `settings`. Several distilled sets of one layout (say, one distilled for the fixed
    init and one for random inits, as in the paper's Table 1) get a row each, named by the init
    they were distilled for. A baseline's step size is tuned once per setting (on its first draw)
    and kept for its other draws; a baseline whose next draw equals its first is deterministic and
    counted once. `n_models` unseen networks per set under a random init (one under "fixed")."""
    if n_sets <= 0:
        raise ValueError(f"n_sets must be positive, got {n_sets}")
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline {unknown[0]!r}; available: {', '.join(BASELINES)}")
    distilled = [like] if isinstance(like, SyntheticSet) else [] if isinstance(like, DD) else list(like)
    configs = [dd_config(synthetic) for synthetic in distilled] or [dd_config(like)]
    config, key = configs[0], _layout_key(configs[0])
    for other in map(_layout_key, configs[1:]):
        if other != key:
            raise ValueError(
                f"distilled sets of different layouts cannot share a table: {key} and {other} "
                "(arch, ipc, steps, epochs)"
            )
    paper = {
        s: wang[0].value
        for s in settings
        if config.arch == "lenet"
        and (wang := papers.numbers("wang2018", data.name, "dd", init=s, images=config.ipc * data.num_classes))
    }
    rows = []
    for synthetic, made_for in zip(distilled, (c.init for c in configs)):
        label = synthetic.method if len(distilled) == 1 else f"{synthetic.method}, for {made_for} init"
        rows.append(
            Row(
                f"distilled ({label})",
                {s: evaluate(synthetic, data, init=s, n_models=n_models, seed=seed) for s in settings},
                dict.fromkeys(settings),
                dict.fromkeys(settings),
                dict.fromkeys(settings, 1),
                {s: v for s, v in paper.items() if len(distilled) == 1 or s == made_for},
            )
        )
    for name in names:
        scores, step_sizes_used, seconds, draws = {}, {}, {}, {}
        for setting in settings:
            first = make_baseline(name, data, config, seed, setting, step_sizes=step_sizes)
            sets = [first]
            for i in range(1, n_sets):
                draw = make_baseline(name, data, config, seed + i, setting, step_size=first.config["tuned_step_size"])
                if torch.equal(draw.images, first.images):
                    break
                sets.append(draw)
            accuracies = [evaluate(s, data, init=setting, n_models=n_models, seed=seed).accuracies for s in sets]
            scores[setting] = Scores(torch.cat(accuracies), setting)
            step_sizes_used[setting] = first.config["tuned_step_size"]
            seconds[setting] = first.config["selection_seconds"] + first.config["tuning_seconds"]
            draws[setting] = len(sets)
        rows.append(Row(name, scores, step_sizes_used, seconds, draws, {}))
    layout = (
        f"{data.name.upper()}, {config.arch}, {config.ipc * data.num_classes} images "
        f"({config.steps} step(s) x {config.per_step} per class, {config.epochs} epochs)"
    )
    return Comparison(layout, tuple(settings), tuple(rows), paper)
