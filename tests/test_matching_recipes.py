"""The course recipes of notebooks 05-07 (DC, DSA, DM) and the per-class weight gradient they show:
budgets follow the profile (full = the papers' settings), and `weight_gradients` is the module's
own gradient, differentiable in the images (checked against finite differences in float64)."""

import pytest
import torch
from torch.nn import functional as F

from ddlab import recipes
from ddlab.methods.dc import DC, DSA, gradient_distance, weight_gradients
from ddlab.methods.dm import DM
from ddlab.nets import ConvNet, init_params
from ddlab.profile import ENV_VAR


def test_full_profile_is_the_papers_settings(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "full")
    assert recipes.dc_mnist(1) == DC(ipc=1)  # 1,000 networks x 1 update
    assert recipes.dc_mnist(10) == DC(ipc=10, iterations=10000)  # 1,000 networks x 10 updates
    assert recipes.dsa_mnist(10) == DSA(ipc=10, iterations=10000)
    assert recipes.dm_mnist(1) == DM(ipc=1)


@pytest.mark.parametrize("profile_name", ["quick", "default"])
def test_cpu_profiles_shrink_only_the_budget(monkeypatch, profile_name):
    monkeypatch.setenv(ENV_VAR, profile_name)
    budget = ("width", "real_batch", "iterations", "validation_epochs")
    for recipe, paper in ((recipes.dc_mnist, DC), (recipes.dsa_mnist, DSA), (recipes.dm_mnist, DM)):
        config = recipe(10)
        assert type(config) is paper and config.ipc == 10
        assert config.width < 128 and config.real_batch < 256 and config.iterations < paper().iterations
        for field in paper.__dataclass_fields__:  # everything but the budget is the paper's
            if field not in budget + ("ipc",):
                assert getattr(config, field) == getattr(paper(ipc=10), field), field
    if profile_name == "quick":
        assert recipes.dc_mnist().iterations <= 10 and recipes.dm_mnist().width <= 8


def _tiny_convnet():
    net = ConvNet(width=3).double()
    theta = {k: v.double() for k, v in init_params(net, "default", torch.Generator().manual_seed(0)).items()}
    return net, theta


def test_weight_gradients_are_the_modules_own_weight_gradients():
    net, theta = _tiny_convnet()
    x = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    grads = weight_gradients(net, theta, x, 7)
    net.load_state_dict(theta)
    F.cross_entropy(net(x), torch.full((5,), 7)).backward()
    reference = {name: p.grad for name, p in net.named_parameters() if p.dim() > 1}
    assert sorted(grads) == sorted(reference)  # weights only: no biases, no norm parameters
    for name, g in grads.items():
        torch.testing.assert_close(g, reference[name])


def test_matching_distance_is_differentiable_in_the_images_like_finite_differences():
    net, theta = _tiny_convnet()
    gen = torch.Generator().manual_seed(2)
    target = weight_gradients(net, theta, torch.randn(8, 1, 28, 28, generator=gen, dtype=torch.float64), 3)
    x = torch.randn(2, 1, 28, 28, generator=gen, dtype=torch.float64, requires_grad=True)
    direction = torch.randn(2, 1, 28, 28, generator=gen, dtype=torch.float64)

    def distance(images):
        return gradient_distance(weight_gradients(net, theta, images, 3), target)

    analytic = (torch.autograd.grad(distance(x), x)[0] * direction).sum()
    eps = 1e-5
    numeric = (distance(x + eps * direction) - distance(x - eps * direction)).detach() / (2 * eps)
    assert analytic.abs() > 1e-4
    torch.testing.assert_close(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_cli_records_the_protocol_a_set_was_scored_under(mnist, tmp_path, monkeypatch):
    """A DM/DC set's score depends on the profile's evaluation budget; the summary records the
    protocol, so the score is reproduced under another profile (what tests/test_assets.py does)."""
    import json

    from ddlab import evaluate
    from ddlab.__main__ import main
    from ddlab.protocol import Protocol
    from ddlab.synthetic import SyntheticSet

    monkeypatch.setenv(ENV_VAR, "quick")
    out = tmp_path / "dm.pt"
    assert (
        main(
            [
                "distill",
                "dm",
                "--width",
                "4",
                "--real-batch",
                "8",
                "--iterations",
                "2",
                "--validation-epochs",
                "2",
                "--n-models",
                "1",
                "--device",
                "cpu",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["protocol"]["width"] == 4 and summary["protocol"]["epochs"] == 20  # quick: 2% of 1,000
    monkeypatch.setenv(ENV_VAR, "default")
    again = evaluate(
        SyntheticSet.load(out), mnist, n_models=1, seed=summary["seed"], protocol=Protocol(**summary["protocol"])
    )
    assert again.mean == pytest.approx(summary["accuracy"], abs=1e-6)
