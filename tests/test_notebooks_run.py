"""Every notebook runs top to bottom in a fresh kernel, in the profile of the test run (quick in CI),
first as a learner opens it — its exercise stubs unsolved, their checks saying "Not yet" — and, right
after each exercise cell, solved: the worked solution from `ddlab.exercises` runs and its check must
pass on the computed answer, fail when the prediction is the other outcome, and fail without an answer.
One run per notebook serves both, so the course costs CI one execution."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from ddlab.exercises import core
from test_exercises import exercise_cells

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 600   # seconds a single cell may run


def solved_after_each_stub(path: Path) -> tuple[nbformat.NotebookNode, dict[int, str]]:
    """The notebook with a solved cell inserted after every exercise cell, and {index of the inserted
    cell: exercise id}."""
    nb = nbformat.read(path, as_version=4)
    inserted = {}
    for i, id in sorted(exercise_cells(nb).items(), reverse=True):
        code = core.get(id).solution + f'''
from ddlab.exercises import core as _core
assert _core.check("{id}", prediction, answer), "the solution of {id} fails its own check"
assert not _core.check("{id}", _core.wrong_prediction("{id}"), answer)
assert not _core.check("{id}", prediction, ...)
'''
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(code))
        inserted = {k + 1: v for k, v in inserted.items()}
        inserted[i + 1] = id
    return nb, inserted


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_notebook_runs_unsolved_then_solved(path, monkeypatch):
    monkeypatch.setenv("DDLAB_PROFILE", os.environ.get("DDLAB_PROFILE") or "quick")
    nb, solved = solved_after_each_stub(path)
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for i, id in solved.items():
        stub, solution = printed(nb.cells[i - 1]), printed(nb.cells[i])
        assert "🤔 Not yet" in stub and "✅" not in stub, f"{id}: the unsolved stub should say 'Not yet': {stub}"
        assert solution.count("✅") == 2 and solution.count("🤔") == 2, f"{id}: {solution}"
