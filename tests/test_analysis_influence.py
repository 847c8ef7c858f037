"""Leave-one-out influence: the batched retraining equals N separate ones, a zero weight is a
missing example, and removing a class's only image hurts that class's test images."""

import pytest
import torch

from ddlab.analysis.influence import Influence, leave_one_out, train_leave_one_out
from ddlab.functional import Schedule, train_many
from ddlab.nets import sample_inits
from ddlab.protocol import Protocol
from ddlab.synthetic import SyntheticSet


def _tiny():
    g = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 12), torch.nn.Tanh(), torch.nn.Linear(12, 3))
    init = sample_inits(net, 1, "default", g)
    x, y = torch.randn(7, 1, 4, 4, generator=g), torch.tensor([0, 1, 2, 0, 1, 2, 0])
    return net, init, x, y


def test_batched_leave_one_out_equals_a_loop_of_separate_trainings():
    net, init, x, y = _tiny()
    schedule = Schedule(epochs=3, batch_size=3, lr=0.1, momentum=0.9, weight_decay=5e-4, decay_at=(0.5,))
    batched = train_leave_one_out(net, init, x, y, schedule, torch.Generator().manual_seed(5), vectorize=True)
    assert all(p.shape[0] == len(x) + 1 for p in batched.values())
    keep = torch.ones(len(x) + 1, len(x))
    keep[1:].fill_diagonal_(0)
    for i in range(len(x) + 1):
        alone = train_many(
            net,
            init,
            x,
            y,
            schedule,
            torch.Generator().manual_seed(5),
            vectorize=False,
            weights=keep[i : i + 1],
            same_order=True,
        )
        for name in alone:
            torch.testing.assert_close(batched[name][i], alone[name][0], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(batched["3.weight"][0], batched["3.weight"][1])  # leaving out changed something


def test_a_zero_weight_trains_as_if_the_example_were_absent():
    """With one batch holding the whole set, network i + 1 must equal training on the set without
    example i (the order of a full batch does not matter)."""
    net, init, x, y = _tiny()
    schedule = Schedule(epochs=4, batch_size=len(x), lr=0.2, momentum=0.9)
    batched = train_leave_one_out(net, init, x, y, schedule, torch.Generator().manual_seed(1))
    for i in range(len(x)):
        rest = torch.arange(len(x)) != i
        without = train_many(net, init, x[rest], y[rest], schedule, torch.Generator().manual_seed(2))
        for name in without:
            torch.testing.assert_close(batched[name][i + 1], without[name][0], rtol=1e-4, atol=1e-5)


def test_weights_of_one_change_nothing():
    net, init, x, y = _tiny()
    inits = {k: v.expand(2, *v.shape[1:]) for k, v in init.items()}
    schedule = Schedule(epochs=2, batch_size=3, lr=0.1)
    plain = train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(3))
    weighted = train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(3), weights=torch.ones(2, len(x)))
    for name in plain:
        torch.testing.assert_close(plain[name], weighted[name])
    with pytest.raises(ValueError, match=r"weights must have shape \(n_models, n_examples\) = \(2, 7\), got \(2, 6\)"):
        train_many(net, inits, x, y, schedule, torch.Generator(), weights=torch.ones(2, 6))


def test_leaving_out_the_only_image_of_a_class_hurts_that_class_most(mnist):
    g = torch.Generator().manual_seed(0)
    images = torch.cat([mnist.sample_per_class(c, 1, g) for c in range(10)])
    one_per_class = SyntheticSet(images, torch.arange(10))
    protocol = Protocol(arch="mlp", augmentation="none", epochs=30, batch_size=256)
    on = (mnist.x_test[:1000], mnist.y_test[:1000])
    influence = leave_one_out(one_per_class, mnist, protocol, on=on)
    assert influence.loss_change.shape == (10, 1000)
    assert influence.accuracy > 0.2  # one real image per class, chance is 0.1
    for c in range(10):
        helped = on[1][influence.helped(c, 20)]
        assert (helped == c).float().mean() >= 0.9, (c, helped.tolist())
        assert influence.loss_change[c, on[1] == c].mean() > influence.loss_change[c, on[1] != c].mean()


def test_leave_one_out_refuses_augmentation_and_bad_indices(mnist):
    one = SyntheticSet(mnist.x_train[:2], mnist.y_train[:2])
    with pytest.raises(ValueError, match="leave-one-out needs augmentation='none' \\(got 'dsa'\\)"):
        leave_one_out(one, mnist, Protocol(arch="mlp", augmentation="dsa", epochs=1))
    influence = Influence(torch.zeros(2, 5), 0.5, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="image index 2 out of range; the set has images 0..1"):
        influence.helped(2)
    with pytest.raises(ValueError, match="k must be in 1..5"):
        influence.hurt(0, k=6)


def test_a_dd_schedule_is_left_out_of_by_replaying_it(mnist):
    """A set with learned step sizes is replayed as its schedule: network 0 is `ddlab.evaluate`'s
    replay of the whole set, and network i + 1 is the replay with image i missing from its step."""
    import dataclasses

    from torch.nn import functional as F

    import ddlab
    from ddlab import inits
    from ddlab.evaluate import _generator
    from ddlab.functional import unroll
    from ddlab.nets import make_net

    full = ddlab.assets.load("dd_random_mnist_100", mnist.device)
    dd = dataclasses.replace(
        full,
        images=full.images[:20],
        labels=full.labels[:20],
        lrs=full.lrs[:6],
        config={**full.config, "ipc": 2, "steps": 2},
    )  # 2 steps x 3 epochs
    on = (mnist.x_test[:300], mnist.y_test[:300])
    influence = leave_one_out(dd, mnist, on=on)
    assert influence.loss_change.shape == (20, 300)
    assert influence.accuracy == pytest.approx(ddlab.evaluate(dd, mnist, n_models=1, on=on).mean, abs=1e-6)
    spec = inits.InitSpec.of(dd.config, setting="random")
    theta = {k: p[0] for k, p in inits.draw_inits(spec, mnist, 1, _generator("test", 0), use="test").items()}
    net = make_net(spec.arch, *mnist.net_args)
    test_loss = lambda p: F.cross_entropy(torch.func.functional_call(net, p, (on[0],)), on[1], reduction="none")  # noqa: E731
    i = 13  # step 1, its 4th image
    keep = torch.arange(20) != i
    batches = [
        (x[keep[s * 10 : (s + 1) * 10]], y[keep[s * 10 : (s + 1) * 10]]) for s, (x, y) in enumerate(dd.batches())
    ] * dd.epochs
    without = unroll(net, theta, batches, dd.lrs, create_graph=False)
    whole = unroll(net, theta, dd.schedule()[0], dd.lrs, create_graph=False)
    expected = test_loss(without) - test_loss(whole)
    assert torch.allclose(influence.loss_change[i], expected.detach(), atol=1e-4)
