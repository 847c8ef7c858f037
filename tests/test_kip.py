"""KIP: its config, its loss going down on MNIST, and learned labels surviving save/load."""

import pytest
import torch

from ddlab import kernels
from ddlab.methods import kip  # noqa: F401  (importing the file registers "kip")
from ddlab.methods.base import config_for, method_for
from ddlab.synthetic import SyntheticSet


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"ipc": 0}, "KIP.ipc must be a positive integer, got 0"),
        ({"depth": 1.5}, "KIP.depth must be a positive integer, got 1.5"),
        ({"lr": -0.01}, "KIP.lr must be positive"),
        ({"init": "zeros"}, "KIP.init='zeros' is not allowed; use one of: real, noise"),
        ({"kernel": "rbf"}, "KIP.kernel='rbf' is not allowed; use one of: ntk, nngp"),
        ({"learn_labels": "yes"}, "KIP.learn_labels must be True or False"),
        ({"reg": -1e-6}, "KIP.reg must be >= 0"),
        ({"betas": (0.9, 1.0)}, "KIP.betas must be two numbers in"),
    ],
)
def test_config_rejects_bad_values_in_one_line(overrides, message):
    with pytest.raises(ValueError, match=message) as error:
        config_for("kip", **overrides)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("overrides", [{"real_batch": 55}, {"ipc": 6000}])
def test_settings_that_do_not_fit_the_data_are_refused_in_one_line(mnist, overrides):
    config = config_for("kip", **overrides)
    with pytest.raises(ValueError, match="do not fit mnist") as error:
        method_for(config)(config, mnist, torch.Generator().manual_seed(0))
    assert "\n" not in str(error.value)


def krr_loss(images: torch.Tensor, targets: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> float:
    """The KIP loss on a fixed real batch, computed from the kernels directly."""
    predicted = kernels.krr_predict(
        kernels.kernel("ntk", x, images), kernels.kernel("ntk", images, images), targets, 1e-6
    )
    return 0.5 * ((predicted - kip.centred_one_hot(y, 10)) ** 2).mean().item()


@pytest.mark.parametrize("learn_labels", [False, True])
def test_a_few_kip_iterations_lower_the_krr_loss_on_held_out_real_images(mnist, learn_labels):
    config = config_for("kip", ipc=1, real_batch=500, iterations=100, learn_labels=learn_labels)
    method = method_for(config)(config, mnist, torch.Generator().manual_seed(0))
    x, y = mnist.x_test[:1000], mnist.y_test[:1000]  # real images the method never sees
    before = krr_loss(method.images.detach(), method.targets.detach(), x, y)
    optimizer = method.make_optimizer()
    for _ in range(config.iterations):
        optimizer.zero_grad()
        method.outer_loss().backward()
        optimizer.step()
    after = krr_loss(method.images.detach(), method.targets.detach(), x, y)
    assert after < 0.85 * before
    result = method.snapshot()
    assert torch.equal(result.labels, torch.arange(10))  # hard labels: the class each image started as
    if learn_labels:
        assert result.soft_labels.shape == (10, 10)
        assert not torch.equal(result.soft_labels, kip.centred_one_hot(result.labels, 10))  # they moved
    else:
        assert result.soft_labels is None


def test_soft_labels_survive_save_load_and_to(tmp_path):
    g = torch.Generator().manual_seed(0)
    soft = torch.randn(4, 10, generator=g)
    original = SyntheticSet(
        torch.randn(4, 1, 28, 28, generator=g), torch.arange(4), config={"method": "kip"}, soft_labels=soft
    )
    loaded = SyntheticSet.load(original.save(tmp_path / "set.pt"))
    assert torch.equal(loaded.soft_labels, soft)
    assert torch.equal(loaded.to("cpu").soft_labels, soft)
    plain = SyntheticSet.load(
        SyntheticSet(torch.zeros(1, 1, 2, 2), torch.zeros(1, dtype=torch.long)).save(tmp_path / "p.pt")
    )
    assert plain.soft_labels is None


def test_sets_saved_before_soft_labels_still_load(tmp_path):
    path = SyntheticSet(torch.zeros(2, 1, 2, 2), torch.arange(2)).save(tmp_path / "old.pt")
    state = torch.load(path, weights_only=True)
    del state["soft_labels"]  # what an older ddlab wrote
    torch.save(state, path)
    old = SyntheticSet.load(path)
    assert old.soft_labels is None and torch.equal(old.labels, torch.arange(2))


def test_continuing_a_run_keeps_its_learned_labels(mnist):
    config = config_for("kip", ipc=1, real_batch=100, learn_labels=True)
    first = method_for(config)(config, mnist, torch.Generator().manual_seed(0))
    with torch.no_grad():
        first.targets.add_(0.5)  # stands in for labels learned by a run
    second = method_for(config)(config, mnist, torch.Generator().manual_seed(1))
    second.start_from(first.snapshot())
    assert torch.equal(second.images, first.images) and torch.equal(second.targets, first.targets)
