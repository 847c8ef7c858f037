import pytest

from ddlab import profile, recipes


@pytest.mark.parametrize(
    "name,expected", [("quick", 1), ("default", 2), ("", 2), ("full", 3), ("FULL", 3), ("seminar", 4), (" Seminar ", 4)]
)
def test_pick_follows_the_environment(monkeypatch, name, expected):
    monkeypatch.setenv(profile.ENV_VAR, name)
    assert profile.pick(quick=1, default=2, full=3, seminar=4) == expected


@pytest.mark.parametrize("name", ["full", "seminar"])
def test_full_and_seminar_fall_back_to_default(monkeypatch, name):
    monkeypatch.setenv(profile.ENV_VAR, name)
    assert profile.pick(quick=1, default=2) == 2
    assert (
        profile.pick(quick=1, default=2, full=3 if name == "seminar" else None, seminar=4 if name == "full" else None)
        == 2
    )  # the other profile's value is not taken


def test_seminar_value_only_in_seminar(monkeypatch):
    for name, expected in (("quick", 1), ("default", 2), ("full", 3), ("seminar", 4)):
        monkeypatch.setenv(profile.ENV_VAR, name)
        assert profile.pick(quick=1, default=2, full=3, seminar=4) == expected


def test_unknown_profile_is_named(monkeypatch):
    monkeypatch.setenv(profile.ENV_VAR, "fast")
    with pytest.raises(
        ValueError, match="DDLAB_PROFILE='fast' is not a profile; use one of: quick, seminar, default, full"
    ):
        profile.current()


def test_recipes_grow_with_the_profile(monkeypatch):
    budgets = []
    for name in profile.PROFILES:
        monkeypatch.setenv(profile.ENV_VAR, name)
        budgets.append(recipes.dd_fixed_mnist_10().iterations)
    assert budgets == sorted(budgets) and budgets[0] < budgets[-1]


@pytest.mark.parametrize(
    "recipe",
    [
        recipes.dd_fixed_mnist_10,
        recipes.dd_init_settings_mnist_10,
        recipes.dd_sweep_base,
        lambda: recipes.dd_adaptation("fixed_pretrained"),
        recipes.dd_poison,
        recipes.dc_mnist,
        recipes.dsa_mnist,
        recipes.dm_mnist,
        recipes.mtt_mnist,
        lambda: recipes.dm_mnist(10),
        lambda: recipes.mtt_mnist(10),
    ],
)
def test_every_distillation_in_the_seminar_profile_is_the_default_one(monkeypatch, recipe):
    """What lets a recording made in the default profile be found (and replayed) in the seminar one."""
    monkeypatch.setenv(profile.ENV_VAR, "default")
    default = recipe()
    monkeypatch.setenv(profile.ENV_VAR, "seminar")
    assert recipe() == default
