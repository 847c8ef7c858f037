"""Exercises: every check fails on its stub and on a bad prediction, every exercise is used by a
notebook, and no hint or solution sits in one. That every solution passes its own check and fails on
the other outcome is tested where the notebooks run: tests/test_notebooks_run.py."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from ddlab import exercises
from ddlab.exercises import code, core
from ddlab.exercises.core import exercise_cells

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if exercise_cells(nbformat.read(p, as_version=4)))


def test_every_exercise_in_a_notebook_is_registered_and_every_registered_one_is_used():
    used = {id for p in NOTEBOOKS for id in exercise_cells(nbformat.read(p, as_version=4)).values()}
    assert used == set(exercises.ids()) | set(code.ids())


@pytest.mark.parametrize("id", exercises.ids())
def test_the_stub_and_a_prediction_outside_the_choices_fail(id, capsys):
    exercise = core.get(id)
    assert not exercises.check(id, ..., ...)
    assert not exercises.check(id, exercise.choices[0], ...)
    assert not exercises.check(id, "not a choice", object())
    assert not exercises.check(id, exercise.choices[0], "not an answer")
    printed = capsys.readouterr().out
    assert printed.count("🤔 Not yet") == 4 and "✅" not in printed


@pytest.mark.parametrize("id", exercises.ids())
def test_hints_and_solutions_never_sit_in_the_notebooks(id):
    exercise = core.get(id)
    notebook = next(p for p in NOTEBOOKS if id in exercise_cells(nbformat.read(p, as_version=4)).values())
    text = notebook.read_text()
    assert exercise.hint not in text
    solved_lines = [
        line.strip() for line in exercise.solution.splitlines() if line.strip().startswith(("prediction =", "answer ="))
    ]
    assert not any(line in text for line in solved_lines), f"{id}: a solution line is in {notebook.name}"


@pytest.mark.parametrize("id", code.ids())
def test_no_solution_of_a_function_sits_in_its_notebook(id):
    """The notebook holds the stub (signature, docstring, ...): no line of the solution's body."""
    exercise = code.find(id)
    notebook = next(p for p in NOTEBOOKS if id in exercise_cells(nbformat.read(p, as_version=4)).values())
    text = "\n".join(cell.source for cell in nbformat.read(notebook, as_version=4).cells)
    assert exercise.hint not in text
    body = [
        line.strip()
        for line in exercise.solution.splitlines()
        if line.startswith(" ") and not line.strip().startswith(("def ", '"""'))
    ]
    assert body and not any(line in text for line in body), f"{id}: a line of its solution is in {notebook.name}"
