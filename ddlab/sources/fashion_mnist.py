"""The four raw Fashion-MNIST IDX files, verified, with or without internet.

Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, https://arxiv.org/abs/1708.07747) is MNIST's drop-in
replacement: 70,000 28x28 grey images of Zalando's clothes in 10 classes, in MNIST's file format and
split (60,000 train, 6,000 per class; 10,000 test). Every method that runs on MNIST runs on it unchanged.

Sources, tried in this order by `read_fashion_mnist(root)`:

1. the data root's own copy, `<root>/FashionMNIST/raw/` (torchvision's layout);
2. Debian's package `dataset-fashion-mnist` (``apt-get install dataset-fashion-mnist``), which puts the
   four gzipped files in `/usr/share/datasets/fashion-mnist/`: read in place, never copied. Package
   mirrors are often reachable where the dataset's host is not (CI, sandboxes, some classrooms);
3. torchvision's download into `<root>/FashionMNIST/raw/` (fails within seconds when offline).

Every file is checked against the sha256 of its *uncompressed* bytes below, and the very bytes
checked are the ones returned, so nothing can change in between. Why the uncompressed bytes: Debian's
.gz files are not the publisher's (their gzip headers drop the stored file name, so each is 23 or 24
bytes shorter and torchvision's md5s of the .gz do not match them), while what they hold is the same;
one table then vouches for every source. Gzip members are read with a size limit, so a damaged or
foreign archive cannot fill the memory.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import logging
import os
from pathlib import Path

from .mnist import _one_line

log = logging.getLogger(__name__)

# sha256 and size of each uncompressed file, computed from Debian's dataset-fashion-mnist
# 0.0~git20200523.55506a9-1 (/usr/share/datasets/fashion-mnist/*.gz). Cross-checked against
# torchvision's md5s of the publisher's .gz (FashionMNIST.resources): with the file name and time of
# the publisher's gzip headers put back, Debian's .gz are those very files, byte for byte
# (tests/test_fashion_mnist.py rebuilds them).
SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
SIZES: dict[str, int] = {
    "train-images-idx3-ubyte": 47_040_016,  # 16-byte header + 60000 * 28 * 28
    "train-labels-idx1-ubyte": 60_008,  # 8-byte header + 60000
    "t10k-images-idx3-ubyte": 7_840_016,
    "t10k-labels-idx1-ubyte": 10_008,
}

DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

CACHE = "cache"
DEBIAN = f"Debian package {DEBIAN_PACKAGE}"
TORCHVISION = "torchvision download"
SOURCES = ("auto", "debian", "torchvision")

REMEDY = f"install Debian's package (apt-get install {DEBIAN_PACKAGE}) or connect to the internet"


class FashionMNISTUnavailable(RuntimeError):
    """No source could supply Fashion-MNIST; the message says what was tried and how to fix it."""


def raw_dir(root: str | os.PathLike) -> Path:
    """torchvision's layout, so `torchvision.datasets.FashionMNIST(root)` reads what is there."""
    return Path(root) / "FashionMNIST" / "raw"


def read_fashion_mnist(
    root: str | os.PathLike,
    source: str = "auto",
    *,
    sha256s: dict[str, str] = SHA256,
    sizes: dict[str, int] = SIZES,
    debian_dir: str | os.PathLike | None = None,
) -> tuple[str, dict[str, bytes]]:
    """(which source supplied them, {file name: verified uncompressed bytes}) for the four files.

    A verified copy under `root` is always used, whatever `source` says. Otherwise "auto" tries
    Debian's package, then torchvision; "debian" or "torchvision" tries only that one. `sha256s`,
    `sizes` and `debian_dir` (default: `DEBIAN_DIR`) are parameters only so that tests can feed
    files of their own.
    Raises `FashionMNISTUnavailable` (one line: each source's failure, naming the file, and what to do).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown Fashion-MNIST source {source!r}; allowed: {', '.join(SOURCES)}")
    raw, debian_dir = raw_dir(root), Path(DEBIAN_DIR if debian_dir is None else debian_dir)
    files, bad = _from_raw(raw, sha256s, sizes)
    if not bad:
        return CACHE, files
    failures = []
    damaged = [name for name in bad if (raw / name).exists()]
    for name in damaged:
        # a partial download or a foreign file; torchvision would skip its download while it exists
        log.warning("Fashion-MNIST: %s fails its sha256 check (damaged or partial); removing it", raw / name)
        (raw / name).unlink()
    if damaged:
        failures.append(f"the copy in {raw} failed its sha256 check ({', '.join(damaged)}; removed)")

    if source in ("auto", "debian"):
        try:
            files = _from_debian(debian_dir, sha256s, sizes)
            log.info("Fashion-MNIST: read from Debian's package %s (%s)", DEBIAN_PACKAGE, debian_dir)
            return DEBIAN, files
        except Exception as e:  # noqa: BLE001 -- any failure means "try the next source"
            failures.append(_one_line(e))
            log.info("Fashion-MNIST: %s", failures[-1])
    if source in ("auto", "torchvision"):
        try:
            files = _from_torchvision(root, sha256s, sizes)
            log.info("Fashion-MNIST: downloaded with torchvision into %s", raw)
            return TORCHVISION, files
        except Exception as e:  # noqa: BLE001
            failures.append(f"torchvision download failed ({_one_line(e)})")
    raise FashionMNISTUnavailable(
        f"could not get Fashion-MNIST: {'; '.join(failures)}. To fix: {REMEDY}, "
        f"or put the four IDX files ({', '.join(sha256s)}) in {raw}"
    )


def _from_raw(raw: Path, sha256s: dict[str, str], sizes: dict[str, int]) -> tuple[dict[str, bytes], list[str]]:
    """The verified files in `raw`, and the names of those missing or failing their check."""
    files, bad = {}, []
    for name, digest in sha256s.items():
        path = raw / name
        if path.is_file() and path.stat().st_size == sizes[name]:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() == digest:
                files[name] = data
                continue
        bad.append(name)
    return files, bad


def _from_debian(folder: Path, sha256s: dict[str, str], sizes: dict[str, int]) -> dict[str, bytes]:
    files = {}
    for name, digest in sha256s.items():
        path = folder / f"{name}.gz"
        if not path.is_file():
            raise FileNotFoundError(f"Debian's package {DEBIAN_PACKAGE} is not installed (no {path})")
        try:
            with gzip.open(path, "rb") as f:
                data = f.read(sizes[name] + 1)  # at most one byte too many: no gzip bombs
        except (OSError, EOFError) as e:
            raise ValueError(f"Debian's {path} is not a readable gzip file ({_one_line(e)})") from None
        _check(data, name, digest, sizes[name], f"Debian's {path}")
        files[name] = data
    return files


def _check(data: bytes, name: str, digest: str, size: int, what: str) -> None:
    if len(data) != size:
        raise ValueError(
            f"{what} fails its check: {name} has {len(data)}{'+' * (len(data) > size)} bytes, expected {size}"
        )
    got = hashlib.sha256(data).hexdigest()
    if got != digest:
        raise ValueError(f"{what} fails its sha256 check (got {got[:12]}..., expected {digest[:12]}...)")


def _from_torchvision(root, sha256s: dict[str, str], sizes: dict[str, int]) -> dict[str, bytes]:
    import torchvision

    # torchvision prints its attempts; the exception it raises already names them.
    with contextlib.redirect_stdout(io.StringIO()):
        torchvision.datasets.FashionMNIST(str(root), train=True, download=True)
    raw = raw_dir(root)
    files, bad = _from_raw(raw, sha256s, sizes)
    if bad:
        for name in bad:
            (raw / name).unlink(missing_ok=True)
        raise RuntimeError(f"downloaded files fail their sha256 check: {', '.join(bad)}")
    return files
