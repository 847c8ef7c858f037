"""Budgets: how long things run, chosen by one environment variable.

``DDLAB_PROFILE`` is one of, from fastest to longest:

- ``quick``: CI and smoke tests, seconds per notebook; small enough to be noise.
- ``seminar``: a teacher presenting the course, each notebook in about a minute and a half. Every
  distillation has exactly the ``default`` profile's config (``seminar`` falls back to ``default``),
  so a run recorded in the default profile is found for it and replayed instead of distilled (its
  set loaded, its evolution shown "as if live": `ddlab.recordings`). Only budgets that are
  not distillations (how many networks evaluate a set, say) pass a smaller ``seminar=`` value.
- ``default``: what a learner runs, minutes on a 2-core CPU such as Binder's.
- ``full``: the papers' lengths; meant for a GPU.

Notebooks never read the variable themselves: they ask `pick`, so their text is the same in every
profile and only the numbers change.
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

PROFILES = ("quick", "seminar", "default", "full")  # shortest to longest
ENV_VAR = "DDLAB_PROFILE"


def current() -> str:
    """The active profile name (``default`` when the variable is unset or empty)."""
    name = os.environ.get(ENV_VAR, "").strip().lower() or "default"
    if name not in PROFILES:
        raise ValueError(f"{ENV_VAR}={name!r} is not a profile; use one of: {', '.join(PROFILES)}")
    return name


def pick(*, quick: T, default: T, full: T | None = None, seminar: T | None = None) -> T:
    """The value for the active profile; ``full`` and ``seminar`` fall back to ``default`` when not
    given (so a distillation recipe that passes no ``seminar=`` is the default profile's run, the
    one its recording was made with)."""
    name = current()
    if name == "quick":
        return quick
    if name == "full" and full is not None:
        return full
    if name == "seminar" and seminar is not None:
        return seminar
    return default
