"""What a learner must see of the live view, as pure checks over what was observed.

The browser test (test_browser_live_view.py) records, from the page, every picture and status line
the live view and the replay show; test_live_view_checks.py records the same from a headless
`LiveView` whose update path is broken on purpose. Both judge with these functions, so "the browser
test fails if the live view stops updating" is itself tested, not assumed.

A picture is named by the sha256 of its PNG bytes: a browser gives every widget update a new blob
URL even when the bytes are the same, so URLs would count changes that a learner cannot see.
Each check returns a list of problems (empty: passed) so that one failure message says all of them.
"""

from __future__ import annotations

import re
from typing import NamedTuple

ITERATION = re.compile(r"iteration (\d+)/(\d+)")


class Sample(NamedTuple):
    """What the live view showed at one moment (one per change, in time order)."""

    time: float  # seconds, from any fixed origin
    picture: str | None  # sha256 hex of the PNG bytes shown; None: no picture (yet)
    status: str | None  # the status line under the picture; None: none (yet)


class ReplayStep(NamedTuple):
    """What the replay showed at one slider position."""

    slider: int  # the slider's value
    picture: str | None  # as in Sample
    status: str | None  # as in Sample


def iteration(status: str | None) -> tuple[int, int] | None:
    """(i, n) from a status line 'iteration i/n · ...'; None when there is no such line."""
    match = ITERATION.search(status or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def picture_changes(samples: list[Sample]) -> int:
    """How often the picture was replaced by a different one (its first appearance is no change)."""
    pictures = [s.picture for s in samples if s.picture is not None]
    return sum(a != b for a, b in zip(pictures, pictures[1:]))


def live_view_problems(samples: list[Sample], min_changes: int = 3) -> list[str]:
    """What is wrong with a live view observed over a whole run (empty list: nothing).

    It must show a picture that changes at least `min_changes` times, a status line whose
    iteration advances (never backwards) through at least `min_changes + 1` values to the last one
    (n/n), and the picture must still change in the second half of the run: a view that stops
    updating part-way fails even if it changed often enough before.
    """
    if not any(s.picture for s in samples):
        return [f"no picture was shown in {len(samples)} observations"]
    span = samples[-1].time - samples[0].time
    problems = []
    changes = picture_changes(samples)
    if changes < min_changes:
        problems.append(f"the picture changed {changes} times in {span:.1f} s, want >= {min_changes}")
    seen = [it for s in samples if (it := iteration(s.status)) is not None]
    if not seen:
        return problems + ["no status line 'iteration i/n' was shown"]
    values = [i for i, _ in seen]
    if any(b < a for a, b in zip(values, values[1:])):
        problems.append(f"the iteration went backwards: {values}")
    if len(set(values)) < min_changes + 1:
        problems.append(f"the status showed iterations {sorted(set(values))}, want >= {min_changes + 1} different")
    last, total = seen[-1]
    if last != total:
        problems.append(f"the status stopped at iteration {last}/{total}")
    # The status the learner saw when the picture changed for the last time.
    latest, last_change = iteration(samples[0].status), None
    for previous, sample in zip(samples, samples[1:]):
        latest = iteration(sample.status) or latest
        if None not in (previous.picture, sample.picture) and previous.picture != sample.picture:
            last_change = latest
    if changes and last_change is not None and 2 * last_change[0] < last_change[1]:
        problems.append(f"the picture stopped changing at iteration {last_change[0]}/{last_change[1]}")
    return problems


def replay_problems(steps: list[ReplayStep], last_live_picture: str | None = None) -> list[str]:
    """What is wrong with a replay scrubbed forward (empty list: nothing).

    steps: what it showed before the first move, then after each move of the slider. Every move
    must show another picture and a later iteration. With `last_live_picture`, the last step must
    be the picture the live view ended on (scrub to the end to check that the frames are the run's).
    """
    if len(steps) < 2:
        return [f"the slider was moved {max(len(steps) - 1, 0)} times, want >= 1"]
    problems = []
    for a, b in zip(steps, steps[1:]):
        move = f"slider {a.slider} -> {b.slider}"
        if b.slider <= a.slider:
            problems.append(f"{move}: the slider did not move forward")
        if b.picture is None or b.picture == a.picture:
            problems.append(f"{move}: the picture did not change")
        ia, ib = iteration(a.status), iteration(b.status)
        if ia is None or ib is None or ib[0] <= ia[0]:
            problems.append(f"{move}: the status did not advance ({a.status!r} -> {b.status!r})")
    if last_live_picture is not None and steps[-1].picture != last_live_picture:
        problems.append(f"slider {steps[-1].slider}: not the picture the live view ended on")
    return problems
