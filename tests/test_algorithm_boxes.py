"""The algorithm boxes of notebooks 01, 05-08 and 13 compute what ddlab computes.

Each of those notebooks writes its method's outer loss from scratch in one cell that starts with a
marker comment (``# algorithm box: DC``). This test reads that cell from the notebook's JSON,
executes it, and runs it and the package's ``outer_loss`` on the same inputs from the same generator
state: the loss and its gradient with respect to the synthetic images (MTT: and to log alpha) must
agree to float32 rounding (`ddlab.boxes`: rtol 1e-4, atol 1e-5, TF32 off as in the notebooks; on a CPU
they agree to about 1e-7) — so the page and the package cannot drift apart. It also keeps each box short: at most 20 lines of code
besides imports, comments and blank lines.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from ddlab import kernels
from ddlab.boxes import assert_same, full_float32
from ddlab.methods.dc import DC, DSA, DifferentiableSiameseAugmentation, GradientMatching
from ddlab.methods.dd import DD, DatasetDistillation
from ddlab.methods.dm import DM, DistributionMatching
from ddlab.methods.kip import KIP, KernelInducingPoints, centred_one_hot
from ddlab.methods.mtt import MTT, TrajectoryMatching, expert_spec
from ddlab.nets import make_net
from ddlab.sources.experts import build

ROOT = Path(__file__).resolve().parents[1]
BOXES = {
    "DC": ("05_gradient_matching", "dc_outer_loss"),
    "DSA": ("06_dsa", "dsa_outer_loss"),
    "DM": ("07_distribution_matching", "dm_outer_loss"),
    "MTT": ("08_trajectory_matching", "mtt_outer_loss"),
    "DD": ("01_mnist_one_image_per_class", "dd_outer_loss"),
    "KIP": ("13_labels_and_kernels", "kip_outer_loss"),
    "IDC": ("14_images_per_byte", "idc_outer_loss"),  # equality: tests/test_nb14_boxes.py
    "TESLA": ("14_images_per_byte", "tesla_gradients"),
}


def box(name: str) -> str:
    """The source of the notebook cell that starts with ``# algorithm box: NAME``."""
    notebook, _ = BOXES[name]
    nb = nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4)
    found = [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code" and re.match(rf"# algorithm box: {name}\b", cell.source)
    ]
    assert len(found) == 1, f"{notebook}: {len(found)} cells start with '# algorithm box: {name}', want 1"
    return found[0]


def box_function(name: str, function: str | None = None):
    """The box's function `function` (default: its outer loss)."""
    namespace: dict = {}
    exec(compile(box(name), f"<algorithm box {name}>", "exec"), namespace)
    return namespace[function or BOXES[name][1]]


def same_start(method) -> torch.Generator:
    """A generator in the state `method`'s generator is in now."""
    return torch.Generator().set_state(method.generator.get_state())


@pytest.fixture(autouse=True)
def computed_as_the_notebooks_do():
    """Box and package compute inside `full_float32`, as in the notebooks' comparison cells."""
    with full_float32():
        yield


def assert_equal(box_loss, package_loss, box_grads, package_grads):
    assert_same(box_loss, package_loss, "the loss")
    for i, (mine, theirs) in enumerate(zip(box_grads, package_grads, strict=True)):
        assert_same(mine, theirs, f"gradient {i}")


@pytest.mark.parametrize("name", BOXES)
def test_each_box_is_short(name):
    code = [
        line
        for line in box(name).splitlines()
        if line.strip() and not line.strip().startswith("#") and not line.startswith(("import ", "from "))
    ]
    assert len(code) <= 20, f"the {name} box has {len(code)} lines of code besides imports and comments"


@pytest.mark.parametrize(
    "name, config, kind",
    [
        ("DC", DC(ipc=2, width=8, real_batch=16, outer_loop=1, inner_loop=1), GradientMatching),
        ("DSA", DSA(ipc=2, width=8, real_batch=16, outer_loop=1, inner_loop=1), DifferentiableSiameseAugmentation),
        ("DM", DM(ipc=2, width=8, real_batch=16), DistributionMatching),
    ],
)
def test_image_set_boxes_equal_the_package(name, config, kind, mnist):
    outer_loss = box_function(name)
    for seed in (0, 1):
        method = kind(config, mnist, torch.Generator().manual_seed(seed))
        generator = same_start(method)
        package_loss = method.outer_loss()
        package_grads = torch.autograd.grad(package_loss, [method.images])
        images = method.images.detach().clone().requires_grad_()
        net = make_net("convnet", *mnist.net_args, width=config.width)  # the DM box re-initialises it
        box_loss = outer_loss(images, config.ipc, net, mnist, generator, config.real_batch)
        assert_equal(box_loss, package_loss, torch.autograd.grad(box_loss, [images]), package_grads)


def test_the_dc_box_is_not_the_dsa_box(mnist):
    """The DSA box augments: on the same draws its loss differs from DC's (the test can tell them apart)."""
    config = DSA(ipc=1, width=8, real_batch=16)
    method = DifferentiableSiameseAugmentation(config, mnist, torch.Generator().manual_seed(0))
    net = make_net("convnet", *mnist.net_args, width=8)
    dsa = box_function("DSA")(method.images.detach(), 1, net, mnist, same_start(method), 16)
    dc = box_function("DC")(method.images.detach(), 1, net, mnist, same_start(method), 16)
    assert not torch.allclose(dsa, dc)


@pytest.fixture(scope="module")
def tiny_experts(mnist):
    config = MTT(
        n_experts=2,
        expert_epochs=2,
        width=8,
        expert_examples=256,
        expert_batch=64,
        max_start_epoch=1,
        expert_epochs_matched=1,
        syn_steps=4,
        batch_syn=8,
        ipc=2,
        iterations=1,
    )
    return config, build(expert_spec(config), mnist, progress=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_mtt_box_equals_the_package(tiny_experts, mnist, seed):
    """batch_syn 8 < 20 images: minibatches are chunks of permutations, as in the paper's code."""
    config, experts = tiny_experts
    config = dataclasses.replace(config, inner_lr=0.05)
    method = TrajectoryMatching(config, mnist, torch.Generator().manual_seed(seed), experts)
    generator = same_start(method)
    package_loss = method.outer_loss()
    package_grads = torch.autograd.grad(package_loss, [method.images, method.log_lr])
    images = method.images.detach().clone().requires_grad_()
    log_alpha = method.log_lr.detach().clone().requires_grad_()
    box_loss = box_function("MTT")(
        images,
        method.labels,
        log_alpha,
        experts,
        method.net,
        generator,
        config.syn_steps,
        config.expert_epochs_matched,
        config.max_start_epoch,
        config.batch_syn,
    )
    assert_equal(box_loss, package_loss, torch.autograd.grad(box_loss, [images, log_alpha]), package_grads)
    assert 0 < package_loss.item() and package_grads[0].abs().max() > 0


@pytest.mark.parametrize(
    "config",
    [
        DD(init="fixed", ipc=1, steps=1, epochs=3, real_batch=64),
        DD(init="fixed", ipc=2, steps=2, epochs=2, real_batch=64),
    ],
    ids=["1 step x 3 epochs", "2 steps x 2 epochs"],
)
def test_the_dd_box_equals_the_package(config, mnist):
    """Gradients w.r.t. the images and the raw step sizes (the box takes eta = softplus(raw), as DD learns them)."""
    method = DatasetDistillation(config, mnist, torch.Generator().manual_seed(0))
    generator = same_start(method)
    package_loss = method.outer_loss()
    package_grads = torch.autograd.grad(package_loss, [method.images, method.raw_lrs])
    images, raw = method.images.detach().clone().requires_grad_(), method.raw_lrs.detach().clone().requires_grad_()
    theta_0 = {k: v[0] for k, v in method.fixed_init.items()}
    box_loss = box_function("DD")(
        images, method.labels, F.softplus(raw), method.net, theta_0, mnist, generator, config.real_batch, config.steps
    )
    assert_equal(box_loss, package_loss, torch.autograd.grad(box_loss, [images, raw]), package_grads)
    assert package_grads[0].abs().max() > 0 and package_grads[1].abs().max() > 0


@pytest.mark.parametrize("learn_labels", [False, True])
def test_the_kip_box_equals_the_package(learn_labels, mnist):
    """Float64 throughout, so a tighter tolerance than the float32 boxes'."""
    config = KIP(ipc=1, depth=2, real_batch=200, learn_labels=learn_labels)
    method = KernelInducingPoints(config, mnist, torch.Generator().manual_seed(0))
    generator = same_start(method)
    package_loss = method.outer_loss()
    package_grads = torch.autograd.grad(package_loss, method.parameters())
    images, targets = method.images.detach().clone().requires_grad_(), method.targets.detach().clone().requires_grad_()
    box_loss = box_function("KIP")(images, targets, mnist, generator, config.real_batch, config.depth, config.reg)
    box_grads = torch.autograd.grad(box_loss, [images, targets][: len(package_grads)])
    torch.testing.assert_close(box_loss, package_loss, rtol=1e-9, atol=1e-12)
    for mine, theirs in zip(box_grads, package_grads, strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-7, atol=1e-10)


def test_the_kip_boxs_label_solve_equals_the_package(mnist):
    generator = torch.Generator().manual_seed(0)
    support = torch.cat([mnist.sample_per_class(c, 1, generator) for c in range(10)])
    x_t, y_t = mnist.sample(300, generator)
    k_ss, k_ts = kernels.kernel("ntk", support, support, 2), kernels.kernel("ntk", x_t, support, 2)
    targets = centred_one_hot(y_t, 10)
    torch.testing.assert_close(
        box_function("KIP", "solve_labels")(k_ts, k_ss, targets, 1e-6),
        kernels.label_solve(k_ts, k_ss, targets, 1e-6),
        rtol=1e-9,
        atol=1e-12,
    )
