"""The method interface and the registry every method file registers itself in.

The driver (`ddlab.distill`) owns the loop, the optimiser step, callbacks, interruption and the
divergence check. A method supplies only what differs between papers:

* which tensors are learned (`parameters`) and with which optimiser (`make_optimizer`),
* the outer loss for one iteration (`outer_loss`),
* the current synthetic set (`snapshot`),
* for checkpoints, what it keeps between iterations (`state` / `load_state`; the default, the
  learned tensors, suits every method that keeps nothing else).

Every method config is a frozen dataclass with the paper's defaults and, besides its own fields,
the ones the driver reads: `iterations`, `lr` (and `betas` for Adam), `lr_decay_every`, `lr_decay`.

Methods are registered under a short name next to their config type, so both
``distill(DD(...), data)`` and ``config_for("dd")`` find them. This module imports no method: each
method file imports it and registers itself with the `register` decorator, and
`ddlab.methods` imports every method file explicitly, so the import graph has no cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any

import torch
from torch import Tensor

from ..data import Dataset
from ..synthetic import SyntheticSet, plain


class Method:
    """Base class of a distillation method bound to one config, one dataset and one generator."""

    name = "method"

    def __init__(self, config: Any, data: Dataset, generator: torch.Generator):
        self.config, self.data, self.generator = config, data, generator

    def parameters(self) -> list[Tensor]:
        raise NotImplementedError

    def make_optimizer(self) -> torch.optim.Optimizer:
        """Adam with the config's `lr` and `betas`; methods whose paper uses another optimiser
        override this."""
        return torch.optim.Adam(self.parameters(), lr=self.config.lr, betas=tuple(self.config.betas))

    def outer_loss(self) -> Tensor:
        raise NotImplementedError

    def outer_labels(self, y: Tensor) -> Tensor:
        """The labels the outer loss aims for on real images labelled `y` (the driver judges its
        validation accuracy against them too): `y` itself, unless the method relabels (DD's attack)."""
        return y

    def snapshot(self) -> SyntheticSet:
        raise NotImplementedError

    def start_from(self, start: SyntheticSet) -> None:
        """Continue from `start`, a set this method made, instead of from fresh images.

        Why: a long distillation can then go on in stages — after an interrupted run, or with
        settings that only pay off late (a larger real batch, a smaller learning rate) — without
        repeating what is already learned. Every method keeps its set in `self.images` with fixed
        `self.labels`; methods that learn more (step sizes) extend this."""
        if start.method != self.name:
            raise ValueError(
                f"cannot continue a {self.name} run from a {start.method!r} set; start from a set made by {self.name}"
            )
        shape, labels = tuple(self.images.shape), self.labels.cpu()
        if tuple(start.images.shape) != shape or not torch.equal(start.labels.cpu(), labels):
            raise ValueError(
                f"cannot continue from a set of images {tuple(start.images.shape)}; this {self.name} "
                f"config learns images {shape} with the same labels (ipc, steps and dataset must match)"
            )
        with torch.no_grad():
            self.images.copy_(start.images.to(self.images.device))

    def state(self) -> dict[str, Any]:
        """Everything besides the generator and the optimiser that the next iteration depends on,
        as plain tensors (a checkpoint, `ddlab.distill`). The common case is the learned tensors
        themselves; a method that keeps more between iterations (DC: its current network) extends it."""
        return {"parameters": [p.detach().cpu().clone() for p in self.parameters()]}

    def load_state(self, state: dict[str, Any]) -> None:
        """Put back what `state` returned, in place, so an optimiser built on `parameters()` still
        holds the very tensors it updates."""
        saved = state["parameters"]
        mine = self.parameters()
        if len(saved) != len(mine) or any(a.shape != b.shape for a, b in zip(saved, mine)):
            raise ValueError(
                f"the checkpoint holds learned tensors of shapes {[tuple(t.shape) for t in saved]}; "
                f"this {self.name} config learns {[tuple(t.shape) for t in mine]}"
            )
        with torch.no_grad():
            for tensor, value in zip(mine, saved):
                tensor.copy_(value.to(tensor.device))

    def describe_config(self) -> dict[str, Any]:
        """The config as plain data (tuples become lists), exactly as a saved set stores it."""
        return plain({"method": self.name, **asdict(self.config)})


_METHODS: dict[str, tuple[type, type[Method]]] = {}


def register(name: str, config_type: type) -> Callable[[type[Method]], type[Method]]:
    def decorate(method: type[Method]) -> type[Method]:
        method.name = name
        _METHODS[name] = (config_type, method)
        return method

    return decorate


def available() -> list[str]:
    return sorted(_METHODS)


def registered() -> dict[str, tuple[type, type[Method]]]:
    """Every method by short name, with its config type (what the command line offers)."""
    return dict(sorted(_METHODS.items()))


def method_for(config: Any) -> type[Method]:
    for config_type, method in _METHODS.values():
        if type(config) is config_type:
            return method
    raise TypeError(
        f"{type(config).__name__} is not a registered method config; "
        f"use one of: {', '.join(c.__name__ for c, _ in _METHODS.values())}"
    )


def config_for(name: str, **overrides: Any) -> Any:
    """The config of method `name` with the paper's defaults, changed by `overrides` (lists are
    accepted where a field holds a tuple, as the command line and saved sets give them)."""
    if name not in _METHODS:
        raise ValueError(f"unknown method {name!r}; available: {', '.join(available())}")
    config_type = _METHODS[name][0]
    tuple_fields = {f.name for f in fields(config_type) if isinstance(f.default, tuple)}
    unknown = sorted(set(overrides) - {f.name for f in fields(config_type)})
    if unknown:
        raise ValueError(
            f"{name} has no setting {unknown[0]!r}; settings: {', '.join(sorted(f.name for f in fields(config_type)))}"
        )
    return config_type(**{k: tuple(v) if k in tuple_fields else v for k, v in overrides.items()})


def config_from_dict(stored: dict[str, Any]) -> Any:
    """Rebuild a config from `SyntheticSet.config`, ignoring its bookkeeping keys (command, dataset)."""
    name = stored.get("method")
    if name not in _METHODS:
        raise ValueError(f"unknown method {name!r}; available: {', '.join(available())}")
    known = {f.name for f in fields(_METHODS[name][0])}
    return config_for(name, **{k: v for k, v in stored.items() if k in known})
