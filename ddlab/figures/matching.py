"""Figures of the matching notebooks: what a random network sees (DM, notebook 07) and where
students go in weight space (MTT, notebook 08).

Both are two-dimensional projections by principal component analysis (PCA) of points that live in
many dimensions: embeddings of a random ConvNet (hundreds of numbers per image) and a network's
flattened weights (tens of thousands). The axes are fitted on the *reference* points only (the real
images, the expert's checkpoints), so every other point is placed in the reference's own frame and
cannot bend the picture towards itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from torch import Tensor, nn

from ..functional import unroll
from ..nets import Params

MARKERS = ("o", "*", "s", "^", "D")


def pca_axes(points: Tensor, k: int = 2) -> tuple[Tensor, Tensor]:
    """(mean (D,), the `k` leading principal directions (D, k)) of `points` (N, D)."""
    points = points.detach().double().cpu()
    mean = points.mean(0)
    _, _, v = torch.linalg.svd(points - mean, full_matrices=False)  # rows of v: directions
    return mean, v[:k].T


def project(points: Tensor, axes: tuple[Tensor, Tensor]) -> Tensor:
    """`points` (N, D) in the 2-D frame of `axes`: (N, 2)."""
    mean, directions = axes
    return (points.detach().double().cpu() - mean) @ directions


def embedding_pca(
    real: Tensor,
    real_labels: Tensor,
    synthetic: Mapping[str, tuple[Tensor, Tensor]],
    class_names: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
):
    """Real embeddings (small dots, one colour per class) and, for each named synthetic set
    (embeddings, labels), its points as large markers of the class colour, in the PCA plane of the
    real embeddings; when the first two sets hold the same images (before and after), a line joins
    each image's two positions. Returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    axes = pca_axes(real)
    classes = sorted(set(real_labels.tolist()))
    colour = {c: plt.cm.tab10(i % 10) for i, c in enumerate(classes)}
    xy = project(real, axes)
    for c in classes:
        mine = real_labels.cpu() == c
        name = class_names[c] if class_names is not None else str(c)
        ax.scatter(xy[mine, 0], xy[mine, 1], s=8, alpha=0.35, color=colour[c], label=f"real {name}")
    placed = [(name, project(points, axes), labels.cpu()) for name, (points, labels) in synthetic.items()]
    if len(placed) >= 2 and len(placed[0][1]) == len(placed[1][1]):  # each image's move: first set -> second
        for (x0, y0), (x1, y1) in zip(placed[0][1].tolist(), placed[1][1].tolist()):
            ax.plot([x0, x1], [y0, y1], color="0.3", lw=1, zorder=2)
    for k, (name, pq, labels) in enumerate(placed):
        marker, filled = MARKERS[k % len(MARKERS)], k > 0
        for c in classes:
            mine = labels == c
            ax.scatter(
                pq[mine, 0],
                pq[mine, 1],
                s=220 if k == 0 else 160,
                marker=marker,
                zorder=3 + k,
                facecolor=colour[c] if filled else "none",
                edgecolor="black" if filled else colour[c],
                linewidth=2.2 if not filled else 1.2,
            )
        ax.scatter(
            [], [], s=110, marker=marker, facecolor="grey" if filled else "none", edgecolor="black", label=name
        )  # one legend entry per set
    ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1), framealpha=0.9)
    ax.set(
        xlabel="principal component 1 (of the real embeddings)",
        ylabel="principal component 2",
        title=title or "Real and synthetic images in a random ConvNet's feature space",
    )
    return ax


def flat(params: Params) -> Tensor:
    """All weights of a network as one vector (sorted by name, so every network lines up)."""
    return torch.cat([params[k].detach().reshape(-1).cpu() for k in sorted(params)])


def student_path(net: nn.Module, start: Params, images: Tensor, labels: Tensor, lr: float, steps: int) -> list[Params]:
    """A student's weights after 0, 1, ..., `steps` full-batch SGD steps from `start` on the set."""
    path = [start]
    unroll(net, start, [(images.detach(), labels)] * steps, [lr] * steps, create_graph=False, on_step=path.append)
    return path


def weight_space_paths(
    expert: Sequence[Params],
    students: Mapping[str, Sequence[Params]],
    start: int,
    matched: int,
    ax=None,
    title: str | None = None,
):
    """An expert's checkpoints theta*_0..theta*_T (a line, each epoch labelled) and students that
    start at theta*_start (one line each, a dot per step), in the PCA plane of the expert's path;
    theta*_{start + matched}, the target, is starred. Returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    axes = pca_axes(torch.stack([flat(p) for p in expert]))
    xy = project(torch.stack([flat(p) for p in expert]), axes)
    ax.plot(xy[:, 0], xy[:, 1], "-o", color="black", lw=2.5, ms=7, label="expert (real data), one dot per epoch")
    for epoch, (x, y) in enumerate(xy.tolist()):
        ax.annotate(f"epoch {epoch}", (x, y), textcoords="offset points", xytext=(6, 6), fontsize=10)
    target = xy[start + matched]
    ax.scatter(
        [target[0]],
        [target[1]],
        marker="*",
        s=420,
        color="gold",
        edgecolor="black",
        zorder=5,
        label=f"target: expert epoch {start + matched}",
    )
    for k, (name, path) in enumerate(students.items()):
        pq = project(torch.stack([flat(p) for p in path]), axes)
        ax.plot(pq[:, 0], pq[:, 1], "-", marker=".", ms=9, lw=2, color=plt.cm.tab10(k + 1), label=name)
        ax.scatter([pq[-1, 0]], [pq[-1, 1]], s=90, color=plt.cm.tab10(k + 1), edgecolor="black", zorder=4)
    ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1), framealpha=0.9)
    ax.set(
        xlabel="principal component 1 (of the expert's path)",
        ylabel="principal component 2",
        title=title or "Expert and students in weight space",
    )
    return ax
