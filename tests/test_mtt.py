"""Trajectory matching: the loss is zero exactly when the student lands on the expert, its gradient
reaches the images and the step size, the driver runs it, and bad settings are refused."""

import dataclasses

import pytest
import torch

from ddlab import distill
from ddlab.functional import unroll
from ddlab.methods import config_for
from ddlab.methods.mtt import MTT, TrajectoryMatching, expert_spec
from ddlab.recipes import mtt_mnist as budget
from ddlab.sources import experts

# Tiny: 2 width-8 experts over 2 epochs of 512 images; the student takes 3 steps on 10 images.
TINY = MTT(
    ipc=1,
    syn_steps=3,
    expert_epochs_matched=1,
    max_start_epoch=1,
    n_experts=2,
    expert_epochs=2,
    width=8,
    expert_examples=512,
    expert_batch=128,
    lr=100.0,
    iterations=3,
)


@pytest.fixture(scope="module")
def tiny_experts(mnist):
    return experts.build(expert_spec(TINY), mnist, progress=False)


def _method(mnist, tiny_experts, config=TINY, seed=0):
    return TrajectoryMatching(config, mnist, torch.Generator().manual_seed(seed), tiny_experts)


def _experts_that_train_on(method, epochs):
    """Fake experts whose every 'epoch' is exactly `syn_steps` full-batch SGD steps on the current
    synthetic set at the current step size: the path the student itself takes."""
    config, alpha = method.config, method.log_lr.exp().detach()
    batches = [(method.images.detach(), method.labels)] * config.syn_steps
    path = [method.experts.at(e, 0) for e in range(config.n_experts)]
    snapshots = [path]
    for _ in range(epochs):
        path = [unroll(method.net, p, batches, alpha.expand(config.syn_steps), create_graph=False) for p in path]
        snapshots.append(path)
    params = {
        k: torch.stack([torch.stack([s[e][k] for s in snapshots]) for e in range(config.n_experts)])
        for k in snapshots[0][0]
    }
    return dataclasses.replace(method.experts, params=params)


def test_loss_is_zero_when_the_student_reproduces_the_expert(mnist, tiny_experts):
    config = dataclasses.replace(TINY, batch_syn=10)  # every student step sees the whole set
    method = _method(mnist, tiny_experts, config)
    method.experts = _experts_that_train_on(method, config.expert_epochs)
    losses = [method.outer_loss().item() for _ in range(4)]  # various experts and start epochs
    assert max(losses) < 1e-6, losses  # rounding only (the batch order varies)

    with torch.no_grad():
        method.images.add_(0.1 * torch.randn(method.images.shape, generator=torch.Generator().manual_seed(1)))
    assert method.outer_loss().item() > 1e-3  # other images: the student misses
    with torch.no_grad():
        method.images.sub_(0.1 * torch.randn(method.images.shape, generator=torch.Generator().manual_seed(1)))
        method.log_lr.add_(0.5)
    assert method.outer_loss().item() > 1e-3  # another step size: it misses too


def test_loss_is_one_when_the_student_does_not_move(mnist, tiny_experts):
    method = _method(mnist, tiny_experts)
    with torch.no_grad():
        method.log_lr.fill_(-60.0)  # alpha = 1e-26: theta^_N = theta*_t
    assert method.outer_loss().item() == pytest.approx(1.0, abs=1e-6)
    with torch.no_grad():
        method.log_lr.fill_(0.0)
    assert method.outer_loss().item() > 0


def test_gradient_reaches_every_image_and_the_step_size(mnist, tiny_experts):
    method = _method(mnist, tiny_experts)
    method.outer_loss().backward()
    assert torch.isfinite(method.images.grad).all()
    assert method.images.grad.abs().flatten(1).sum(1).gt(0).all()  # every image gets a gradient
    assert torch.isfinite(method.log_lr.grad) and method.log_lr.grad != 0


def _smooth_float64(method):
    """The same method on a float64 ConvNet with tanh instead of ReLU. Finite differences need it:
    through ReLU the student's weights jump whenever a pre-activation changes sign (ReLU' is a step),
    so the unrolled loss is only piecewise smooth in the images and a difference quotient is noise."""
    for i, module in enumerate(method.net.features):
        if isinstance(module, torch.nn.ReLU):
            method.net.features[i] = torch.nn.Tanh()
    method.net.double()
    double = {k: v.double() for k, v in method.experts.params.items()}
    method.experts = dataclasses.replace(method.experts, params=double)
    method.images = method.images.detach().double().requires_grad_()
    method.log_lr = method.log_lr.detach().double().requires_grad_()
    return method


def test_gradient_matches_finite_differences(mnist, tiny_experts):
    method = _smooth_float64(_method(mnist, tiny_experts))
    state = method.generator.get_state()  # replay the same expert, start epoch and batches
    method.outer_loss().backward()
    g_images, g_log_lr = method.images.grad, method.log_lr.grad

    def loss_at(images, log_lr):
        method.generator.set_state(state)
        with torch.no_grad():
            method.images.copy_(images)
            method.log_lr.fill_(log_lr)
            return method.outer_loss().item()

    images, log_lr, eps = method.images.detach().clone(), method.log_lr.item(), 1e-5
    numeric = (loss_at(images, log_lr + eps) - loss_at(images, log_lr - eps)) / (2 * eps)
    assert numeric == pytest.approx(g_log_lr.item(), rel=1e-4)
    direction = torch.randn(images.shape, generator=torch.Generator().manual_seed(2), dtype=images.dtype)
    numeric = (loss_at(images + eps * direction, log_lr) - loss_at(images - eps * direction, log_lr)) / (2 * eps)
    assert numeric == pytest.approx((g_images * direction).sum().item(), rel=1e-4)


def test_optimizer_has_the_papers_two_sgd_groups(mnist, tiny_experts):
    method = _method(mnist, tiny_experts)
    optimizer = method.make_optimizer()
    assert isinstance(optimizer, torch.optim.SGD)
    (images, lrs) = optimizer.param_groups
    assert images["params"][0] is method.images and images["lr"] == TINY.lr and images["momentum"] == 0.5
    assert lrs["params"][0] is method.log_lr and lrs["lr"] == TINY.lr_lr


def test_images_start_as_real_images_of_their_class(mnist, tiny_experts):
    method = _method(mnist, tiny_experts, dataclasses.replace(TINY, ipc=2))
    assert method.images.shape == (20, 1, 28, 28) and method.labels.tolist() == [c for c in range(10) for _ in "ab"]
    for image, label in zip(method.images.detach(), method.labels):
        assert (mnist.per_class(label) == image).flatten(1).all(1).any()  # a training image of its class


def test_distill_runs_mtt_and_learns_images_and_step_size(mnist, tiny_experts, tmp_path, monkeypatch):
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path))  # the experts cache goes there
    experts.save(tiny_experts, experts.cache_path(expert_spec(TINY), mnist), mnist)
    start = TrajectoryMatching(TINY, mnist, torch.Generator().manual_seed(0)).snapshot()
    result = distill(TINY, mnist, seed=0, eval_every=10, progress=False)
    assert result.method == "mtt" and result.images.shape == (10, 1, 28, 28) and result.lrs is None
    assert start.config["learned_lr"] == pytest.approx(TINY.inner_lr)
    assert not torch.equal(result.images, start.images) and result.config["learned_lr"] != pytest.approx(TINY.inner_lr)
    assert len(result.history["loss"]) == 3 and all(0 < v < 2 for v in result.history["loss"])
    assert config_for("mtt", syn_steps=7).syn_steps == 7


def test_matching_lowers_the_loss_on_a_fixed_segment(mnist, tiny_experts):
    """Twenty SGD steps on the pixels, always the same expert segment and batches: the student must get
    closer to the expert's end point (the outer optimisation works at all)."""
    method = _method(mnist, tiny_experts, dataclasses.replace(TINY, lr=1000.0))
    optimizer = method.make_optimizer()
    state = method.generator.get_state()
    losses = []
    for _ in range(20):
        method.generator.set_state(state)
        loss = method.outer_loss()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0], losses


def test_dsa_option_augments_the_experts_and_the_students_batches(mnist):
    config = dataclasses.replace(TINY, dsa=True, n_experts=1, expert_epochs=2, expert_examples=128)
    spec = expert_spec(config)
    augmented = experts.build(spec, mnist, progress=False)
    plain = experts.build(dataclasses.replace(spec, dsa=False), mnist, progress=False)
    assert not torch.equal(augmented.params["classifier.weight"], plain.params["classifier.weight"])
    method = _method(mnist, augmented, config)
    originals = method.images.detach()
    for x, _ in method.minibatches():  # every image transformed
        assert not any(torch.equal(image, original) for image in x for original in originals)
    method.outer_loss().backward()  # and the gradient goes through DSA
    assert method.images.grad.abs().flatten(1).sum(1).gt(0).all()


@pytest.mark.parametrize("name,width,experts_", [("quick", 16, 2), ("default", 32, 4), ("full", 128, 20)])
def test_budget_follows_the_profile(monkeypatch, name, width, experts_):
    monkeypatch.setenv("DDLAB_PROFILE", name)
    config = budget(ipc=10)
    assert (config.width, config.n_experts, config.ipc) == (width, experts_, 10)
    assert config.max_start_epoch + config.expert_epochs_matched <= config.expert_epochs


def test_bad_settings_are_rejected(mnist, tiny_experts):
    with pytest.raises(ValueError, match="MTT.syn_steps must be a positive integer, got 0"):
        MTT(syn_steps=0)
    with pytest.raises(ValueError, match="MTT.syn_steps must be a positive integer, got -3"):
        MTT(syn_steps=-3)
    with pytest.raises(
        ValueError,
        match=r"MTT.max_start_epoch=3 \+ expert_epochs_matched=2 goes beyond "
        r"the experts' 4 epochs; allowed: max_start_epoch <= 2",
    ):
        MTT(max_start_epoch=3, expert_epochs_matched=2, expert_epochs=4)
    with pytest.raises(ValueError, match="MTT.max_start_epoch must be 0 or more, got -1"):
        MTT(max_start_epoch=-1)
    with pytest.raises(ValueError, match="MTT.lr must be positive, got 0"):
        MTT(lr=0)
    with pytest.raises(ValueError, match=r"MTT.ipc=6000 is more images than the smallest class of mnist has \(5421\)"):
        _method(mnist, tiny_experts, dataclasses.replace(TINY, ipc=6000))
    with pytest.raises(ValueError, match="the experts given were trained with .* but the config asks for"):
        _method(mnist, tiny_experts, dataclasses.replace(TINY, width=16))
