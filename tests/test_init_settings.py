"""Wang et al.'s four init settings as options of DD and of evaluation: what `draw_inits` returns,
the distilling/unseen split of the pretrained pool, evaluation under each setting, the transfer
matrix and its heat map, and the bad-input errors."""

import dataclasses

import pytest
import torch

import ddlab
from ddlab import DD, distill, evaluate, inits
from ddlab.data import Dataset
from ddlab.experiments.transfer import TransferMatrix, transfer_matrix
from ddlab.functional import accuracy_many, unroll
from ddlab.nets import make_net, sample_inits
from ddlab.plots import plot_transfer
from ddlab.sources.pretrained import Pool

# A tiny pool (4 networks: 2 for distilling, 2 unseen) from the offline source, built once and
# then cached under the data root like MNIST.
BASE = DD(
    ipc=1, steps=1, epochs=2, n_nets=2, real_batch=64, iterations=2, pool_size=4, pool_train=2, pretrain_source="digits"
)
SETTINGS = ("fixed", "random", "fixed_pretrained", "random_pretrained")


def spec(setting: str, config: DD = BASE) -> inits.InitSpec:
    """The networks `config` draws, under `setting`."""
    return dataclasses.replace(config.inits(), setting=setting)


@pytest.fixture(scope="module")
def pool(mnist):
    return inits.pool(BASE.inits(), mnist)


@pytest.fixture(scope="module")
def fixed_set(mnist, pool):
    return distill(dataclasses.replace(BASE, init="fixed"), mnist, seed=0, progress=False)


def _subset_of(drawn, part):
    """Index into `part` of every drawn network (each must be one of them)."""
    flat = lambda p: torch.cat([v.flatten(1) for v in p.values()], dim=1)  # noqa: E731
    matches = (flat(drawn)[:, None] == flat(part)[None]).all(-1)  # (drawn, part)
    assert matches.any(1).all(), "a drawn network is not in the part it should come from"
    return matches.float().argmax(1).tolist()


def test_draw_inits_gives_stacked_inits_for_all_four_settings(mnist, pool):
    net = make_net(BASE.arch, *mnist.net_args)
    shapes = {name: p.shape for name, p in net.named_parameters()}
    g = torch.Generator().manual_seed(0)
    drawn = {s: inits.draw_inits(spec(s, BASE), mnist, 2, g) for s in SETTINGS}
    for setting, params in drawn.items():
        assert {k: v.shape[1:] for k, v in params.items()} == shapes, setting
        assert all(v.shape[0] == 2 and v.device == mnist.device for v in params.values())
    for single in ("fixed", "fixed_pretrained"):  # one network, repeated
        assert all(torch.equal(v[0], v[1]) for v in drawn[single].values())
    for several in ("random", "random_pretrained"):  # different networks
        assert not torch.equal(drawn[several]["fc3.weight"][0], drawn[several]["fc3.weight"][1])
    # fixed_pretrained is pool network 0, which was pretrained from exactly the fixed init
    assert all(torch.equal(drawn["fixed_pretrained"][k][0], pool.params[k][0]) for k in shapes)
    first_pool_init = sample_inits(net, BASE.pool_size, BASE.init_scheme, torch.Generator().manual_seed(BASE.init_seed))
    assert all(torch.equal(first_pool_init[k][0], drawn["fixed"][k][0]) for k in shapes)
    assert not torch.equal(drawn["fixed_pretrained"]["fc3.weight"][0], drawn["fixed"]["fc3.weight"][0])


def test_distilling_and_unseen_networks_never_overlap(mnist, pool):
    distilling = inits.pool_part(BASE.inits(), mnist, "distill")
    unseen = inits.pool_part(BASE.inits(), mnist, "test")
    assert distilling["fc3.bias"].shape[0] == 2 and unseen["fc3.bias"].shape[0] == 2
    everything = {k: torch.cat([distilling[k], unseen[k]]) for k in distilling}
    assert sorted(_subset_of(everything, pool.params)) == [0, 1, 2, 3]  # a partition of the pool
    for seed in range(5):
        g = torch.Generator().manual_seed(seed)
        _subset_of(inits.draw_inits(spec("random_pretrained", BASE), mnist, 2, g), distilling)  # default use: distill
        _subset_of(inits.draw_inits(spec("random_pretrained", BASE), mnist, 2, g, use="distill"), distilling)
        _subset_of(inits.draw_inits(spec("random_pretrained", BASE), mnist, 2, g, use="test"), unseen)
    with pytest.raises(
        ValueError,
        match=r"random_pretrained has 2 networks for 'test' \(pool_size=4, "
        r"pool_train=2\); cannot draw 3",
    ):
        inits.draw_inits(spec("random_pretrained", BASE), mnist, 3, torch.Generator(), use="test")


def _poisoned(pool, part):
    """The pool with one part's weights replaced by NaN: any use of them makes the loss NaN."""
    params = {k: v.clone() for k, v in pool.params.items()}
    for v in params.values():
        v[part] = float("nan")
    return Pool(params, pool.key, pool.source)


def test_distilling_under_random_pretrained_never_touches_an_unseen_network(mnist, pool, monkeypatch):
    config = dataclasses.replace(BASE, init="random_pretrained")
    monkeypatch.setattr(inits, "pool", lambda c, d: _poisoned(pool, slice(2, 4)))
    result = distill(config, mnist, seed=0, eval_every=10, progress=False)
    assert all(torch.isfinite(torch.tensor(result.history["loss"])))
    assert result.config["pretrain_source"] == "digits"  # the saved set names its source digits
    monkeypatch.setattr(inits, "pool", lambda c, d: _poisoned(pool, slice(0, 2)))
    with pytest.raises(ddlab.DivergenceError, match="iteration 1"):
        distill(config, mnist, seed=0, progress=False)


def test_evaluate_under_all_four_settings(mnist, fixed_set):
    on = (mnist.x_test[:1000], mnist.y_test[:1000])
    scores = {s: evaluate(fixed_set, mnist, init=s, n_models=2, on=on) for s in SETTINGS}
    for setting, expected_n in zip(SETTINGS, (1, 2, 1, 2)):
        assert scores[setting].setting == setting and scores[setting].accuracies.shape == (expected_n,)
        assert f"({setting} init, {expected_n} network" in str(scores[setting])
    # networks pretrained on digits still recognise most MNIST digits after two tiny steps
    assert scores["fixed_pretrained"].mean > 0.3 and scores["random_pretrained"].mean > 0.3
    # random_pretrained evaluated exactly the unseen networks
    net = make_net(BASE.arch, *mnist.net_args)
    unseen = inits.pool_part(BASE.inits(), mnist, "test")
    batches, lrs = fixed_set.schedule()
    trained = [unroll(net, {k: v[i] for k, v in unseen.items()}, batches, lrs, create_graph=False) for i in range(2)]
    by_hand = accuracy_many(net, {k: torch.stack([t[k] for t in trained]) for k in trained[0]}, *on)
    assert torch.allclose(scores["random_pretrained"].accuracies.sort().values, by_hand.sort().values)
    # asked for more networks than are unseen (default n_models=20), it evaluates all the unseen ones
    assert torch.equal(
        evaluate(fixed_set, mnist, init="random_pretrained", on=on).accuracies, scores["random_pretrained"].accuracies
    )


def test_transfer_matrix_and_its_heat_map(mnist, fixed_set):
    random_set = distill(dataclasses.replace(BASE, init="random"), mnist, seed=0, progress=False)
    on = (mnist.x_test[:500], mnist.y_test[:500])
    settings = ("fixed", "random", "random_pretrained")
    matrix = transfer_matrix({"fixed": fixed_set, "random": random_set}, mnist, settings, n_models=2, on=on)
    assert matrix.rows == ("fixed", "random") and matrix.columns == settings
    assert matrix.mean.shape == matrix.std.shape == (2, 3)
    assert matrix.mean[1, 2] == pytest.approx(evaluate(random_set, mnist, "random_pretrained", 2, on=on).mean)
    assert torch.all(matrix.std[:, 0] == 0) and torch.all(matrix.std[:, 1:] > 0)  # one fixed net vs two
    assert str(matrix).splitlines()[1].startswith("fixed") and "±" in str(matrix)

    ax = plot_transfer(matrix)
    assert len(ax.texts) == 6 and ax.texts[0].get_text().startswith(f"{100 * matrix.mean[0, 0]:.1f}")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["fixed", "random"]
    with pytest.raises(ValueError, match=r"mean and std must be 2 x 3 \(rows x columns\), got \(3, 2\)"):
        plot_transfer(TransferMatrix(matrix.rows, matrix.columns, matrix.mean.T, matrix.std.T))
    with pytest.raises(ValueError, match=r"settings=\['pretrained'\] must be a non-empty list of: fixed, random"):
        transfer_matrix({"fixed": fixed_set}, mnist, ["pretrained"])
    with pytest.raises(ValueError, match="needs at least one synthetic set"):
        transfer_matrix({}, mnist)


@pytest.mark.parametrize(
    "overrides,message",
    [
        (
            dict(init="pretrained"),
            "DD.init='pretrained' is not allowed; use one of: fixed, random, fixed_pretrained, random_pretrained",
        ),
        (dict(pool_size=0), "DD.pool_size must be a positive integer, got 0"),
        (
            dict(pool_train=30, pool_size=30),
            "DD.pool_train=30 leaves no unseen network for testing; it must be smaller than DD.pool_size=30",
        ),
        (dict(init="random_pretrained", n_nets=5, pool_train=4), "DD.n_nets=5 is more than the DD.pool_train=4"),
        (dict(pretrain_source="emnist"), "DD.pretrain_source='emnist' is not allowed; use one of: auto, usps, digits"),
        (dict(steps=0), "DD.steps must be a positive integer, got 0"),
        (dict(epochs=-2), "DD.epochs must be a positive integer, got -2"),
    ],
)
def test_bad_config_values_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        DD(**overrides)


def test_bad_settings_uses_and_data_are_named(mnist, fixed_set):
    g = torch.Generator()
    all_four = "use one of: fixed, random, fixed_pretrained, random_pretrained"
    with pytest.raises(ValueError, match=f"unknown init setting 'pretrained'; {all_four}"):
        evaluate(fixed_set, mnist, init="pretrained")
    with pytest.raises(ValueError, match="unknown use 'train' of initialisations; use one of: distill, test"):
        inits.draw_inits(spec("random", BASE), mnist, 2, g, use="train")
    with pytest.raises(ValueError, match="unknown use 'eval'"):
        inits.pool_part(BASE.inits(), mnist, "eval")
    with pytest.raises(ValueError, match="number of initialisations must be positive, got 0"):
        inits.draw_inits(spec("fixed", BASE), mnist, 0, g)
    colour = Dataset(
        "tiny",
        torch.zeros(10, 3, 8, 8),
        torch.arange(10),
        torch.zeros(2, 3, 8, 8),
        torch.arange(2),
        (0.5,) * 3,
        (0.2,) * 3,
        tuple("abcdefghij"),
    )
    with pytest.raises(
        ValueError,
        match=r"pretrained init settings need 1x28x28 images in 10 classes .* "
        r"tiny has \(3, 8, 8\) in 10",
    ):
        inits.draw_inits(spec("fixed_pretrained", BASE), colour, 1, g)


def test_the_drivers_checks_never_use_a_network_results_are_reported_on(mnist):
    """Selection (use="distill") and reporting (use="test") draw different random networks."""
    from ddlab.evaluate import _generator

    config = DD(init="random", ipc=1, steps=1, iterations=1)
    chosen = inits.draw_inits(spec("random", config), mnist, 4, _generator("distill", 0), use="distill")
    reported = inits.draw_inits(spec("random", config), mnist, 20, _generator("test", 0), use="test")
    flat = lambda inits: torch.cat([v.flatten(1) for v in inits.values()], dim=1)  # noqa: E731  (n, all weights)
    assert torch.cdist(flat(chosen), flat(reported)).min() > 0
    with pytest.raises(ValueError, match="unknown use 'train' of initialisations; use one of: distill, test"):
        _generator("train", 0)
