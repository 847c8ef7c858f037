"""Notebook 02's recipe: valid under all four init settings in every profile, and larger in the
larger profiles."""

import dataclasses

import pytest

from ddlab import profile, recipes
from ddlab.methods.dd import INIT_SETTINGS


@pytest.mark.parametrize("name", profile.PROFILES)
def test_the_recipe_is_valid_under_every_init_setting(monkeypatch, name):
    monkeypatch.setenv(profile.ENV_VAR, name)
    config = recipes.dd_init_settings_mnist_10()
    assert config.init == "random" and config.ipc * config.steps * 10 == 10
    assert config.n_nets <= config.pool_train < config.pool_size  # random_pretrained draws from seen networks
    for setting in INIT_SETTINGS:
        dataclasses.replace(config, init=setting)  # DD validates itself in __post_init__: raises if invalid


def test_the_recipe_grows_with_the_profile(monkeypatch):
    configs = []
    for name in profile.PROFILES:
        monkeypatch.setenv(profile.ENV_VAR, name)
        configs.append(recipes.dd_init_settings_mnist_10())
    iterations = [c.iterations for c in configs]
    assert iterations == sorted(iterations) and iterations[0] < iterations[-1]
    assert configs[0].pool_size < configs[1].pool_size
