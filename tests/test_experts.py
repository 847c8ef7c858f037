"""Expert trajectories: they learn, they are cached, and a cache that is not what it claims is refused."""

import dataclasses
import hashlib

import pytest
import torch

from ddlab.nets import ConvNet, count_params, make_net
from ddlab.sources import experts
from ddlab.sources.experts import ExpertSpec

# Tiny experts: a width-8 ConvNet, 1,024 images, batch 64 (16 steps per epoch) at a bold step size,
# so two epochs show learning in a couple of seconds on a CPU.
TINY = ExpertSpec(n_experts=2, epochs=2, width=8, train_examples=1024, batch_size=64, lr=0.05)


@pytest.fixture(scope="module")
def tiny(mnist):
    return experts.build(TINY, mnist, progress=False)


def test_trajectories_hold_every_epoch_of_every_expert(tiny, mnist):
    net = make_net("convnet", *mnist.net_args, width=TINY.width, depth=TINY.depth)
    for name, p in net.named_parameters():
        assert tiny.params[name].shape == (2, 3, *p.shape)
    # the experts start apart (own inits) and every epoch moves every weight (not the conv biases,
    # up to rounding: instance norm subtracts them again, so their gradient is zero)
    start, end = tiny.at(0, 0), tiny.at(0, 2)
    assert not torch.equal(start["classifier.weight"], tiny.at(1, 0)["classifier.weight"])
    moved = {k for k in start if (start[k] - tiny.at(0, 1)[k]).abs().max() > 1e-4}
    assert moved == {k for k in start if k.endswith("weight")} | {f"features.{i}.bias" for i in (1, 5, 9)} | {
        "classifier.bias"
    }
    assert count_params(end) == count_params(dict(net.named_parameters()))


def test_experts_accuracy_improves_with_epochs(tiny, mnist):
    accuracy = experts.accuracy_per_epoch(tiny, mnist, examples=1000)  # (2 experts, 3 epochs)
    assert accuracy.shape == (2, 3)
    mean = accuracy.mean(0)
    assert mean[0] < 0.25, f"untrained networks should be near chance, got {mean[0]:.2f}"
    assert mean[1] > mean[0] + 0.2 and mean[2] > mean[1], f"accuracy per epoch {mean.tolist()}"
    assert mean[2] > 0.5, f"two epochs should pass 50%, got {mean[2]:.2f}"


def test_build_is_deterministic(mnist):
    spec = dataclasses.replace(TINY, n_experts=1, epochs=1, train_examples=128)
    a, b = experts.build(spec, mnist, progress=False), experts.build(spec, mnist, progress=False)
    assert all(torch.equal(a.params[k], b.params[k]) for k in a.params)


def test_cache_round_trip_loads_without_rebuilding(tiny, mnist, tmp_path, monkeypatch):
    path = experts.save(tiny, experts.cache_path(TINY, mnist, tmp_path), mnist)
    assert path.parent == tmp_path / "experts" and path.with_name(path.name + ".sha256").is_file()
    assert not list(path.parent.glob("*.partial"))

    def no_build(*args, **kwargs):
        raise AssertionError("a valid cache must not be rebuilt")

    monkeypatch.setattr(experts, "build", no_build)
    loaded = experts.load_or_build(TINY, mnist, root=tmp_path)
    assert all(torch.equal(loaded.params[k], tiny.params[k]) for k in tiny.params)
    assert loaded.seconds == tiny.seconds and loaded.built_on == tiny.built_on


def test_cache_is_keyed_by_settings(mnist, tmp_path):
    other = dataclasses.replace(TINY, lr=0.02)
    assert experts.cache_path(other, mnist, tmp_path) != experts.cache_path(TINY, mnist, tmp_path)


def test_corrupt_cache_is_refused_and_rebuilt_only_on_request(tiny, mnist, tmp_path):
    path = experts.save(tiny, experts.cache_path(TINY, mnist, tmp_path), mnist)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # one flipped byte inside the tensors
    path.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match=r"fails its sha256 check .*rebuild=True"):
        experts.load_or_build(TINY, mnist, root=tmp_path)
    small = dataclasses.replace(TINY, n_experts=1, epochs=1, train_examples=128)
    small_path = experts.save(
        experts.build(small, mnist, progress=False), experts.cache_path(small, mnist, tmp_path), mnist
    )
    small_path.write_bytes(small_path.read_bytes()[:-10])  # truncated
    with pytest.raises(ValueError, match="fails its sha256 check"):
        experts.load(small_path, small, mnist)
    rebuilt = experts.load_or_build(small, mnist, root=tmp_path, rebuild=True, progress=False)
    assert torch.equal(
        experts.load(small_path, small, mnist).params["classifier.bias"], rebuilt.params["classifier.bias"]
    )


def test_cache_without_digest_is_refused(tiny, mnist, tmp_path):
    path = experts.save(tiny, experts.cache_path(TINY, mnist, tmp_path), mnist)
    path.with_name(path.name + ".sha256").unlink()
    with pytest.raises(ValueError, match=r"has no checksum file .*\.sha256"):
        experts.load(path, TINY, mnist)


class _NotATensor:
    """Anything but plain tensors and containers: weights_only loading must refuse to build it."""


def test_cache_is_loaded_with_weights_only(mnist, tmp_path):
    path = experts.cache_path(TINY, mnist, tmp_path)
    path.parent.mkdir(parents=True)
    torch.save({"format": experts.FORMAT_VERSION, "params": _NotATensor()}, path)
    _record_digest(path)  # a digest that vouches for the file
    with pytest.raises(ValueError, match="is not readable"):
        experts.load(path, TINY, mnist)


def test_cache_with_other_settings_or_wrong_shapes_is_refused(tiny, mnist, tmp_path):
    other = dataclasses.replace(TINY, seed=1)
    path = experts.save(tiny, experts.cache_path(other, mnist, tmp_path), mnist)
    with pytest.raises(ValueError, match=r"was built for other settings \(differing: seed\)"):
        experts.load(path, other, mnist)

    cut = dataclasses.replace(tiny, params={k: v[:, :2] for k, v in tiny.params.items()})  # an epoch short
    path = experts.save(cut, experts.cache_path(TINY, mnist, tmp_path), mnist)
    with pytest.raises(ValueError, match=r"should be float32 of shape \(2, 3, "):
        experts.load(path, TINY, mnist)


def test_cache_is_refused_after_the_network_changes(tiny, mnist, tmp_path, monkeypatch):
    path = experts.save(tiny, experts.cache_path(TINY, mnist, tmp_path), mnist)
    monkeypatch.setattr(ConvNet, "extra_repr", lambda self: "another layout, same shapes")
    with pytest.raises(ValueError, match=r"built for other settings \(differing: network\)"):
        experts.load(path, TINY, mnist)


def test_bad_settings_are_rejected(mnist):
    with pytest.raises(ValueError, match="ExpertSpec.n_experts must be a positive integer, got 0"):
        ExpertSpec(n_experts=0)
    with pytest.raises(ValueError, match="ExpertSpec.lr must be positive, got -0.1"):
        ExpertSpec(lr=-0.1)
    with pytest.raises(ValueError, match="init_scheme='orthogonal' is not allowed; use one of: xavier"):
        ExpertSpec(init_scheme="orthogonal")
    with pytest.raises(ValueError, match="train_examples=70000 is more than the 60000 training images"):
        experts.build(ExpertSpec(train_examples=70_000), mnist)
    with pytest.raises(ValueError, match="examples=0 is not between 1 and the 10000 test images"):
        experts.accuracy_per_epoch(experts.Trajectories(TINY, {}, 0.0, "cpu"), mnist, examples=0)


def _record_digest(path):
    path.with_name(path.name + ".sha256").write_text(hashlib.sha256(path.read_bytes()).hexdigest() + "\n")


def test_the_default_profiles_experts_are_shipped_verified_and_used_without_building(mnist, tmp_path, monkeypatch):
    from ddlab import recipes
    from ddlab.methods.mtt import expert_spec

    monkeypatch.setenv("DDLAB_PROFILE", "default")
    spec = expert_spec(recipes.mtt_mnist(1))
    shipped = experts.shipped_path(spec, mnist)
    assert shipped is not None and hashlib.sha256(shipped.read_bytes()).hexdigest() == experts.SHA256[shipped.name]
    assert {p.name for p in experts.SHIPPED_DIR.glob("*.pt")} == set(experts.SHA256)

    def no_build(*args, **kwargs):
        raise AssertionError("shipped experts must not be rebuilt")

    monkeypatch.setattr(experts, "build", no_build)
    loaded = experts.load_or_build(spec, mnist, root=tmp_path)  # an empty data root: nothing cached
    assert loaded.params["features.0.weight"].shape[:2] == (spec.n_experts, spec.epochs + 1)
    assert experts.shipped_path(TINY, mnist) is None  # other settings: built as before


def test_a_changed_shipped_expert_file_is_refused_in_one_line(mnist, tmp_path, monkeypatch):
    from ddlab import recipes
    from ddlab.methods.mtt import expert_spec

    monkeypatch.setenv("DDLAB_PROFILE", "default")
    spec = expert_spec(recipes.mtt_mnist(1))
    name = experts.cache_path(spec, mnist).name
    for suffix in ("", ".sha256"):
        (tmp_path / (name + suffix)).write_bytes((experts.SHIPPED_DIR / (name + suffix)).read_bytes())
    monkeypatch.setattr(experts, "SHIPPED_DIR", tmp_path)
    (tmp_path / (name + ".sha256")).write_text("0" * 64 + "\n")
    with pytest.raises(ValueError, match=r"^shipped experts .* do not match their sha256"):
        experts.load_or_build(spec, mnist, root=tmp_path / "root")
