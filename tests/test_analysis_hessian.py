"""Hutchinson's Hessian trace against the exact trace, and the curvature study's bookkeeping."""

import pytest
import torch
from torch.func import hessian

from ddlab.analysis.hessian import curvature_during_training, hessian_trace
from ddlab.functional import loss
from ddlab.synthetic import SyntheticSet


def _tiny_mlp_problem():
    """Two different tiny MLPs (tanh, so the Hessian is not mostly zero) stacked, float64."""
    g = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4)).double()
    stacked = {name: torch.randn(2, *p.shape, generator=g, dtype=torch.float64) for name, p in net.named_parameters()}
    x = torch.randn(20, 6, generator=g, dtype=torch.float64)
    y = torch.arange(20) % 4
    return net, stacked, x, y


def _exact_trace(net, params, x, y):
    """The trace of the full Hessian w.r.t. all weights, flattened into one vector."""
    names = list(params)
    shapes = [params[n].shape for n in names]

    def flat_loss(flat):
        parts = flat.split([s.numel() for s in shapes])
        return loss(net, {n: p.view(s) for n, p, s in zip(names, parts, shapes)}, x, y)

    flat = torch.cat([params[n].flatten() for n in names])
    return hessian(flat_loss)(flat).diagonal().sum()


def test_hutchinson_estimate_is_within_5_percent_of_the_exact_trace():
    net, stacked, x, y = _tiny_mlp_problem()
    estimates = hessian_trace(net, stacked, x, y, probes=4000, generator=torch.Generator().manual_seed(1), chunk=1000)
    assert estimates.shape == (2,)
    for i in range(2):
        exact = _exact_trace(net, {n: p[i] for n, p in stacked.items()}, x, y)
        assert abs(estimates[i] - exact) <= 0.05 * abs(exact), (estimates[i].item(), exact.item())


def test_the_estimate_is_fixed_by_the_generator_and_changes_with_it():
    net, stacked, x, y = _tiny_mlp_problem()
    first = hessian_trace(net, stacked, x, y, 8, torch.Generator().manual_seed(3))
    again = hessian_trace(net, stacked, x, y, 8, torch.Generator().manual_seed(3))
    other = hessian_trace(net, stacked, x, y, 8, torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_hessian_trace_rejects_no_probes():
    net, stacked, x, y = _tiny_mlp_problem()
    with pytest.raises(ValueError, match="probes must be a positive integer, got 0"):
        hessian_trace(net, stacked, x, y, 0, torch.Generator())


def test_curvature_along_real_training_has_one_row_per_measured_step(mnist):
    g = torch.Generator().manual_seed(0)
    distilled = SyntheticSet(torch.randn(10, 1, 28, 28, generator=g), torch.arange(10))
    curve = curvature_during_training(
        {"noise": distilled}, mnist, arch="mlp", steps=4, every=2, probes=2, real_examples=32, n_models=2
    )
    assert curve.steps == [0, 2, 4]
    assert set(curve.traces) == {"real", "noise"}
    assert all(t.shape == (3, 2) and torch.isfinite(t).all() for t in curve.traces.values())
    assert len(curve.mean("real")) == 3
    with pytest.raises(ValueError, match="'real' names the real sample"):
        curvature_during_training({"real": distilled}, mnist, arch="mlp", steps=2, every=1)
