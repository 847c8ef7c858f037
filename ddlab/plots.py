"""Pictures of a distillation run: image grids, loss/accuracy curves, learned step sizes.

This is the one place an image grid is built. `LiveView`, `Replay`, the notebooks and the CLI all go
through `image_grid` / `grid_png`, so every picture of a synthetic set has the same layout:

- `nrow` follows torchvision's `make_grid`: it is the number of images *per row* (i.e. columns),
  filled row by row. Default: ceil(sqrt(N)), a near-square grid.
- `arrange_by_class` puts one class per column (the natural layout of a distilled set: read down a
  column to see one digit's images). It works for class-major order (DC/DM: 0,0,1,1,...) and for
  DD's step-major order (0,1,...,9,0,1,...,9) alike, keeping each class's images in their order.
- A set that trains on learned labels (DD's label vectors) is drawn like any other, each image in
  the column of its most likely class, with a small bar chart of its label vector under it (one bar
  per class, the largest highlighted): give `show_images` the set's `targets` as labels, or call
  `show_set`. The bars of one picture share one scale, so images compare at a glance.

matplotlib and PIL (a hard dependency of matplotlib) are imported inside the functions that need
them: `import ddlab` stays fast and never selects a matplotlib backend behind a notebook's back.
The figure functions return Axes, as pandas and seaborn do, so a notebook cell ending in the call
shows the figure once (returning a pyplot Figure would show it twice).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

# Float round-off allowed outside [0, 1] (e.g. from x * std + mean) before a value counts as wrong.
_TOL = 1e-3
LABEL_STRIP = 0.5  # height of the strip of label bars under each image, as a share of its height
BAR_COLOR, TOP_BAR_COLOR = "0.65", "C1"  # grey bars, the most likely class's in orange


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _check_pixels(pixels) -> Tensor:
    """(N, C, H, W) pixels in [0, 1] with C in {1, 3} -> float32 CPU tensor, clamped to [0, 1]."""
    x = torch.as_tensor(pixels).detach()
    if x.ndim != 4:
        raise ValueError(f"pixels must be a 4-d (N, C, H, W) tensor, got shape {tuple(x.shape)}")
    if x.shape[0] == 0 or x.shape[1] not in (1, 3):
        raise ValueError(f"pixels need N >= 1 images with 1 or 3 channels, got shape {tuple(x.shape)}")
    x = x.cpu().float()
    if not torch.isfinite(x).all():
        raise ValueError("pixels contain NaN or inf; only finite values in [0, 1] can be drawn")
    lo, hi = x.min().item(), x.max().item()
    if lo < -_TOL or hi > 1 + _TOL:
        raise ValueError(
            f"pixels must lie in [0, 1], got values in [{lo:.3g}, {hi:.3g}] "
            "(map normalised images with dataset.to_pixels first)"
        )
    return x.clamp(0, 1)


def image_grid(pixels: Tensor, nrow: int | None = None, pad: int = 1, pad_value: float = 1.0) -> Tensor:
    """(N, C, H, W) pixels in [0, 1] -> (H', W', 3) uint8 grid, grayscale replicated to RGB.

    `nrow` images per row (torchvision's convention), default ceil(sqrt(N)); empty cells and the
    `pad`-pixel lines around every image get `pad_value` (white, so MNIST's black squares stand
    apart). Shape: H' = rows * (H + pad) + pad, W' = cols * (W + pad) + pad with
    cols = min(nrow, N), rows = ceil(N / cols).
    """
    x = _check_pixels(pixels)
    n, _, h, w = x.shape
    nrow = math.ceil(math.sqrt(n)) if nrow is None else _check_int("nrow", nrow, 1)
    pad = _check_int("pad", pad, 0)
    if not 0 <= pad_value <= 1:
        raise ValueError(f"pad_value must lie in [0, 1], got {pad_value!r}")
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    x = x.expand(-1, 3, -1, -1)  # (N, 3, H, W)
    blank = torch.full((rows * cols - n, 3, h, w), pad_value)
    x = torch.cat([x, blank])  # (rows*cols, 3, H, W)
    x = F.pad(x, (pad, 0, pad, 0), value=pad_value)  # pad top/left of each cell
    x = x.view(rows, cols, 3, h + pad, w + pad).permute(2, 0, 3, 1, 4)  # (3, rows, H+p, cols, W+p)
    x = x.reshape(3, rows * (h + pad), cols * (w + pad))
    x = F.pad(x, (0, pad, 0, pad), value=pad_value)  # close bottom/right edge
    return (x.permute(1, 2, 0) * 255).round().to(torch.uint8)  # (H', W', 3)


def arrange_by_class(pixels: Tensor, labels: Tensor, fill: float = 1.0) -> tuple[Tensor, int, list[int]]:
    """Reorder images so that a row-major grid with `nrow` columns shows one class per column.

    Returns (pixels, nrow, classes): the reordered images (blank cells of value `fill` where a class
    has fewer images than the largest class), the number of columns, and the class of each column.
    Within a class the images keep their order (for DD: step 1 at the top).
    """
    x = torch.as_tensor(pixels).detach().cpu()
    y = torch.as_tensor(labels).detach().cpu().long().flatten()
    if x.ndim != 4 or y.numel() != x.shape[0]:
        raise ValueError(
            f"need (N, C, H, W) pixels and N labels, got shapes {tuple(x.shape)} and "
            f"{tuple(torch.as_tensor(labels).shape)}"
        )
    where, classes = class_layout(y)
    out = torch.full((len(where), *x.shape[1:]), fill, dtype=x.dtype)  # (rows * cols, C, H, W)
    out[where >= 0] = x[where[where >= 0]]
    return out, len(classes), classes


def class_layout(labels: Tensor) -> tuple[Tensor, list[int]]:
    """Where each image goes in a grid with one class per column: (rows * cols,) indices into
    `labels` in row-major order, -1 for an empty cell; and the class of each column."""
    y = torch.as_tensor(labels).detach().cpu().long().flatten()
    classes = y.unique(sorted=True).tolist()
    members = [(y == c).nonzero().flatten() for c in classes]
    where = torch.full((max(len(m) for m in members), len(classes)), -1, dtype=torch.long)  # (rows, cols)
    for col, idx in enumerate(members):
        where[: len(idx), col] = idx
    return where.flatten(), classes


def with_label_strips(pixels: Tensor, vectors: Tensor, height: int = 10) -> Tensor:
    """`pixels` (N, C, H, W) with a strip of `height` rows under each image, in which its label
    vector (N, classes) is a bar chart drawn in pixels: one bar per class, rising from a zero line
    (down for a negative entry), its largest entry black, the others gray, on a white ground. Pixels,
    not a figure, so a live view can draw it at every frame as cheaply as the images (what
    `show_images` draws with matplotlib for a finished set)."""
    x = torch.as_tensor(pixels).detach().cpu().float()
    v = torch.as_tensor(vectors).detach().cpu().float()
    if v.ndim != 2 or v.shape[0] != x.shape[0]:
        raise ValueError(f"need one label vector per image, got shapes {tuple(v.shape)} and {tuple(x.shape)}")
    n, classes, width = v.shape[0], v.shape[1], x.shape[-1]
    high, low = max(v.max().item(), 1e-6), min(v.min().item(), 0.0)
    to_row = lambda value: (high - value) / (high - low) * (height - 1)  # noqa: E731  the top row is `high`
    rows = torch.arange(height, dtype=torch.float32).view(1, height, 1)  # (1, height, 1)
    bar_rows, zero = to_row(v).unsqueeze(1), to_row(torch.tensor(0.0))  # (N, 1, classes)
    inside = (rows >= torch.minimum(bar_rows, zero).round()) & (rows <= torch.maximum(bar_rows, zero).round())
    shade = torch.where(v == v.max(dim=1, keepdim=True).values, 0.0, 0.55).unsqueeze(1)  # (N, 1, classes)
    bars = torch.where(inside, shade, torch.ones(()))  # (N, height, classes)
    column = (torch.arange(width) * classes // width).clamp(max=classes - 1)  # the class under each pixel column
    gap = torch.arange(width) == ((column + 1) * width + classes - 1) // classes - 1  # a white column between bars
    strip = torch.where(gap, torch.ones(()), bars[..., column])  # (N, height, width)
    return torch.cat([x, strip.unsqueeze(1).expand(n, x.shape[1], height, width)], dim=2)


def grid_png(pixels: Tensor, nrow: int | None = None, scale: int = 3, pad: int = 1) -> bytes:
    """PNG bytes of `image_grid(pixels, nrow, pad)`, upscaled `scale` times by nearest neighbour.

    Upscaling happens here rather than in the browser because core widgets cannot ask for
    pixelated rendering: a 28-px digit stretched by the browser turns to mush. PNG's row filters
    and deflate absorb the repeated pixels, so the bytes grow far less than scale**2. A gray grid
    is written as a grayscale PNG (decoders give it back as (H', W') rather than (H', W', 3)).
    """
    from PIL import Image

    scale = _check_int("scale", scale, 1)
    grid = image_grid(pixels, nrow, pad)  # (H', W', 3)
    grid = grid.repeat_interleave(scale, 0).repeat_interleave(scale, 1)
    if torch.equal(grid[..., 0], grid[..., 1]) and torch.equal(grid[..., 0], grid[..., 2]):
        grid = grid[..., 0]  # gray: an 8-bit grayscale PNG is a third of the size
    buf = io.BytesIO()
    Image.fromarray(grid.numpy()).save(buf, format="png")
    return buf.getvalue()


def show_images(
    pixels: Tensor,
    labels: Tensor | None = None,
    classes: Sequence[str] | None = None,
    nrow: int | None = None,
    title: str | None = None,
    ax=None,
    pad: int = 1,
):
    """Draw the image grid; with `labels`, one column per class and its name above it.

    `labels` are class indices (N,), or learned label vectors (N, classes), as a set's `targets`:
    then each image goes in the column of its largest entry and a bar chart of its vector is drawn
    under it. `classes[label]` names a column (default: the label number). `nrow` only applies
    without labels. Returns the Axes.
    """
    import matplotlib.pyplot as plt

    column_classes = vectors = None
    if labels is not None:
        labels = torch.as_tensor(labels).detach().cpu()
        if labels.ndim == 2:
            vectors, labels = _check_vectors(labels, len(torch.as_tensor(pixels))), labels.argmax(1)
        where, _ = class_layout(labels)
        pixels, nrow, column_classes = arrange_by_class(_check_pixels(pixels), labels)
    grid = image_grid(pixels, nrow, pad)
    h, w = torch.as_tensor(pixels).shape[-2:]
    cols = (grid.shape[1] - pad) // (w + pad)
    strip = max(6, round(LABEL_STRIP * h)) if vectors is not None else 0
    if strip:
        grid = _with_strips(grid, h, pad, strip)
    if ax is None:
        width = min(12.0, max(3.0, 0.45 * cols + 0.5))
        _, ax = plt.subplots(figsize=(width, width * grid.shape[0] / grid.shape[1] + 0.6))
    ax.imshow(grid.numpy(), interpolation="nearest")
    if strip:  # bars in the image's pixel coordinates (y grows downwards): one Axes, however many images
        low, high = min(0.0, vectors.min().item()), max(0.0, vectors.max().item())
        unit = -(strip - 2) / ((high - low) or 1.0)  # pixels per unit of a label entry
        for cell, index in enumerate(where.tolist()):
            if index >= 0:
                r, c = divmod(cell, cols)
                zero = r * (h + pad + strip) + pad + h - 0.5 + 1 - high * unit
                draw_label_bars(ax, vectors[index], pad + c * (w + pad) - 0.5, w, zero, unit)
        ax.set(xlim=(-0.5, grid.shape[1] - 0.5), ylim=(grid.shape[0] - 0.5, -0.5))
    ax.set_yticks([])
    if column_classes is None:
        ax.set_xticks([])
    else:
        names = []
        for c in column_classes:
            if classes is not None and not 0 <= c < len(classes):
                raise ValueError(f"label {c} has no name in classes (which has {len(classes)} entries)")
            names.append(str(c) if classes is None else str(classes[c]))
        ax.set_xticks([pad + k * (w + pad) + (w - 1) / 2 for k in range(cols)], names)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return ax


def show_set(synthetic, data, title: str | None = None, ax=None):
    """`show_images` of a `SyntheticSet` made on `data` (a `Dataset`): its images as pixels, one
    class per column named by the dataset, and label bars if it trains on learned labels."""
    return show_images(
        data.to_pixels(synthetic.images.detach()).cpu(),
        labels=synthetic.targets.detach(),
        classes=data.classes,
        title=title,
        ax=ax,
    )


def draw_label_bars(ax, vector: Tensor, left: float, width: float, zero: float, unit: float):
    """One bar per entry of a label `vector`, side by side across [left, left + width], rising
    `unit` y-units per unit of an entry from the line y = `zero` (a negative `unit` rises on an
    image's downward y axis); the largest entry's bar highlighted. Returns the BarContainer."""
    vector = torch.as_tensor(vector).detach().cpu().float().flatten()
    step = width / len(vector)
    colors = [BAR_COLOR] * len(vector)
    colors[int(vector.argmax())] = TOP_BAR_COLOR
    return ax.bar(
        [left + (k + 0.5) * step for k in range(len(vector))],
        (vector * unit).tolist(),
        0.85 * step,
        bottom=zero,
        color=colors,
    )


def _check_vectors(vectors: Tensor, n: int) -> Tensor:
    """(N, classes) finite label vectors for N images, as float32."""
    if vectors.shape[0] != n or not vectors.is_floating_point():
        raise ValueError(
            f"label vectors must be (N, classes) floats for N = {n} images, got {tuple(vectors.shape)} {vectors.dtype}"
        )
    if not torch.isfinite(vectors).all():
        raise ValueError("label vectors contain NaN or inf; only finite values can be drawn")
    return vectors.float()


def _with_strips(grid: Tensor, h: int, pad: int, strip: int) -> Tensor:
    """`grid` (from `image_grid`, cells `h` pixels high) with a white strip of `strip` pixels under
    every row of cells, above the row's closing pad line."""
    rows, width = (grid.shape[0] - pad) // (h + pad), grid.shape[1]
    body = grid[: rows * (h + pad)].view(rows, h + pad, width, 3)  # each: pad line + cells
    white = torch.full((rows, strip, width, 3), 255, dtype=grid.dtype)
    return torch.cat([torch.cat([body, white], 1).flatten(0, 1), grid[rows * (h + pad) :]])


def plot_history(history: dict, ax=None):
    """Outer loss and validation accuracy against the outer iteration.

    `history` holds "iteration"/"loss" (every iteration) and "eval_iteration"/"accuracy" (accuracy
    as a fraction in [0, 1], plotted in %). By default two panels side by side, since the two
    curves have unrelated scales; pass one Axes to get both on it (accuracy on a twin y axis), or a
    pair of Axes. The loss axis is logarithmic when the loss is positive and spans > 20x.
    Returns (loss_ax, accuracy_ax).
    """
    import matplotlib.pyplot as plt

    for a, b in (("iteration", "loss"), ("eval_iteration", "accuracy")):
        if len(history.get(a, [])) != len(history.get(b, [])):
            raise ValueError(
                f"history[{a!r}] and history[{b!r}] must have equal lengths, got "
                f"{len(history.get(a, []))} and {len(history.get(b, []))}"
            )
    it, loss = list(history.get("iteration", [])), list(history.get("loss", []))
    eit, acc = list(history.get("eval_iteration", [])), list(history.get("accuracy", []))
    if any(not 0 <= a <= 1 for a in acc):
        raise ValueError(f"history['accuracy'] must be fractions in [0, 1], got max {max(acc)!r}")

    twin = False
    if ax is None:
        _, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
    elif isinstance(ax, (list, tuple)) or getattr(ax, "ndim", 0) == 1:  # a pair, e.g. from subplots
        loss_ax, acc_ax = ax
    else:
        loss_ax, acc_ax, twin = ax, ax.twinx(), True

    loss_ax.plot(it, loss, color="C0", lw=1)
    loss_ax.set(xlabel="outer iteration", ylabel="outer loss")
    finite = [v for v in loss if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 20:
        loss_ax.set_yscale("log")
    acc_ax.plot(eit, [100 * a for a in acc], color="C1", marker="o", ms=3, lw=1)
    acc_ax.set(xlabel="outer iteration", ylabel="validation accuracy (%)")
    if twin:
        loss_ax.yaxis.label.set_color("C0")
        acc_ax.yaxis.label.set_color("C1")
    if not acc and not twin:
        acc_ax.text(0.5, 0.5, "not evaluated yet", ha="center", va="center", transform=acc_ax.transAxes)
    return loss_ax, acc_ax


def plot_lrs(lrs: Tensor, steps: int, epochs: int, ax=None):
    """Bar chart of DD's learned step sizes, one group of `steps` bars per epoch.

    `lrs` is in training order, epoch-major (lrs[e * steps + s] is step s of epoch e), as
    `SyntheticSet.schedule()` uses them. Returns the Axes.
    """
    import matplotlib.pyplot as plt

    steps, epochs = _check_int("steps", steps, 1), _check_int("epochs", epochs, 1)
    lr = torch.as_tensor(lrs).detach().cpu().double().flatten()
    if lr.numel() != steps * epochs:
        raise ValueError(f"lrs must hold steps * epochs = {steps * epochs} values, got {lr.numel()}")
    if ax is None:
        _, ax = plt.subplots(figsize=(min(12.0, max(4.0, 0.3 * lr.numel() + 1.5)), 3))
    ticks, names = [], []
    for e in range(epochs):
        xs = [e * (steps + 1) + s for s in range(steps)]  # a gap of one bar between epochs
        ax.bar(xs, lr[e * steps : (e + 1) * steps].tolist(), color=f"C{e % 10}", label=f"epoch {e + 1}")
        ticks += xs
        names += [str(s + 1) for s in range(steps)]
    if len(ticks) <= 40:  # beyond that the labels would collide
        ax.set_xticks(ticks, names)
    ax.axhline(0, color="k", lw=0.5)
    ax.set(xlabel="inner step (grouped by epoch)", ylabel="learned step size")
    if epochs > 1:
        ax.legend(frameon=False, fontsize="small")
    return ax


def plot_transfer(matrix, ax=None):
    """Heat map of a `ddlab.experiments.transfer.TransferMatrix`: rows = what each set was distilled under,
    columns = the init setting it is evaluated under, colour = mean test accuracy (0-100%, so maps
    from different runs compare), each cell annotated "mean ± std". Returns the Axes."""
    import matplotlib.pyplot as plt

    mean = 100 * torch.as_tensor(matrix.mean).detach().cpu().double()
    std = 100 * torch.as_tensor(matrix.std).detach().cpu().double()
    rows, columns = list(matrix.rows), list(matrix.columns)
    if mean.shape != (len(rows), len(columns)) or std.shape != mean.shape:
        raise ValueError(
            f"mean and std must be {len(rows)} x {len(columns)} (rows x columns), got "
            f"{tuple(mean.shape)} and {tuple(std.shape)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(1.4 * len(columns) + 3, 0.7 * len(rows) + 1.8), constrained_layout=True)
    image = ax.imshow(mean.numpy(), cmap="viridis", vmin=0, vmax=100, aspect="auto")  # cells fill the figure
    for i in range(len(rows)):
        for j in range(len(columns)):
            spread = f"\n± {std[i, j]:.1f}" if std[i, j] > 0 else ""
            ax.text(
                j,
                i,
                f"{mean[i, j]:.1f}{spread}",
                ha="center",
                va="center",
                fontsize="small",
                color="black" if mean[i, j] > 60 else "white",
            )
    ax.set_xticks(range(len(columns)), [c.replace("_", "\n") for c in columns])
    ax.set_yticks(range(len(rows)), [r.replace("_", " ") for r in rows])
    ax.set(xlabel="evaluated under", ylabel="distilled under")
    ax.figure.colorbar(image, ax=ax, label="test accuracy (%)")
    return ax


def plot_sweep(sweep, x: str, hue: str | None = None, ax=None):
    """Test accuracy (%) of a `ddlab.experiments.sweeps.Sweep` against the setting `x`, one line per value of
    `hue` (another varied setting; None: one line), error bars = std over networks. Returns the Axes."""
    import matplotlib.pyplot as plt

    for name in (x, hue):
        if name is not None and name not in sweep.varied:
            raise ValueError(f"{name!r} is not a varied setting of this sweep; varied: {', '.join(sweep.varied)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.4), constrained_layout=True)
    groups: dict = {}
    for point in sweep.points:
        groups.setdefault(None if hue is None else point[hue], []).append(point)
    for i, (value, points) in enumerate(groups.items()):
        points = sorted(points, key=lambda p: p[x])
        ax.errorbar(
            [p[x] for p in points],
            [100 * p["accuracy"] for p in points],
            yerr=[100 * p["std"] for p in points],
            color=f"C{i % 10}",
            marker="o",
            capsize=3,
            label=None if hue is None else f"{hue} = {value}",
        )
    ax.set(xlabel=x, ylabel="test accuracy (%)")
    ax.set_xticks(sorted({p[x] for p in sweep.points}))
    if hue is not None:
        ax.legend(frameon=False, fontsize="small")
    return ax


def plot_bars(groups: dict, ylabel: str = "test accuracy (%)", ax=None):
    """Grouped bars of `ddlab.evaluate.Scores`: {group: {bar: Scores}}, one cluster per group, one
    colour per bar name (legend), height = mean in %, error bar = std over networks, value on top.
    Returns the Axes."""
    import matplotlib.pyplot as plt

    if not groups or not all(groups.values()):
        raise ValueError("plot_bars needs at least one group, each with at least one bar")
    names = list(dict.fromkeys(name for bars in groups.values() for name in bars))  # bar names, first-seen order
    width = 0.8 / len(names)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(groups) * len(names) + 1.5), 3.4), constrained_layout=True)
    for j, name in enumerate(names):
        xs = [i + (j - (len(names) - 1) / 2) * width for i, bars in enumerate(groups.values()) if name in bars]
        scores = [bars[name] for bars in groups.values() if name in bars]
        means = [100 * s.mean for s in scores]
        ax.bar(xs, means, width, yerr=[100 * s.std for s in scores], capsize=3, color=f"C{j % 10}", label=name)
        for xpos, mean in zip(xs, means):
            ax.text(xpos, mean + 1, f"{mean:.0f}", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(range(len(groups)), [str(g).replace("_", " ") for g in groups])
    ax.set(ylabel=ylabel, ylim=(0, 110))
    ax.legend(frameon=False, fontsize="small", ncols=min(len(names), 3), loc="upper left")
    return ax
