"""The nets' ReLUs work in place (ddlab/nets.py): every gradient the course takes through them is
bit for bit the one out-of-place ReLUs give — plain autograd, `torch.func.grad` under `vmap` (what
`train_many` vectorises), the second-order meta-gradient through `unroll`, and forward-over-reverse
(the Hessian-vector products of `ddlab.analysis.hessian`)."""

from contextlib import contextmanager

import pytest
import torch
from torch import nn
from torch.func import functional_call, grad, jvp, vmap
from torch.nn import functional as F

from ddlab.functional import loss, unroll
from ddlab.nets import make_net, sample_inits


@contextmanager
def out_of_place_relu(monkeypatch):
    """Every ReLU of the nets computed out of place, as before issue 26."""
    with monkeypatch.context() as patch:
        patch.setattr(F, "relu_", torch.relu)
        patch.setattr(nn.ReLU, "forward", lambda self, x: torch.relu(x))
        t = -torch.ones(3)
        nn.ReLU(inplace=True)(t), F.relu_(t)
        assert torch.equal(t, -torch.ones(3)), "the ReLUs still work in place"
        yield


def _problem(arch):
    g = torch.Generator().manual_seed(0)
    net = make_net(arch, width=8) if arch == "convnet" else make_net(arch)
    params = sample_inits(net, 3, "kaiming", g)
    x = torch.randn(3, 6, 1, 28, 28, generator=g)
    y = torch.arange(18).view(3, 6) % 10
    return net, params, x, y


def _assert_bit_equal(a, b):
    for name in a:
        assert torch.equal(a[name], b[name]), name


def _gradients(net, params, x, y):
    """What the course differentiates: per-network gradients under vmap, the meta-gradient of a
    two-step unroll w.r.t. the images, and a Hessian-vector product."""
    per_network = vmap(grad(loss, argnums=1), in_dims=(None, 0, 0, 0))(net, params, x, y)
    first = {k: v[0] for k, v in params.items()}
    images = x[0].clone().requires_grad_()
    final = unroll(net, first, [(images, y[0]), (images.flip(0), y[0])], [0.1, 0.1])
    (meta,) = torch.autograd.grad(loss(net, final, x[1], y[1]), images)
    tangent = {k: torch.ones_like(v) for k, v in first.items()}
    _, hvp = jvp(lambda p: grad(loss, argnums=1)(net, p, x[2], y[2]), (first,), (tangent,))
    return per_network, meta, hvp


@pytest.mark.parametrize("arch", ["lenet", "convnet", "mlp"])
def test_in_place_relu_gives_the_same_gradients_bit_for_bit(arch, monkeypatch):
    net, params, x, y = _problem(arch)
    new = _gradients(net, params, x, y)
    with out_of_place_relu(monkeypatch):
        old = _gradients(net, params, x, y)
    _assert_bit_equal(new[0], old[0])
    assert torch.equal(new[1], old[1]) and new[1].abs().sum() > 0
    _assert_bit_equal(new[2], old[2])


@pytest.mark.parametrize("arch", ["lenet", "convnet", "mlp"])
def test_in_place_relu_keeps_autograd_on_the_input(arch, monkeypatch):
    """A leaf input that needs a gradient goes through unchanged (the first op is never a ReLU)."""
    net, params, x, y = _problem(arch)
    first = {k: v[0] for k, v in params.items()}

    def input_gradient():
        images = x[0].clone().requires_grad_()
        out = functional_call(net, first, (images,))
        return torch.autograd.grad(F.cross_entropy(out, y[0]), images)[0], out

    new_grad, new_out = input_gradient()
    with out_of_place_relu(monkeypatch):
        old_grad, old_out = input_gradient()
    assert torch.equal(new_out, old_out) and torch.equal(new_grad, old_grad)
