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
"""
from __future__ import annotations

import html
import sys
import time
from dataclasses import dataclass

import torch

from .callbacks import Event
from .plots import arrange_by_class, grid_png


@dataclass(frozen=True)
class Frame:
    iteration: int   # the outer iteration it shows
    png: bytes       # the image grid as PNG
    text: str        # the status line shown under it


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


def status_text(event: Event) -> str:
    """The status line: 'iteration 12/100 · loss 0.0312 · val acc 87.5% · 4 s'."""
    acc = "–" if event.accuracy is None else f"{100 * event.accuracy:.1f}%"
    text = (f"iteration {event.iteration}/{event.iterations} · loss {event.loss:.4g} · "
            f"val acc {acc} · {event.elapsed:.0f} s")
    return text + " · done" if event.done else text


class LiveView:
    """A `distill` callback that shows the synthetic images and a status line, updated in place.

    every:      seconds of wall clock between drawn frames (0: draw every event)
    nrow:       images per grid row; None puts one class per column (see plots.arrange_by_class)
    scale:      integer nearest-neighbour upscaling, so 28-px digits stay crisp
    title:      a bold line above the picture
    max_frames: bound on `frames` (thinned evenly beyond it, see the module docstring)

    It displays itself at the first event if it is in a notebook and not displayed yet; or make it
    the last expression of a cell (or `display(view)`) before the run to place it yourself.
    """

    def __init__(self, every: float = 0.5, nrow: int | None = None, scale: int = 3, title: str = "",
                 max_frames: int = 300):
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
        self.current: Frame | None = None   # the last drawn frame (kept in `frames` or not)
        self._last_draw: float | None = None
        self._drawn = 0                     # frames drawn so far
        self._stride = 1                    # keep every `_stride`-th drawn frame
        self._widget = self._image = self._label = None
        self._displayed = False

    def __call__(self, event: Event) -> None:
        now = time.monotonic()
        first = self._last_draw is None or event.iteration == 1
        if not (first or event.done or now - self._last_draw >= self.every):
            return
        self._last_draw = now
        self.current = self._render(event)
        self._keep(self.current, event.done)
        if not self._displayed and _in_notebook():
            self._ipython_display_()
        if self._widget is not None:
            self._show(self.current)

    def _render(self, event: Event) -> Frame:
        # Sanitised rather than validated: a picture must never be the thing that kills a run
        # (a diverging run's NaNs are the driver's to report).
        pixels = torch.nan_to_num(event.pixels().float(), nan=0.0, posinf=1.0, neginf=0.0).clamp(0, 1)
        nrow = self.nrow
        if nrow is None:
            pixels, nrow, _ = arrange_by_class(pixels, event.labels)
        return Frame(event.iteration, grid_png(pixels, nrow, scale=self.scale), status_text(event))

    def _keep(self, frame: Frame, done: bool) -> None:
        if self.frames and self.frames[-1].iteration == frame.iteration:
            self.frames[-1] = frame         # the same iteration drawn again (e.g. the final event)
            return
        self._drawn += 1
        if not (done or self._drawn % self._stride == 0):
            return
        self.frames.append(frame)
        if len(self.frames) > self.max_frames:
            del self.frames[1:-1:2]         # keeps the first and the latest frame
            self._stride *= 2

    def _show(self, frame: Frame) -> None:
        self._image.value = frame.png
        self._label.value = frame.text

    @property
    def widget(self):
        """The widget (a VBox of title, image and status line), built on first use; None without
        ipywidgets. Reading it outside a notebook is fine: it then just holds the latest state."""
        if self._widget is None:
            w = _ipywidgets()
            if w is None:
                return None
            self._image, self._label = w.Image(format="png"), w.Label()
            title = [w.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
            self._widget = w.VBox(title + [self._image, self._label])
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
        self._displayed = True              # also when it cannot: try once, then stay quiet
        if self.widget is not None:
            from IPython.display import display
            display(self.widget)

    def replay(self) -> "Replay":
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
        self._draw(i)                       # the slider does not fire if it is already at i

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.widget)
