"""Notebook 09's figures: a method x class grid of the sets, their accuracies beside the papers', and
accuracy against the time it took to make each set."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt

from ..data import Dataset
from ..experiments import leaderboard
from ..experiments.baselines import CORESETS
from ..plots import draw_label_bars


def show_sets(rows: Iterable[leaderboard.Row], data: Dataset, ipc: int | None = None):
    """A method x class grid: one row per entry, one column per class, one image each (the first of
    its class), the row labelled with the method and its accuracy; under the images of a set that
    trains on learned labels, a bar chart of each one's label vector (`plots.draw_label_bars`, one
    scale per set). `ipc`: only the entries with that many images per class (default: the smallest
    in `rows`). Returns the Figure."""
    rows = list(rows)
    if not rows:
        raise ValueError("show_sets needs at least one row")
    ipc = min(r.ipc for r in rows) if ipc is None else ipc
    shown = sorted((r for r in rows if r.ipc == ipc), key=lambda r: -r.scores.mean)
    if not shown:
        raise ValueError(f"no row has {ipc} image(s) per class; rows have {sorted({r.ipc for r in rows})}")
    classes = data.num_classes
    soft = [row.synthetic.trains_on_soft_labels for row in shown]
    heights = [h for has_bars in soft for h in ((1.0, BAR_HEIGHT) if has_bars else (1.0,))]  # grid rows
    tall = 0.8 * sum(heights) + 0.7
    fig = plt.figure(figsize=(0.8 * classes + 1.6, tall))
    # the top 0.55 inch holds the title above the class names, whatever the number of rows
    grid = fig.add_gridspec(len(heights), classes, height_ratios=heights, wspace=0.05, hspace=0.08, top=1 - 0.55 / tall)
    line = 0
    for r, row in enumerate(shown):
        pixels = data.to_pixels(row.synthetic.images.detach().to(data.device)).cpu()
        labels = row.synthetic.labels.cpu()
        firsts = [(labels == c).nonzero().flatten()[:1] for c in range(classes)]
        for c in range(classes):
            ax = fig.add_subplot(grid[line, c])
            if len(firsts[c]):
                ax.imshow(
                    pixels[firsts[c][0]].permute(1, 2, 0).squeeze(-1),
                    cmap="gray",
                    vmin=0,
                    vmax=1,
                    interpolation="nearest",
                )
            ax.set_xticks([]), ax.set_yticks([])
            if r == 0:
                ax.set_title(data.classes[c], fontsize=10)
            if c == 0:
                ax.set_ylabel(f"{row.method}\n{row.scores.format()}", rotation=0, ha="right", va="center", fontsize=9)
        if soft[r]:
            _label_bars(fig, grid, line + 1, row.synthetic.soft_labels.detach().cpu(), firsts)
        line += 1 + soft[r]
    fig.suptitle(f"{ipc} image(s) per class: the first image of each class, best entry on top", fontsize=10)
    return fig


BAR_HEIGHT = 0.4  # the label bars' row, as a share of an image row's height


def _label_bars(fig, grid, line: int, vectors, firsts) -> None:
    """Under each shown image (`firsts[c]`: its index, or none), its label vector's bars, all on
    the set's one scale, in grid row `line`."""
    low, high = min(0.0, vectors.min().item()), max(0.0, vectors.max().item())
    for c, first in enumerate(firsts):
        ax = fig.add_subplot(grid[line, c])
        if len(first):
            draw_label_bars(ax, vectors[first[0]], -0.5, vectors.shape[1], 0.0, 1.0)
        ax.set(xlim=(-0.5, vectors.shape[1] - 0.5), ylim=(low, high or 1.0), xticks=[], yticks=[])
        for spine in ax.spines.values():
            spine.set_visible(False)


def plot_accuracies(rows: Iterable[leaderboard.Row]):
    """Bar chart of every entry's accuracy (mean ± std over its networks), one group per images per
    class, best first, the paper's number as a black tick where `ddlab.papers` has one. Returns the Axes."""
    rows = sorted(rows, key=lambda r: (r.ipc, -r.scores.mean))
    ipcs = sorted({r.ipc for r in rows})
    _, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(rows) + 1.5), 3.2))
    x, ticks = 0.0, []
    for ipc in ipcs:
        for row in (r for r in rows if r.ipc == ipc):
            coreset = row.method in CORESETS
            ax.bar(
                x,
                100 * row.scores.mean,
                yerr=100 * row.scores.std,
                color="tab:gray" if coreset else f"C{ipcs.index(ipc)}",
                capsize=2,
                label=None,
            )
            found = leaderboard.paper_number(row.method, row.ipc)
            if found is not None:
                ax.plot([x - 0.4, x + 0.4], [found.mean] * 2, color="black", lw=2)
            ticks.append((x, f"{row.method}\n{ipc}/class"))
            x += 1
        x += 0.6
    ax.set_xticks([t for t, _ in ticks], [n for _, n in ticks], fontsize=8, rotation=90)
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("MNIST leaderboard (grey: real-image coresets; black tick: the paper's number)", fontsize=10)
    return ax


def plot_time_accuracy(rows: Iterable[leaderboard.Row]):
    """Accuracy against the time it took to make each set (log scale), one marker per entry; entries
    without a recorded time are left out (listed in the title). Returns the Axes."""
    rows = list(rows)
    timed = [r for r in rows if r.seconds is not None]
    _, ax = plt.subplots(figsize=(5.5, 3.4))
    for ipc, marker in zip(sorted({r.ipc for r in timed}), "os^D"):
        for row in (r for r in timed if r.ipc == ipc):
            ax.scatter(
                max(row.seconds, 1e-3),
                100 * row.scores.mean,
                marker=marker,
                color="tab:gray" if row.method in CORESETS else "C0",
            )
            ax.annotate(
                f"{row.method} ({ipc})",
                (max(row.seconds, 1e-3), 100 * row.scores.mean),
                fontsize=7,
                xytext=(3, 2),
                textcoords="offset points",
            )
    ax.set_xscale("log")
    ax.set_xlabel("time to make the set (s, log scale; assets: their recorded run)")
    ax.set_ylabel("test accuracy (%)")
    missing = [f"{r.method} ({r.ipc})" for r in rows if r.seconds is None]
    ax.set_title(
        "accuracy against distilling time" + (f"\nno recorded time: {', '.join(missing)}" if missing else ""),
        fontsize=9,
    )
    return ax
