"""How much does a distilled set's size buy? Sweeps over DD's settings (Wang et al. 2018, Section 4.1).

A DD set has three size knobs: `steps` (distinct batches, i.e. GD steps per pass), `epochs`
(passes over them) and `ipc` (images per class, split evenly over the steps). A grid over `steps`
alone keeps the images per class of each step (`DD.with_steps`), as the paper grows its layouts. `sweep` distils one set per point of
a grid of such settings — every other setting from one base config, via `dataclasses.replace` — and
evaluates each with `ddlab.evaluate`, so every point walks the course's one path
(config -> distill -> evaluate). `ddlab.plots.plot_sweep` draws the result.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..callbacks import Callback
from ..data import Dataset
from ..distill import load_or_distill
from ..evaluate import evaluate, format_accuracy
from ..methods import DD
from ..synthetic import SyntheticSet


@dataclass(frozen=True)
class Sweep:
    varied: tuple[str, ...]  # the DD settings the grid varies, in grid order
    points: tuple[dict, ...]  # one row per point: the varied values, images, accuracy, std, networks, seconds
    sets: tuple[SyntheticSet, ...]  # the distilled set of each point, in the same order

    def column(self, name: str) -> list:
        """One column of `points` (a varied setting, "images", "accuracy", "std", "networks" or "seconds")."""
        if name not in self.points[0]:
            raise ValueError(f"a sweep has no column {name!r}; columns: {', '.join(self.points[0])}")
        return [p[name] for p in self.points]

    def __str__(self) -> str:
        lines = [
            "| " + " | ".join(self.varied) + " | images | test accuracy (%) | distil (s) |",
            "|---" * (len(self.varied) + 3) + "|",
        ]
        for p in self.points:
            accuracy = format_accuracy(p["accuracy"], p["std"], p["networks"], unit="")
            lines.append(
                "| "
                + " | ".join(str(p[k]) for k in self.varied)
                + f" | {p['images']} | {accuracy} | {p['seconds']:.1f} |"
            )
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return str(self)


def sweep(
    base: DD,
    data: Dataset,
    grid: Mapping[str, Sequence[Any]],
    seed: int = 0,
    n_models: int = 20,
    callbacks: Iterable[Callback] = (),
    progress: bool = True,
) -> Sweep:
    """Distil and evaluate `base` changed at every point of `grid` ({setting: values}, all
    combinations, the last setting varying fastest). Every run uses the same `seed` and `callbacks`
    (one LiveView shows the runs one after another); `n_models` networks per random init setting.
    Each run goes through `ddlab.load_or_distill`: made once per machine, so a sweep run again, or a
    second sweep sharing a point, loads it (and the seminar profile replays what was recorded)."""
    if not isinstance(base, DD):
        raise TypeError(f"sweep varies a DD config, got {type(base).__name__}")
    known = {f.name for f in dataclasses.fields(DD)}
    for name, values in grid.items():
        if name not in known:
            raise ValueError(f"DD has no setting {name!r}; settings: {', '.join(sorted(known))}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"grid[{name!r}] must be a non-empty list of values, got {values!r}")
    callbacks = list(callbacks)
    points, sets = [], []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values))
        grown = base.with_steps(point["steps"]) if "steps" in point and "ipc" not in point else base
        config = dataclasses.replace(grown, **point)  # the config checks every value
        result = load_or_distill(config, data, callbacks=callbacks, seed=seed, progress=progress)
        seconds = result.history["time"][-1]  # the run's own time, also when loaded (made once per machine)
        scores = evaluate(result, data, n_models=n_models, seed=seed)
        points.append(
            {
                **point,
                "images": len(result),
                "accuracy": scores.mean,
                "std": scores.std,
                "networks": len(scores.accuracies),
                "seconds": seconds,
            }
        )
        sets.append(result)
    return Sweep(tuple(grid), tuple(points), tuple(sets))
