"""The course run by nbval, unsolved and solved in one execution per notebook (a pytest plugin part).

`tests/test_notebooks_run.py` collects, besides its own tests, one nbval notebook (nbval's collector,
`IPyNbFile`: an item per code cell, all run in one fresh kernel) for every notebook in notebooks/.
Each is a copy of the notebook with one cell inserted after every exercise cell: the exercise's
worked solution followed by `ddlab.exercises.core.solved_cell_checks`. The exercise cell itself runs
as a learner first opens it, unsolved, so one run shows the course works both as opened and solved.

The copies live in a temporary folder, which is also the kernel's working directory: the notebooks
read everything through ddlab (data root, caches, assets), never a path relative to their folder,
and a run that needed one would fail here. nbval runs in lax mode (pyproject's addopts): a cell fails
when it raises, and outputs are compared only in cells marked `# NBVAL_CHECK_OUTPUT`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import IPyNbFile

from ddlab import profile
from ddlab.exercises import core
from ddlab.exercises.core import exercise_cells

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HARNESS = "test_notebooks_run.py"  # the test module whose collector adds the solved notebooks


def solved_copy(path: Path, folder: Path) -> Path:
    """Write `path` into `folder` with a solved cell after each exercise cell; return the copy's path."""
    nb = nbformat.read(path, as_version=4)
    for i, id in sorted(exercise_cells(nb).items(), reverse=True):
        code = f"# solved by the tests: exercise {id}\n{core.get(id).solution}{core.solved_cell_checks(id)}"
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(code))
    copy = folder / path.name
    nbformat.write(nb, copy)
    return copy


class SolvedNotebook(IPyNbFile):
    """nbval's notebook collector, its kernel in the test run's profile (quick unless DDLAB_PROFILE says
    otherwise, as `make test` runs the course), set for the kernel only, not for the other tests."""

    def setup(self):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(profile.ENV_VAR, os.environ.get(profile.ENV_VAR) or "quick")
            super().setup()


class HarnessModule(pytest.Module):
    """The harness's test module, followed by a solved copy of every notebook of the course."""

    def collect(self):
        yield from super().collect()
        folder = Path(tempfile.mkdtemp(prefix="ddlab-solved-notebooks-"))
        self.config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        for path in NOTEBOOKS:
            yield SolvedNotebook.from_parent(self, path=solved_copy(path, folder))


def harness_module(module_path: Path, parent) -> HarnessModule | None:
    """The collector of `module_path` when it is the harness (for conftest's pytest_pycollect_makemodule)."""
    return HarnessModule.from_parent(parent, path=module_path) if module_path.name == HARNESS else None
