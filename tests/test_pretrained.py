"""The source digits (USPS or scikit-learn's UCI digits in MNIST's frame) and the pools of networks
pretrained on them: framing, normalisation, the offline fallback, batched == looped pretraining,
accuracy, and the verified on-disk cache."""

import bz2
import hashlib
import logging

import pytest
import torch

from ddlab.data import MNIST_MEAN, MNIST_STD
from ddlab.functional import Schedule, accuracy_many
from ddlab.nets import make_net
from ddlab.sources import other_digits, pretrained
from ddlab.sources.other_digits import DIGITS, USPS_CACHE, SourceDigitsUnavailable, load_source_digits, mnist_frame
from ddlab.sources.pretrained import PoolError, build_pool, load_pool, pool_key, pool_path, pretrained_pool, save_pool

BLACK = (0 - MNIST_MEAN[0]) / MNIST_STD[0]  # a background pixel, normalised
QUICK = Schedule(epochs=1, batch_size=256, lr=0.01, momentum=0.9)  # for cache tests: trains in a second


@pytest.fixture(scope="module")
def digits():
    return load_source_digits(source="digits", device="cpu")


def test_uci_digits_sit_in_mnists_frame_with_mnists_normalisation(digits):
    assert digits.name == "digits" and digits.source == DIGITS
    assert digits.image_shape == (1, 28, 28) and digits.num_classes == 10
    assert len(digits.y_train) + len(digits.y_test) == 1797 and len(digits.y_test) == 359
    assert (digits.mean, digits.std) == (MNIST_MEAN, MNIST_STD)
    everything = torch.cat([digits.x_train, digits.x_test])
    border = torch.ones(28, 28, dtype=torch.bool)
    border[4:24, 4:24] = False
    assert torch.allclose(everything[:, 0, border], torch.tensor(BLACK))  # 4 black pixels all round
    pixels = digits.to_pixels(everything)
    assert pixels.max() == 1 and pixels.min() == 0
    assert 0.1 < pixels.mean() < 0.2  # ink coverage of the order of MNIST's (0.13)
    assert torch.bincount(digits.y_train, minlength=10).min() > 100


def test_mnist_frame_scales_a_full_frame_into_the_central_20x20_box():
    for side in (8, 16):
        framed = mnist_frame(torch.ones(2, 1, side, side))
        assert framed.shape == (2, 1, 28, 28)
        inside = torch.zeros(28, 28, dtype=torch.bool)
        inside[4:24, 4:24] = True
        assert torch.allclose(framed[..., inside], torch.tensor(1.0)) and torch.all(framed[..., ~inside] == 0)
    with pytest.raises(ValueError, match=r"need \(N, 1, h, w\) grey images, got shape \(3, 8, 8\)"):
        mnist_frame(torch.ones(3, 8, 8))
    with pytest.raises(ValueError, match="unknown source digits 'emnist'; allowed: auto, usps, digits"):
        load_source_digits(source="emnist")


def _fail_downloads_locally(monkeypatch):
    """torchvision really tries to download, from a local port that refuses at once."""
    from torchvision.datasets import USPS

    monkeypatch.setattr(other_digits, "_probe", lambda host: None)
    monkeypatch.setattr(
        USPS, "split_list", {s: ["http://127.0.0.1:9/" + f, f, md5] for s, (f, md5) in other_digits.USPS_FILES.items()}
    )


def test_auto_falls_back_to_sklearn_quietly_when_torchvision_cannot_download(tmp_path, monkeypatch, capfd, caplog):
    _fail_downloads_locally(monkeypatch)
    with caplog.at_level(logging.INFO, logger="ddlab.sources.other_digits"):
        data = load_source_digits(root=tmp_path, device="cpu", source="auto")
    assert data.source == DIGITS and data.name == "digits"
    assert "USPS: <urlopen error" in caplog.text  # the reason, at INFO only
    assert all(record.levelno < logging.WARNING for record in caplog.records)
    assert capfd.readouterr().out == ""
    with pytest.raises(SourceDigitsUnavailable, match=r"could not get USPS \(USPS: .*\); .*or use source='digits'"):
        load_source_digits(root=tmp_path, device="cpu", source="usps")


def _fake_usps(path, labels):
    """A libsvm-format USPS file: label 1..10, then 256 pixels in [-1, 1] (-1 = background)."""
    lines = []
    for k, label in enumerate(labels):
        values = [1.0 if i == k else -1.0 for i in range(256)]
        lines.append(f"{label + 1} " + " ".join(f"{i + 1}:{v}" for i, v in enumerate(values)))
    path.write_bytes(bz2.compress(("\n".join(lines) + "\n").encode()))
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_usps_files_in_the_cache_are_verified_then_framed(tmp_path, monkeypatch):
    usps = tmp_path / "USPS"
    usps.mkdir()
    md5s = {"train": _fake_usps(usps / "usps.bz2", [3, 7, 0]), "test": _fake_usps(usps / "usps.t.bz2", [9])}
    monkeypatch.setattr(
        other_digits, "USPS_FILES", {"train": ("usps.bz2", md5s["train"]), "test": ("usps.t.bz2", md5s["test"])}
    )
    data = load_source_digits(root=tmp_path, device="cpu", source="usps")
    assert data.source == USPS_CACHE and data.name == "usps"
    assert data.y_train.tolist() == [3, 7, 0] and data.y_test.tolist() == [9]
    assert data.x_train.shape == (3, 1, 28, 28)
    assert torch.allclose(data.x_train[:, 0, :4], torch.tensor(BLACK))  # the frame stays black
    assert data.to_pixels(data.x_train).amax(dim=(1, 2, 3)).gt(0.2).all()  # each lit pixel survives the resize

    # a damaged file fails its md5: it is deleted and fetched again, which fails offline
    other = tmp_path / "other"
    (other / "USPS").mkdir(parents=True)
    (other / "USPS" / "usps.bz2").write_bytes(b"damaged")
    (other / "USPS" / "usps.t.bz2").write_bytes((usps / "usps.t.bz2").read_bytes())
    monkeypatch.setattr(other_digits, "_probe", lambda host: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(SourceDigitsUnavailable, match=r"could not get USPS \(USPS: offline\)"):
        load_source_digits(root=other, device="cpu", source="usps")
    assert not (other / "USPS" / "usps.bz2").exists()


def test_batched_pretraining_equals_one_network_at_a_time(digits):
    batched = build_pool("lenet", "xavier", digits, 2, seed=5, schedule=QUICK)
    looped = build_pool("lenet", "xavier", digits, 2, seed=5, schedule=QUICK, vectorize=False)
    for name in batched:
        assert batched[name].shape[0] == 2
        assert torch.allclose(batched[name], looped[name], atol=1e-5), name


def test_pool_networks_know_the_source_digits_but_not_mnist(tmp_path, mnist):
    pool = pretrained_pool("lenet", "xavier", 2, seed=0, source="digits", root=tmp_path, device="cpu")
    digits = load_source_digits(source="digits", device="cpu")
    assert pool.size == 2 and pool.source == DIGITS and pool.key["source"] == "digits"
    on_source = pool.accuracies(digits)
    on_mnist = accuracy_many(make_net("lenet"), pool.params, mnist.x_test[:2000], mnist.y_test[:2000])
    assert on_source.shape == (2,) and on_source.min() > 0.85, on_source
    assert 0.3 < on_mnist.mean() < 0.8, on_mnist  # digits, but clearly not MNIST's
    assert pretrained_pool("lenet", "xavier", 2, seed=0, source="digits", root=tmp_path, device="cpu") is pool


def test_the_cache_is_written_verified_and_rebuilt_when_corrupt(tmp_path, digits, caplog, monkeypatch):
    args = dict(
        arch="lenet", init_scheme="xavier", size=2, seed=1, source="digits", schedule=QUICK, root=tmp_path, device="cpu"
    )
    pool = pretrained_pool(**args)
    key = pool_key("lenet", "xavier", digits, 2, 1, QUICK)
    path = pool_path(key, tmp_path)
    sidecar = path.with_name(path.name + ".sha256")
    assert path.is_file() and sidecar.read_text().strip() == hashlib.sha256(path.read_bytes()).hexdigest()
    stored = torch.load(path, weights_only=True)  # plain tensors and dicts only
    assert stored["key"] == key and set(stored["params"]) == set(pool.params)
    assert not list(path.parent.glob("*.partial"))
    for name, p in load_pool(path, key).items():
        assert torch.equal(p, pool.params[name])

    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(PoolError, match=r"lenet-xavier-digits-n2-seed1-\w+\.pt fails its sha256 check"):
        load_pool(path, key)
    monkeypatch.setattr(pretrained, "_pools", {})  # as in a new Python session
    with caplog.at_level(logging.WARNING, logger="ddlab.sources.pretrained"):
        rebuilt = pretrained_pool(**args)
    assert "fails its sha256 check (got" in caplog.text and caplog.text.strip().endswith("rebuilding the pool")
    for name in pool.params:  # the rebuilt pool is the same pool, and is cached again
        assert torch.equal(rebuilt.params[name], pool.params[name])
    load_pool(path, key)


def test_every_failed_check_is_one_clear_line(tmp_path, digits):
    key = pool_key("lenet", "xavier", digits, 2, 1, QUICK)
    with pytest.raises(FileNotFoundError, match="no pretrained pool at"):
        load_pool(tmp_path / "missing.pt", key)
    net = make_net("lenet")
    good = {name: torch.zeros(2, *p.shape) for name, p in net.named_parameters()}

    save_pool(tmp_path / "nosum.pt", good, key)
    (tmp_path / "nosum.pt.sha256").unlink()
    cases = {"nosum.pt": "has no checksum file nosum.pt.sha256"}
    save_pool(tmp_path / "otherkey.pt", good, {**key, "seed": 2})
    cases["otherkey.pt"] = "was not made with the requested settings"
    save_pool(tmp_path / "shapes.pt", {**good, "fc3.bias": torch.zeros(2, 7)}, key)
    cases["shapes.pt"] = "holds the wrong parameters for 2 lenet networks"
    save_pool(tmp_path / "nan.pt", {**good, "fc3.bias": torch.full((2, 10), float("nan"))}, key)
    cases["nan.pt"] = "holds non-float32 or non-finite weights"
    # a pickle that is not plain data: weights_only refuses it even though its checksum matches
    torch.save({"key": key, "params": good, "extra": Schedule(1, 1, 0.1)}, tmp_path / "code.pt")
    (tmp_path / "code.pt.sha256").write_text(hashlib.sha256((tmp_path / "code.pt").read_bytes()).hexdigest())
    cases["code.pt"] = r"is not readable \(UnpicklingError\)"
    for name, message in cases.items():
        with pytest.raises(PoolError, match=message) as info:
            load_pool(tmp_path / name, key)
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="a pretrained pool needs at least one network, got size=0"):
        pretrained_pool("lenet", "xavier", 0, seed=0, source="digits", root=tmp_path)
