"""Do distilled images work for networks they were not distilled for? The transfer matrix.

Wang et al. 2018 distil under one init setting and test under another: images distilled for one
fixed initialisation teach that network well and any other network almost nothing, while images
distilled over random initialisations work for unseen random ones (and pretrained variants follow
the same pattern). `transfer_matrix` evaluates every set under every setting; row i is the set
distilled under `rows[i]`, column j the setting it is evaluated under. `ddlab.plots.plot_transfer`
draws it as a heat map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..data import Dataset
from ..evaluate import evaluate, format_accuracy
from ..inits import INIT_SETTINGS
from ..synthetic import SyntheticSet


@dataclass(frozen=True)
class TransferMatrix:
    rows: tuple[str, ...]  # what each set was distilled under (the keys of the sets given)
    columns: tuple[str, ...]  # the init setting each column evaluates under
    mean: Tensor  # (rows, columns) mean test accuracy in [0, 1]
    std: Tensor  # (rows, columns) std over the evaluated networks (0 for one network)

    def __str__(self) -> str:
        width = max(len(c) for c in self.columns) + 2
        lines = ["distilled \\ evaluated".ljust(22) + "".join(c.rjust(width) for c in self.columns)]
        for i, row in enumerate(self.rows):
            # a cell without spread is one network (a single-init setting)
            cells = [
                format_accuracy(m, s, 1 if s == 0 else 2, unit="")
                for m, s in zip(self.mean[i].tolist(), self.std[i].tolist())
            ]
            lines.append(row.ljust(22) + "".join(c.rjust(width) for c in cells))
        return "\n".join(lines)

    def own_vs_others(self) -> dict[str, tuple[float, float]]:
        """Each row's transfer in two numbers: (mean accuracy under the setting it was distilled
        under, mean accuracy over the other columns). Data that does not transfer scores high on
        the first and low on the second; data that transfers scores about the same on both."""
        if len(self.columns) < 2:
            raise ValueError(f"own_vs_others needs at least two columns to compare, got {list(self.columns)}")
        result = {}
        for i, row in enumerate(self.rows):
            if row not in self.columns:
                raise ValueError(f"row {row!r} is not a column ({', '.join(self.columns)}), so it has no own setting")
            own = self.columns.index(row)
            others = [j for j in range(len(self.columns)) if j != own]
            result[row] = (self.mean[i, own].item(), self.mean[i, others].mean().item())
        return result


def transfer_matrix(
    sets: Mapping[str, SyntheticSet],
    data: Dataset,
    settings: Sequence[str] = INIT_SETTINGS,
    n_models: int = 20,
    seed: int = 0,
    on: tuple[Tensor, Tensor] | None = None,
) -> TransferMatrix:
    """Evaluate every set of `sets` (name -> set, e.g. {"fixed": ..., "random": ...}) under every
    init setting of `settings`, with `n_models` networks for the random settings.

    on: (images, labels) to test on instead of the test set (e.g. a slice, to keep it quick)."""
    if not sets:
        raise ValueError("transfer_matrix needs at least one synthetic set")
    if not settings or any(s not in INIT_SETTINGS for s in settings):
        raise ValueError(f"settings={list(settings)!r} must be a non-empty list of: {', '.join(INIT_SETTINGS)}")
    scores = [
        [evaluate(synthetic, data, init=setting, n_models=n_models, seed=seed, on=on) for setting in settings]
        for synthetic in sets.values()
    ]
    return TransferMatrix(
        tuple(sets),
        tuple(settings),
        torch.tensor([[s.mean for s in row] for row in scores]),
        torch.tensor([[s.std for s in row] for row in scores]),
    )
