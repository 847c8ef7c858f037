"""Gradient matching (DC) and its DSA form: the distance against a hand computation, the paper's
loop structure, learning on a tiny budget through the driver, and bad input."""

import dataclasses
import math

import pytest
import torch

from ddlab import distill, evaluate, protocol, recipes
from ddlab.methods import config_for, method_for
from ddlab.methods.dc import DC, DSA, GradientMatching, gradient_distance, layer_distance

TINY = DC(width=8, real_batch=32, lr=1.0, iterations=20, validation_epochs=20)


def _run(config, mnist, seed=0):
    """`distill` with one cheap validation check at the end (1 network, 200 training images)."""
    return distill(
        config, mnist, seed=seed, eval_every=config.iterations, eval_models=1, eval_examples=200, progress=False
    )


def test_layer_distance_is_a_sum_of_one_minus_cosine_over_output_rows():
    g_syn = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])
    g_real = torch.tensor([[2.0, 0.0], [1.0, 1.0], [-3.0, -4.0]])
    # rows: same direction (0), 45 degrees (1 - 1/sqrt 2), opposite (2)
    expected = 0 + (1 - 1 / math.sqrt(2)) + 2
    assert abs(layer_distance(g_syn, g_real).item() - expected) < 1e-5


def test_conv_gradients_compare_each_output_channels_whole_kernel():
    g_syn = torch.zeros(2, 3, 2, 2)
    g_real = torch.zeros(2, 3, 2, 2)
    g_syn[0, 0, 0, 0], g_real[0, 2, 1, 1] = 1.0, 1.0  # channel 0: orthogonal kernels -> 1
    g_syn[1], g_real[1] = torch.ones(3, 2, 2), 5 * torch.ones(3, 2, 2)  # channel 1: parallel -> 0
    assert abs(layer_distance(g_syn, g_real).item() - 1.0) < 1e-5
    # gradient_distance sums the layers of g_real (and ignores anything else in g_syn)
    total = gradient_distance(
        {"a": g_syn, "b": g_syn[:, :, 0, 0], "bias": torch.ones(2)}, {"a": g_real, "b": g_real[:, :, 0, 0]}
    )
    assert abs(total.item() - (1.0 + 1.0)) < 1e-5


def test_only_conv_and_linear_weights_are_matched(mnist):
    method = GradientMatching(TINY, mnist, torch.Generator().manual_seed(0))
    method.theta = method.fresh_network()
    grads = method._weight_gradients(method.class_images(3), 3)
    assert sorted(grads) == ["classifier.weight", "features.0.weight", "features.4.weight", "features.8.weight"]
    assert grads["features.0.weight"].shape == (8, 1, 3, 3)
    loss = gradient_distance(grads, {k: torch.randn_like(g) for k, g in grads.items()})
    (image_grad,) = torch.autograd.grad(loss, method.images)
    assert image_grad[3].abs().sum() > 0 and image_grad[:3].abs().sum() == 0  # class 3's image only


def test_networks_follow_the_papers_outer_and_inner_loops(mnist, monkeypatch):
    config = dataclasses.replace(TINY, outer_loop=3, inner_loop=2, iterations=7)
    method = GradientMatching(config, mnist, torch.Generator().manual_seed(0))
    calls = []
    monkeypatch.setattr(method, "fresh_network", lambda f=method.fresh_network: calls.append("fresh") or f())
    monkeypatch.setattr(method, "_train_network", lambda f=method._train_network: calls.append("train") or f())
    optimizer = method.make_optimizer()
    for _ in range(config.iterations):
        optimizer.zero_grad()
        method.outer_loss().backward()
        optimizer.step()
    # three updates per network, trained between them but not after the last one
    assert calls == ["fresh", "train", "train", "fresh", "train", "train", "fresh"]
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.defaults["momentum"] == 0.5


def test_paper_loops_and_defaults():
    assert DC().loops() == (1, 1) and DC(ipc=10).loops() == (10, 50) and DC(ipc=50).loops() == (50, 10)
    assert DC(ipc=5, outer_loop=5, inner_loop=10).loops() == (5, 10)
    assert (DC().init, DC().dsa, DC().lr, DC().momentum, DC().inner_lr) == ("noise", False, 0.1, 0.5, 0.01)
    assert (DSA().init, DSA().dsa) == ("real", True)
    assert type(config_for("dsa")) is DSA and type(config_for("dc", dsa=True)) is DC


def test_dc_distillation_learns_from_noise(mnist):
    result = distill(TINY, mnist, seed=0, eval_every=TINY.iterations, eval_models=2, eval_examples=500, progress=False)
    losses = result.history["loss"]
    assert sum(losses[-5:]) < 0.8 * sum(losses[:5]), losses
    assert result.history["accuracy"][-1] > 0.18, "20 updates from noise should beat chance (10%) clearly"
    assert result.images.shape == (10, 1, 28, 28) and result.lrs is None
    assert result.config["method"] == "dc" and torch.equal(result.labels, torch.arange(10))


def test_dsa_augments_the_matched_batches(mnist):
    plain = _run(dataclasses.replace(TINY, iterations=1), mnist)
    dsa = _run(DSA(init="noise", width=8, real_batch=32, iterations=1, validation_epochs=1), mnist)
    assert plain.history["loss"][0] != dsa.history["loss"][0]
    assert dsa.config["method"] == "dsa" and dsa.config["dsa"] is True
    assert method_for(DSA()).name == "dsa" and method_for(DC()).name == "dc"


def test_same_seed_same_set(mnist):
    config = dataclasses.replace(TINY, ipc=2, outer_loop=2, inner_loop=1, iterations=3, dsa=True)
    a, b = (_run(config, mnist, seed=5) for _ in range(2))
    assert torch.equal(a.images, b.images)


def test_evaluate_trains_fresh_convnets_on_a_dc_set(mnist, monkeypatch):
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    result = _run(dataclasses.replace(TINY, init="real", iterations=1, validation_epochs=1), mnist)
    chosen = protocol.sized(result.config, recipes.evaluation())
    assert (chosen.arch, chosen.width, chosen.augmentation) == ("convnet", 8, "dc")
    scores = evaluate(result, mnist, n_models=2, on=(mnist.x_test[:500], mnist.y_test[:500]), protocol=chosen)
    assert scores.accuracies.shape == (2,) and scores.mean > 0.2  # ten real digits, barely changed


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"ipc": 0}, "DC.ipc must be positive, got 0"),
        ({"init": "zeros"}, "DC.init='zeros' is not allowed; use one of: real, noise"),
        ({"ipc": 5}, "DC.ipc=5 has no loop counts in the paper"),
        ({"outer_loop": -1}, "DC.outer_loop must be >= 0, got -1"),
        ({"lr": 0.0}, "DC.lr must be positive, got 0.0"),
    ],
)
def test_bad_configs_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        DC(**overrides)


def test_more_images_than_a_class_has_is_rejected(mnist):
    with pytest.raises(ValueError, match=r"DC.ipc=6000 is more images than the smallest class of mnist has \(5421\)"):
        distill(DC(ipc=6000, outer_loop=1, inner_loop=1), mnist, progress=False)
    with pytest.raises(ValueError, match=r"DSA.real_batch=9000 is more images"):
        distill(DSA(real_batch=9000), mnist, progress=False)
