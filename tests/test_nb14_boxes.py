"""Notebook 14's algorithm boxes compute what ddlab computes: IDC's decoder and one matching step against
`SyntheticDataParameterization` (its first update: a fresh network, then the matching), and TESLA's
per-step gradient against `MTT(constant_memory=True)`, on the same inputs from the same generator state,
to float32 rounding (`ddlab.boxes`), as tests/test_algorithm_boxes.py does for the other boxes (which
also keeps these two short)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ddlab.boxes import assert_same, full_float32
from ddlab.methods.idc import IDC, SyntheticDataParameterization, decode
from ddlab.methods.mtt import TrajectoryMatching
from ddlab.nets import init_params
from test_algorithm_boxes import box_function, same_start, tiny_experts  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def computed_as_the_notebooks_do():
    with full_float32():
        yield


@pytest.mark.parametrize("factor", [1, 2])
def test_the_multi_formation_box_equals_the_decoder(factor):
    stored = torch.randn(6, 1, 28, 28, generator=torch.Generator().manual_seed(factor))
    assert_same(
        box_function("IDC", "multi_formation")(stored, factor), decode(stored, torch.zeros(6), factor)[0], "f(S)"
    )


@pytest.mark.parametrize("factor, seed", [(2, 0), (2, 1), (1, 0)])
def test_the_idc_box_equals_the_package(mnist, factor, seed):
    config = IDC(ipc=2, factor=factor, width=8, real_batch=16, net_examples=64, inner_loop=2, iterations=2)
    method = SyntheticDataParameterization(config, mnist, torch.Generator().manual_seed(seed))
    generator = same_start(method)
    images = method.images.detach().clone().requires_grad_()
    package_loss = method.outer_loss()
    (package_grad,) = torch.autograd.grad(package_loss, method.images)
    theta = init_params(method.net, "default", generator)
    box_loss = box_function("IDC")(
        images, config.ipc, factor, method.net, theta, mnist, generator, config.real_batch, method.strength
    )
    assert_same(box_loss, package_loss, "the loss")
    assert_same(torch.autograd.grad(box_loss, images)[0], package_grad, "the gradient w.r.t. S")
    assert package_grad.abs().max() > 0


@pytest.fixture(scope="module")
def tiny(tiny_experts):
    """The MTT box's tiny experts (the same trajectories: `expert_spec` reads neither setting), with a
    student step large enough to move and TESLA's gradient."""
    config, experts = tiny_experts
    return dataclasses.replace(config, inner_lr=0.05, constant_memory=True), experts


def drawn_as_outer_loss(method: TrajectoryMatching) -> tuple[dict, dict, list[torch.Tensor]]:
    """theta*_t, theta*_{t+M} and the minibatches the next `outer_loss` of `method` draws, drawn the same way."""
    generator, config = same_start(method), method.config
    i = int(torch.randint(config.n_experts, (), generator=generator))
    t = int(torch.randint(config.max_start_epoch + 1, (), generator=generator))
    chunks: list[torch.Tensor] = []
    while len(chunks) < config.syn_steps:
        chunks += torch.randperm(len(method.labels), generator=generator).split(
            min(config.batch_syn, len(method.labels))
        )
    return method.experts.at(i, t), method.experts.at(i, t + config.expert_epochs_matched), chunks[: config.syn_steps]


@pytest.mark.parametrize("seed, steps", [(0, 4), (1, 4), (0, 1)])
def test_the_tesla_box_equals_the_package(tiny, mnist, seed, steps):
    """batch_syn 8 < 20 images, so the steps see different images; the package's gradients reach .grad
    through the driver's backward(), as in a run."""
    config, experts = tiny
    config = dataclasses.replace(config, syn_steps=steps)
    method = TrajectoryMatching(config, mnist, torch.Generator().manual_seed(seed), experts)
    start, target, chunks = drawn_as_outer_loss(method)
    package_loss = method.outer_loss()
    package_loss.backward()
    box_loss, x_grad, log_alpha_grad = box_function("TESLA")(
        method.images, method.labels, method.log_lr, start, target, method.net, chunks
    )
    assert_same(box_loss, package_loss.detach(), "the loss")
    assert_same(x_grad, method.images.grad, "the gradient w.r.t. the images")
    assert_same(log_alpha_grad, method.log_lr.grad, "the gradient w.r.t. log alpha")
    assert method.images.grad.abs().max() > 0


def test_the_tesla_benchmark_is_read_and_drawn_as_measured():
    import matplotlib

    matplotlib.use("Agg")
    from ddlab.figures import tesla as figures

    bench = figures.measured()
    plain, constant = figures.rows(bench, "plain"), figures.rows(bench, "tesla")
    assert [r["steps"] for r in plain] == [r["steps"] for r in constant] and len(plain) >= 2
    memory, seconds = figures.plot_memory_and_time(bench)
    assert [list(line.get_ydata()) for line in memory.lines] == [
        [r["peak_mib"] for r in plain],
        [r["peak_mib"] for r in constant],
    ]
    assert len(seconds.lines) == 2
    with pytest.raises(ValueError, match="mode"):
        figures.rows(bench, "unrolled")


def test_what_the_loss_keeps_grows_with_the_steps_for_the_unroll_only(tiny, mnist):
    from ddlab.figures.tesla import kept_for_backward

    config, experts = tiny
    kept = {
        (constant, steps): kept_for_backward(
            TrajectoryMatching(
                dataclasses.replace(config, constant_memory=constant, syn_steps=steps),
                mnist,
                torch.Generator().manual_seed(0),
                experts,
            )
        )
        for constant in (False, True)
        for steps in (2, 4)
    }
    assert kept[False, 4] > 1.5 * kept[False, 2] > 0
    assert kept[True, 4] == kept[True, 2] < kept[False, 2] / 10
