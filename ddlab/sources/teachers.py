"""The teacher of the decoupled methods (SRe2L, RDED): a ConvNet with BatchNorm, trained once per
dataset and cached verified.

Why BatchNorm, when every other network of the course is stateless (`ddlab.nets`): SRe2L recovers
images by matching the statistics a BatchNorm layer remembers of the real data (its running mean and
variance), so its teacher must have them; RDED's code uses the same BatchNorm ConvNets. Running
buffers do not vmap, so the teacher trains as a plain module in a plain loop, the one network of the
course that does not go through `ddlab.functional.train_many` — it is trained once per dataset, so
nothing is lost by it.

The cache works like the expert trajectories' (`ddlab.sources.experts`): a file under
``<data root>/teachers/`` named after a digest of everything the weights depend on, saved with
`ddlab.sources.cache.write_state` (atomic, sha256 sidecar) and read with `read_state` (the digest is
checked before unpickling, weights only), then checked against the settings and the network's
shapes. A file that fails a check raises one line naming it; it is never silently replaced
(``rebuild=True``, or deleting it, is the explicit way).
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..data import Dataset, cache_file
from ..nets import init_params
from . import cache, course_files

FORMAT_VERSION = 1
RELABELLED = ("sre2l", "rded")  # methods whose sets carry their teacher's soft labels
log = logging.getLogger("ddlab")


class BNConvNet(nn.Module):
    """The course's ConvNet (`ddlab.nets.ConvNet`: `depth` blocks of 3x3 conv -> norm -> ReLU ->
    2x2 average pool, a 28x28 input padded by 3) with BatchNorm as the norm, as the ConvNet teachers
    of RDED's code (``net_norm="batch"``)."""

    def __init__(
        self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28, width: int = 32, depth: int = 3
    ):
        super().__init__()
        layers: list[nn.Module] = []
        channels, side = in_channels, image_size
        for d in range(depth):
            pad = 3 if d == 0 and image_size == 28 else 1
            layers += [nn.Conv2d(channels, width, 3, padding=pad), nn.BatchNorm2d(width), nn.ReLU(), nn.AvgPool2d(2)]
            channels, side = width, (side + 2 * pad - 2) // 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width * side * side, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x).flatten(1))

    def forward_with_statistics(self, x: Tensor) -> tuple[Tensor, list[tuple[Tensor, Tensor, Tensor, Tensor]]]:
        """The logits, and for every BatchNorm layer the statistics SRe2L compares: the mean and the
        (biased) variance per channel of the batch that enters it, beside the layer's running mean
        and variance. Written out instead of forward hooks, so the comparison reads in one place."""
        statistics = []
        for layer in self.features:
            if isinstance(layer, nn.BatchNorm2d):
                mean = x.mean((0, 2, 3))  # (channels,)
                variance = x.var((0, 2, 3), unbiased=False)  # (channels,)
                statistics.append((mean, variance, layer.running_mean, layer.running_var))
            x = layer(x)
        return self.classifier(x.flatten(1)), statistics


@dataclass(frozen=True)
class TeacherSpec:
    """Which teacher to train: SGD as the course's evaluation protocol (`ddlab.protocol`), on the
    real training images, without augmentation."""

    width: int = 32  # ConvNet channels (RDED's conv teachers: 128; 32 trains in minutes on a CPU)
    depth: int = 3  # conv blocks
    epochs: int = 1  # passes over the training images (its test accuracy: benchmarks/RESULTS.md)
    train_examples: int = 60_000  # real training images seen (a fixed random subset; MNIST: all)
    batch_size: int = 256  # SGD minibatch
    lr: float = 0.01  # SGD step size
    momentum: float = 0.9  # SGD momentum
    weight_decay: float = 5e-4  # L2 penalty
    seed: int = 0  # initial weights, subset and batch order

    def __post_init__(self):
        for name in ("width", "depth", "epochs", "train_examples", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"TeacherSpec.{name} must be a positive integer, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"TeacherSpec.lr must be positive, got {self.lr!r}")


@dataclass(frozen=True, eq=False)
class Teacher:
    spec: TeacherSpec
    net: BNConvNet  # in eval mode (BatchNorm normalises with its running statistics), frozen
    test_accuracy: float  # on the whole test set, in [0, 1]
    seconds: float  # wall time of the training
    built_on: str  # where it was trained

    def soft_labels(self, images: Tensor, temperature: float) -> Tensor:
        """The teacher's label distribution for each image, softmax(logits / temperature): (N, classes).
        The papers' relabelling: a higher temperature keeps more of what the teacher thinks of the
        other classes."""
        if isinstance(temperature, bool) or not temperature > 0:
            raise ValueError(f"temperature must be a positive number, got {temperature!r}")
        with torch.no_grad():
            return torch.cat([self.net(part) for part in images.detach().split(1024)]).div(temperature).softmax(1)


def template(spec: TeacherSpec, data: Dataset) -> BNConvNet:
    return BNConvNet(*data.net_args, width=spec.width, depth=spec.depth)


def train(spec: TeacherSpec, data: Dataset) -> Teacher:
    """Train the teacher of `spec` on `data`. Deterministic on the CPU for a given spec."""
    if spec.train_examples > len(data.y_train):
        raise ValueError(
            f"TeacherSpec.train_examples={spec.train_examples} is more than the "
            f"{len(data.y_train)} training images of {data.name}"
        )
    generator = torch.Generator().manual_seed(spec.seed)
    net = template(spec, data)
    net.load_state_dict(init_params(net, "default", generator), strict=False)  # running statistics start at 0 and 1
    net.to(data.device).train()
    if spec.train_examples == len(data.y_train):
        x, y = data.x_train, data.y_train
    else:
        x, y = data.sample(spec.train_examples, generator)  # (N, C, H, W), (N,)
    optimizer = torch.optim.SGD(net.parameters(), lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay)
    start = time.perf_counter()
    for _ in range(spec.epochs):
        for batch in torch.randperm(len(y), generator=generator).to(data.device).split(spec.batch_size):
            loss = F.cross_entropy(net(x[batch]), y[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    return _frozen(spec, net, data, seconds, _machine(data.device))


def _frozen(spec: TeacherSpec, net: BNConvNet, data: Dataset, seconds: float, built_on: str) -> Teacher:
    net.eval().requires_grad_(False)
    with torch.no_grad():
        correct = sum(
            (net(x).argmax(1) == y).sum().item() for x, y in zip(data.x_test.split(1024), data.y_test.split(1024))
        )
    return Teacher(spec, net, correct / len(data.y_test), seconds, built_on)


def cache_path(spec: TeacherSpec, data: Dataset, root=None):
    """Where the teacher of `spec` on `data` is cached (the name holds a digest of the settings)."""
    name = f"{data.name}-bnconvnet{spec.width}x{spec.depth}-{spec.epochs}ep-{cache.key_digest(_key(spec, data))}.pt"
    return cache_file("teachers", name, root=root)


# The default profile's teachers (`recipes.decoupled_teacher()`: width 32, one epoch on all of
# MNIST, and of Fashion-MNIST for `benchmarks/decoupled.py --dataset fashion_mnist`), shipped so that
# notebook 15 and the benchmark do not spend minutes training them on a first run:
# file name in assets/teachers/ -> its sha256. Made by `load_or_train` like any cache, then copied there.
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "teachers"
SHA256: dict[str, str] = {
    "fashion_mnist-bnconvnet32x3-1ep-0d5ff5bbdcbb.pt": "752df208ffdfa367298a16328cd0e5c6e282cdfdf4c2de2730d7cec9395cb063",
    "mnist-bnconvnet32x3-1ep-7d2c4107a03c.pt": "70d4390e9bbe98b1097f41ebc93968588db03bc2b3724a3b7b20946b2617406e",
}


def shipped_path(spec: TeacherSpec, data: Dataset) -> Path | None:
    """The copy of `spec`'s teacher shipped in assets/teachers/, verified against `SHA256`; None if
    none is shipped (or this install has no assets). A shipped file that fails its check raises."""
    name = cache_path(spec, data).name
    return course_files.shipped(
        "assets/teachers", name, SHA256, "teacher", "ddlab.sources.teachers.SHA256", in_clone=SHIPPED_DIR / name
    )


_loaded: dict[
    tuple[str, str], Teacher
] = {}  # per path and device: a run builds its method once, a benchmark many times


def load_or_train(spec: TeacherSpec, data: Dataset, root=None, rebuild: bool = False) -> Teacher:
    """The teacher of `spec`: from memory, else shipped in assets/ (the default profile's), else the
    verified cache, else trained and cached first (or always, if `rebuild`). A file that fails
    verification raises ValueError."""
    path = cache_path(spec, data, root)
    memo = (str(path), str(data.device))
    if memo in _loaded and not rebuild:
        return _loaded[memo]
    shipped = None if rebuild else shipped_path(spec, data)
    if shipped is not None:
        teacher = load(shipped, spec, data)
    elif path.is_file() and not rebuild:
        teacher = load(path, spec, data)
    else:
        log.info("training the BatchNorm teacher (ConvNet width %d, %d epochs) for %s", spec.width, spec.epochs, path)
        teacher = train(spec, data)
        save(teacher, path, data)
    _loaded[memo] = teacher
    return teacher


def relabeller(config: dict, data: Dataset) -> Callable[[Tensor], Tensor] | None:
    """How a set made with `config` was labelled: for a set its teacher relabelled (SRe2L, RDED:
    the config names the teacher and the temperature), images -> that teacher's soft labels at that
    temperature; for any other set None. The fair scores label random real images with the same
    function, so that beside such a set only the images differ."""
    if config.get("method") not in RELABELLED:
        return None
    spec = TeacherSpec(
        width=int(config["width"]), epochs=int(config["teacher_epochs"]), train_examples=int(config["teacher_examples"])
    )
    teacher, temperature = load_or_train(spec, data), float(config["temperature"])
    return lambda images: teacher.soft_labels(images, temperature)


def save(teacher: Teacher, path, data: Dataset):
    """Write the teacher (weights and running statistics) and its sha256 sidecar."""
    state = {
        "format": FORMAT_VERSION,
        "key": _key(teacher.spec, data),
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in teacher.net.state_dict().items()},
        "test_accuracy": teacher.test_accuracy,
        "seconds": teacher.seconds,
        "built_on": teacher.built_on,
    }
    return cache.write_state(path, state)


def load(path, spec: TeacherSpec, data: Dataset) -> Teacher:
    """Read a cached teacher, verifying digest, settings and every tensor's shape before any use."""
    state = cache.read_state(path, "teacher cache", remedy="; delete it or pass rebuild=True")
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(f"teacher cache {path} is not a ddlab teacher of format {FORMAT_VERSION}")
    stored, wanted = state.get("key"), _key(spec, data)
    if stored != wanted:
        differ = sorted(k for k in wanted if not isinstance(stored, dict) or stored.get(k) != wanted[k])
        raise ValueError(f"teacher cache {path} was trained for other settings (differing: {', '.join(differ)})")
    net = template(spec, data)
    expected = {name: tuple(t.shape) for name, t in net.state_dict().items()}
    weights = state.get("state_dict")
    if (
        not isinstance(weights, dict)
        or weights.keys() != expected.keys()
        or any(not isinstance(t, Tensor) or tuple(t.shape) != expected[name] for name, t in weights.items())
    ):
        raise ValueError(
            f"teacher cache {path} holds the wrong tensors for a BatchNorm ConvNet {spec.width}x{spec.depth}"
        )
    net.load_state_dict(weights)
    net.to(data.device).eval().requires_grad_(False)
    return Teacher(spec, net, float(state["test_accuracy"]), float(state["seconds"]), str(state["built_on"]))


def _key(spec: TeacherSpec, data: Dataset) -> dict:
    """Everything that decides the teacher's weights, the network's layers included."""
    return {
        "dataset": data.name,
        "train": len(data.y_train),
        "format": FORMAT_VERSION,
        "network": repr(template(spec, data)),
        **asdict(spec),
    }


def _machine(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"{device.type} ({platform.machine()}), {torch.get_num_threads()} threads"
