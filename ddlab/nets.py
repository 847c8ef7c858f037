"""The networks of the course, and how fresh weights are drawn for them.

Every ReLU works in place: its backward needs only its output, and the layer before it (a conv,
a linear layer, an instance norm) needs its own input, not its output, so overwriting that output
changes no gradient, first or second order, under autograd or `torch.func` (tests/test_inplace_relu.py)
and saves a tensor and a trip to memory per activation (benchmarks/hot_loop_speedups.py).

Networks are used *functionally*: an `nn.Module` is only a template that says how to compute, and
its weights live in plain ``{name: tensor}`` dicts (``params``) that the functional core
(`ddlab.functional`) differentiates through, stacks and vmaps. That is why every net here is free
of running statistics (no BatchNorm): stateless nets vmap cleanly and give the same answer whether
one or twenty of them are trained at once.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

Params = dict[str, Tensor]

INIT_SCHEMES = ("xavier", "kaiming", "default")


class LeNet(nn.Module):
    """LeNet as in Wang et al. 2018 (and their code): two 5x5 convs with ReLU and max-pooling,
    then 120 -> 84 -> classes. The first conv pads by 2 so a 28x28 digit behaves like LeNet-5's
    32x32 input (flattened size 16*5*5 = 400)."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28):
        super().__init__()
        pad = 2 if image_size == 28 else 0
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=pad)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((image_size + 2 * pad - 4) // 2 - 4) // 2
        self.fc1 = nn.Linear(16 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = F.max_pool2d(F.relu_(self.conv1(x)), 2)  # (B, 6, 14, 14)
        x = F.max_pool2d(F.relu_(self.conv2(x)), 2)  # (B, 16, 5, 5)
        x = F.relu_(self.fc1(x.flatten(1)))  # (B, 120)
        x = F.relu_(self.fc2(x))  # (B, 84)
        return self.fc3(x)  # (B, classes)


class ConvNet(nn.Module):
    """The ConvNet of the gradient-matching family (Zhao et al. 2021 and successors): `depth`
    blocks of [3x3 conv (width channels) -> instance norm -> ReLU -> 2x2 average pool], then one
    linear layer. Instance norm is GroupNorm with one group per channel: per-sample statistics,
    no running buffers. As in the DC code, a 28x28 input's first conv pads by 3, so MNIST maps
    like a 32x32 image (4x4 features at the end, 2048 with width 128)."""

    def __init__(
        self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28, width: int = 128, depth: int = 3
    ):
        super().__init__()
        layers: list[nn.Module] = []
        channels, side = in_channels, image_size
        for d in range(depth):
            pad = 3 if d == 0 and image_size == 28 else 1
            layers += [
                nn.Conv2d(channels, width, 3, padding=pad),
                nn.GroupNorm(width, width),
                nn.ReLU(inplace=True),
                nn.AvgPool2d(2),
            ]
            channels, side = width, (side + 2 * pad - 2) // 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width * side * side, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x).flatten(1))


class MLP(nn.Module):
    """A three-layer perceptron: the simplest architecture for cross-architecture checks."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * image_size**2, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


ARCHITECTURES = {"lenet": LeNet, "convnet": ConvNet, "mlp": MLP}


def make_net(
    arch: str, in_channels: int = 1, num_classes: int = 10, image_size: int = 28, *, width: int = 128, depth: int = 3
) -> nn.Module:
    """The template module for `arch` ("lenet", "convnet" or "mlp"): the one network factory, so every
    part of the course builds a network the same way (``make_net(arch, *data.net_args)``).
    `width` and `depth` shape the ConvNet only (the papers' 128 channels and 3 blocks by default)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; available: {', '.join(ARCHITECTURES)}")
    if arch == "convnet":
        return ConvNet(in_channels, num_classes, image_size, width=width, depth=depth)
    return ARCHITECTURES[arch](in_channels, num_classes, image_size)


def init_params(net: nn.Module, scheme: str, generator: torch.Generator) -> Params:
    """Draw one fresh set of weights for `net` from `scheme`, using only `generator`'s randomness.

    "xavier" and "kaiming" draw conv/linear weights from a normal distribution (Glorot, He) with
    zero biases, as Wang et al.'s code does; "default" is PyTorch's own uniform init. Norm layers
    start at weight 1, bias 0. The template module is not modified."""
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; available: {', '.join(INIT_SCHEMES)}")
    params: Params = {}
    for module_name, module in net.named_modules():
        own = dict(module.named_parameters(recurse=False))
        if not own:
            continue
        prefix = f"{module_name}." if module_name else ""
        weight = own["weight"].detach().clone()
        bias = own["bias"].detach().clone() if "bias" in own else None
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            _init_layer(weight, bias, scheme, generator)
        else:  # normalisation layers
            weight.fill_(1.0)
            if bias is not None:
                bias.zero_()
        params[prefix + "weight"] = weight
        if bias is not None:
            params[prefix + "bias"] = bias
    return params


def _init_layer(weight: Tensor, bias: Tensor | None, scheme: str, generator: torch.Generator) -> None:
    if scheme == "xavier":
        nn.init.xavier_normal_(weight, generator=generator)
    elif scheme == "kaiming":
        nn.init.kaiming_normal_(weight, nonlinearity="relu", generator=generator)
    else:  # PyTorch's default (what nn.Linear / nn.Conv2d.reset_parameters does)
        nn.init.kaiming_uniform_(weight, a=5**0.5, generator=generator)
        if bias is not None:
            fan_in = weight[0].numel()
            bound = 1 / fan_in**0.5
            bias.uniform_(-bound, bound, generator=generator)
        return
    if bias is not None:
        bias.zero_()


def sample_inits(
    net: nn.Module, n: int, scheme: str, generator: torch.Generator, device: torch.device | str | None = None
) -> Params:
    """`n` independent initialisations stacked along a new leading dim: ``{name: (n, *shape)}``,
    the layout `torch.func.vmap` wants. Drawn on the CPU (so a seed means the same weights on
    every device), then moved."""
    if n <= 0:
        raise ValueError(f"number of networks must be positive, got {n}")
    draws = [init_params(net, scheme, generator) for _ in range(n)]
    return {k: torch.stack([d[k] for d in draws]).to(device) for k in draws[0]}


def count_params(params: Params) -> int:
    return sum(p.numel() for p in params.values())
