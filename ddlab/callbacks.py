"""What the distillation driver tells the outside world, once per outer iteration.

The driver knows nothing about progress bars or widgets: it builds one `Event` per iteration and
hands it to every callback (any callable taking an `Event`). Events carry the synthetic images in
*normalised* space plus the function that maps them to pixels, so a callback that draws only a few
frames a second pays for the conversion only when it draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from torch import Tensor


@dataclass(frozen=True)
class Event:
    iteration: int  # outer iterations completed so far (1-based)
    iterations: int  # outer iterations planned
    loss: float  # outer loss of this iteration
    accuracy: float | None  # latest validation accuracy in [0, 1], None until measured
    images: Tensor  # (N, C, H, W) current synthetic images, normalised, detached
    labels: Tensor  # (N,) their classes
    lrs: Tensor | None  # (steps * epochs,) learned step sizes, None if the method has none
    elapsed: float  # seconds since the run started
    done: bool  # True for the last event of a run (finished or interrupted)
    to_pixels: Callable[[Tensor], Tensor]  # normalised -> [0, 1] pixels (the dataset's `to_pixels`)
    soft_labels: Tensor | None = None  # (N, classes) learned label vectors, None with class labels

    def pixels(self) -> Tensor:
        """The synthetic images as [0, 1] pixels on the CPU, ready to draw."""
        return self.to_pixels(self.images).detach().cpu()


class Callback(Protocol):
    def __call__(self, event: Event) -> None: ...
