"""The MTT course recipe (notebooks 08, 09): MTT's profile budget, at any number of images per class."""

import pytest

from ddlab import recipes


@pytest.mark.parametrize("name", ["quick", "default", "full"])
def test_mtt_recipe_takes_any_ipc_and_single_overrides(monkeypatch, name):
    monkeypatch.setenv("DDLAB_PROFILE", name)
    for ipc in (1, 10):
        config = recipes.mtt_mnist(ipc)
        assert config.ipc == ipc
        changed = recipes.mtt_mnist(ipc, iterations=7)
        assert changed.iterations == 7 and changed.width == config.width and changed.ipc == ipc


def test_mtt_recipe_grows_with_the_profile(monkeypatch):
    sizes = []
    for name in ("quick", "default", "full"):
        monkeypatch.setenv("DDLAB_PROFILE", name)
        config = recipes.mtt_mnist()
        sizes.append((config.iterations, config.width, config.n_experts, config.syn_steps))
    for smaller, larger in zip(sizes, sizes[1:]):
        assert all(a < b for a, b in zip(smaller, larger)), sizes
    assert sizes[1] == (200, 32, 4, 20)  # notebook 08 within 5 minutes on one core (benchmarks/RESULTS.md)
