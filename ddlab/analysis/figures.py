"""Figures of the analyses (matplotlib, imported inside each function as in `ddlab.plots`).

Each function draws one result object and returns the Axes, so a notebook cell ending in the call
shows the figure once.
"""

from __future__ import annotations

import torch

from ..data import Dataset
from ..plots import image_grid
from ..synthetic import SyntheticSet
from .agreement import Agreement
from .hessian import CurvatureCurve
from .influence import Influence
from .mixing import Mixing
from .pixels import PixelStats
from .recognition import RecognitionCurve
from .semantic import Semantics, shared_features


def _axes(ax, size=(5.5, 3.2)):
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size, constrained_layout=True)[1] if ax is None else ax


def plot_mixing(result: Mixing, ax=None, title: str | None = None):
    """Accuracy against the real images added per class, for both arms (mean, and min-max over the
    networks as a band). The k axis is categorical: the paper's k grow by factors of 5."""
    ax = _axes(ax)
    positions = range(len(result.ks))
    for accuracies, label, color in (
        (result.distilled, f"distilled ({result.ipc}/class) + k real", "C0"),
        (result.real, f"real ({result.ipc}/class) + k real", "C1"),
    ):
        percent = 100 * accuracies
        ax.plot(positions, percent.mean(dim=1), marker="o", color=color, label=label)
        ax.fill_between(positions, percent.min(dim=1).values, percent.max(dim=1).values, color=color, alpha=0.2)
    ax.set_xticks(list(positions), [str(k) for k in result.ks])
    ax.set(xlabel="real images added per class (k)", ylabel="test accuracy (%)", title=title)
    ax.legend(frameon=False)
    return ax


def plot_pixels(stats: dict[str, PixelStats], ax=None):
    """Histograms of pixel values (unclamped), one step line per set; the valid range [0, 1] shaded."""
    ax = _axes(ax)
    ax.axvspan(0, 1, color="0.92", zorder=0, label="valid range [0, 1]")
    for name, s in stats.items():
        ax.stairs(s.density.tolist(), s.edges.tolist(), label=f"{name}: {100 * s.outside:.0f}% outside")
    ax.set_yscale("log")
    ax.set(xlabel="pixel value (0 = black, 1 = white)", ylabel="density (log)")
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_along_training(curve: RecognitionCurve | CurvatureCurve, ax=None):
    """Each curve of a `RecognitionCurve` (accuracy, %) or `CurvatureCurve` (Hessian trace)
    against the step of real training, averaged over the networks."""
    ax = _axes(ax)
    recognition = isinstance(curve, RecognitionCurve)
    names = curve.accuracy if recognition else curve.traces
    for name in names:
        values = curve.mean(name)
        ax.plot(curve.steps, [100 * v for v in values] if recognition else values, marker=".", label=name)
    ylabel = "accuracy on the images (%)" if recognition else "Hessian trace (Hutchinson)"
    ax.set(xlabel="step of training on real data", ylabel=ylabel)
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_agreement(agreements: dict[str, Agreement], ax=None):
    """For each set, the agreement of each of its networks with the early-stopped and with the
    subset-trained network of matched accuracy (one dot per network, a bar at the mean)."""
    ax = _axes(ax)
    for s, a in enumerate(agreements.values()):
        for offset, values, label, color in (
            (-0.15, a.early, "early-stopped on all real data", "C0"),
            (0.15, a.subset, "trained to the end on a real subset", "C1"),
        ):
            percent = 100 * values
            ax.scatter(
                [s + offset] * len(percent), percent.tolist(), color=color, s=14, label=label if s == 0 else None
            )
            ax.hlines(percent.mean().item(), s + offset - 0.1, s + offset + 0.1, color=color)
    ax.set_xticks(range(len(agreements)), list(agreements))
    ax.set(ylabel="same prediction on test images (%)", title="agreement at matched accuracy")
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_influence(synthetic: SyntheticSet, influence: Influence, data: Dataset, k: int = 6, on=None, fig=None):
    """One row per distilled image: the image, the `k` test images it helps most (their loss rises
    most without it), and the `k` it hurts most. `on`: the (images, labels) `influence` was
    measured on (default: the test set)."""
    import matplotlib.pyplot as plt

    x = on[0] if on is not None else data.x_test
    rows = len(synthetic.labels)
    fig = fig or plt.figure(figsize=(1.1 + 0.55 * 2 * k, 0.62 * rows), constrained_layout=True)
    axes = fig.subplots(1, 3, width_ratios=[1, k, k])
    columns = (
        data.to_pixels(synthetic.images.detach().cpu()),
        torch.cat([data.to_pixels(x[influence.helped(i, k).to(x.device)].cpu()) for i in range(rows)]),
        torch.cat([data.to_pixels(x[influence.hurt(i, k).to(x.device)].cpu()) for i in range(rows)]),
    )
    for ax, pixels, nrow, title in zip(
        axes, columns, (1, k, k), ("distilled", f"helps most (top {k})", f"hurts most (top {k})")
    ):
        ax.imshow(image_grid(pixels, nrow=nrow).numpy())
        ax.set_title(title, fontsize="small")
        ax.axis("off")
    return fig


def plot_semantics(synthetic: SyntheticSet, semantics: Semantics, data: Dataset, on=None, fig=None):
    """One row per distilled image: the image, its nearest real training images, and the map of
    what the test images it helps share beyond their class average (`shared_features`; red =
    more ink than the class average, blue = less)."""
    import matplotlib.pyplot as plt

    rows, n = semantics.neighbours.shape
    fig = fig or plt.figure(figsize=(1.2 + 0.6 * (n + 1), 0.62 * rows), constrained_layout=True)
    axes = fig.subplots(rows, 3, width_ratios=[1, n, 1], squeeze=False)
    neighbours = data.to_pixels(data.x_train[semantics.neighbours.flatten().to(data.device)].cpu())
    for i in range(rows):
        label = int(synthetic.labels[i])
        shared = shared_features(semantics.helped[i], label, data, on)[0].cpu()
        limit = shared.abs().max().item() or 1.0
        panels = (
            (image_grid(data.to_pixels(synthetic.images[i : i + 1].detach().cpu())).numpy(), {}),
            (image_grid(neighbours[i * n : (i + 1) * n], nrow=n).numpy(), {}),
            (shared.numpy(), {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}),
        )
        for ax, (picture, style), title in zip(axes[i], panels, ("distilled", "nearest real images", "helped share")):
            ax.imshow(picture, **style)
            ax.axis("off")
            if i == 0:
                ax.set_title(title, fontsize="small")
    return fig
