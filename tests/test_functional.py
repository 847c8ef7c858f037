"""The functional core against trusted references: finite differences and a plain loop."""

import pytest
import torch
from torch.func import functional_call

from ddlab.functional import (
    MICRO_BATCH,
    Schedule,
    accuracy_many,
    batch_grad,
    loss,
    over_chunks,
    sgd_step,
    train_many,
    unroll,
)
from ddlab.nets import init_params, make_net, sample_inits


class _SmoothConvNet(torch.nn.Module):
    """A small conv net with smooth activations: finite differences need a function without the
    kinks of ReLU and max-pooling, otherwise a tiny step can cross one and the check is noise."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 5, stride=3)
        self.fc = torch.nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.tanh(self.conv(x)).flatten(1))


def _tiny_problem(dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    net = _SmoothConvNet().to(dtype)
    params = {k: v.to(dtype) for k, v in init_params(net, "xavier", g).items()}
    x_syn = torch.randn(2, 4, 1, 28, 28, generator=g, dtype=dtype)  # 2 steps of 4 images
    y_syn = torch.tensor([[0, 1, 2, 3], [4, 5, 6, 7]])
    x_real = torch.randn(16, 1, 28, 28, generator=g, dtype=dtype)
    y_real = torch.randint(0, 10, (16,), generator=g)
    lrs = torch.tensor([0.05, 0.03, 0.04, 0.02], dtype=dtype)  # 2 steps x 2 epochs
    return net, params, x_syn, y_syn, x_real, y_real, lrs


def _outer(net, params, x_syn, y_syn, x_real, y_real, lrs):
    batches = [(x_syn[0], y_syn[0]), (x_syn[1], y_syn[1])] * 2
    return loss(net, unroll(net, params, batches, lrs), x_real, y_real)


def test_meta_gradient_matches_central_finite_differences():
    net, params, x_syn, y_syn, x_real, y_real, lrs = _tiny_problem()
    x_syn.requires_grad_(True)
    lrs.requires_grad_(True)
    g_x, g_lr = torch.autograd.grad(_outer(net, params, x_syn, y_syn, x_real, y_real, lrs), (x_syn, lrs))

    eps = 1e-6
    gen = torch.Generator().manual_seed(1)
    direction = torch.randn(x_syn.shape, generator=gen, dtype=x_syn.dtype)
    with torch.no_grad():
        plus = _outer(net, params, x_syn + eps * direction, y_syn, x_real, y_real, lrs)
        minus = _outer(net, params, x_syn - eps * direction, y_syn, x_real, y_real, lrs)
    numeric = (plus - minus) / (2 * eps)
    analytic = (g_x * direction).sum()
    assert abs(numeric - analytic) / abs(numeric) <= 1e-4

    for i in range(len(lrs)):
        e = torch.zeros_like(lrs)
        e[i] = eps
        with torch.no_grad():
            numeric = (
                _outer(net, params, x_syn, y_syn, x_real, y_real, lrs + e)
                - _outer(net, params, x_syn, y_syn, x_real, y_real, lrs - e)
            ) / (2 * eps)
        assert abs(numeric - g_lr[i]) / abs(numeric) <= 1e-4


def test_meta_gradient_reaches_the_first_step_through_later_ones():
    """The first batch's gradient must include the Hessian term of the later steps: it differs
    from what you get when the graph is cut after the first step."""
    net, params, x_syn, y_syn, x_real, y_real, lrs = _tiny_problem()
    x_syn.requires_grad_(True)
    (full,) = torch.autograd.grad(_outer(net, params, x_syn, y_syn, x_real, y_real, lrs), x_syn)
    assert full[0].abs().sum() > 0 and full[1].abs().sum() > 0


def test_unroll_is_plain_sgd():
    net, params, x_syn, y_syn, _, _, lrs = _tiny_problem()
    out = unroll(net, params, [(x_syn[0], y_syn[0])], lrs[:1], create_graph=False)
    reference = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    logits = functional_call(net, reference, (x_syn[0],))
    grads = torch.autograd.grad(torch.nn.functional.cross_entropy(logits, y_syn[0]), list(reference.values()))
    for (name, p), g in zip(params.items(), grads):
        torch.testing.assert_close(out[name], p - lrs[0] * g)


def test_unroll_reports_the_weights_after_every_step():
    net, params, x_syn, y_syn, _, _, lrs = _tiny_problem()
    batches = [(x_syn[0], y_syn[0]), (x_syn[1], y_syn[1])] * 2  # 2 steps x 2 epochs
    path = []
    final = unroll(net, params, batches, lrs, create_graph=False, on_step=path.append)
    assert len(path) == len(batches) and path[-1] is final
    second = unroll(net, path[0], batches[1:2], lrs[1:2], create_graph=False)
    for name in params:
        torch.testing.assert_close(path[1][name], second[name])


def test_unroll_rejects_mismatched_step_sizes():
    net, params, x_syn, y_syn, _, _, lrs = _tiny_problem()
    with pytest.raises(ValueError, match="one step size per batch"):
        unroll(net, params, [(x_syn[0], y_syn[0])], lrs)


def test_sgd_step_lowers_the_loss_on_its_batch():
    net, params, x_syn, y_syn, _, _, _ = _tiny_problem()
    before = loss(net, params, x_syn[0], y_syn[0])
    after = loss(net, sgd_step(net, params, x_syn[0], y_syn[0], 0.05), x_syn[0], y_syn[0])
    assert after < before


@pytest.mark.parametrize("arch", ["lenet", "convnet", "mlp"])
def test_train_many_vmap_equals_plain_loop(arch):
    g = torch.Generator().manual_seed(0)
    net = make_net(arch, width=16)
    inits = sample_inits(net, 3, "kaiming", g)
    x = torch.randn(20, 1, 28, 28, generator=g)
    y = torch.arange(20) % 10
    schedule = Schedule(epochs=2, batch_size=8, lr=0.01, momentum=0.9, weight_decay=5e-4, decay_at=(0.5,))
    fast = train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(7), vectorize=True)
    slow = train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(7), vectorize=False)
    for name in fast:
        torch.testing.assert_close(fast[name], slow[name], rtol=1e-4, atol=1e-5)
        assert not torch.equal(fast[name], inits[name])


@pytest.mark.parametrize("arch", ["lenet", "convnet", "mlp"])
@pytest.mark.parametrize("weighted", [False, True])
def test_plain_autograd_gradient_equals_torch_func_grad(arch, weighted):
    """The loop path's gradient (plain autograd) is torch.func's, in float64 to 1e-12, whether or not
    the caller is inside torch.no_grad(), weighted or not, and over the micro-batch split."""
    g = torch.Generator().manual_seed(3)
    net = make_net(arch, width=8).double()  # width: the ConvNet's only (seconds, not minutes, in float64)
    params = {k: v[0].double() for k, v in sample_inits(net, 1, "kaiming", g).items()}
    n = MICRO_BATCH + 22  # two micro-batches when unweighted
    x, y = torch.randn(n, 1, 28, 28, generator=g, dtype=torch.float64), torch.arange(n) % 10
    weights = torch.rand(n, generator=g, dtype=torch.float64) if weighted else None
    expected = batch_grad(net, params, x, y, weights, vectorized=True)
    with torch.no_grad():
        plain = batch_grad(net, params, x, y, weights, vectorized=False)
    assert set(plain) == set(params)
    for name in params:
        assert not plain[name].requires_grad
        torch.testing.assert_close(plain[name], expected[name], rtol=1e-12, atol=1e-12)


def test_train_many_learns_a_separable_problem():
    g = torch.Generator().manual_seed(0)
    net = make_net("mlp")
    prototypes = torch.randn(10, 1, 28, 28, generator=g)
    y = torch.arange(200) % 10
    x = prototypes[y] + 0.3 * torch.randn(200, 1, 28, 28, generator=g)
    trained = train_many(
        net, sample_inits(net, 4, "default", g), x, y, Schedule(epochs=5, batch_size=32, lr=0.05, momentum=0.9), g
    )
    assert (accuracy_many(net, trained, x, y) > 0.95).all()


def test_schedule_rejects_non_positive_values():
    with pytest.raises(ValueError, match="epochs"):
        Schedule(epochs=0, batch_size=8, lr=0.1)


def test_a_big_batchs_gradient_is_summed_over_micro_batches_and_equals_the_whole_batchs():
    from torch.func import grad

    from ddlab import ConvNet
    from ddlab.functional import MICRO_BATCH, batch_grad, loss

    net = ConvNet(width=4).double()
    params = {k: v.detach().clone() for k, v in net.named_parameters()}
    x = torch.randn(2 * MICRO_BATCH + 7, 1, 28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 10, (x.shape[0],), generator=torch.Generator().manual_seed(1))
    chunked, whole = batch_grad(net, params, x, y), grad(loss, argnums=1)(net, params, x, y)
    for name in whole:
        assert torch.allclose(chunked[name], whole[name], rtol=1e-10, atol=1e-12), name
    soft = torch.softmax(torch.randn(x.shape[0], 10, dtype=torch.float64), dim=1)  # learned labels too
    chunked, whole = batch_grad(net, params, x, soft), grad(loss, argnums=1)(net, params, x, soft)
    assert all(torch.allclose(chunked[n], whole[n], rtol=1e-10, atol=1e-12) for n in whole)


def test_over_chunks_gives_the_same_bits_on_one_thread_and_on_several():
    net = make_net("convnet", width=8)
    params = {k: v[0] for k, v in sample_inits(net, 1, "default", torch.Generator().manual_seed(0)).items()}
    x = torch.randn(37, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    kept = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = over_chunks(net, params, x, 5)
        torch.set_num_threads(2)
        several = over_chunks(net, params, x, 5, reduce=lambda out: out.clone())
        assert torch.get_num_threads() == 2, "the caller's thread count is restored"
    finally:
        torch.set_num_threads(kept)
    assert [len(o) for o in one] == [5] * 7 + [2]
    assert all(torch.equal(a, b) for a, b in zip(one, several))
    torch.testing.assert_close(torch.cat(one), functional_call(net, params, (x,)), rtol=1e-5, atol=1e-6)
