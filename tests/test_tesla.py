"""TESLA's constant-memory gradient (`MTT(constant_memory=True)`): the loss of the plain unroll, the
gradient TESLA says it computes (each step's weights held fixed) to float64 rounding, the full
unroll's gradient exactly for one step and within the dropped Hessian terms for more, memory that
does not grow with the number of steps, and the run keys of plain MTT unchanged."""

import dataclasses
import math

import pytest
import torch
from torch.func import grad

from ddlab import distill, recordings
from ddlab.functional import loss
from ddlab.methods.mtt import MTT, TrajectoryMatching, expert_spec, parameter_distance
from ddlab.sources import experts

# Tiny: 2 width-8 experts over 2 epochs of 512 images; the student takes 4 steps on minibatches of 5 of
# the 10 images, so each image is in two steps and later steps depend on earlier images.
TINY = MTT(
    ipc=1,
    syn_steps=4,
    batch_syn=5,
    expert_epochs_matched=1,
    max_start_epoch=1,
    n_experts=2,
    expert_epochs=2,
    width=8,
    expert_examples=512,
    expert_batch=128,
    iterations=2,
)
RTOL = 1e-10  # float64: both sides do the same arithmetic in a different order; rounding is ~1e-15


@pytest.fixture(scope="module")
def tiny_experts(mnist):
    return experts.build(expert_spec(TINY), mnist, progress=False)


def _float64(mnist, tiny_experts, constant_memory, **changes):
    """The method in float64, seed 0, so two of them draw the same expert, start epoch and batches."""
    config = dataclasses.replace(TINY, constant_memory=constant_memory, **changes)
    trajectories = dataclasses.replace(tiny_experts, spec=expert_spec(config))  # the same weights (DSA: as if)
    method = TrajectoryMatching(config, mnist, torch.Generator().manual_seed(0), trajectories)
    method.net.double()
    method.experts = dataclasses.replace(method.experts, params={k: v.double() for k, v in tiny_experts.params.items()})
    method.images = method.images.detach().double().requires_grad_()
    method.log_lr = method.log_lr.detach().double().requires_grad_()
    return method


def _gradients(method):
    """(loss, d loss/d images, d loss/d log alpha) of one outer iteration, through the driver's backward()."""
    value = method.outer_loss()
    value.backward()
    return value.item(), method.images.grad.clone(), method.log_lr.grad.clone()


def _held_fixed_reference(method):
    """What TESLA claims to compute, written directly: the ordinary autograd gradient of
    L(theta_0 - alpha sum_i g_i(x_i, theta_i)) with every theta_i detached (no per-step pull-back)."""
    generator_state = method.generator.get_state()
    config = method.config
    expert = int(torch.randint(config.n_experts, (), generator=method.generator))
    t = int(torch.randint(config.max_start_epoch + 1, (), generator=method.generator))
    start, target = method.experts.at(expert, t), method.experts.at(expert, t + config.expert_epochs_matched)
    alpha = method.log_lr.exp()
    params, total = start, {k: torch.zeros_like(v) for k, v in start.items()}
    for x, y in method.minibatches():
        g = grad(loss, argnums=1)(method.net, params, x, y)  # depends on x, not on earlier steps
        total = {k: total[k] + g[k] for k in total}
        params = {k: params[k] - alpha.detach() * g[k].detach() for k in params}
    end = {k: start[k] - alpha * total[k] for k in start}
    value = parameter_distance(end, target) / parameter_distance(start, target)
    value.backward()
    method.generator.set_state(generator_state)
    return value.item(), method.images.grad.clone(), method.log_lr.grad.clone()


def _relative(a, b):
    return ((a - b).norm() / b.norm()).item()


@pytest.mark.parametrize("dsa", [False, True])
def test_constant_memory_gives_the_gradient_tesla_claims_and_the_plain_loss(mnist, tiny_experts, dsa):
    """With DSA too: each step's augmented minibatch is drawn once and pulled back through."""
    tesla_loss, tesla_images, tesla_log_lr = _gradients(_float64(mnist, tiny_experts, True, dsa=dsa))
    ref_loss, ref_images, ref_log_lr = _held_fixed_reference(_float64(mnist, tiny_experts, False, dsa=dsa))
    plain_loss, _, _ = _gradients(_float64(mnist, tiny_experts, False, dsa=dsa))
    assert tesla_loss == pytest.approx(plain_loss, rel=RTOL) and tesla_loss == pytest.approx(ref_loss, rel=RTOL)
    assert tesla_images.abs().flatten(1).sum(1).gt(0).all()  # every image gets a gradient
    assert _relative(tesla_images, ref_images) < RTOL
    assert tesla_log_lr.item() == pytest.approx(ref_log_lr.item(), rel=RTOL)


def test_one_student_step_gives_exactly_the_unrolled_gradient(mnist, tiny_experts):
    """With one step no later weights depend on the images: nothing is dropped."""
    _, tesla_images, tesla_log_lr = _gradients(_float64(mnist, tiny_experts, True, syn_steps=1))
    _, plain_images, plain_log_lr = _gradients(_float64(mnist, tiny_experts, False, syn_steps=1))
    assert _relative(tesla_images, plain_images) < RTOL
    assert tesla_log_lr.item() == pytest.approx(plain_log_lr.item(), rel=RTOL)


def _difference_from_the_unroll(mnist, tiny_experts, log_lr):
    methods = [_float64(mnist, tiny_experts, mode) for mode in (True, False)]
    for method in methods:
        with torch.no_grad():
            method.log_lr.fill_(log_lr)
    (_, tesla, _), (_, plain, _) = (_gradients(m) for m in methods)
    cosine = torch.nn.functional.cosine_similarity(tesla.flatten(), plain.flatten(), dim=0).item()
    return _relative(tesla, plain), cosine


def test_over_several_steps_it_differs_from_the_unroll_by_the_dropped_hessian_terms(mnist, tiny_experts):
    """The dropped terms carry one more factor alpha (times a Hessian) than the kept ones, so for a small
    step the relative difference is well above rounding and shrinks in proportion to alpha. (At MTT's
    alpha = 0.01 it is already several percent on this tiny net: benchmarks/tesla_memory.py measures it.)"""
    at_alpha, cosine = _difference_from_the_unroll(mnist, tiny_experts, math.log(1e-3))
    at_tenth, _ = _difference_from_the_unroll(mnist, tiny_experts, math.log(1e-4))
    assert 1e-4 < at_alpha < 0.05 and cosine > 0.999, (at_alpha, cosine)
    assert at_tenth == pytest.approx(at_alpha / 10, rel=0.2), (at_alpha, at_tenth)


def test_the_driver_learns_images_and_step_size_with_it(mnist, tiny_experts, tmp_path, monkeypatch):
    monkeypatch.setenv("DDLAB_DATA", str(tmp_path))  # the experts cache goes there
    config = dataclasses.replace(TINY, constant_memory=True)
    experts.save(tiny_experts, experts.cache_path(expert_spec(config), mnist), mnist)
    start = TrajectoryMatching(config, mnist, torch.Generator().manual_seed(0)).snapshot()
    result = distill(config, mnist, seed=0, progress=False, validate=False)
    assert not torch.equal(result.images, start.images)
    assert result.config["learned_lr"] != pytest.approx(TINY.inner_lr) and result.config["constant_memory"] is True
    assert len(result.history["loss"]) == 2 and all(0 < v < 2 for v in result.history["loss"])


def test_plain_runs_keep_their_keys_and_constant_memory_runs_get_their_own():
    """Runs recorded before the option existed are still found (the seminar's replays, cached sets)."""
    plain, tesla = (recordings.run_key(MTT(constant_memory=on), "mnist") for on in (False, True))
    assert "constant_memory" not in plain["config"] and tesla["config"]["constant_memory"] is True
    assert recordings.run_name(plain) != recordings.run_name(tesla)


def test_a_bad_value_is_refused():
    with pytest.raises(ValueError, match="MTT.constant_memory must be True or False, got 'yes'"):
        MTT(constant_memory="yes")
