"""IDC: multi-formation decodes stored images into tiles (factor 1: the identity), the matching loss
is the code's L1 (or DC's cosine) distance between conv-weight gradients, a short run learns, and a
saved set is judged decoded, as its paper judges it."""

import dataclasses

import pytest
import torch
from torch.func import functional_call
from torch.nn import functional as F

from ddlab import distill, evaluate, protocol
from ddlab.methods import IDC, config_for, method_for
from ddlab.methods.dc import layer_distance
from ddlab.methods.idc import SyntheticDataParameterization, decode, training_set
from ddlab.synthetic import SyntheticSet

TINY = IDC(width=8, real_batch=16, net_examples=64, inner_loop=5, iterations=20, validation_epochs=20)


def test_factor_two_decodes_each_image_into_four_upsampled_quarters():
    images = torch.arange(2 * 28 * 28, dtype=torch.float32).view(2, 1, 28, 28)
    decoded, labels = decode(images, torch.tensor([3, 7]), factor=2)
    assert decoded.shape == (8, 1, 28, 28)
    assert labels.tolist() == [3, 7] * 4  # tile-major: each tile of every image in turn
    top_right = images[1:2, :, :14, 14:]
    expected = F.interpolate(top_right, size=(28, 28), mode="bilinear")
    torch.testing.assert_close(decoded[3:4], expected)  # tile (0, 1) of image 1
    constant = torch.full((1, 1, 28, 28), 0.5)
    torch.testing.assert_close(decode(constant, torch.tensor([0]), 2)[0], constant.expand(4, 1, 28, 28))


def test_factor_one_is_the_identity_and_a_factor_that_does_not_tile_is_refused():
    images, labels = torch.randn(3, 1, 28, 28), torch.tensor([0, 1, 2])
    decoded, same = decode(images, labels, factor=1)
    assert decoded is images and same is labels
    with pytest.raises(ValueError, match="IDC factor 3 does not tile 28x28 images; use a factor that divides 28"):
        decode(images, labels, factor=3)


def test_matching_loss_is_the_l1_distance_of_conv_weight_gradients_by_hand(mnist):
    """The loss of one class on fixed batches, recomputed with autograd on the plain nn.Module."""
    method = SyntheticDataParameterization(TINY, mnist, torch.Generator().manual_seed(0))
    method.theta = method.fresh_network()
    x_real, x_syn = mnist.per_class(4)[:6], torch.randn(4, 1, 28, 28, requires_grad=True)
    loss = method.class_distance(4, x_real, x_syn)

    net, theta = method.net, method.theta
    conv = [k for k, v in theta.items() if v.dim() == 4]
    assert len(conv) == 3  # three conv blocks; no bias, norm or classifier

    def conv_grads(x, create_graph):
        params = {k: v.detach().clone().requires_grad_() for k, v in theta.items()}
        out = functional_call(net, params, (x,))
        ce = F.cross_entropy(out, torch.full((x.shape[0],), 4))
        return torch.autograd.grad(ce, [params[k] for k in conv], create_graph=create_graph)

    expected = sum((s - r).abs().sum() for s, r in zip(conv_grads(x_syn, True), conv_grads(x_real, False)))
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-5)
    (grad,) = torch.autograd.grad(loss, x_syn)
    (expected_grad,) = torch.autograd.grad(expected, x_syn)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-4, atol=1e-6)

    method_cos = SyntheticDataParameterization(
        dataclasses.replace(TINY, metric="cos"), mnist, torch.Generator().manual_seed(0)
    )
    method_cos.theta = theta
    cos = method_cos.class_distance(4, x_real, x_syn)
    by_dc = sum(layer_distance(s, r) for s, r in zip(conv_grads(x_syn, False), conv_grads(x_real, False)))
    torch.testing.assert_close(cos, by_dc, rtol=1e-5, atol=1e-5)


def test_real_init_tiles_shrunk_real_digits_into_each_stored_image(mnist):
    method = SyntheticDataParameterization(TINY, mnist, torch.Generator().manual_seed(0))
    images = method.images.detach()  # (10, 1, 28, 28)
    quarters, labels = decode(images, method.labels, 2)
    assert images.shape == (10, 1, 28, 28) and quarters.shape == (40, 1, 28, 28)
    for c in (0, 9):  # each quarter is a distinct real digit
        tiles = quarters[labels == c].flatten(1)
        assert torch.cdist(tiles, tiles).triu(1)[torch.triu(torch.ones(4, 4), 1).bool()].min() > 1.0


def test_a_short_distillation_improves_over_its_init(mnist):
    """From noise, 20 updates: the decoded set trains networks far better than the noise it started
    from (at a step size for 20 updates; the code's is for 200,000)."""
    config = dataclasses.replace(TINY, init="noise", lr=1.0)
    start = SyntheticDataParameterization(config, mnist, torch.Generator().manual_seed(0)).snapshot()
    result = distill(
        config, mnist, seed=0, eval_every=config.iterations, eval_models=2, eval_examples=500, progress=False
    )
    judge = protocol.replace(protocol.paper(result.config), epochs=30)
    on = (mnist.x_test[:500], mnist.y_test[:500])
    before, after = (evaluate(s, mnist, n_models=2, on=on, protocol=judge).mean for s in (start, result))
    assert after > before + 0.08, (before, after)
    assert result.images.shape == (10, 1, 28, 28) and torch.equal(result.labels, torch.arange(10))
    assert result.config["method"] == "idc" and method_for(IDC()).name == "idc"


def test_a_saved_set_round_trips_and_is_judged_decoded(mnist, tmp_path):
    result = distill(
        dataclasses.replace(TINY, iterations=2),
        mnist,
        seed=0,
        eval_every=2,
        eval_models=1,
        eval_examples=100,
        progress=False,
    )
    loaded = SyntheticSet.load(result.save(tmp_path / "idc.pt"))
    assert torch.equal(loaded.images, result.images) and loaded.config == result.config
    images, targets = training_set(loaded)
    assert images.shape == (40, 1, 28, 28) and targets.tolist() == list(range(10)) * 4
    chosen = protocol.as_published(loaded.config)
    assert (chosen.width, chosen.augmentation, chosen.epochs, chosen.batch_size) == (128, "idc", 1000, 64)
    plain = dataclasses.replace(loaded, config={**loaded.config, "method": "dm"})
    assert training_set(plain)[0] is plain.images  # other methods' sets train as stored


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"factor": 0}, "IDC.factor must be positive, got 0"),
        ({"metric": "l2"}, "IDC.metric='l2' is not allowed; use one of: l1, cos"),
        ({"init": "mix"}, "IDC.init='mix' is not allowed; use one of: real, noise"),
        ({"inner_loop": 0}, "IDC.inner_loop must be positive, got 0"),
        ({"momentum": -0.1}, r"IDC.momentum must be >= 0, got -0.1"),
    ],
)
def test_bad_settings_are_refused_in_one_line(overrides, message):
    with pytest.raises(ValueError, match=message):
        config_for("idc", **overrides)


def test_a_factor_that_does_not_tile_the_dataset_is_refused_before_the_run(mnist):
    with pytest.raises(ValueError, match="IDC factor 3 does not tile 28x28 images"):
        distill(dataclasses.replace(TINY, factor=3), mnist, progress=False)
