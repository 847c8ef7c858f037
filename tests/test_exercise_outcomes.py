"""benchmarks/exercise_outcomes.py: the notebook it runs is the learner's, solved and cut after the
last exercise; its seed shift moves every draw but the fixed initialisation; every solution names one
of its exercise's outcomes."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ddlab.exercises import code, core, ids

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def outcomes():
    spec = importlib.util.spec_from_file_location("exercise_outcomes", ROOT / "benchmarks" / "exercise_outcomes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_worked_solution_predicts_one_of_its_exercise_s_outcomes(outcomes):
    for id in ids():
        assert outcomes.expected(id) in core.get(id).choices, id
    assert all(outcomes.expected(id) is None for id in code.ids())


def test_the_solved_notebook_is_the_learner_s_with_a_solution_after_each_exercise(outcomes):
    path = ROOT / "notebooks" / "03_baselines.ipynb"
    original = nbformat.read(path, as_version=4)
    cells = core.exercise_cells(original)
    solved = outcomes.solved(path, seed=0)
    sources = [c.source for c in solved.cells]
    solutions = {core.get(id).solution for id in cells.values()}
    learner = [source for source in sources[:-1] if source not in solutions]
    assert learner == [c.source for c in original.cells[: max(cells) + 1]]  # cut after the last exercise
    for id in cells.values():
        at = next(i for i, s in enumerate(sources) if s == core.get(id).solution)
        assert f'check("{id}", prediction, answer)' in sources[at - 1]  # right after the learner's cell
    assert outcomes.REPORT in sources[-1] and len(sources) == len(learner) + len(cells) + 1
    shifted = outcomes.solved(path, seed=2)
    assert "_shift = [2000]" in shifted.cells[0].source and [c.source for c in shifted.cells[1:]] == sources


def test_the_seed_shift_moves_every_draw_but_the_fixed_initialisation(outcomes, mnist):  # mnist: the data is there
    probe = outcomes.SHIFT_SEEDS.format(seed=1, offset=1000) + (
        "import torch\n"
        "from ddlab import inits, load\n"
        "from ddlab.nets import init_params, make_net\n"
        "assert torch.Generator().manual_seed(5).initial_seed() == 1005\n"
        "data = load('mnist', device='cpu')\n"
        "spec = inits.InitSpec(setting='fixed')\n"
        "drawn = inits.draw_inits(spec, data, 1, torch.Generator())\n"
        "_shift[0] = 0\n"
        "unshifted = init_params(make_net('lenet', *data.net_args), 'xavier', torch.Generator().manual_seed(0))\n"
        "assert all(torch.equal(drawn[k][0], unshifted[k]) for k in unshifted)\n"
        "assert torch.Generator().manual_seed(5).initial_seed() == 5\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]
