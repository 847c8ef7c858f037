"""`SyntheticSet`: what a distillation produces, and how it is kept on disk.

A synthetic set is a handful of images with labels, plus — for Wang et al.'s dataset distillation —
the learned step sizes and the split of the images into one batch per training step, and — for
methods that learn labels too (KIP) — one learned target vector per image. It carries the
config that made it and the run's history, so a saved set says exactly how to reproduce it.

Saving uses only tensors, numbers, strings, lists and dicts, so `load` can use
``torch.load(weights_only=True)``: opening a set downloaded from someone else never runs code.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

FORMAT_VERSION = 1


@dataclass
class SyntheticSet:
    images: Tensor                 # (N, C, H, W) normalised images, N = steps * images per step
    labels: Tensor                 # (N,) class indices
    lrs: Tensor | None = None      # (steps * epochs,) learned step sizes (DD), else None
    config: dict[str, Any] = field(default_factory=dict)  # the method config's fields + "method"
    history: dict[str, list] = field(default_factory=dict)  # per-iteration metrics of the run
    seed: int = 0                  # the seed of the run that made it
    interrupted: bool = False      # True if the run was stopped early (Ctrl-C)
    soft_labels: Tensor | None = None  # (N, classes) learned targets (distributions or regression targets), else None

    @property
    def method(self) -> str:
        return self.config.get("method", "unknown")

    @property
    def steps(self) -> int:
        """Number of distinct batches the images are split into (1 for all but DD)."""
        return int(self.config.get("steps", 1))

    @property
    def epochs(self) -> int:
        return int(self.config.get("epochs", 1))

    def __len__(self) -> int:
        return self.images.shape[0]

    def batches(self) -> list[tuple[Tensor, Tensor]]:
        """The images split into `steps` consecutive, equally sized batches: step i of DD training."""
        return list(zip(self.images.chunk(self.steps), self.labels.chunk(self.steps)))

    def schedule(self) -> tuple[list[tuple[Tensor, Tensor]], Tensor]:
        """The full DD training schedule: the batches repeated for every epoch, and one step size
        per step. Feed it to `ddlab.functional.unroll`."""
        if self.lrs is None:
            raise ValueError(f"a {self.method!r} set has no learned step sizes; it is evaluated by training on it")
        return self.batches() * self.epochs, self.lrs

    def to(self, device: torch.device | str) -> "SyntheticSet":
        lrs = None if self.lrs is None else self.lrs.to(device)
        soft_labels = None if self.soft_labels is None else self.soft_labels.to(device)
        return replace(self, images=self.images.to(device), labels=self.labels.to(device), lrs=lrs,
                       soft_labels=soft_labels)

    def state(self) -> dict[str, Any]:
        """The set as plain tensors, numbers, strings, lists and dicts (what `save` writes)."""
        return {"format": FORMAT_VERSION, "images": self.images.detach().cpu(),
                "labels": self.labels.detach().cpu(),
                "lrs": None if self.lrs is None else self.lrs.detach().cpu(),
                "config": plain(self.config), "history": plain(self.history),
                "seed": self.seed, "interrupted": self.interrupted,
                "soft_labels": None if self.soft_labels is None else self.soft_labels.detach().cpu()}

    @classmethod
    def from_state(cls, state: dict[str, Any], device: torch.device | str = "cpu") -> "SyntheticSet":
        """The set `state` describes (see `state`), on `device`."""
        made = cls(images=state["images"], labels=state["labels"], lrs=state["lrs"],
                   config=current_config(state["config"]), history=state["history"], seed=state["seed"],
                   interrupted=state["interrupted"],
                   soft_labels=state.get("soft_labels"))  # sets saved before soft labels existed have none
        return made.to(device)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        torch.save(self.state(), tmp)
        tmp.replace(path)  # atomic: a crash never leaves a half-written set under the real name
        return path

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> "SyntheticSet":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no synthetic set at {path}")
        try:
            state = torch.load(path, map_location=device, weights_only=True)
        except Exception as error:  # pickle errors, truncated zips, foreign objects
            raise ValueError(f"{path} is not a readable synthetic set ({type(error).__name__}: {error})") from None
        if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path} is not a ddlab synthetic set of format {FORMAT_VERSION}")
        return cls.from_state(state, device)


# The inner step size had three names before it had one (DD, DC, MTT), and DD's ipc counted images
# per class *per step*; sets saved then still load, in today's words.
_OLD_INNER_LR_NAMES = ("distill_lr", "net_lr", "syn_lr")


def current_config(config: dict[str, Any]) -> dict[str, Any]:
    """A saved set's config in today's vocabulary: ``inner_lr`` for the inner step size, and for DD
    ``ipc`` = images per class in all (a config saved with ``distill_lr`` counted them per step)."""
    config = dict(config)
    if config.get("method") == "dd" and "distill_lr" in config:
        config["ipc"] = int(config.get("ipc", 1)) * int(config.get("steps", 1))
    for old in _OLD_INNER_LR_NAMES:
        if old in config:
            config["inner_lr"] = config.pop(old)
    return config


def plain(value: Any) -> Any:
    """Tuples become lists and tensors numbers, so the state holds only weights_only-safe types."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Tensor):
        return value.tolist()
    return value
