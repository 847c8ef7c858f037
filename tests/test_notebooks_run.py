"""Every notebook runs top to bottom through nbval, in a fresh kernel, in the test run's profile (quick in
CI): as a learner first opens it, its exercise stubs unsolved, and right after each exercise solved, the
solution's checks asserted (`ddlab.exercises.core.solved_cell_checks`). The notebooks themselves are
collected by this module's collector (tests/solved_notebooks.py); the tests below check the harness."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from ddlab.exercises.core import exercise_cells
from solved_notebooks import NOTEBOOKS, ROOT


def pytest_run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """pytest with the project's settings (pyproject.toml) in a fresh Python, as a learner runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def code_cells(path: Path) -> int:
    return sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)


def test_every_notebook_is_collected_as_nbval_cells_solved_and_as_the_readme_runs_it():
    """`make test` collects each notebook with a solved cell per exercise; the README's
    `pytest --nbval-lax notebooks/` collects it as it is stored. Collection only: nothing runs."""
    run = pytest_run("--collect-only", "-q", "tests/test_notebooks_run.py", "notebooks/")
    assert run.returncode == 0, run.stdout + run.stderr
    items = run.stdout.splitlines()
    for path in NOTEBOOKS:
        exercises = len(exercise_cells(nbformat.read(path, as_version=4)))
        solved = [i for i in items if i.startswith(f"tests/test_notebooks_run.py::{path.name}::Cell ")]
        as_stored = [i for i in items if i.startswith(f"notebooks/{path.name}::Cell ")]
        assert len(as_stored) == code_cells(path), f"{path.name}: {len(as_stored)} nbval items"
        assert len(solved) == code_cells(path) + exercises, f"{path.name}: {len(solved)} solved items"


def test_a_notebook_whose_cell_raises_fails(tmp_path):
    """nbval with the project's settings fails a notebook on the cell that raises and passes the same
    notebook without it, so a notebook that breaks cannot pass `make test`."""
    for name, last in [("good", "x = x + 1"), ("bad", 'raise ValueError("a broken cell")')]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(last)])
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    run = pytest_run("-q", "-rfE", str(tmp_path), cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "bad.ipynb::Cell 1" in failed[0], run.stdout
    assert "3 passed" in run.stdout and "a broken cell" in run.stdout, run.stdout
