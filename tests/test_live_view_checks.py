"""The browser test's checks reject a live view that stops updating, and pass one that works.

One tiny real distillation drives several headless LiveViews at once: a working one and some whose
update path is broken on purpose. Each widget's picture and status line are recorded at every
change (traitlets observers, as the browser test's MutationObserver records the page) and judged by
the same functions as in the browser (live_view_checks.py).
"""

from __future__ import annotations

import hashlib
import time

import pytest

from ddlab.distill import distill
from ddlab.live import LiveView
from ddlab.methods.dd import DD
from live_view_checks import ReplayStep, Sample, iteration, live_view_problems, replay_problems

pytest.importorskip("ipywidgets")

ITERATIONS = 8
TINY = DD(init="fixed", ipc=1, steps=1, epochs=2, real_batch=64, iterations=ITERATIONS)


def picture(png: bytes) -> str | None:
    """The picture's name, as the browser test computes it from the bytes behind the <img>."""
    return hashlib.sha256(png).hexdigest() if png else None


def watch(view: LiveView) -> list[Sample]:
    """Record what the view's widget shows, once per change of its picture or its status line."""
    samples: list[Sample] = []

    def record(_change=None):
        samples.append(Sample(time.monotonic(), picture(view.image.value), view.label.value or None))

    view.image.observe(record, names="value")
    view.label.observe(record, names="value")
    return samples


# Broken update paths: what `LiveView._show(frame)` does instead of updating picture and status.
BROKEN = {
    "picture never updated": lambda view, frame: setattr(view.label, "value", frame.text),
    "status never updated": lambda view, frame: setattr(view.image, "value", frame.png),
    "only the first frame": lambda view, frame: LiveView._show(view, frame) if frame.iteration == 1 else None,
    "freezes half-way": lambda view, frame: LiveView._show(view, frame) if 2 * frame.iteration <= ITERATIONS else None,
}
# What the checks must say about each.
REJECTED_FOR = {
    "picture never updated": "no picture was shown",
    "status never updated": "no status line",
    "only the first frame": "the picture changed 0 times",
    "freezes half-way": f"the status stopped at iteration {ITERATIONS // 2}/{ITERATIONS}",
}


@pytest.fixture(scope="module")
def run(mnist):
    """{name: (view, samples)} for the working view and every broken one, all fed by one run."""
    views = {"working": LiveView(every=0)}
    for name, show in BROKEN.items():
        view = views[name] = LiveView(every=0)
        view._show = lambda frame, view=view, show=show: show(view, frame)
    recorded = {name: (view, watch(view)) for name, view in views.items()}  # builds the widgets
    distill(TINY, mnist, callbacks=list(views.values()), seed=0, progress=False, eval_examples=500)
    return recorded


def test_working_live_view_passes(run):
    view, samples = run["working"]
    assert live_view_problems(samples) == []
    assert samples[-1].picture == picture(view.frames[-1].png) and samples[-1].status.endswith("done")


@pytest.mark.parametrize("name", BROKEN)
def test_broken_live_view_is_rejected(run, name):
    problems = live_view_problems(run[name][1])
    assert any(REJECTED_FOR[name] in p for p in problems), problems


def test_freezing_half_way_is_seen_in_the_picture_too(run):
    problems = live_view_problems(run["freezes half-way"][1])
    assert any("the picture stopped changing at iteration" in p for p in problems), problems


def scrub(replay, positions) -> list[ReplayStep]:
    """Move the slider through `positions`, recording what the replay shows before and after each."""

    def now():
        return ReplayStep(replay.slider.value, picture(replay.image.value), replay.label.value)

    steps = [now()]
    for position in positions:
        replay.slider.value = position
        steps.append(now())
    return steps


def test_working_replay_passes(run):
    view, samples = run["working"]
    replay = view.replay()
    assert replay_problems(scrub(replay, [1, 2, replay.slider.max]), samples[-1].picture) == []


def test_replay_that_does_not_swap_pictures_is_rejected(run):
    view, samples = run["working"]
    replay = view.replay()
    replay._draw = lambda i: None  # the slider moves, nothing else
    problems = replay_problems(scrub(replay, [1, replay.slider.max]), samples[-1].picture)
    assert "slider 0 -> 1: the picture did not change" in problems, problems
    assert any("not the picture the live view ended on" in p for p in problems), problems


def test_checks_on_handmade_observations():
    assert iteration("iteration 12/60 · loss 2.3") == (12, 60) and iteration(None) is None
    backwards = [Sample(t, f"p{t}", f"iteration {i}/4") for t, i in enumerate([1, 3, 2, 4])]
    assert live_view_problems(backwards) == ["the iteration went backwards: [1, 3, 2, 4]"]
    still = [ReplayStep(0, "a", "iteration 1/4"), ReplayStep(0, "a", "iteration 1/4")]
    assert replay_problems(still) == [
        "slider 0 -> 0: the slider did not move forward",
        "slider 0 -> 0: the picture did not change",
        "slider 0 -> 0: the status did not advance ('iteration 1/4' -> 'iteration 1/4')",
    ]
    assert replay_problems(still[:1]) == ["the slider was moved 0 times, want >= 1"]
