"""Figures of notebooks 01-04 (Wang et al. 2018): the unrolled computation graph, what unrolling
costs as it grows, and what a poisoned network does with the digits it was turned against.

    draw_unroll_graph(steps=3)                    # theta_0 -> ... -> real loss, and the way back
    cost = unroll_cost(data, lengths=(1, 2, 4))   # measured: memory and seconds per outer iteration
    plot_unroll_cost(cost)
    plot_poison(poison, data)                     # the poison, large, and what its victim now reads

`unroll_cost` measures, it does not model: one outer iteration of DD (unroll `length` differentiable
SGD steps, loss on real images, backward to the synthetic images) per length, timed with a wall
clock. Its memory is the bytes of every tensor autograd keeps for the backward pass, counted by
walking the graph from the loss before backward runs (each storage once; exact on any device); on a
GPU the peak allocated memory is measured as well.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .. import inits
from ..data import Dataset
from ..evaluate import reported_networks
from ..functional import loss, unroll
from ..nets import init_params, make_net
from ..synthetic import SyntheticSet

# --- the unrolled computation graph ------------------------------------------------------------


def draw_unroll_graph(steps: int = 3, ax=None):
    """The meta-gradient's path: theta_0 -> theta_1 -> ... -> theta_T -> loss on real data, every
    step fed by the synthetic images and its step size, and the gradient (red, dashed) flowing back
    through every step to the images. Returns the Axes."""
    import matplotlib.pyplot as plt

    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.1 * steps + 4.2, 3.2))
    box = dict(boxstyle="round,pad=0.35", facecolor="#eef3fb", edgecolor="#35608f")
    data_box = dict(boxstyle="round,pad=0.35", facecolor="#fff4e0", edgecolor="#b7791f")
    loss_box = dict(boxstyle="round,pad=0.35", facecolor="#fde8e8", edgecolor="#b83232")
    xs = [2.1 * i for i in range(steps + 1)]
    y_theta, y_syn = 0.0, 1.45
    for i, x in enumerate(xs):
        ax.text(x, y_theta, rf"$\theta_{i}$", ha="center", va="center", fontsize=15, bbox=box)
    for i in range(steps):  # forward: one SGD step per arrow
        ax.annotate(
            "",
            xy=(xs[i + 1] - 0.38, y_theta),
            xytext=(xs[i] + 0.38, y_theta),
            arrowprops=dict(arrowstyle="-|>", color="#35608f", lw=1.8),
        )
        mid = (xs[i] + xs[i + 1]) / 2
        ax.text(mid, y_syn, rf"$\tilde x,\ \tilde\eta_{i}$", ha="center", va="center", fontsize=13, bbox=data_box)
        ax.annotate(
            "",
            xy=(mid, y_theta + 0.12),
            xytext=(mid, y_syn - 0.3),
            arrowprops=dict(arrowstyle="-|>", color="#b7791f", lw=1.4),
        )
        ax.annotate(
            "",
            xy=(mid + 0.28, y_syn - 0.3),
            xytext=(mid + 0.28, y_theta + 0.12),  # gradient to x̃
            arrowprops=dict(arrowstyle="-|>", color="#b83232", lw=1.4, ls="--"),
        )
    x_loss = xs[-1] + 2.4
    loss_label = r"$\ell(x_{\mathrm{real}};\,\theta_%d)$" % steps  # noqa: UP031 (% keeps TeX's braces single)
    ax.text(x_loss, y_theta, loss_label, ha="center", va="center", fontsize=14, bbox=loss_box)
    ax.annotate(
        "",
        xy=(x_loss - 0.95, y_theta),
        xytext=(xs[-1] + 0.38, y_theta),
        arrowprops=dict(arrowstyle="-|>", color="#35608f", lw=1.8),
    )
    ax.text(x_loss, y_syn, "real images\n(a fresh batch)", ha="center", va="center", fontsize=11, bbox=data_box)
    ax.annotate(
        "",
        xy=(x_loss, y_theta + 0.3),
        xytext=(x_loss, y_syn - 0.38),
        arrowprops=dict(arrowstyle="-|>", color="#b7791f", lw=1.4),
    )
    ax.annotate(
        "",
        xy=(xs[0] + 0.3, y_theta - 0.55),
        xytext=(x_loss, y_theta - 0.55),  # the way back
        arrowprops=dict(arrowstyle="-|>", color="#b83232", lw=1.8, ls="--"),
    )
    ax.text(
        (xs[0] + x_loss) / 2,
        y_theta - 0.8,
        "backward: the gradient passes through every step (Hessian-vector products) to the images",
        ha="center",
        va="center",
        fontsize=11,
        color="#b83232",
    )
    ax.set_xlim(xs[0] - 0.7, x_loss + 1.3)
    ax.set_ylim(y_theta - 1.1, y_syn + 0.55)
    ax.axis("off")
    ax.set_title(f"one outer iteration of DD: {steps} differentiable training step{'s' * (steps > 1)}", fontsize=13)
    return ax


# --- what unrolling costs ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnrollCost:
    lengths: tuple[int, ...]  # unroll lengths measured (differentiable SGD steps)
    saved_mb: tuple[float, ...]  # MB of tensors autograd keeps for the backward pass
    seconds: tuple[float, ...]  # wall seconds of one outer iteration (forward + backward)
    peak_mb: tuple[float, ...] | None  # GPU only: peak allocated MB during the iteration
    images: int  # synthetic images per step
    real_batch: int  # real images in the outer loss
    device: str

    def ratio(self, what: str = "saved_mb") -> float:
        """How much `what` grows from the shortest to the longest unroll measured."""
        values = getattr(self, what)
        return values[-1] / values[0]

    def __str__(self) -> str:
        lines = [f"{'unroll length':>13} {'memory for backward (MB)':>25} {'seconds':>8}"]
        for length, mb, s in zip(self.lengths, self.saved_mb, self.seconds):
            lines.append(f"{length:>13} {mb:>25.1f} {s:>8.3f}")
        return "\n".join(lines)


def unroll_cost(
    data: Dataset,
    lengths: Sequence[int] = (1, 2, 4, 8),
    images: int = 10,
    real_batch: int = 256,
    arch: str = "lenet",
    repeats: int = 2,
    seed: int = 0,
) -> UnrollCost:
    """Measure one outer iteration of DD for each unroll length: `images` synthetic images trained
    on for `length` differentiable SGD steps from one initialisation, the loss on `real_batch` real
    images, and its backward to the images and step sizes. Seconds are the best of `repeats` runs."""
    lengths = tuple(int(n) for n in lengths)
    if not lengths or min(lengths) < 1:
        raise ValueError(f"lengths must be positive unroll lengths, got {lengths}")
    generator = torch.Generator().manual_seed(seed)
    net = make_net(arch, *data.net_args).to(data.device)
    theta0 = {k: v.to(data.device) for k, v in init_params(net, "xavier", generator).items()}
    x_real, y_real = data.sample(real_batch, generator)
    x_syn = torch.randn(images, *data.image_shape, generator=generator).to(data.device).requires_grad_()
    y_syn = torch.arange(images, device=data.device) % data.num_classes
    cuda = data.device.type == "cuda" if isinstance(data.device, torch.device) else str(data.device).startswith("cuda")
    saved, seconds, peaks = [], [], []
    for length in lengths:
        lrs = torch.full((length,), 0.02, device=data.device, requires_grad=True)
        best, kept = float("inf"), 0
        for _ in range(max(1, repeats)):
            x_syn.grad = None
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            final = unroll(net, theta0, [(x_syn, y_syn)] * length, lrs)
            outer = loss(net, final, x_real, y_real)
            forward = time.perf_counter() - start
            kept = graph_bytes(outer)  # before backward frees what the graph keeps (not timed)
            start = time.perf_counter()
            outer.backward()
            if cuda:
                torch.cuda.synchronize()
            best = min(best, forward + time.perf_counter() - start)
        saved.append(kept / 2**20)
        seconds.append(best)
        if cuda:
            peaks.append(torch.cuda.max_memory_allocated() / 2**20)
    return UnrollCost(
        lengths, tuple(saved), tuple(seconds), tuple(peaks) if cuda else None, images, real_batch, str(data.device)
    )


def graph_bytes(output: Tensor) -> int:
    """Bytes of the tensors the autograd graph behind `output` keeps for its backward pass (each
    storage counted once): what a longer unroll makes memory grow with."""
    storages: dict[int, int] = {}
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        for name in dir(node):
            if name.startswith("_saved_"):
                try:
                    value = getattr(node, name)
                except RuntimeError:  # a saved value already freed
                    continue
                for tensor in value if isinstance(value, (tuple, list)) else (value,):
                    if isinstance(tensor, Tensor):
                        storage = tensor.untyped_storage()
                        storages[storage.data_ptr()] = storage.nbytes()
        stack.extend(next_node for next_node, _ in node.next_functions)
    return sum(storages.values())


def plot_unroll_cost(cost: UnrollCost, axes=None):
    """Memory kept for the backward pass and seconds per outer iteration against unroll length,
    side by side. Returns the two Axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    memory, seconds = axes
    memory.plot(cost.lengths, cost.saved_mb, "o-", color="#35608f", label="kept for the backward pass")
    if cost.peak_mb is not None:
        memory.plot(cost.lengths, cost.peak_mb, "s--", color="#b83232", label="GPU peak allocated")
        memory.legend(fontsize=9)
    memory.set(
        xlabel="unroll length (differentiable SGD steps)", ylabel="memory (MB)", title="memory of one outer iteration"
    )
    seconds.plot(cost.lengths, cost.seconds, "o-", color="#b7791f")
    seconds.set(
        xlabel="unroll length (differentiable SGD steps)",
        ylabel="seconds",
        title=f"time of one outer iteration ({cost.device})",
    )
    for ax in axes:
        ax.set_xticks(cost.lengths)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0].figure.tight_layout()
    return axes


# --- a poison and its victim -------------------------------------------------------------------


def poison_predictions(poison: SyntheticSet, data: Dataset, init: str | None = None) -> dict[str, Tensor]:
    """What the poisoned set's victim calls the test images of the attacked class, before and after
    its few steps on the poison: {"before": counts, "after": counts}, each (num_classes,) of the one
    network `ddlab.evaluate` reports on (the first one drawn for a random setting)."""
    source, _ = poison.config["attack"]
    spec = inits.InitSpec.of(poison.config, setting=init)
    theta0 = inits.draw_inits(spec, data, 1, reported_networks(0), use="test")
    theta0 = {k: v[0] for k, v in theta0.items()}
    net = make_net(spec.arch, *data.net_args).to(data.device)
    batches, lrs = poison.to(data.device).schedule()
    x = data.x_test[data.y_test == source]
    counts = {}
    with torch.no_grad():
        for name, theta in (("before", theta0), ("after", unroll(net, theta0, batches, lrs, create_graph=False))):
            predicted = torch.func.functional_call(net, theta, (x,)).argmax(1)
            counts[name] = torch.bincount(predicted, minlength=data.num_classes).cpu()
    return counts


def plot_poison(poison: SyntheticSet, data: Dataset, counts: dict[str, Tensor] | None = None):
    """The poison's images, large, one per class with its label; beside them, what the victim calls
    the test images of the attacked class before and after training on them. Returns the figure."""
    import matplotlib.pyplot as plt

    counts = poison_predictions(poison, data) if counts is None else counts
    source, target = poison.config["attack"]
    images = data.to_pixels(poison.images).cpu()
    n = len(images)
    columns = min(n, 5)
    rows = -(-n // columns)
    figure = plt.figure(figsize=(14, 2.4 * rows + 0.9))
    grid = figure.add_gridspec(rows, columns + 2, width_ratios=[1] * columns + [0.25, 2.8], wspace=0.08)
    for i in range(n):
        ax = figure.add_subplot(grid[i // columns, i % columns])
        ax.imshow(images[i].squeeze(0), cmap="gray", vmin=0, vmax=1)
        label = int(poison.labels[i])
        ax.set_title(f"label {label}", fontsize=12, color="#b83232" if label in (source, target) else "black")
        ax.axis("off")
    bars = figure.add_subplot(grid[:, columns + 1])
    classes = list(range(data.num_classes))
    total = counts["before"].sum().item()
    for shift, (name, color) in zip((-0.2, 0.2), (("before", "#9fb3c8"), ("after", "#b83232"))):
        bars.bar(
            [c + shift for c in classes],
            (100 * counts[name] / total).tolist(),
            width=0.4,
            color=color,
            label=f"{name} training on the poison",
        )
    bars.set_xticks(classes)
    bars.set(
        xlabel="predicted class",
        ylabel=f"% of the test {source}s",
        ylim=(0, 100),
        title=f"what the victim calls the test {source}s",
    )
    bars.axvline(target, color="#b83232", lw=0.8, ls=":")
    bars.legend(fontsize=10, loc="upper left")
    figure.suptitle(f"a poison for {source} → {target}: {n} images (left), and its effect (right)", fontsize=13)
    figure.subplots_adjust(left=0.02, right=0.98, top=0.84, bottom=0.12)
    return figure
