"""Distribution matching (DM): the loss is the paper's formula on a random ConvNet's features,
the driver learns with it on a tiny budget, and bad input is refused."""

import dataclasses

import pytest
import torch

from ddlab import augment, distill, protocol
from ddlab.methods import dm, method_for
from ddlab.methods.dm import DM, DistributionMatching

TINY = DM(width=8, real_batch=32, init="noise", iterations=40, validation_epochs=20)


def test_loss_is_the_squared_distance_of_class_mean_embeddings(mnist):
    """Recompute the loss with the plain nn.Module, from the same random draws (no augmentation)."""
    config = dataclasses.replace(TINY, dsa=False, ipc=2)
    method = DistributionMatching(config, mnist, torch.Generator().manual_seed(0))
    state = method.generator.get_state()
    loss = method.outer_loss()

    method.generator.set_state(state)
    net = method.net
    net.load_state_dict(method.fresh_network())
    expected = 0
    for c in range(10):
        real = net.features(method.real_images(c)).flatten(1)  # (32, 8*4*4)
        syn = net.features(method.images[2 * c : 2 * c + 2].detach()).flatten(1)
        expected += ((real.mean(0) - syn.mean(0)) ** 2).sum()
    assert real.shape == (32, 128)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    (images_grad,) = torch.autograd.grad(loss, method.images)
    assert images_grad.abs().sum() > 0


def test_one_pass_for_all_classes_and_chunked_real_images_change_neither_loss_nor_gradient(mnist, monkeypatch):
    """`outer_loss` embeds the real images a few at a time and every class's synthetic images in
    one pass; against the per-class formulation (whole real batch, one class at a time), under DSA."""
    monkeypatch.setattr(dm, "CHUNK_BYTES", 5 * 4 * 8 * 28 * 28)  # 5 images per pass: 32 = 6 x 5 + 2
    config = dataclasses.replace(TINY, ipc=3)
    method = DistributionMatching(config, mnist, torch.Generator().manual_seed(0))
    state = method.generator.get_state()
    loss = method.outer_loss()
    (images_grad,) = torch.autograd.grad(loss, method.images)

    method.generator.set_state(state)
    net = method.net
    net.load_state_dict(method.fresh_network())
    expected = 0
    for c in range(10):
        x_real, x_syn = augment.siamese(method.real_images(c), method.class_images(c), method.generator)
        with torch.no_grad():
            mean_real = net.features(x_real).flatten(1).mean(0)
        expected = expected + ((mean_real - net.features(x_syn).flatten(1).mean(0)) ** 2).sum()
    (expected_grad,) = torch.autograd.grad(expected, method.images)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(images_grad, expected_grad, rtol=1e-4, atol=1e-6)
    assert images_grad.abs().sum() > 0


def test_dm_distillation_learns_from_noise(mnist):
    result = distill(TINY, mnist, seed=0, eval_every=TINY.iterations, eval_models=2, eval_examples=500, progress=False)
    losses = result.history["loss"]
    assert sum(losses[-5:]) < 0.6 * sum(losses[:5]), losses
    assert result.history["accuracy"][-1] > 0.2, "40 updates from noise should beat chance (10%) clearly"
    assert result.images.shape == (10, 1, 28, 28) and result.lrs is None and result.config["method"] == "dm"
    assert protocol.sized(result.config).augmentation == "dsa"


def test_defaults_are_the_papers():
    config = DM()
    assert (config.init, config.dsa, config.lr, config.momentum, config.real_batch, config.iterations) == (
        "real",
        True,
        1.0,
        0.5,
        256,
        20000,
    )
    assert method_for(config).name == "dm"


def test_init_real_starts_from_real_images_of_each_class(mnist):
    method = DistributionMatching(
        dataclasses.replace(TINY, init="real", ipc=3), mnist, torch.Generator().manual_seed(0)
    )
    assert torch.equal(method.labels, torch.arange(10).repeat_interleave(3))
    five = method.class_images(5).detach()  # (3, 1, 28, 28)
    train_fives = mnist.per_class(5)
    assert all((train_fives == image).flatten(1).all(1).any() for image in five)


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"ipc": 0}, "DM.ipc must be positive, got 0"),
        ({"ipc": -3}, "DM.ipc must be positive, got -3"),
        ({"init": "zeros"}, "DM.init='zeros' is not allowed; use one of: real, noise"),
        ({"real_batch": 0}, "DM.real_batch must be positive, got 0"),
    ],
)
def test_bad_configs_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        DM(**overrides)


def test_more_images_than_a_class_has_is_rejected(mnist):
    with pytest.raises(ValueError, match=r"DM.ipc=5422 is more images than the smallest class of mnist has \(5421\)"):
        distill(DM(ipc=5422), mnist, progress=False)


def test_one_pass_over_all_classes_gives_the_per_class_gradient_at_the_default_size(mnist, monkeypatch):
    """Notebook 07's box embeds each class's synthetic images on their own; the package embeds them all
    in one pass. At the default profile's size the two once differed by percents for images a DSA shift
    had left with channels-last strides; they must agree to float32 rounding."""
    from ddlab import augment, recipes
    from ddlab.methods import DistributionMatching

    monkeypatch.setenv("DDLAB_PROFILE", "default")
    method = DistributionMatching(recipes.dm_mnist(ipc=1), mnist, torch.Generator().manual_seed(0))
    state = method.generator.get_state()

    def gradient(batched: bool) -> torch.Tensor:
        method.generator.set_state(state)
        theta = method.fresh_network()
        features = {k.removeprefix("features."): v for k, v in theta.items() if k.startswith("features.")}
        means, syn = [], []
        for c in range(mnist.num_classes):
            x_real, x_syn = augment.siamese(method.real_images(c), method.class_images(c), method.generator)
            means.append(method._mean_embedding(features, x_real))
            syn.append(x_syn)
        if batched:
            mean_syn = (
                method._embed(features, torch.cat(syn))
                .view(len(syn), -1, method._embed(features, syn[0]).shape[1])
                .mean(1)
            )
        else:
            mean_syn = torch.stack([method._embed(features, x).mean(0) for x in syn])
        (grad,) = torch.autograd.grad(((torch.stack(means) - mean_syn) ** 2).sum(), method.images)
        return grad

    torch.testing.assert_close(gradient(True), gradient(False), rtol=1e-4, atol=1e-5)
