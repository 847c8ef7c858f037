"""What gradient matching (DC, DSA) and distribution matching (DM) share: the learned object.

Both papers learn a plain set of `ipc` images per class with fixed, class-major labels
``[0]*ipc + [1]*ipc + ...``, update the pixels with SGD and momentum, start from real images or
Gaussian noise, and draw a fresh randomly initialised ConvNet (PyTorch's default init) to measure
the synthetic set against real data. Only the outer loss differs, so it is all a method adds.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..data import Dataset, class_major_labels
from ..nets import Params, init_params, make_net
from ..synthetic import SyntheticSet
from .base import Method

INITS = ("real", "noise")


def initial_images(data: Dataset, ipc: int, init: str, generator: torch.Generator) -> Tensor:
    """Where a learned set of `ipc` images per class starts, class-major: random real images of each
    class ("real") or Gaussian noise in normalised space ("noise"): (classes * ipc, C, H, W)."""
    if init == "real":
        return torch.cat([data.sample_per_class(c, ipc, generator) for c in range(data.num_classes)])
    noise = torch.randn((data.num_classes * ipc, *data.image_shape), generator=generator)
    return noise.to(data.device)


def check_config(config: Any, positive: tuple[str, ...], choices: dict[str, tuple[str, ...]]) -> None:
    """Raise a one-line ValueError for the first field of `config` that is not positive / allowed."""
    kind = type(config).__name__
    for name in positive:
        if not getattr(config, name) > 0:
            raise ValueError(f"{kind}.{name} must be positive, got {getattr(config, name)!r}")
    for name, allowed in choices.items():
        if getattr(config, name) not in allowed:
            raise ValueError(
                f"{kind}.{name}={getattr(config, name)!r} is not allowed; use one of: {', '.join(allowed)}"
            )


class ImageSetMethod(Method):
    """A method whose synthetic set is `ipc` learned images per class (config: ipc, init, width,
    real_batch, lr, momentum)."""

    def __init__(self, config: Any, data: Dataset, generator: torch.Generator):
        super().__init__(config, data, generator)
        for name in ("ipc", "real_batch"):
            data.check_per_class(f"{type(config).__name__}.{name}", getattr(config, name))
        self.net = make_net("convnet", *data.net_args, width=config.width)
        self.labels = class_major_labels(data.num_classes, config.ipc, data.device)  # (N,)
        self.images = initial_images(data, config.ipc, config.init, generator).requires_grad_()  # (N, C, H, W)
        self.config_dict = self.describe_config()

    def class_images(self, c: int) -> Tensor:
        """The synthetic images of class `c`, still attached to the learned tensor: (ipc, C, H, W)."""
        return self.images[c * self.config.ipc : (c + 1) * self.config.ipc]

    def real_images(self, c: int) -> Tensor:
        """A fresh random batch of real images of class `c`: (real_batch, C, H, W)."""
        return self.data.sample_per_class(c, self.config.real_batch, self.generator)

    def fresh_network(self) -> Params:
        """New random ConvNet weights (PyTorch's default init, as the papers' code)."""
        return {k: v.to(self.data.device) for k, v in init_params(self.net, "default", self.generator).items()}

    def parameters(self) -> list[Tensor]:
        return [self.images]

    def make_optimizer(self) -> torch.optim.Optimizer:
        """SGD with momentum on the pixels, as in the DC/DSA/DM code."""
        return torch.optim.SGD(self.parameters(), lr=self.config.lr, momentum=self.config.momentum)

    def snapshot(self) -> SyntheticSet:
        return SyntheticSet(self.images.detach().clone(), self.labels.clone(), None, self.config_dict)


class FollowsNetwork(ImageSetMethod):
    """A matching method that follows one network for several image updates (DC, IDC): its state
    holds that network and its update count, because a resumed run must go on training that
    network, not draw a fresh one early. Subclasses set `theta` and `updates` in `__init__`."""

    theta: Params | None
    updates: int

    def state(self) -> dict:
        theta = None if self.theta is None else {k: v.detach().cpu().clone() for k, v in self.theta.items()}
        return {**super().state(), "theta": theta, "updates": self.updates}

    def load_state(self, state: dict) -> None:
        super().load_state(state)
        device = self.data.device
        self.theta = None if state["theta"] is None else {k: v.to(device) for k, v in state["theta"].items()}
        self.updates = int(state["updates"])
