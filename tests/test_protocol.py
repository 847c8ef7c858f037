"""The DC/DSA/DM/MTT evaluation protocol: it learns from real subsets, its augmentation hook keeps
train_many's two paths equal, each method gets its paper's settings, and `evaluate` dispatches to it."""

import dataclasses
import json
from dataclasses import replace
from functools import partial

import pytest
import torch

from ddlab import augment, protocol, recipes
from ddlab.evaluate import evaluate
from ddlab.functional import Schedule, train_many
from ddlab.nets import ConvNet, LeNet, make_net, sample_inits
from ddlab.protocol import Protocol
from ddlab.sources import cache
from ddlab.synthetic import SyntheticSet


def _real_subset(mnist, per_class, seed=0):
    """A class-balanced set of real training images, laid out like a distilled one (no step sizes)."""
    g = torch.Generator().manual_seed(seed)
    images = torch.cat([mnist.sample_per_class(c, per_class, g) for c in range(10)])
    labels = torch.arange(10).repeat_interleave(per_class)
    return SyntheticSet(images, labels, None, {"method": "random_real"})


def _test_slice(mnist, n=1000):
    return mnist.x_test[:n], mnist.y_test[:n]


@pytest.mark.parametrize(
    "arch,augmentation,epochs,floor",
    [("convnet", "dsa", 20, 0.55), ("mlp", "none", 15, 0.5), ("lenet", "dsa", 30, 0.4)],
)
def test_training_on_ten_real_images_per_class_beats_a_floor(mnist, arch, augmentation, epochs, floor):
    """Short schedules (batch 25 so there are a few steps per epoch) on 100 real images; chance is 10%."""
    chosen = Protocol(arch=arch, width=8, augmentation=augmentation, epochs=epochs, batch_size=25)
    accuracies = protocol.accuracies(
        _real_subset(mnist, 10), mnist, chosen, 2, torch.Generator().manual_seed(0), on=_test_slice(mnist)
    )
    assert accuracies.shape == (2,)
    assert accuracies.min() > floor, f"{arch} on 100 real images: {accuracies.tolist()}"


@pytest.mark.parametrize("strength", [augment.DSA, augment.DC_MNIST])
def test_train_many_with_augmentation_vmap_equals_plain_loop(strength):
    g = torch.Generator().manual_seed(0)
    net = ConvNet(width=4)
    inits = sample_inits(net, 3, "default", g)
    x, y = torch.randn(20, 1, 28, 28, generator=g), torch.arange(20) % 10
    schedule = Schedule(epochs=2, batch_size=8, lr=0.01, momentum=0.9, weight_decay=5e-4, decay_at=(0.5,))
    hook = partial(augment.augment, strength=strength)
    fast = train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(7), augment=hook)
    slow = train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(7), vectorize=False, augment=hook)
    plain = train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(7))
    for name in fast:
        torch.testing.assert_close(fast[name], slow[name], rtol=1e-3, atol=1e-4)  # float32 noise only
    assert not torch.allclose(fast["classifier.weight"], plain["classifier.weight"])  # the hook was used


def test_each_method_gets_its_papers_protocol():
    assert protocol.paper({"method": "dc"}).augmentation == "dc"  # DC's MNIST crop/scale/rotate
    assert protocol.paper({"method": "dc", "dsa": True}).augmentation == "dsa"
    for method in ("dsa", "dm", "mtt"):
        chosen = protocol.paper({"method": method, "width": 32})
        assert (chosen.augmentation, chosen.epochs, chosen.width) == ("dsa", 1000, 32)
    chosen = protocol.paper({"method": "dm"})
    assert (chosen.arch, chosen.lr, chosen.momentum, chosen.weight_decay, chosen.batch_size) == (
        "convnet",
        0.01,
        0.9,
        5e-4,
        256,
    )
    assert chosen.schedule().decay_at == (0.5,)


@pytest.mark.parametrize(
    "dataset,factor,augmentation,cutmix",
    [
        ("mnist", 2, "idc", 0.0),
        ("mnist", 1, "idc", 0.5),
        ("fashion_mnist", 2, "idc_flip", 0.5),
        ("fashion_mnist", 1, "idc_flip", 0.5),
    ],
)
def test_idc_sets_get_the_judge_of_idcs_code(dataset, factor, augmentation, cutmix):
    """`argument.py --reproduce` and `train.py`: 1000 epochs, batch 64, x0.2 at 2/3 and 5/6; flip only
    on Fashion-MNIST; CutMix (p 0.5) except MNIST with multi-formation."""
    chosen = protocol.paper({"method": "idc", "dataset": dataset, "factor": factor, "width": 16})
    assert (chosen.augmentation, chosen.cutmix, chosen.epochs, chosen.batch_size, chosen.width) == (
        augmentation,
        cutmix,
        1000,
        64,
        16,
    )
    assert (chosen.schedule().decay_at, chosen.schedule().decay_factor) == ((2 / 3, 5 / 6), 0.2)
    check = protocol.sized({"method": "idc", "dataset": dataset, "factor": factor}, validation=True)
    assert (check.augmentation, check.cutmix) == ("none", 0.0)  # the driver's check only ranks sets


def test_a_recorded_protocol_reads_back_equal():
    chosen = protocol.paper({"method": "idc", "dataset": "fashion_mnist", "factor": 1})
    assert protocol.Protocol(**json.loads(json.dumps(dataclasses.asdict(chosen)))) == chosen


def test_cutmix_training_learns_and_is_seeded(mnist):
    """The CutMix path of the judge: soft one-hot targets, mixed per minibatch, still learn digits."""
    x, y = mnist.x_train[:200], mnist.y_train[:200]
    synthetic = SyntheticSet(x, y, None, {"method": "random_real"})
    chosen = protocol.Protocol(width=16, augmentation="none", epochs=15, batch_size=64, cutmix=0.5)
    runs = [protocol.accuracies(synthetic, mnist, chosen, 1, torch.Generator().manual_seed(0)) for _ in range(2)]
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=0)
    assert float(runs[0][0]) > 0.6
    with pytest.raises(ValueError, match="train_many's mix needs soft labels"):
        net = make_net("mlp", *mnist.net_args)
        inits = sample_inits(net, 1, "default", torch.Generator(), mnist.device)
        schedule = Schedule(epochs=1, batch_size=8, lr=0.1)
        train_many(net, inits, x[:8], y[:8], schedule, torch.Generator(), mix=partial(augment.cutmix, p=1.0))


def test_the_one_sizing_follows_the_profiles_budget(monkeypatch):
    config = {"method": "dm", "width": 32, "validation_epochs": 7}
    monkeypatch.setenv("DDLAB_PROFILE", "full")
    full = recipes.evaluation()
    assert protocol.sized(config, full).epochs == 1000 and full.n_models == 20
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    quick = recipes.evaluation()
    assert protocol.sized(config, quick).epochs < 100 and quick.n_models < 20
    assert protocol.sized(config, quick).width == 32  # no width in the budget: the set's own
    assert protocol.sized(config, protocol.Budget(0.5, 2, width=8)).width == 8
    validation = protocol.sized(config, quick, validation=True)
    assert (validation.epochs, validation.augmentation) == (7, "none")
    assert protocol.sized(config, quick, arch="lenet").arch == "lenet"
    assert protocol.sized(config) == protocol.paper(config)  # no budget: the paper's own


def test_the_one_network_factory_builds_every_protocol_network(mnist):
    assert make_net("convnet", *mnist.net_args, width=16).classifier.in_features == 16 * 4 * 4
    assert isinstance(make_net("lenet", *mnist.net_args), LeNet)


def test_evaluate_sends_sets_without_step_sizes_to_the_protocol(mnist):
    subset = _real_subset(mnist, 2)
    scores = evaluate(
        subset,
        mnist,
        n_models=2,
        on=_test_slice(mnist, 200),
        protocol=Protocol(arch="mlp", augmentation="none", epochs=5),
    )
    assert scores.accuracies.shape == (2,) and scores.setting == "random"
    with pytest.raises(ValueError, match="init='fixed' is a DD setting; this 'random_real' set is evaluated on fresh"):
        evaluate(subset, mnist, init="fixed")


def test_a_protocol_given_for_a_set_with_step_sizes_is_used_not_ignored(mnist):
    """A DD set replayed with its learned steps on its one fixed network differs from fresh MLPs
    trained on its images; asking for a protocol must give the latter."""
    subset = _real_subset(mnist, 2)
    with_steps = replace(
        subset,
        lrs=torch.full((1,), 0.01),
        config={**subset.config, "method": "dd", "init": "fixed", "steps": 1, "ipc": 2},
    )
    mlp = Protocol(arch="mlp", augmentation="none", epochs=5)
    scores = evaluate(with_steps, mnist, n_models=3, on=_test_slice(mnist, 200), protocol=mlp)
    assert scores.setting == "random" and scores.accuracies.shape == (3,)
    replayed = evaluate(with_steps, mnist, n_models=3, on=_test_slice(mnist, 200))
    assert replayed.setting == "fixed" and replayed.accuracies.shape == (1,)


def test_bad_protocols_are_rejected():
    with pytest.raises(ValueError, match="Protocol.arch='resnet' is not allowed; use one of: lenet, convnet, mlp"):
        Protocol(arch="resnet")
    with pytest.raises(ValueError, match="Protocol.augmentation='flip' is not allowed"):
        Protocol(augmentation="flip")
    with pytest.raises(ValueError, match="Protocol.epochs must be a positive integer, got 0"):
        Protocol(epochs=0)
    with pytest.raises(ValueError, match=r"Protocol.cutmix is a probability in \[0, 1\], got 1.5"):
        Protocol(cutmix=1.5)
    with pytest.raises(ValueError, match="n_models must be positive, got 0"):
        protocol.accuracies(
            SyntheticSet(torch.zeros(1, 1, 28, 28), torch.zeros(1, dtype=torch.long)),
            None,
            Protocol(),
            0,
            torch.Generator(),
        )


def test_mtt_sets_train_with_their_learned_step_size(mnist):
    """MTT's paper trains on its set with the step size it learned (config["learned_lr"]), not 0.01:
    a vanishing learned step size must leave the networks at chance, a normal one must teach them."""
    subset = _real_subset(mnist, 10)
    assert protocol.paper({"method": "mtt", "learned_lr": 0.0256}).lr == 0.0256
    assert protocol.paper({"method": "dm"}).lr == 0.01

    def accuracy(learned_lr):
        subset.config = {"method": "mtt", "width": 8, "learned_lr": learned_lr}
        chosen = replace(protocol.sized(subset.config, arch="mlp"), augmentation="none", epochs=15, batch_size=25)
        assert chosen.lr == learned_lr
        return (
            protocol.accuracies(subset, mnist, chosen, 2, torch.Generator().manual_seed(0), on=_test_slice(mnist))
            .mean()
            .item()
        )

    assert accuracy(1e-7) < 0.25 < 0.5 < accuracy(0.01)


def test_settings_added_later_key_cached_files_only_when_set():
    """Whole-data networks and pretrained pools are cached under a digest of their protocol or
    schedule: the fields added for IDC's judge join the key only away from their defaults, so the
    files made before them (the shipped whole-data networks among them) keep their names."""
    added = {"decay_at", "decay_factor", "cutmix"}
    assert not added & set(cache.keyed_fields(Protocol()))
    assert cache.keyed_fields(Protocol(cutmix=0.5, decay_factor=0.2))["cutmix"] == 0.5
    assert "decay_factor" not in cache.keyed_fields(Schedule(epochs=1, batch_size=8, lr=0.1, decay_at=(0.5,)))
    assert cache.keyed_fields(Schedule(epochs=1, batch_size=8, lr=0.1, decay_factor=0.2))["decay_factor"] == 0.2
