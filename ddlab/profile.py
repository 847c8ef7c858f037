"""Budgets: how long things run, chosen by one environment variable.

``DDLAB_PROFILE`` is ``quick`` (CI and smoke tests: seconds per notebook), ``default`` (what a
learner runs: minutes on a 2-core CPU such as Binder's) or ``full`` (the papers' lengths; meant for
a GPU). Notebooks never read the variable themselves: they ask `pick`, so their text is the same in
every profile and only the numbers change.
"""
from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

PROFILES = ("quick", "default", "full")
ENV_VAR = "DDLAB_PROFILE"


def current() -> str:
    """The active profile name (``default`` when the variable is unset or empty)."""
    name = os.environ.get(ENV_VAR, "").strip().lower() or "default"
    if name not in PROFILES:
        raise ValueError(f"{ENV_VAR}={name!r} is not a profile; use one of: {', '.join(PROFILES)}")
    return name


def pick(*, quick: T, default: T, full: T | None = None) -> T:
    """The value for the active profile; ``full`` falls back to ``default`` when not given."""
    name = current()
    if name == "quick":
        return quick
    if name == "full" and full is not None:
        return full
    return default
