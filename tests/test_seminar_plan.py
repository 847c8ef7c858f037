"""The 90-minute plan (`ddlab.seminar.PLAN`) holds: its minutes add up against the measured seminar
times, and every notebook section, replayed run, exercise and question it names exists."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import nbformat
import pytest

from ddlab import seminar

ROOT = Path(__file__).resolve().parents[1]


def headings(path: Path) -> set[str]:
    """The text of every markdown heading of a notebook, without its #s."""
    found = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            found |= {m.group(1).strip() for m in re.finditer(r"^#+ (.+)$", cell.source, re.MULTILINE)}
    return found


def notebook(prefix: str) -> Path:
    found = sorted((ROOT / "notebooks").glob(f"{prefix}_*.ipynb"))
    assert len(found) == 1, f"the plan's notebook {prefix} matches {[p.name for p in found]}, want one"
    return found[0]


def test_the_plan_lasts_90_minutes_and_each_run_fits_its_slot():
    assert sum(block.minutes for block in seminar.PLAN) == seminar.LENGTH == 90
    assert seminar.timing_problems() == []
    measured = seminar.measured_seconds()
    for block in seminar.PLAN:
        if block.notebook is not None:
            assert block.compute_minutes * 60 >= measured[block.notebook] > 0


def test_timing_problems_name_a_short_slot_and_a_wrong_total():
    seconds = {**seminar.measured_seconds(), "02": 200.0}
    assert seminar.timing_problems(seconds=seconds) == [
        "notebook 02 runs 200 s in the seminar profile, longer than its 2 min slot"
    ]
    longer = seminar.PLAN + (seminar.Block(None, 0, (seminar.Step("break", 5, (), "coffee"),)),)
    assert seminar.timing_problems(longer) == ["the plan lasts 95 minutes, not 90"]
    unmeasured = {name: t for name, t in seminar.measured_seconds().items() if name != "12"}
    assert seminar.timing_problems(seconds=unmeasured) == [
        "notebook 12 has no measured seminar time (benchmarks/notebook_times.py --profile seminar --save measures it)"
    ]


def test_the_plan_follows_the_seminar_route_and_shows_sections_that_exist():
    assert [b.notebook for b in seminar.PLAN if b.notebook] == ["00", "01", "02", "05", "07", "09", "12"]
    deck = headings(ROOT / seminar.SLIDES)
    for block in seminar.PLAN:
        shown = deck if block.notebook is None else headings(notebook(block.notebook))
        for step in block.steps:
            missing = set(step.sections) - shown
            assert not missing, f"{block.notebook or 'the slides'} has no heading {sorted(missing)}"


def test_each_replayed_run_is_the_notebooks_own_and_is_recorded():
    from ddlab import recipes

    runs = recipes.live_runs()
    replays = [(block.notebook, step.replay) for block in seminar.PLAN for step in block.steps if step.replay]
    assert len(replays) >= 4
    for number, run in replays:
        assert f"{number}" in runs[run].where, f"run {run} is made by {runs[run].where}, not notebook {number}"
        recording = seminar.recording(run)
        assert len(recording) > 1 and recording.has_result()


def test_the_room_does_exercises_of_the_notebook_on_screen_and_asks_each_question_once():
    from ddlab import exercises

    done = [(block.notebook, step.exercise) for block in seminar.PLAN for step in block.steps if step.exercise]
    assert len(done) >= 3
    for number, exercise in done:
        assert exercise in exercises.ids() and exercise.startswith(f"{number}."), (number, exercise)
    asked = sorted(step.question for block in seminar.PLAN for step in block.steps if step.question)
    assert asked == [1, 2, 3] == list(range(1, len(seminar.QUESTIONS) + 1))
    assert all(step.kind == "discuss" for block in seminar.PLAN for step in block.steps if step.question)


def test_plan_md_is_the_rendered_plan():
    rendered = seminar.plan_markdown()
    assert (ROOT / "teaching" / "PLAN.md").read_text() == rendered, (
        "teaching/PLAN.md is stale: python -m ddlab.seminar > teaching/PLAN.md"
    )
    rows = [line for line in rendered.splitlines() if re.match(r"\| \d+–\d+ \|", line)]
    starts_ends = [tuple(map(int, re.match(r"\| (\d+)–(\d+) \|", row).groups())) for row in rows]
    assert starts_ends[0][0] == 0 and starts_ends[-1][1] == 90
    assert all(end == next_start for (_, end), (next_start, _) in zip(starts_ends, starts_ends[1:]))
    measured = seminar.measured_seconds()
    for block in seminar.PLAN:
        if block.notebook is not None:
            assert f"measured {measured[block.notebook]:.0f} s" in rendered
    assert all(question in rendered for question in seminar.QUESTIONS)


def test_a_bad_step_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"step kind must be one of talk, exercise, discuss, break, got 'lecture'"):
        seminar.Step("lecture", 5, (), "x")
    with pytest.raises(ValueError, match=r"whole number of minutes >= 1, got 0.5"):
        seminar.Step("talk", 0.5, (), "x")
    with pytest.raises(ValueError, match=r"no course run 'dd_nothing'; runs: dd_fixed_mnist_10"):
        seminar.recording("dd_nothing")
    assert dataclasses.replace(seminar.PLAN[1], compute_minutes=3).minutes == seminar.PLAN[1].minutes + 2


def test_the_slide_view_draws_every_replayed_frame_in_place_and_leaves_a_filmstrip(monkeypatch):
    import io

    import IPython.display
    from PIL import Image

    from ddlab.live import filmstrip_png

    shown = []

    class Handle:
        def update(self, output):
            shown.append(("update", output))

    def display(output, display_id=False):
        shown.append(("display", output))
        return Handle() if display_id else None

    monkeypatch.setattr(IPython.display, "display", display)
    view = seminar.SlideView(scale=2)
    seminar.replay("dd_fixed_mnist_10", view, seconds=0)
    recording = seminar.recording("dd_fixed_mnist_10")
    assert [frame.iteration for frame in view.frames] == recording.iteration.tolist()
    assert view.frames[-1].text.endswith("replay · done")
    kinds = [kind for kind, _ in shown]
    assert kinds == ["display"] * 2 + ["update"] * 2 * (len(recording) - 1) + ["display"] * 2
    (_, caption), (_, strip) = shown[-2:]
    assert caption.data.startswith(f"Filmstrip of the synthetic images, iterations 1 to {recording.iteration[-1]}")
    expected = Image.open(io.BytesIO(filmstrip_png(view.frames, 2))).size
    assert Image.open(io.BytesIO(strip.data)).size == expected
    with pytest.raises(ValueError, match=r"scale must be an int >= 1, got 0"):
        seminar.SlideView(scale=0)
