"""The source task of the pretrained init settings: a second digit dataset, framed like MNIST.

Wang et al. 2018 distil MNIST for networks that were first trained on another digit dataset (the
"fixed pretrained" and "random pretrained" settings; their adaptation experiments use USPS). That
source task comes from, in this order (``source="auto"``):

1. USPS files already under ``<root>/USPS`` whose md5s match torchvision's;
2. torchvision's USPS download, attempted only if its host answers within seconds (a firewall that
   drops packets would otherwise hang urllib, which has no timeout), with its output silenced;
3. the UCI handwritten digits that ship inside scikit-learn (`sklearn.datasets.load_digits`:
   1,797 images of 8x8 pixels with 17 grey levels) -- always there, so the offline fallback.

Every image is put in MNIST's frame: MNIST digits were scaled to fit a 20x20 box and centred in a
28x28 image, while USPS (16x16) and UCI (8x8) digits fill their whole frame. Scaling the frame to
20x20 (bilinear) and padding 4 black pixels on every side puts the strokes where an MNIST digit's
are, at about their size, so a network pretrained here meets MNIST digits where it expects digits.
Pixels are then normalised with MNIST's mean and std (not the source's own): the same ink gives the
same input value, so the pretrained network sees MNIST-scaled inputs when it is adapted to MNIST.

`Dataset.source` says which source was used; `Dataset.name` is "usps" or "digits".
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
from pathlib import Path

import torch
from torch import Tensor
from torch.nn import functional as F

from ..data import MNIST_MEAN, MNIST_STD, Dataset, data_root, pick_device
from .mnist import _one_line

log = logging.getLogger(__name__)

SOURCES = ("auto", "usps", "digits")
USPS_CACHE = "USPS (cache)"
USPS_DOWNLOAD = "USPS (torchvision download)"
DIGITS = "UCI handwritten digits from scikit-learn (offline fallback)"

# torchvision's USPS files and their md5s (torchvision.datasets.USPS.split_list).
USPS_HOST = "www.csie.ntu.edu.tw"
USPS_FILES = {
    "train": ("usps.bz2", "ec16c51db3855ca6c91edd34d0e9b197"),
    "test": ("usps.t.bz2", "8ea070ee2aca1ac39742fdd1ef5ed118"),
}
PROBE_TIMEOUT_S = 5.0

# scikit-learn ships the UCI digits without a train/test split; this one is fixed by its seed.
DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0

CLASSES = tuple(str(i) for i in range(10))
BOX, SIDE = 20, 28  # MNIST's digit box inside its image


class SourceDigitsUnavailable(RuntimeError):
    """The requested source digits could not be had; the message says what was tried."""


_loaded: dict[tuple[str, str, str], Dataset] = {}


def load_source_digits(
    root: str | os.PathLike | None = None, device: str | torch.device | None = None, source: str = "auto"
) -> Dataset:
    """The source digits as a `Dataset` of (N, 1, 28, 28) MNIST-normalised images on `device`.

    source: "usps" (cache, else torchvision download, else an error), "digits" (scikit-learn's UCI
        digits) or "auto" (USPS if it can be had, else the UCI digits).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source digits {source!r}; allowed: {', '.join(SOURCES)}")
    root = data_root(root).resolve()
    device = pick_device(device)
    key = (source, str(root), str(device))
    if key not in _loaded:
        _loaded[key] = _load(root / "USPS", source).to(device)
    return _loaded[key]


def mnist_frame(pixels: Tensor) -> Tensor:
    """(N, 1, h, w) pixels in [0, 1] of digits that fill their frame -> (N, 1, 28, 28) pixels with
    the digit scaled into MNIST's central 20x20 box (see the module docstring for why)."""
    if pixels.ndim != 4 or pixels.shape[1] != 1:
        raise ValueError(f"need (N, 1, h, w) grey images, got shape {tuple(pixels.shape)}")
    boxed = F.interpolate(pixels.float(), size=(BOX, BOX), mode="bilinear", align_corners=False)
    margin = (SIDE - BOX) // 2
    return F.pad(boxed.clamp(0, 1), (margin,) * 4)  # (N, 1, 28, 28)


def _load(usps_dir: Path, source: str) -> Dataset:
    failures = []
    if source in ("auto", "usps"):
        try:
            return _usps(usps_dir)
        except Exception as error:  # noqa: BLE001 -- any failure means "try the next source"
            failures.append(f"USPS: {_one_line(error)}")
            log.info("source digits: %s", failures[-1])
    if source in ("auto", "digits"):
        return _uci_digits()
    raise SourceDigitsUnavailable(
        f"could not get USPS ({'; '.join(failures)}); connect to the internet, "
        f"put {' and '.join(f for f, _ in USPS_FILES.values())} in {usps_dir}, "
        f"or use source='digits'"
    )


def _usps(usps_dir: Path) -> Dataset:
    from torchvision.datasets import USPS
    from torchvision.datasets.utils import check_integrity

    paths = {split: usps_dir / name for split, (name, _) in USPS_FILES.items()}
    bad = [split for split, (_, md5) in USPS_FILES.items() if not check_integrity(str(paths[split]), md5)]
    if bad:
        for split in bad:
            paths[split].unlink(missing_ok=True)  # USPS(download=True) keeps a file that merely exists
        _probe(USPS_HOST)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for split in bad:
                USPS(str(usps_dir), train=split == "train", download=True)
        still_bad = [s for s, (_, md5) in USPS_FILES.items() if not check_integrity(str(paths[s]), md5)]
        if still_bad:
            raise RuntimeError(f"downloaded files fail their md5 check: {', '.join(still_bad)}")
    splits = {split: USPS(str(usps_dir), train=split == "train") for split in USPS_FILES}

    def images(split: str) -> Tensor:
        pixels = torch.from_numpy(splits[split].data).unsqueeze(1).float() / 255  # (N, 1, 16, 16)
        return _normalize(mnist_frame(pixels))

    def labels(split: str) -> Tensor:
        return torch.tensor(splits[split].targets, dtype=torch.int64)

    source = USPS_DOWNLOAD if bad else USPS_CACHE
    log.info("source digits: %s in %s", source, usps_dir)
    return Dataset(
        "usps",
        images("train"),
        labels("train"),
        images("test"),
        labels("test"),
        MNIST_MEAN,
        MNIST_STD,
        CLASSES,
        source=source,
    )


def _probe(host: str) -> None:
    """Fail within seconds when `host` is unreachable (urllib, which torchvision uses, would wait)."""
    with socket.create_connection((host, 443), timeout=PROBE_TIMEOUT_S):
        pass


def _uci_digits() -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = torch.from_numpy(digits.images).float().unsqueeze(1) / 16  # (1797, 1, 8, 8), 17 levels
    x = _normalize(mnist_frame(pixels))  # (1797, 1, 28, 28)
    y = torch.from_numpy(digits.target).long()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(DIGITS_SPLIT_SEED))
    n_test = round(DIGITS_TEST_FRACTION * len(y))
    test, train = order[:n_test], order[n_test:]
    log.info("source digits: %s", DIGITS)
    return Dataset("digits", x[train], y[train], x[test], y[test], MNIST_MEAN, MNIST_STD, CLASSES, source=DIGITS)


def _normalize(pixels: Tensor) -> Tensor:
    return ((pixels - MNIST_MEAN[0]) / MNIST_STD[0]).contiguous()
