"""Pools of networks pretrained on the source digits: the "pretrained" init settings of Wang et al.

A pool is `size` networks of one architecture, each trained from its own initialisation on the
source digits (`ddlab.sources.other_digits`), all in one vmapped pass of `ddlab.functional.train_many`.
Network i starts from the i-th draw of a generator seeded with `seed`, so network 0 starts from
exactly the init the "fixed" setting uses for ``init_seed == seed``: "fixed pretrained" is the
fixed init after pretraining.

The pretraining schedule (`PRETRAIN`) is short on purpose: the networks should know digits yet be
clearly imperfect on MNIST, the gap that distilling for them closes (the default pool's accuracy on
both: benchmarks/RESULTS.md; the paper's networks, pretrained on USPS, reach 67.5 +- 3.9% on MNIST
before adaptation).

Pools are cached under ``<data root>/pretrained/``, one file per key (architecture, init scheme,
source, size, seed, schedule). The file holds plain tensors and is opened with
``torch.load(weights_only=True)``, but only after its sha256 matches the sidecar ``.sha256`` file
written with it; then the stored key, parameter names and shapes are checked against what was
asked for. A file that fails any check is never used: it is rebuilt (with a warning), because a pool
is a pure function of its key -- rebuilding gives the same networks (bit for bit on the same kind
of device), so refusing would only make the learner delete the file by hand. `load_pool` itself
raises a one-line `PoolError` (or FileNotFoundError), for callers that want no rebuild.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..data import Dataset, cache_file
from ..functional import Schedule, accuracy_many, train_many
from ..nets import Params, make_net, sample_inits
from . import cache
from .other_digits import load_source_digits

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Pretraining on the source digits: 3 epochs of SGD with momentum, seconds per LeNet on a CPU; a
# pool is built once, then read from the cache.
PRETRAIN = Schedule(epochs=3, batch_size=32, lr=0.01, momentum=0.9)


class PoolError(ValueError):
    """A cached pool failed verification (checksum, format, key, names or shapes)."""


@dataclass(frozen=True)
class Pool:
    params: Params  # {name: (size, *shape)} pretrained weights, on the device asked for
    key: dict[str, Any]  # everything the networks depend on (the cache is keyed by it)
    source: str  # which source digits trained them (the source task's Dataset.source)

    @property
    def size(self) -> int:
        return self.key["size"]

    def accuracies(self, data: Dataset) -> Tensor:
        """Test accuracy of each network on `data` (the source task, or MNIST before adaptation): (size,)."""
        net = make_net(self.key["arch"], *data.net_args)
        return accuracy_many(net, {k: v.to(data.device) for k, v in self.params.items()}, data.x_test, data.y_test)


# A distillation asks for its pool every iteration; reading and checking the file each time is wasted.
_pools: dict[tuple[str, str], Pool] = {}


def pretrained_pool(
    arch: str,
    init_scheme: str,
    size: int,
    seed: int,
    source: str = "auto",
    schedule: Schedule = PRETRAIN,
    root: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
) -> Pool:
    """The pool for these settings: from memory, else the verified cache file, else built and cached.

    source: which source digits ("auto", "usps", "digits"; see `ddlab.sources.other_digits`).
    device: where the pool is trained (if it must be) and where its weights are returned."""
    if size <= 0:
        raise ValueError(f"a pretrained pool needs at least one network, got size={size}")
    digits = load_source_digits(root, device, source)
    key = pool_key(arch, init_scheme, digits, size, seed, schedule)
    path = pool_path(key, root)
    memo = (str(path), str(digits.device))  # the path names the whole key
    if memo not in _pools:
        try:
            params = load_pool(path, key)
        except FileNotFoundError:
            params = _build_and_save(key, digits, schedule, path)
        except PoolError as error:
            log.warning("%s; rebuilding the pool", error)
            params = _build_and_save(key, digits, schedule, path)
        _pools[memo] = Pool({k: v.to(digits.device) for k, v in params.items()}, key, digits.source)
    return _pools[memo]


def pool_key(arch: str, init_scheme: str, digits: Dataset, size: int, seed: int, schedule: Schedule) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "arch": arch,
        "init_scheme": init_scheme,
        "source": digits.name,
        "image_shape": list(digits.image_shape),
        "classes": digits.num_classes,
        "size": size,
        "seed": seed,
        "schedule": {k: list(v) if isinstance(v, tuple) else v for k, v in cache.keyed_fields(schedule).items()},
    }


def pool_path(key: dict[str, Any], root: str | os.PathLike | None = None) -> Path:
    """A readable name plus a digest of the whole key (so every setting, schedule included, counts)."""
    digest = cache.key_digest(key)
    name = f"{key['arch']}-{key['init_scheme']}-{key['source']}-n{key['size']}-seed{key['seed']}-{digest}.pt"
    return cache_file("pretrained", name, root=root)


def build_pool(
    arch: str,
    init_scheme: str,
    digits: Dataset,
    size: int,
    seed: int,
    schedule: Schedule = PRETRAIN,
    vectorize: bool | None = None,
) -> Params:
    """Train `size` networks on `digits` at once; network i starts from the i-th init drawn from a
    generator seeded with `seed`, which then also draws every network's minibatch order.
    ``vectorize=False`` trains them one by one with the same arithmetic (the reference)."""
    net = make_net(arch, *digits.net_args)
    generator = torch.Generator().manual_seed(seed)
    inits = sample_inits(net, size, init_scheme, generator, digits.device)  # {name: (size, *shape)}
    return train_many(net, inits, digits.x_train, digits.y_train, schedule, generator, vectorize)


def save_pool(path: Path, params: Params, key: dict[str, Any]) -> None:
    """Write the pool and its sha256 sidecar (`ddlab.sources.cache`)."""
    cache.write_state(path, {"key": key, "params": {k: v.detach().cpu().contiguous() for k, v in params.items()}})


def load_pool(path: Path, key: dict[str, Any]) -> Params:
    """The verified pool at `path`, on the CPU. Raises FileNotFoundError if it is missing and
    `PoolError` (one line, naming the file and the failed check) if it is not the pool for `key`."""
    if not path.is_file():
        raise FileNotFoundError(f"no pretrained pool at {path}")
    state = cache.read_state(path, "pretrained pool", PoolError)
    if state.get("key") != key or not isinstance(state.get("params"), dict):
        raise PoolError(f"pretrained pool {path} was not made with the requested settings")
    params = state["params"]
    net = make_net(key["arch"], key["image_shape"][0], key["classes"], key["image_shape"][-1])
    shapes = {name: (key["size"], *p.shape) for name, p in net.named_parameters()}
    found = {name: tuple(p.shape) for name, p in params.items() if isinstance(p, Tensor)}
    if found != shapes:
        raise PoolError(f"pretrained pool {path} holds the wrong parameters for {key['size']} {key['arch']} networks")
    if not all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in params.values()):
        raise PoolError(f"pretrained pool {path} holds non-float32 or non-finite weights")
    return params


def _build_and_save(key: dict[str, Any], digits: Dataset, schedule: Schedule, path: Path) -> Params:
    log.info("pretraining %d %s networks on %s (cached in %s)", key["size"], key["arch"], digits.source, path)
    params = build_pool(key["arch"], key["init_scheme"], digits, key["size"], key["seed"], schedule)
    save_pool(path, params, key)
    return params
