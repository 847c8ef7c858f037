"""Fashion-MNIST, the second dataset: where its files come from and how they are checked, the data
itself (counts, classes, normalisation), every method distilling it, and the command line.

The source tests feed tiny files of their own through the same code. The rest reads the real files:
from the data root, else Debian's package dataset-fashion-mnist (`.ci/run` installs it), else
torchvision's download. Where none of them can be had, those tests skip with the reason, except
under CI (the variable CI is set), where they fail.
"""

import gzip
import hashlib
import os
import shutil
import struct

import pytest
import torch

from ddlab import distill, evaluate
from ddlab.__main__ import main
from ddlab.data import DATASETS, FASHION_MNIST_MEAN, FASHION_MNIST_STD, load
from ddlab.methods import DC, DD, DM, DSA, IDC, KIP, MTT, SRe2L, registered
from ddlab.sources import assets, fashion_mnist as fm
from ddlab.synthetic import SyntheticSet

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

# ----------------------------------------------------------------- sources, on tiny files of our own

TINY_FILES = {
    name: struct.pack(">I", 2049 + 2 * name.startswith(("train-i", "t10k-i"))) + name.encode() for name in fm.SHA256
}
TINY_SHA = {name: hashlib.sha256(data).hexdigest() for name, data in TINY_FILES.items()}
TINY_SIZES = {name: len(data) for name, data in TINY_FILES.items()}


def debian_copy(folder, files=TINY_FILES):
    """A folder laid out like Debian's package: each file gzipped, named NAME.gz."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(data))
    return folder


@pytest.fixture
def offline(monkeypatch):
    """torchvision's download fails as it does without internet; returns how often it was tried."""
    calls = []

    def torchvision_offline(root, sha256s, sizes):
        calls.append(root)
        raise RuntimeError("offline")

    monkeypatch.setattr(fm, "_from_torchvision", torchvision_offline)
    return calls


def read(root, source="auto", **kwargs):
    return fm.read_fashion_mnist(root, source, sha256s=TINY_SHA, sizes=TINY_SIZES, **kwargs)


def test_debian_package_is_read_in_place_then_a_data_root_copy_wins(tmp_path, offline):
    debian = debian_copy(tmp_path / "debian")
    assert read(tmp_path / "root", debian_dir=debian) == (fm.DEBIAN, TINY_FILES)
    assert not (tmp_path / "root").exists() and offline == []  # nothing copied, no download tried
    raw = fm.raw_dir(tmp_path / "root")
    raw.mkdir(parents=True)
    for name, data in TINY_FILES.items():
        (raw / name).write_bytes(data)
    assert read(tmp_path / "root", "torchvision", debian_dir=tmp_path / "none") == (fm.CACHE, TINY_FILES)
    assert offline == []


def test_a_corrupt_debian_file_is_refused_in_one_line_naming_it(tmp_path, offline):
    files = dict(TINY_FILES, **{"train-labels-idx1-ubyte": TINY_FILES["train-labels-idx1-ubyte"][:-1] + b"?"})
    debian = debian_copy(tmp_path / "debian", files)
    with pytest.raises(fm.FashionMNISTUnavailable) as err:
        read(tmp_path / "root", debian_dir=debian)
    message = str(err.value)
    assert "\n" not in message
    assert f"{debian / 'train-labels-idx1-ubyte.gz'} fails its sha256 check" in message
    assert "apt-get install dataset-fashion-mnist" in message and "connect to the internet" in message
    assert "torchvision download failed (offline)" in message and len(offline) == 1


def test_without_the_package_or_internet_the_error_says_what_to_do(tmp_path, offline):
    with pytest.raises(
        fm.FashionMNISTUnavailable,
        match=r"dataset-fashion-mnist is not installed \(no .*train-images-idx3-ubyte.gz\).*"
        r"torchvision download failed \(offline\).*apt-get install dataset-fashion-mnist",
    ):
        read(tmp_path / "root", debian_dir=tmp_path / "none")
    with pytest.raises(fm.FashionMNISTUnavailable, match="not installed"):
        read(tmp_path / "root", "debian", debian_dir=tmp_path / "none")
    assert len(offline) == 1  # the second time only Debian's package was tried


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_data_root_copy_is_removed_and_replaced(tmp_path, offline, caplog, damage):
    raw = fm.raw_dir(tmp_path / "root")
    raw.mkdir(parents=True)
    for name, data in TINY_FILES.items():
        (raw / name).write_bytes(data)
    bad = raw / "t10k-images-idx3-ubyte"
    data = bad.read_bytes()
    bad.write_bytes(data[:-1] if damage == "truncated" else data[:-1] + b"\x00")
    assert read(tmp_path / "root", debian_dir=debian_copy(tmp_path / "debian")) == (fm.DEBIAN, TINY_FILES)
    assert "fails its sha256 check" in caplog.text and not bad.exists()
    with pytest.raises(fm.FashionMNISTUnavailable, match="t10k-labels-idx1-ubyte; removed"):
        (raw / "t10k-labels-idx1-ubyte").write_bytes(b"partial")
        read(tmp_path / "root", debian_dir=tmp_path / "none")


def test_an_archive_that_expands_too_far_is_refused(tmp_path, offline):
    debian = debian_copy(tmp_path / "debian")
    (debian / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(10_000_000)))
    with pytest.raises(
        fm.FashionMNISTUnavailable,
        match=rf"train-images-idx3-ubyte has {TINY_SIZES['train-images-idx3-ubyte'] + 1}\+ bytes",
    ):
        read(tmp_path / "root", "debian", debian_dir=debian)


def test_torchvision_download_is_checked(tmp_path, monkeypatch):
    import torchvision

    class FakeFashionMNIST:  # "downloads" the files, one with a wrong byte
        def __init__(self, root, train, download):
            raw = fm.raw_dir(root)
            raw.mkdir(parents=True, exist_ok=True)
            for name, data in TINY_FILES.items():
                (raw / name).write_bytes(data[:-1] + b"!" if name.startswith("train-l") else data)

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", FakeFashionMNIST)
    with pytest.raises(fm.FashionMNISTUnavailable, match="fail their sha256 check: train-labels-idx1-ubyte"):
        read(tmp_path / "root", "torchvision")
    assert not (fm.raw_dir(tmp_path / "root") / "train-labels-idx1-ubyte").exists()


def test_names_and_sources():
    assert list(DATASETS) == ["mnist", "fashion_mnist"]
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar10'; available: mnist, fashion_mnist"):
        load("cifar10")
    with pytest.raises(ValueError, match=r"unknown Fashion-MNIST source 'pypi'; allowed: auto, debian, torchvision"):
        load("Fashion_MNIST", source="pypi")
    with pytest.raises(ValueError, match=r"unknown MNIST source 'debian'"):
        load("mnist", source="debian")


# ----------------------------------------------------------------- the real files


@pytest.fixture(scope="module")
def fashion():
    try:
        return load("fashion_mnist", device="cpu")
    except fm.FashionMNISTUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"{error} (CI is set, so Fashion-MNIST must be there; .ci/run installs it)")
        pytest.skip(str(error))


needs_debian = pytest.mark.skipif(
    not (fm.DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz").is_file() and not os.environ.get("CI"),
    reason="needs Debian's package dataset-fashion-mnist (.ci/run installs it)",
)


def test_shapes_counts_and_classes(fashion):
    assert fashion.name == "fashion_mnist" and fashion.classes == CLASSES and fashion.num_classes == 10
    assert fashion.x_train.shape == (60000, 1, 28, 28) and fashion.x_test.shape == (10000, 1, 28, 28)
    assert fashion.x_train.dtype == fashion.x_test.dtype == torch.float32
    assert fashion.y_train.dtype == fashion.y_test.dtype == torch.int64
    assert torch.bincount(fashion.y_train).tolist() == [6000] * 10
    assert torch.bincount(fashion.y_test).tolist() == [1000] * 10
    assert [len(fashion.per_class(c)) for c in range(10)] == [6000] * 10 and fashion.smallest_class == 6000
    assert fashion.y_train[:5].tolist() == [9, 0, 0, 3, 0]  # the publisher's order, not shuffled
    assert fashion.source in (fm.CACHE, fm.DEBIAN, fm.TORCHVISION)
    assert load("FASHION_MNIST", device=torch.device("cpu")) is fashion  # any case, loaded once
    assert fm.raw_dir("r").parts[-2:] == ("FashionMNIST", "raw")  # torchvision's layout, beside MNIST/raw


def test_normalisation_constants_are_the_training_sets_own(fashion):
    pixels = fashion.to_pixels(fashion.x_train, clamp=False)  # back to [0, 1]
    first = pixels[:1000] * 255
    torch.testing.assert_close(first, first.round(), atol=1e-3, rtol=0)  # k / 255: the constants undo the loading
    assert round(pixels.mean().item(), 4) == FASHION_MNIST_MEAN[0]  # 0.286041
    assert round(pixels.std(correction=0).item(), 4) == FASHION_MNIST_STD[0]  # 0.353024
    assert (fashion.mean, fashion.std) == (FASHION_MNIST_MEAN, FASHION_MNIST_STD)
    p = fashion.to_pixels(fashion.x_test[:100])
    assert p.min() == 0 and p.max() == 1


@needs_debian
def test_checksums_agree_with_torchvisions_md5_list():
    """Debian's .gz lack the file name (and time) the publisher's gzip headers hold; put back, the
    files are byte for byte the ones torchvision's md5s name, and they hold the bytes `SHA256` names."""
    from torchvision.datasets import FashionMNIST

    gzip_times = {
        "train-images-idx3-ubyte": 1504176606,
        "train-labels-idx1-ubyte": 1504176606,  # 2017-08-31
        "t10k-images-idx3-ubyte": 1504176627,
        "t10k-labels-idx1-ubyte": 1504176627,
    }
    for file, md5 in FashionMNIST.resources:
        name = file.removesuffix(".gz")
        debian = (fm.DEBIAN_DIR / file).read_bytes()
        assert debian[:4] == b"\x1f\x8b\x08\x00"  # gzip, deflate, no flags: no stored name
        header = b"\x1f\x8b\x08\x08" + struct.pack("<I", gzip_times[name]) + debian[8:10] + name.encode() + b"\0"
        assert hashlib.md5(header + debian[10:]).hexdigest() == md5, file
        data = gzip.decompress(debian)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (fm.SIZES[name], fm.SHA256[name])


@needs_debian
def test_a_corrupt_copy_of_the_real_files_is_refused_from_the_command_line(tmp_path, monkeypatch, capsys):
    debian = tmp_path / "debian"
    shutil.copytree(fm.DEBIAN_DIR, debian, ignore=lambda folder, names: [n for n in names if n.startswith("train")])
    labels = bytearray(gzip.decompress((debian / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels[8], labels[9] = labels[9], labels[8]  # two test labels swapped: a valid archive, wrong data
    assert labels[8] != labels[9]
    (debian / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        os.symlink(fm.DEBIAN_DIR / f"{name}.gz", debian / f"{name}.gz")  # the big ones, as they are
    monkeypatch.setattr(fm, "DEBIAN_DIR", debian)
    assert main(["data", "--dataset", "fashion_mnist", "--root", str(tmp_path / "root"), "--source", "debian"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # progress lines ("ddlab: ...") may come first
    assert err.startswith("ddlab: error: could not get Fashion-MNIST")
    assert f"{debian / 't10k-labels-idx1-ubyte.gz'} fails its sha256 check" in err
    assert "apt-get install dataset-fashion-mnist" in err


# ----------------------------------------------------------------- every method, and the command line

TINY = {  # each method at its smallest: 2 iterations in a second or two on a CPU (DC/DSA: more when cold)
    "dc": DC(width=8, real_batch=32, outer_loop=1, inner_loop=1, iterations=2, validation_epochs=2),
    "dsa": DSA(width=8, real_batch=32, outer_loop=1, inner_loop=1, iterations=2, validation_epochs=2),
    "dd": DD(init="fixed", ipc=1, steps=1, epochs=1, real_batch=32, iterations=2),
    "dm": DM(width=8, real_batch=32, iterations=2, validation_epochs=2),
    "idc": IDC(width=8, real_batch=32, net_examples=64, inner_loop=1, iterations=2, validation_epochs=2),
    "kip": KIP(real_batch=100, iterations=2),
    "mtt": MTT(
        ipc=1,
        syn_steps=2,
        expert_epochs_matched=1,
        max_start_epoch=1,
        n_experts=1,
        expert_epochs=2,
        width=8,
        expert_examples=256,
        expert_batch=128,
        iterations=2,
    ),
    "sre2l": SRe2L(width=8, teacher_epochs=1, teacher_examples=512, iterations=2, validation_epochs=2),
}


def test_every_method_has_a_tiny_config_here():
    assert set(TINY) == set(registered())
    assert all(type(config) is registered()[name][0] for name, config in TINY.items())


@pytest.mark.parametrize("name", sorted(TINY))
def test_every_method_distils_fashion_mnist(fashion, name, tmp_path, monkeypatch):
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path))  # MTT's experts are cached there, not in the real cache
    events = []
    # validate=False: the validation checks train networks at the method's full width (KIP's alone
    # takes 15 s); evaluating a Fashion-MNIST set is the command-line test's job, below
    result = distill(TINY[name], fashion, callbacks=[events.append], seed=0, progress=False, validate=False)
    assert result.method == name and result.config["dataset"] == "fashion_mnist"
    assert result.images.shape[1:] == (1, 28, 28) and torch.isfinite(result.images).all()
    assert sorted(set(result.labels.view(-1).tolist())) == list(range(10))
    assert {e.iteration for e in events} == {1, 2} and events[-1].done and events[-1].iteration == 2
    assert all(torch.isfinite(torch.tensor(e.loss)) for e in events)
    result.check_fits(fashion)


def test_the_command_line_distils_and_evaluates_on_fashion_mnist(fashion, tmp_path, capsys):
    out = tmp_path / "dd.pt"
    argv = [
        "distill",
        "dd",
        "--dataset",
        "fashion_mnist",
        "--init",
        "fixed",
        "--steps",
        "1",
        "--epochs",
        "1",
        "--iterations",
        "2",
        "--real-batch",
        "32",
        "--n-models",
        "1",
        "--eval-models",
        "1",
        "--out",
        str(out),
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    made = SyntheticSet.load(out)
    assert made.config["dataset"] == "fashion_mnist" and "--dataset fashion_mnist" in made.config["command"]
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n-models", "1", "--device", "cpu"]) == 0  # on the set's own dataset
    assert capsys.readouterr().out.startswith(f"{out}: ")
    assert main(["evaluate", str(out), "--dataset", "mnist", "--n-models", "1", "--device", "cpu"]) == 2
    assert "made on 'fashion_mnist', not 'mnist'" in capsys.readouterr().err


def test_an_mnist_set_is_refused_on_fashion_mnist(fashion, tmp_path, capsys):
    mnist_set = assets.load("dd_fixed_mnist_10")
    assert mnist_set.config["dataset"] == "mnist"
    with pytest.raises(ValueError, match="this dd set was made on 'mnist', not 'fashion_mnist'; evaluate it on mnist"):
        evaluate(mnist_set, fashion, n_models=1)
    path = str(assets.path("dd_fixed_mnist_10"))
    assert main(["evaluate", path, "--dataset", "FASHION_MNIST", "--n-models", "1", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "made on 'mnist', not 'fashion_mnist'" in err
    assert (
        main(
            [
                "distill",
                "dd",
                "--dataset",
                "fashion_mnist",
                "--init",
                "fixed",
                "--ipc",
                "1",
                "--steps",
                "1",
                "--start-from",
                "dd_fixed_mnist_10",
                "--out",
                str(tmp_path / "dd.pt"),
                "--device",
                "cpu",
            ]
        )
        == 2
    )
    assert "made on 'mnist', not 'fashion_mnist'" in capsys.readouterr().err
    assert not (tmp_path / "dd.pt").exists()


def test_the_data_command_names_the_dataset_and_its_source(fashion, capsys):
    assert main(["data", "--dataset", "fashion_mnist"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Fashion-MNIST: 60000 train + 10000 test images in ") and f"(source: {fashion.source})" in out


def test_the_shipped_fashion_teacher_is_verified_and_used_without_training(fashion, tmp_path, monkeypatch):
    """Issue 28: the decoupled methods' teacher is shipped for each dataset, so the Fashion-MNIST
    benchmark does not train it again; what it loads classifies the test set as it recorded."""
    from ddlab.sources import teachers

    spec = teachers.TeacherSpec()
    shipped = teachers.shipped_path(spec, fashion)
    assert shipped is not None and shipped.name.startswith("fashion_mnist-")

    def no_training(*args, **kwargs):
        raise AssertionError("the shipped teacher must not be trained again")

    monkeypatch.setattr(teachers, "train", no_training)
    monkeypatch.setattr(teachers, "_loaded", {})
    teacher = teachers.load_or_train(spec, fashion, root=tmp_path)  # an empty data root: nothing cached
    with torch.no_grad():
        measured = (teacher.net(fashion.x_test[:2000]).argmax(1) == fashion.y_test[:2000]).float().mean().item()
    assert teacher.test_accuracy > 0.8 and measured > 0.8
