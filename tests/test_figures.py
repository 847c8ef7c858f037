"""Notebook 01-04's figures (ddlab.figures.dd): the unroll graph, the measured cost of unrolling, and
the poison's effect on its victim. The cost is checked against what it must be: the memory kept for
the backward pass is exactly the graph's saved tensors, and it grows by the same amount per step."""

import dataclasses

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from ddlab.figures import dd as dd_figures  # noqa: E402
from ddlab.methods.dd import DD  # noqa: E402
from ddlab.synthetic import SyntheticSet  # noqa: E402


def test_the_graph_names_every_weight_and_the_real_loss():
    ax = dd_figures.draw_unroll_graph(steps=3)
    texts = [t.get_text() for t in ax.texts]
    assert [t for t in texts if t.startswith(r"$\theta_")] == [rf"$\theta_{i}$" for i in range(4)]
    assert any("x_{\\mathrm{real}}" in t and "theta_3" in t for t in texts)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        dd_figures.draw_unroll_graph(steps=0)


def test_graph_bytes_counts_each_saved_storage_once():
    x = torch.randn(100, requires_grad=True)  # 400 bytes
    w = torch.randn(100, requires_grad=True)  # 400 bytes
    assert dd_figures.graph_bytes((x * w).sum()) == 800  # mul saves both
    assert dd_figures.graph_bytes((x * x).sum()) == 400  # the same storage, counted once


def test_unroll_memory_grows_by_the_same_amount_per_step(mnist):
    cost = dd_figures.unroll_cost(mnist, lengths=(1, 2, 3), real_batch=32, repeats=1)
    assert cost.lengths == (1, 2, 3) and len(cost.seconds) == 3 and all(s > 0 for s in cost.seconds)
    first, second = cost.saved_mb[1] - cost.saved_mb[0], cost.saved_mb[2] - cost.saved_mb[1]
    assert first > 0 and first == pytest.approx(second, rel=1e-6)
    assert cost.ratio() == cost.saved_mb[-1] / cost.saved_mb[0]
    assert "unroll length" in str(cost)
    axes = dd_figures.plot_unroll_cost(cost)
    assert axes[0].get_xlabel().startswith("unroll length")
    with pytest.raises(ValueError, match="positive unroll lengths"):
        dd_figures.unroll_cost(mnist, lengths=(0, 2))


def test_poison_predictions_count_the_source_digits_and_zero_steps_change_nothing(mnist):
    generator = torch.Generator().manual_seed(0)
    config = DD(init="fixed", ipc=1, steps=1, epochs=1, attack=(3, 8))
    poison = SyntheticSet(
        torch.randn(10, 1, 28, 28, generator=generator).to(mnist.device),
        torch.arange(10, device=mnist.device),
        torch.zeros(1, device=mnist.device),
        {"method": "dd", **dataclasses.asdict(config), "dataset": "mnist"},
    )
    counts = dd_figures.poison_predictions(poison, mnist)
    threes = int((mnist.y_test == 3).sum())
    assert counts["before"].sum() == threes and counts["after"].sum() == threes
    assert torch.equal(counts["before"], counts["after"])  # step size zero: the victim is unchanged
    moved = dd_figures.poison_predictions(
        dataclasses.replace(poison, lrs=torch.full((1,), 5.0, device=mnist.device)), mnist
    )
    assert not torch.equal(moved["before"], moved["after"])
    figure = dd_figures.plot_poison(poison, mnist, counts)
    assert len(figure.axes) == 11  # ten images and the bar chart
