"""Every notebook in notebooks/ is stored clean, opens on Colab, and runs the same everywhere.

These are static checks of the .ipynb files (fast); tests/test_notebooks_run.py runs every
notebook. The GitHub repository the links must point to is `ddlab.course.REPO`, named nowhere else.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from ddlab import course, profile

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CLEAR = "jupyter nbconvert --clear-output --inplace notebooks/*.ipynb"

each_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.reads(path.read_text(encoding="utf-8"), as_version=nbformat.NO_CONVERT)


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks in {ROOT / 'notebooks'}"


@each_notebook
def test_valid_nbformat_4(path):
    raw = json.loads(path.read_text(encoding="utf-8"))  # plain JSON first: clearer errors
    assert raw.get("nbformat") == 4, f"{path.name}: nbformat {raw.get('nbformat')}, want 4"
    nbformat.validate(read(path))  # raises ValidationError with details
    kernel = raw.get("metadata", {}).get("kernelspec", {}).get("name", "python3")
    assert kernel == "python3", (
        f"{path.name}: kernelspec {kernel!r}; Colab and Binder only have 'python3' "
        "(pick the default Python 3 kernel and save again)"
    )


@each_notebook
def test_stored_without_outputs(path):
    nb = read(path)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; run: {CLEAR}"
    assert "widgets" not in nb.metadata, (
        f"{path.name}: saved widget state in the notebook metadata; turn off 'Save Widget State "
        "Automatically' in JupyterLab's Settings menu, clear outputs and save again"
    )


@each_notebook
def test_first_cell_is_a_colab_badge_to_itself(path):
    first = read(path).cells[0]
    assert first.cell_type == "markdown", f"{path.name}: the first cell must be markdown with the badge"
    assert "colab-badge.svg" in first.source, f"{path.name}: no Colab badge in the first cell"
    links = set(re.findall(r"https://colab\.research\.google\.com/github/[^\s)\"'<>\]]+", first.source))
    assert links == {course.colab_url(path.name)}, (
        f"{path.name}: the badge must link to {course.colab_url(path.name)}, found {sorted(links)}"
    )


# `pip install` in any spelling a notebook might use: !pip, %pip, python -m pip, pip3.
PIP = re.compile(r"\bpip3?\b.*\binstall\b")
# Colab ships these; reinstalling or upgrading them breaks its runtime or its widget front end.
COLAB_OWNS = {
    "torch",
    "torchvision",
    "torchaudio",
    "ipywidgets",
    "jupyterlab-widgets",
    "widgetsnbextension",
    "ipykernel",
    "numpy",
}
UPGRADES = {"-U", "--upgrade", "--force-reinstall", "--ignore-installed", "-I"}


def install_problems(source: str) -> list[str]:
    """What is wrong with a Colab install cell (empty list: nothing)."""
    lines = source.splitlines()
    # The guard: `if "google.colab" in sys.modules:`, `if importlib.util.find_spec("google.colab"):`,
    # or `if IN_COLAB:` with IN_COLAB assigned from such a test earlier in the cell.
    flags = {m.group(1) for line in lines if (m := re.match(r"(\w+)\s*=.*google\.colab", line))}
    problems = []
    if "google.colab" not in source:
        problems.append('no Colab guard (e.g. `if "google.colab" in sys.modules:`)')
    for n, line in enumerate(lines):
        if not PIP.search(line) or line.lstrip().startswith("#"):
            continue
        # The statement that owns this line: the nearest earlier line at indentation 0.
        k = next((k for k in range(n, -1, -1) if lines[k].strip() and not lines[k][0].isspace()), n)
        guarded = (
            k < n
            and lines[k].startswith("if ")
            and ("google.colab" in lines[k] or any(re.search(rf"\b{f}\b", lines[k]) for f in flags))
        )
        if not guarded:
            problems.append(f"install outside the Colab guard: {line.strip()!r}")
        words = [w.strip("'\"") for w in line.split(PIP.search(line).group(0), 1)[1].split()]
        if upgrades := [w for w in words if w in UPGRADES or w.startswith("--upgrade")]:
            problems.append(f"upgrades ({' '.join(upgrades)}): {line.strip()!r}")
        names = {re.split(r"[\[<>=!~;@ ]", w, maxsplit=1)[0].lower().replace("_", "-") for w in words}
        if owned := sorted(names & COLAB_OWNS):
            problems.append(f"installs what Colab ships ({', '.join(owned)}): {line.strip()!r}")
        for repo in re.findall(r"github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?=[@/\s\"'#]|$)", line):
            if repo != course.REPO:
                problems.append(f"installs from {repo}, not {course.REPO}")
    return problems


@each_notebook
def test_second_cell_installs_ddlab_only_on_colab(path):
    cells = read(path).cells
    assert len(cells) > 1 and cells[1].cell_type == "code", (
        f"{path.name}: the second cell must be the Colab install cell (code)"
    )
    problems = install_problems(cells[1].source)
    assert not problems, f"{path.name}, install cell: " + "; ".join(problems)


def test_install_cell_checker():
    """The checker itself: a good cell passes, each kind of bad cell is caught."""
    good = (
        'import sys\nif "google.colab" in sys.modules:  # Colab has torch and widgets already\n'
        f'    %pip install -q "{course.pip_url()}"\n'
    )
    assert install_problems(good) == []
    flagged = (
        'import importlib.util\nIN_COLAB = importlib.util.find_spec("google.colab") is not None\n'
        f"if IN_COLAB:\n    !pip install {course.pip_url()}\n"
    )
    assert install_problems(flagged) == []
    assert install_problems(f"%pip install {course.pip_url()}\n")  # no guard
    assert install_problems(f'if "google.colab" in sys.modules:\n    pass\n!pip install {course.pip_url()}\n')
    assert install_problems(good.replace("-q", "-q -U"))  # upgrades
    assert install_problems(good.replace(course.pip_url(), "torch>=2.5"))  # Colab's torch
    assert install_problems(good.replace(course.pip_url(), "ipywidgets==8.1"))  # Colab's widgets
    assert install_problems(good.replace(course.REPO, "someone/fork"))  # wrong repository


@each_notebook
def test_profile_only_through_ddlab(path):
    text = path.read_text(encoding="utf-8")
    for name in sorted({profile.ENV_VAR, "DDLAB_QUICK"}):
        assert name not in text, (
            f"{path.name} mentions {name}; notebooks read budgets with ddlab.profile.pick(...) so "
            "their text is the same in every profile"
        )


@each_notebook
def test_no_absolute_paths(path):
    for i, cell in enumerate(read(path).cells):
        found = re.search(r"(/home/|/Users/|/root/|[A-Z]:\\\\)[^\s\"')]*", cell.source)
        assert not found, f"{path.name}, cell {i}: absolute path {found.group(0)!r}"


def test_readme_links_point_to_the_repo():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert course.binder_url() in readme, f"README.md: no Binder link {course.binder_url()}"
    colab = set(re.findall(r"https://colab\.research\.google\.com/github/[^\s)\"'<>\]]+", readme))
    assert colab, "README.md: no Colab link"
    stale = colab - {course.colab_url(p.name) for p in NOTEBOOKS}
    assert not stale, f"README.md: Colab links to no notebook of {course.REPO}: {sorted(stale)}"


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI must fit its time budget")
def test_ci_runs_the_quick_profile():
    assert profile.current() == "quick", (
        f"CI runs {profile.current()!r}: set {profile.ENV_VAR}=quick (the Makefile's test target does)"
    )
