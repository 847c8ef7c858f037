"""`SyntheticSet`: what a distillation produces, and how it is kept on disk.

A synthetic set is a handful of images with labels, plus — for Wang et al.'s dataset distillation —
the learned step sizes and the split of the images into one batch per training step, and — for
methods that learn labels too (KIP) — one learned target vector per image. It carries the
config that made it and the run's history, so a saved set says exactly how to reproduce it.

Saving uses only tensors, numbers, strings, lists and dicts, so `load` can use
``torch.load(weights_only=True)``: opening a set downloaded from someone else never runs code.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .sources.cache import write_atomic

FORMAT_VERSION = 1
REGRESSION_TARGETS = ("kip",)  # methods whose learned labels are kernel regression targets (see `targets`)


def fingerprint(tensor: Tensor | None) -> str:
    """A short hash of a tensor's shape, dtype and values ("none" for None): cheap enough to take on
    every evaluation, so a `Scores` can record which pixels, labels and step sizes it measured and an
    exercise can tell two answers, or an answer and the object it should come from, apart."""
    if tensor is None:
        return "none"
    flat = tensor.detach().cpu().contiguous().flatten()
    digest = hashlib.blake2b(f"{tuple(tensor.shape)} {tensor.dtype}".encode(), digest_size=8)
    digest.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    return digest.hexdigest()


@dataclass
class SyntheticSet:
    images: Tensor  # (N, C, H, W) normalised images, N = steps * images per step
    labels: Tensor  # (N,) class indices
    lrs: Tensor | None = None  # (steps * epochs,) learned step sizes (DD), else None
    config: dict[str, Any] = field(default_factory=dict)  # the method config's fields + "method"
    history: dict[str, list] = field(default_factory=dict)  # per-iteration metrics of the run
    seed: int = 0  # the seed of the run that made it
    interrupted: bool = False  # True if the run was stopped early (Ctrl-C)
    soft_labels: Tensor | None = None  # (N, classes) learned labels: DD's label vectors or KIP's regression targets

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

    @property
    def trains_on_soft_labels(self) -> bool:
        """Whether networks train on the set's learned labels (DD's label vectors, targets of the
        soft cross-entropy) rather than on its classes. KIP's learned labels are regression
        targets of its kernel's least squares, which a network trained with cross-entropy cannot use."""
        return self.soft_labels is not None and self.method not in REGRESSION_TARGETS

    @property
    def targets(self) -> Tensor:
        """What a network trains on: the learned labels where it trains on them ((N, classes)),
        else the class indices ((N,)). Cross-entropy takes either."""
        return self.soft_labels if self.trains_on_soft_labels else self.labels

    def with_hard_labels(self) -> SyntheticSet:
        """The same images with their class indices only (for a learned-label set, the most likely
        class of each image): how much of a set's score its soft labels carry is the difference."""
        return replace(self, soft_labels=None)

    def batches(self) -> list[tuple[Tensor, Tensor]]:
        """The images split into `steps` consecutive, equally sized batches: step i of DD training."""
        return list(zip(self.images.chunk(self.steps), self.targets.chunk(self.steps)))

    def schedule(self) -> tuple[list[tuple[Tensor, Tensor]], Tensor]:
        """The full DD training schedule: the batches repeated for every epoch, and one step size
        per step. Feed it to `ddlab.functional.unroll`."""
        if self.lrs is None:
            raise ValueError(f"a {self.method!r} set has no learned step sizes; it is evaluated by training on it")
        return self.batches() * self.epochs, self.lrs

    def to(self, device: torch.device | str) -> SyntheticSet:
        lrs = None if self.lrs is None else self.lrs.to(device)
        soft_labels = None if self.soft_labels is None else self.soft_labels.to(device)
        return replace(
            self, images=self.images.to(device), labels=self.labels.to(device), lrs=lrs, soft_labels=soft_labels
        )

    def state(self) -> dict[str, Any]:
        """The set as plain tensors, numbers, strings, lists and dicts (what `save` writes)."""
        return {
            "format": FORMAT_VERSION,
            "images": self.images.detach().cpu(),
            "labels": self.labels.detach().cpu(),
            "lrs": None if self.lrs is None else self.lrs.detach().cpu(),
            "config": plain(self.config),
            "history": plain(self.history),
            "seed": self.seed,
            "interrupted": self.interrupted,
            "soft_labels": None if self.soft_labels is None else self.soft_labels.detach().cpu(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], device: torch.device | str = "cpu") -> SyntheticSet:
        """The set `state` describes (see `state`), on `device`."""
        made = cls(
            images=state["images"],
            labels=state["labels"],
            lrs=state["lrs"],
            config=current_config(state["config"]),
            history=state["history"],
            seed=state["seed"],
            interrupted=state["interrupted"],
            soft_labels=state.get("soft_labels"),
        )  # sets saved before soft labels existed have none
        return made.to(device)

    def save(self, path: str | Path) -> Path:
        """Write the set atomically (`ddlab.sources.cache.write_atomic`): a crash or a full disk
        never leaves a half-written set under the real name."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        torch.save(self.state(), buffer)
        write_atomic(path, buffer.getvalue())
        return path

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> SyntheticSet:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no synthetic set at {path}")
        try:
            with warnings.catch_warnings():  # PyTorch warns about foreign pickles before refusing them
                warnings.simplefilter("ignore")
                state = torch.load(path, map_location=device, weights_only=True)
        except Exception:  # pickle errors, truncated zips, foreign objects: say what the file is instead
            raise ValueError(
                f"{path} is not a readable synthetic set: it is {describe_file(path)}; {_WHAT_LOADS}"
            ) from None
        if isinstance(state, dict) and state.get("format") == FORMAT_VERSION:
            return cls.from_state(state, device)
        if isinstance(state, dict) and "format" in state:
            raise ValueError(
                f"{path} is not a ddlab synthetic set of format {FORMAT_VERSION} "
                f"(format={state['format']!r}); {_WHAT_LOADS}"
            )
        raise ValueError(f"{path} is not a ddlab synthetic set: it is {describe_state(state)}; {_WHAT_LOADS}")

    def check_fits(self, data: Any) -> None:
        """One-line error unless networks for `data` can train on this set: same dataset (when the
        set names one), image shape and classes. Why here: otherwise the first sign is a PyTorch
        shape error from deep inside a convolution, which names neither the set nor the data."""
        made_on = self.config.get("dataset")
        if made_on is not None and made_on != data.name:
            raise ValueError(
                f"this {self.method} set was made on {made_on!r}, not {data.name!r}; evaluate it on {made_on}"
            )
        shape = tuple(self.images.shape[1:])
        if shape != tuple(data.image_shape):
            raise ValueError(
                f"this {self.method} set has images of shape {shape}, but {data.name} has "
                f"{tuple(data.image_shape)}; use a set made on {data.name}"
            )
        classes = self.soft_labels.shape[1] if self.soft_labels is not None else int(self.labels.max()) + 1
        if classes > data.num_classes:
            raise ValueError(
                f"this {self.method} set has {classes} classes, but {data.name} has "
                f"{data.num_classes}; use a set made on {data.name}"
            )


_WHAT_LOADS = "give a file saved by SyntheticSet.save or `python -m ddlab distill`"


def describe_file(path: Path) -> str:
    """What a file that `torch.load(weights_only=True)` refused looks like, in a few words, so the
    error can say what was given instead of PyTorch's paragraph about unpickling."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        return "an empty file"
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any(name.endswith("/data.pkl") or name == "data.pkl" for name in names):
            return "a PyTorch file holding Python objects that ddlab does not unpickle (e.g. a whole model)"
        return f"a zip archive of {len(names)} file{'s' * (len(names) != 1)}, not a PyTorch file"
    if head[:1] == b"\x80":
        return "a Python pickle, which ddlab does not unpickle"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return f"a binary file of {path.stat().st_size} bytes that PyTorch cannot read"
    return "a text file"


def describe_state(state: Any) -> str:
    """What a weights-only loadable object that is not a set is (a model checkpoint, a state_dict)."""
    if isinstance(state, dict):
        for key in ("state_dict", "model_state_dict", "model", "optimizer"):
            if key in state:
                return f"a PyTorch model checkpoint (it has {key!r})"
        if state and all(isinstance(v, Tensor) for v in state.values()):
            return f"a state_dict of {len(state)} tensors (a model's weights)"
        return f"a dict with keys {', '.join(map(repr, list(state)[:4]))}{', ...' * (len(state) > 4)}"
    if isinstance(state, Tensor):
        return f"a tensor of shape {tuple(state.shape)}"
    return f"a {type(state).__name__}"


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
