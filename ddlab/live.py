"""Watch the synthetic images change while `distill` runs (`LiveView`), scrub them after (`Replay`).

Why it is built this way:

- One `ipywidgets.Image` whose PNG bytes are replaced in place, plus one status line. Redrawing with
  `clear_output` in a loop flickers, makes the page jump and, in Colab, grows the saved output.
- Throttled by wall clock (`every` seconds), not by iteration count: one iteration takes 1 ms for DM
  on a GPU and seconds for DD on a CPU, and either way a few pictures a second is all an eye (and a
  websocket) can take. The first and the last event are always drawn.
- Frames are kept as PNG bytes (tens of kB each), so `Replay` needs neither the tensors nor any
  recomputation. A long run would pile up thousands of them, so past `max_frames` every other kept
  frame is dropped and from then on only every other drawn frame is kept: memory stays bounded and
  the kept frames stay spread evenly over the run (the first and the last are always kept).
- This is the only module that imports ipywidgets, and only when a widget is actually built, so
  `import ddlab` works without it. Outside a notebook (no running kernel: scripts, pytest, the CLI,
  terminal IPython) `LiveView` shows and prints nothing but still records frames.
- Core widgets only (Image, Label, HTML, Play, IntSlider, jslink, VBox, HBox), all present since
  ipywidgets 7.0, so it runs in JupyterLab, classic Notebook, VS Code and Colab without upgrading.
- A widget is gone once the kernel is: an exported page (nbconvert, a static site, GitHub) shows
  nothing of it. So when the run ends, a notebook also gets plain image outputs, which every
  renderer keeps: a filmstrip of the evolution (a few evenly spaced kept frames side by side, each
  under its iteration, wrapped to a page's width) and the final grid, after a one-line Markdown
  caption naming them. The caption is an output of its own because nbconvert writes no alt text
  for images, and an image inside an HTML output is not shown everywhere (GitHub's viewer
  sanitises HTML); a plain PNG output is.
- The loss sparkline is drawn with PIL rather than matplotlib: no figure to build at every frame.
- A replayed recording (`ddlab.recordings.replay`, the seminar profile) arrives as events
  marked ``replayed``: each is drawn and kept whatever the throttle says, since the recording already
  chose (at most a few dozen) frames and the replay paces them; the status line says ``replay``.
"""

from __future__ import annotations

import html
import io
import sys
import time
from dataclasses import dataclass

import torch

from .callbacks import Event
from .plots import arrange_by_class, grid_png, with_label_strips


@dataclass(frozen=True)
class Frame:
    iteration: int  # the outer iteration it shows
    png: bytes  # the image grid as PNG
    text: str  # the status line shown under it


def _ipywidgets():
    """The ipywidgets module, or None if it is not installed."""
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


def _in_notebook() -> bool:
    """True inside a Jupyter/Colab kernel, the only place a widget can be seen.

    Read from `sys.modules` so a plain script never imports IPython just to ask; a kernel always has
    it imported. Terminal IPython has a shell but no kernel, and cannot draw widgets either.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


FILMSTRIP_PANELS = 6  # frames in the filmstrip left after a run (fewer if fewer were kept)
FILMSTRIP_MAX_WIDTH = 600  # pixels: more panels than fit in a row go on to the next row
FILMSTRIP_GAP = 8  # white pixels between two panels, across and down
FILMSTRIP_LABEL_HEIGHT = 14  # pixels above each panel for its iteration
SPARKLINE_SIZE = (120, 24)  # (width, height) in pixels
SPARKLINE_COLOR = (31, 119, 180, 255)  # matplotlib's first colour, readable on light and dark themes


def filmstrip_png(frames: list[Frame], scale: int = 1) -> bytes:
    """`FILMSTRIP_PANELS` evenly spaced frames (always the first and the last) side by side, each
    under its iteration, as one RGB PNG; rows wrap at `FILMSTRIP_MAX_WIDTH`.

    The frames were upscaled `scale` times by nearest neighbour; panels undo that, so a handful of
    grids fit across a page (the final grid is shown at full size below the filmstrip). Rows wrap
    because a page shrinks a wide image to its column: six 10-class MNIST grids in one row would
    leave a few pixels per digit.
    """
    from PIL import Image, ImageDraw, ImageFont

    if not frames:
        raise ValueError("a filmstrip needs at least one frame, got 0 (did the LiveView see any event?)")
    n, last = min(FILMSTRIP_PANELS, len(frames)), len(frames) - 1
    picks = [round(k * last / max(n - 1, 1)) for k in range(n)]
    grids = []
    for i in picks:
        grid = Image.open(io.BytesIO(frames[i].png)).convert("RGB")
        grids.append(grid.resize((grid.width // scale, grid.height // scale), Image.NEAREST))
    cell_w, cell_h = max(g.width for g in grids), FILMSTRIP_LABEL_HEIGHT + max(g.height for g in grids)
    cols = min(n, max(1, (FILMSTRIP_MAX_WIDTH + FILMSTRIP_GAP) // (cell_w + FILMSTRIP_GAP)))
    rows = -(-n // cols)
    strip = Image.new(
        "RGB",
        (cols * (cell_w + FILMSTRIP_GAP) - FILMSTRIP_GAP, rows * (cell_h + FILMSTRIP_GAP) - FILMSTRIP_GAP),
        "white",
    )
    draw, font = ImageDraw.Draw(strip), ImageFont.load_default()
    for k, (i, grid) in enumerate(zip(picks, grids)):
        x, y = (k % cols) * (cell_w + FILMSTRIP_GAP), (k // cols) * (cell_h + FILMSTRIP_GAP)
        draw.text((x + 1, y + 1), f"iteration {frames[i].iteration}", fill="black", font=font)
        strip.paste(grid, (x, y + FILMSTRIP_LABEL_HEIGHT))
    buf = io.BytesIO()
    strip.save(buf, format="png")
    return buf.getvalue()


def sparkline_png(losses: list[float], size: tuple[int, int] = SPARKLINE_SIZE) -> bytes:
    """A tiny line of the loss so far, oldest on the left, as a transparent PNG.

    Log scale when every loss is positive (losses fall by orders of magnitude, and a linear line
    would be flat after the first drop); NaN and inf are left out, since the status line already
    shows them. Past one point per pixel column, neighbours are averaged.
    """
    from PIL import Image, ImageDraw

    width, height = size
    y = torch.tensor(losses, dtype=torch.float64)
    y = y[torch.isfinite(y)]
    if len(y) and bool((y > 0).all()):
        y = y.log10()
    if len(y) > width:
        y = torch.stack([chunk.mean() for chunk in y.tensor_split(width)])
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if len(y) >= 2:
        lo, hi = y.min().item(), y.max().item()
        heights = ((y - lo) / ((hi - lo) or 1.0) * (height - 3)).tolist()
        points = [(k * (width - 1) / (len(y) - 1), height - 2 - h) for k, h in enumerate(heights)]
        ImageDraw.Draw(image).line(points, fill=SPARKLINE_COLOR, width=1)
    buf = io.BytesIO()
    image.save(buf, format="png")
    return buf.getvalue()


def status_text(event: Event) -> str:
    """The status line: 'iteration 12/100 · loss 0.0312 · val acc 87.5% · 4 s', marked ``replay``
    when the event replays a recording (the seconds are then the recorded run's)."""
    acc = "–" if event.accuracy is None else f"{100 * event.accuracy:.1f}%"
    text = (
        f"iteration {event.iteration}/{event.iterations} · loss {event.loss:.4g} · "
        f"val acc {acc} · {event.elapsed:.0f} s"
    )
    if getattr(event, "replayed", False):
        text += " · replay"
    return text + " · done" if event.done else text


class LiveView:
    """A `distill` callback that shows the synthetic images (with a bar chart of its label vector
    under each, for a set that learns its labels), a status line and a loss sparkline,
    updated in place; when the run ends, it leaves a filmstrip and the final grid as plain images.

    every:      seconds of wall clock between drawn frames (0: draw every event)
    nrow:       images per grid row; None puts one class per column (see plots.arrange_by_class)
    scale:      integer nearest-neighbour upscaling, so 28-px digits stay crisp
    title:      a bold line above the picture
    max_frames: bound on `frames` (thinned evenly beyond it, see the module docstring)

    It displays itself at the first event if it is in a notebook and not displayed yet; or make it
    the last expression of a cell (or `display(view)`) before the run to place it yourself.
    """

    def __init__(
        self, every: float = 0.5, nrow: int | None = None, scale: int = 3, title: str = "", max_frames: int = 300
    ):
        if not every >= 0:
            raise ValueError(f"every must be >= 0 seconds, got {every!r}")
        if nrow is not None and (not isinstance(nrow, int) or nrow < 1):
            raise ValueError(f"nrow must be None or an int >= 1, got {nrow!r}")
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f"scale must be an int >= 1, got {scale!r}")
        if not isinstance(max_frames, int) or max_frames < 2:
            raise ValueError(f"max_frames must be an int >= 2, got {max_frames!r}")
        self.every, self.nrow, self.scale, self.title, self.max_frames = every, nrow, scale, title, max_frames
        self.frames: list[Frame] = []
        self.current: Frame | None = None  # the last drawn frame (kept in `frames` or not)
        self.losses: list[float] = []  # the loss of every event, one per iteration
        self.sparkline: bytes | None = None  # PNG of `losses`, redrawn with every frame
        self._last_draw: float | None = None
        self._drawn = 0  # frames drawn so far
        self._stride = 1  # keep every `_stride`-th drawn frame
        self._widget = self._image = self._label = self._sparkline_image = None
        self._loss_iteration: int | None = None  # the iteration of losses[-1]
        self._displayed = False

    def __call__(self, event: Event) -> None:
        self._record_loss(event)
        now = time.monotonic()
        first = self._last_draw is None or event.iteration == 1
        replayed = getattr(event, "replayed", False)  # a recording's frames: all chosen, already paced
        if not (first or event.done or replayed or now - self._last_draw >= self.every):
            return
        self._last_draw = now
        self.current = self._render(event)
        self.sparkline = sparkline_png(self.losses)
        self._keep(self.current, event.done)
        in_notebook = _in_notebook()
        if not self._displayed and in_notebook:
            self._ipython_display_()
        if self._widget is not None:
            self._show(self.current)
        if event.done and in_notebook:
            self._display_summary()

    def _record_loss(self, event: Event) -> None:
        if self.losses and self._loss_iteration == event.iteration:
            self.losses[-1] = event.loss  # the same iteration again (e.g. the final event)
        else:
            self.losses.append(event.loss)
        self._loss_iteration = event.iteration

    def _render(self, event: Event) -> Frame:
        # Sanitised rather than validated: a picture must never be the thing that kills a run
        # (a diverging run's NaNs are the driver's to report).
        pixels = torch.nan_to_num(event.pixels().float(), nan=0.0, posinf=1.0, neginf=0.0).clamp(0, 1)
        if event.soft_labels is not None:  # learned labels: a bar chart under each image
            pixels = with_label_strips(pixels, torch.nan_to_num(event.soft_labels.float()))
        nrow = self.nrow
        if nrow is None:
            pixels, nrow, _ = arrange_by_class(pixels, event.labels)
        return Frame(event.iteration, grid_png(pixels, nrow, scale=self.scale), status_text(event))

    def _keep(self, frame: Frame, done: bool) -> None:
        if self.frames and self.frames[-1].iteration == frame.iteration:
            self.frames[-1] = frame  # the same iteration drawn again (e.g. the final event)
            return
        self._drawn += 1
        if not (done or self._drawn % self._stride == 0):
            return
        self.frames.append(frame)
        if len(self.frames) > self.max_frames:
            del self.frames[1:-1:2]  # keeps the first and the latest frame
            self._stride *= 2

    def _show(self, frame: Frame) -> None:
        self._image.value = frame.png
        self._label.value = frame.text
        self._sparkline_image.value = self.sparkline

    def _display_summary(self) -> None:
        """The run's static trace: a caption, the filmstrip, the final grid (see the module docstring)."""
        from IPython.display import Image, Markdown, display

        first, last = self.frames[0].iteration, self.frames[-1].iteration
        title = f"**{html.escape(self.title)}** · " if self.title else ""
        display(
            Markdown(
                f"{title}Filmstrip of the synthetic images, iterations {first} to {last} "
                f"(left to right), then the final images: {html.escape(self.current.text)}"
            )
        )
        display(Image(data=filmstrip_png(self.frames, self.scale)))
        display(Image(data=self.current.png))

    @property
    def widget(self):
        """The widget (a VBox of title, image, status line and loss sparkline), built on first use;
        None without ipywidgets. Reading it outside a notebook is fine: it then just holds the
        latest state."""
        if self._widget is None:
            w = _ipywidgets()
            if w is None:
                return None
            self._image, self._label = w.Image(format="png"), w.Label()
            width, height = SPARKLINE_SIZE  # fixed, or the VBox stretches it across the cell
            self._sparkline_image = w.Image(format="png", layout=w.Layout(width=f"{width}px", height=f"{height}px"))
            title = [w.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
            self._widget = w.VBox(title + [self._image, self._label, self._sparkline_image])
            if self.current is not None:
                self._show(self.current)
        return self._widget

    @property
    def image(self):
        """The `ipywidgets.Image` holding the current PNG (None without ipywidgets)."""
        return self._image if self.widget is not None else None

    @property
    def label(self):
        """The `ipywidgets.Label` holding the current status line (None without ipywidgets)."""
        return self._label if self.widget is not None else None

    def _ipython_display_(self) -> None:
        self._displayed = True  # also when it cannot: try once, then stay quiet
        if self.widget is not None:
            from IPython.display import display

            display(self.widget)

    def replay(self) -> Replay:
        """A `Replay` of the frames recorded so far."""
        return Replay(self.frames)


class Replay:
    """Scrub through recorded frames: a Play button and a slider above the picture and its status.

    Play and slider are linked with `jslink`, so pressing play moves the slider in the browser; each
    slider move reaches the kernel, which swaps the picture (core widgets cannot swap images in the
    browser alone), so scrubbing needs a live kernel. Headless, `show(i)` or setting
    `slider.value` updates `image` and `label` the same way.
    """

    def __init__(self, frames: list[Frame], interval: int = 200):
        frames = list(frames)
        if not frames:
            raise ValueError("Replay needs at least one frame, got 0 (did the LiveView see any event?)")
        w = _ipywidgets()
        if w is None:
            raise ImportError("Replay needs ipywidgets; install it with: pip install ipywidgets")
        self.frames = frames
        last = len(frames) - 1
        self.play = w.Play(value=0, min=0, max=last, step=1, interval=interval)
        self.slider = w.IntSlider(value=0, min=0, max=last, step=1, description="frame")
        w.jslink((self.play, "value"), (self.slider, "value"))
        self.image = w.Image(format="png", value=frames[0].png)
        self.label = w.Label(value=frames[0].text)
        self.slider.observe(lambda change: self._draw(change["new"]), names="value")
        self.widget = w.VBox([w.HBox([self.play, self.slider]), self.image, self.label])

    def _draw(self, i: int) -> None:
        self.image.value = self.frames[i].png
        self.label.value = self.frames[i].text

    def show(self, i: int) -> None:
        """Show frame i (negative counts from the end, like a list index)."""
        n = len(self.frames)
        if isinstance(i, bool) or not isinstance(i, int) or not -n <= i < n:
            raise ValueError(f"frame index must be an int in [{-n}, {n - 1}], got {i!r}")
        i %= n
        self.slider.value = i
        self._draw(i)  # the slider does not fire if it is already at i

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
