import pytest

from ddlab import profile, recipes


@pytest.mark.parametrize("name,expected", [("quick", 1), ("default", 2), ("", 2), ("full", 3), ("FULL", 3)])
def test_pick_follows_the_environment(monkeypatch, name, expected):
    monkeypatch.setenv(profile.ENV_VAR, name)
    assert profile.pick(quick=1, default=2, full=3) == expected


def test_full_falls_back_to_default(monkeypatch):
    monkeypatch.setenv(profile.ENV_VAR, "full")
    assert profile.pick(quick=1, default=2) == 2


def test_unknown_profile_is_named(monkeypatch):
    monkeypatch.setenv(profile.ENV_VAR, "fast")
    with pytest.raises(ValueError, match="DDLAB_PROFILE='fast' is not a profile; use one of: quick, default, full"):
        profile.current()


def test_recipes_grow_with_the_profile(monkeypatch):
    budgets = []
    for name in profile.PROFILES:
        monkeypatch.setenv(profile.ENV_VAR, name)
        budgets.append(recipes.dd_fixed_mnist_10().iterations)
    assert budgets == sorted(budgets) and budgets[0] < budgets[-1]
