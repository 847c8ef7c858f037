"""Adaptation to MNIST of networks pretrained on other digits, on a tiny pool (4 networks: 2 for
distilling, 2 unseen): "before" is the untouched pretrained networks, the same ones evaluate
reports on; before -> real -> distilled in one call; the recipe; the bar chart."""

import dataclasses

import pytest
import torch

from ddlab import distill, evaluate, inits, plots
from ddlab.evaluate import Scores
from ddlab.experiments.adaptation import Adaptation, adapt, before, without_steps
from ddlab.functional import accuracy_many
from ddlab.methods import DD
from ddlab.nets import make_net
from ddlab.recipes import dd_adaptation as recipe
from ddlab.synthetic import SyntheticSet

# The tiny pool of tests/test_init_settings.py (same key, so the same cached file).
BASE = DD(
    ipc=1,
    steps=1,
    epochs=2,
    n_nets=2,
    real_batch=64,
    iterations=2,
    pool_size=4,
    pool_train=2,
    pretrain_source="digits",
    init="fixed_pretrained",
)
ON = slice(0, 1000)  # the first 1,000 test images keep the checks quick


@pytest.fixture(scope="module")
def adapted(mnist):
    return {
        init: distill(dataclasses.replace(BASE, init=init), mnist, seed=0, progress=False)
        for init in ("fixed_pretrained", "random_pretrained")
    }


def test_before_is_the_untouched_pretrained_networks_that_evaluate_reports_on(mnist, adapted):
    on = (mnist.x_test[ON], mnist.y_test[ON])
    pool = inits.pool(BASE.inits(), mnist)
    net = make_net(BASE.arch, *mnist.net_args)
    fixed = before(adapted["fixed_pretrained"], mnist, on=on)
    network0 = accuracy_many(net, {k: v[:1] for k, v in pool.params.items()}, *on)
    assert fixed.setting == "fixed_pretrained" and torch.equal(fixed.accuracies, network0)
    unseen = before(adapted["random_pretrained"], mnist, on=on)
    by_hand = accuracy_many(net, inits.pool_part(BASE.inits(), mnist, "test"), *on)
    assert torch.equal(unseen.accuracies.sort().values, by_hand.sort().values)
    after = evaluate(adapted["fixed_pretrained"], mnist, on=on)
    assert after.mean != fixed.mean  # the set's steps do move the network


def test_without_steps_needs_step_sizes():
    dm_set = SyntheticSet(torch.zeros(10, 1, 28, 28), torch.arange(10), config={"method": "dm"})
    with pytest.raises(ValueError, match="a set with step sizes \\(DD or a baseline\\) is needed; a 'dm' set has none"):
        without_steps(dm_set)


def test_adapt_puts_before_real_and_distilled_side_by_side(mnist, adapted):
    result = adapt(adapted["fixed_pretrained"], mnist, n_sets=2, step_sizes=(0.05, 0.2))
    assert isinstance(result, Adaptation) and result.setting == "fixed_pretrained" and result.images == 10
    assert result.before.accuracies.shape == (1,) and result.distilled.accuracies.shape == (1,)
    assert result.real.accuracies.shape == (2,)  # one network, two draws of real images
    assert result.real_step_size in (0.05, 0.2)
    assert result.distilled.mean == evaluate(adapted["fixed_pretrained"], mnist).mean
    assert str(result).startswith("fixed_pretrained, 10 images: before ")
    ax = plots.plot_bars({result.setting: result.bars()})
    assert len(ax.patches) == 3 and [t.get_text() for t in ax.get_legend().get_texts()] == list(result.bars())
    with pytest.raises(
        ValueError,
        match="adapt\\(\\) needs a set distilled under fixed_pretrained or random_pretrained, got init='fixed'",
    ):
        adapt(
            dataclasses.replace(
                adapted["fixed_pretrained"], config={**adapted["fixed_pretrained"].config, "init": "fixed"}
            ),
            mnist,
        )


def test_the_recipe_follows_the_profile(monkeypatch):
    monkeypatch.setenv("DDLAB_PROFILE", "quick")
    quick = recipe("random_pretrained")
    assert (quick.pool_size, quick.pool_train, quick.pretrain_source) == (4, 2, "digits")
    monkeypatch.setenv("DDLAB_PROFILE", "default")
    default = recipe("random_pretrained")
    assert (default.pool_size, default.pool_train, default.n_nets) == (
        30,
        20,
        2,
    ) and default.iterations > quick.iterations
    with pytest.raises(
        ValueError,
        match="adaptation needs a pretrained init setting \\(fixed_pretrained, random_pretrained\\), got 'fixed'",
    ):
        recipe("fixed")


def test_plot_bars_groups_bars_and_rejects_nothing():
    scores = lambda *a: Scores(torch.tensor(a), "random")  # noqa: E731
    ax = plots.plot_bars({"a": {"x": scores(0.5, 0.7), "y": scores(0.9)}, "b": {"x": scores(0.2)}})
    assert [p.get_height() for p in ax.patches] == pytest.approx([60.0, 20.0, 90.0])  # bar "x" in both groups, then "y"
    with pytest.raises(ValueError, match="plot_bars needs at least one group, each with at least one bar"):
        plots.plot_bars({"a": {}})
