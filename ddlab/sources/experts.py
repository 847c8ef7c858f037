"""Expert trajectories: ConvNets trained on the real data, with their weights kept after every epoch.

Trajectory matching (MTT, Cazenavette et al. 2022, `ddlab.methods.mtt`) needs, at every outer
iteration, a point theta*_t on the training path of a network trained on real data and the point
theta*_{t+M} that the same network reached M epochs later. Those paths are recorded once, here, and
reused by every distillation run (the paper's "replay buffer").

How the experts are trained — MTT's `buffer.py`, except for augmentation:

    network        ConvNet (instance norm, average pooling), PyTorch's default initialisation
    optimiser      plain SGD: lr 0.01, batch 256, no momentum, no weight decay, no lr decay
    augmentation   none by default (MTT's experts see DSA: ``dsa=True``). MNIST's digits are learned
                   without it, and it costs CPU time; the student follows the same choice
    recorded       theta*_0 (the initialisation) and the weights after each of `epochs` epochs

All experts are trained together, one `train_many` call per epoch (the snapshot between calls is
the only reason to split the run; with no momentum nothing is lost between calls).

Budgets. An epoch over all 60,000 MNIST images is minutes of CPU time for a width-128 ConvNet
(benchmarks/mtt.py; RESULTS.md). So the number of experts, their width and the number of real
images they see are settings (`ExpertSpec`), and `ddlab.recipes.mtt_mnist` sizes them for the
active `ddlab.profile`.

Cache. A build is saved under ``<data root>/experts/`` in a file named after its settings (a digest
of them), as plain tensors, with a ``.sha256`` sidecar. Loading checks the digest *before* unpickling,
uses ``torch.load(weights_only=True)``, and checks the stored settings and every tensor's shape.
A cache that fails a check is never used and never silently replaced: `load_or_build` raises a
one-line error naming the file. Why not rebuild on the spot: the writes are atomic, so a bad file
was damaged or swapped after it was written — worth knowing about — and a rebuild can cost many
minutes; ``rebuild=True`` (or deleting the file) is the explicit way to replace it.
"""

from __future__ import annotations

import logging
import platform
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .. import augment
from ..data import Dataset, cache_file
from ..functional import Schedule, accuracy_many, train_many
from ..nets import INIT_SCHEMES, Params, make_net, sample_inits
from . import cache, course_files

FORMAT_VERSION = 1
log = logging.getLogger("ddlab")


@dataclass(frozen=True)
class ExpertSpec:
    """Which experts to train; MTT's `buffer.py` defaults except the count (theirs: 100 x 50 epochs)."""

    n_experts: int = 10  # independent trajectories (different inits and batch orders)
    epochs: int = 50  # epochs per expert: snapshots theta*_0 .. theta*_epochs
    width: int = 128  # ConvNet channels per layer
    depth: int = 3  # ConvNet conv blocks
    train_examples: int = 60_000  # real training images the experts see (a fixed random subset)
    batch_size: int = 256  # SGD minibatch
    lr: float = 0.01  # SGD step size (MTT's lr_teacher)
    init_scheme: str = "default"  # initial weights: PyTorch's default, as MTT's networks
    dsa: bool = False  # DSA-augment every minibatch (as MTT's experts); False: none
    seed: int = 0  # inits, subset, batch orders and augmentations come from this seed

    def __post_init__(self):
        for name in ("n_experts", "epochs", "width", "depth", "train_examples", "batch_size"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value > 0):
                raise ValueError(f"ExpertSpec.{name} must be a positive integer, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"ExpertSpec.lr must be positive, got {self.lr!r}")
        if self.init_scheme not in INIT_SCHEMES:
            raise ValueError(
                f"ExpertSpec.init_scheme={self.init_scheme!r} is not allowed; use one of: {', '.join(INIT_SCHEMES)}"
            )


@dataclass(frozen=True, eq=False)
class Trajectories:
    spec: ExpertSpec
    params: Params  # {name: (n_experts, epochs + 1, *shape)}; [e, t] = expert e after t epochs
    seconds: float  # wall time of the build
    built_on: str  # where it was built ("cpu, 2 threads", "cuda: NVIDIA H100 ...")

    def at(self, expert: int, epoch: int) -> Params:
        """The weights of `expert` after `epoch` epochs: ``{name: (*shape)}``."""
        return {name: p[expert, epoch] for name, p in self.params.items()}


def _template(spec: ExpertSpec, data: Dataset) -> nn.Module:
    """The experts' ConvNet (and the student's that follows them), built by the one factory."""
    return make_net("convnet", *data.net_args, width=spec.width, depth=spec.depth)


def build(spec: ExpertSpec, data: Dataset, progress: bool = True) -> Trajectories:
    """Train `spec.n_experts` ConvNets on real data for `spec.epochs` epochs, all at once, keeping
    every epoch's weights. Deterministic on the CPU for a given spec."""
    if spec.train_examples > len(data.y_train):
        raise ValueError(
            f"ExpertSpec.train_examples={spec.train_examples} is more than the "
            f"{len(data.y_train)} training images of {data.name}"
        )
    generator = torch.Generator().manual_seed(spec.seed)
    net = _template(spec, data)
    x, y = data.sample(spec.train_examples, generator)  # (N, C, H, W), (N,)
    params = sample_inits(net, spec.n_experts, spec.init_scheme, generator, data.device)
    one_epoch = Schedule(epochs=1, batch_size=spec.batch_size, lr=spec.lr)
    snapshots = [params]
    start = time.perf_counter()
    transform = partial(augment.augment, strength=augment.DSA) if spec.dsa else None
    for _ in tqdm(range(spec.epochs), desc=f"training {spec.n_experts} experts", disable=not progress):
        params = train_many(net, params, x, y, one_epoch, generator, augment=transform)
        snapshots.append(params)
    seconds = time.perf_counter() - start
    stacked = {name: torch.stack([s[name] for s in snapshots], dim=1) for name in params}
    return Trajectories(spec, stacked, seconds, _machine(data.device))


def accuracy_per_epoch(trajectories: Trajectories, data: Dataset, examples: int | None = None) -> Tensor:
    """Test accuracy in [0, 1] of every expert after every epoch: (n_experts, epochs + 1).
    `examples` limits the test images used (the first ones; default: all)."""
    spec = trajectories.spec
    n = len(data.y_test) if examples is None else examples
    if not 0 < n <= len(data.y_test):
        raise ValueError(f"examples={examples} is not between 1 and the {len(data.y_test)} test images")
    flat = {name: p.flatten(0, 1) for name, p in trajectories.params.items()}  # (E * (T+1), *shape)
    accuracy = accuracy_many(_template(spec, data), flat, data.x_test[:n], data.y_test[:n])
    return accuracy.view(spec.n_experts, spec.epochs + 1).cpu()


# The course's default experts (`recipes.mtt_mnist()` in the default profile), shipped so that
# notebooks 08 and 09 do not spend minutes building them on a learner's first run: file name in
# assets/experts/ -> its sha256. Made by `load_or_build` like any cache (then copied there).
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "experts"
SHA256: dict[str, str] = {
    "mnist-convnet32x3-4x4ep-45d8be7b3e2d.pt": "ee4c2cb8da9d8dd5cf72c04406c45b2d39cc0bba46f7428d100433b9f166ddec",
}


def cache_path(spec: ExpertSpec, data: Dataset, root=None) -> Path:
    """Where the experts for `spec` on `data` are cached (the name holds a digest of the settings)."""
    digest = cache.key_digest(_key(spec, data))
    name = f"{data.name}-convnet{spec.width}x{spec.depth}-{spec.n_experts}x{spec.epochs}ep-{digest}.pt"
    return cache_file("experts", name, root=root)


def shipped_path(spec: ExpertSpec, data: Dataset) -> Path | None:
    """The copy of `spec`'s experts shipped in assets/experts/, verified against `SHA256`; None if
    none is shipped (or this install has no assets). A shipped file that fails its check raises."""
    name = cache_path(spec, data).name
    return course_files.shipped(
        "assets/experts", name, SHA256, "experts", "ddlab.sources.experts.SHA256", in_clone=SHIPPED_DIR / name
    )


def load_or_build(
    spec: ExpertSpec, data: Dataset, root=None, rebuild: bool = False, progress: bool = True
) -> Trajectories:
    """The experts for `spec`: shipped in assets/ (the default profile's), else cached, else built
    and cached first (or always, if `rebuild`). A file that fails verification raises ValueError;
    see the module docstring."""
    path = cache_path(spec, data, root)
    shipped = None if rebuild else shipped_path(spec, data)
    if shipped is not None:
        return load(shipped, spec, data)
    if path.is_file() and not rebuild:
        return load(path, spec, data)
    log.info(
        "building %d expert trajectories (%d epochs, ConvNet width %d) for %s",
        spec.n_experts,
        spec.epochs,
        spec.width,
        path,
    )
    trajectories = build(spec, data, progress)
    save(trajectories, path, data)
    return trajectories


def save(trajectories: Trajectories, path: Path, data: Dataset) -> Path:
    """Write the trajectories and their sha256 sidecar (`ddlab.sources.cache`)."""
    state = {
        "format": FORMAT_VERSION,
        "key": _key(trajectories.spec, data),
        "params": {name: p.detach().cpu().contiguous() for name, p in trajectories.params.items()},
        "seconds": trajectories.seconds,
        "built_on": trajectories.built_on,
    }
    return cache.write_state(path, state)


def load(path: Path, spec: ExpertSpec, data: Dataset) -> Trajectories:
    """Read cached trajectories, verifying digest, settings and shapes before any use."""
    path = Path(path)
    state = cache.read_state(path, "expert cache", remedy="; delete it or pass rebuild=True")
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(f"expert cache {path} is not ddlab expert trajectories of format {FORMAT_VERSION}")
    stored, wanted = state.get("key"), _key(spec, data)
    if stored != wanted:
        differ = sorted(k for k in wanted if not isinstance(stored, dict) or stored.get(k) != wanted[k])
        raise ValueError(f"expert cache {path} was built for other settings (differing: {', '.join(differ)})")
    expected = {
        name: (spec.n_experts, spec.epochs + 1, *p.shape) for name, p in _template(spec, data).named_parameters()
    }
    params = state.get("params")
    if not isinstance(params, dict) or params.keys() != expected.keys():
        raise ValueError(f"expert cache {path} holds the wrong tensors for a ConvNet {spec.width}x{spec.depth}")
    for name, p in params.items():
        if not isinstance(p, Tensor) or tuple(p.shape) != expected[name] or p.dtype != torch.float32:
            raise ValueError(f"expert cache {path}: {name} should be float32 of shape {expected[name]}")
    return Trajectories(
        spec, {name: p.to(data.device) for name, p in params.items()}, float(state["seconds"]), str(state["built_on"])
    )


def _key(spec: ExpertSpec, data: Dataset) -> dict:
    """Everything that decides the trajectories' numbers, the network's layers included (so a change
    to `ConvNet` that keeps every shape still invalidates the cache)."""
    return {"dataset": data.name, "format": FORMAT_VERSION, "network": _layers(_template(spec, data)), **asdict(spec)}


def _layers(net: nn.Module) -> str:
    """The network's layers as `repr` prints them, less whether an activation works in place: that
    decides memory, not a single number (tests/test_inplace_relu.py), so it must not orphan a cache."""
    return repr(net).replace("(inplace=True)", "()")


def _machine(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"{device.type} ({platform.machine()}), {torch.get_num_threads()} threads"
