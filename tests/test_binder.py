"""Binder's image holds what the course imports and nothing a learner never uses, installed in a layer
that survives a commit.

repo2docker reads `binder/`: `runtime.txt` picks Python, `requirements.txt` is pip-installed before
the repository is copied in (only if it names nothing inside the repository: no `-e .`, no `-r ../`),
then `postBuild` installs ddlab itself and puts the data into the image. The imports are read from the
code: every module the notebooks, the seminar deck and the package import, other than the standard
library's and ddlab's own, must come from a distribution listed there or from repo2docker's base
environment. `benchmarks/binder_image.py` shows the Dockerfile repo2docker generates from these files.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
BASE_ENVIRONMENT = {"ipython", "ipykernel", "jupyterlab", "notebook", "jupyter-server"}  # repo2docker's own
NEVER_IN_THE_IMAGE = {
    "pytest",
    "playwright",
    "mkdocs",
    "mkdocs-jupyter",
    "mkdocs-material",
    "nbval",
    "ruff",
    "nbclient",
    "jupyter-server-mathjax",
    "pre-commit",
    "nbstripout",
}


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(canonical(re.split(r"[<>=!~\[; ]", line)[0]))
    return names


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    """Top-level modules imported by the notebooks, the seminar deck and the package."""
    sources = [
        TransformerManager().transform_cell(cell.source)  # %pip -> plain Python
        for path in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("teaching/*.ipynb")]
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
    ]
    sources += [path.read_text() for path in (ROOT / "ddlab").rglob("*.py")]
    modules = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"ddlab", "google", "__future__"}  # google: Colab's own


def test_binder_installs_every_distribution_the_course_imports():
    listed = requirement_names(BINDER / "requirements.txt") | BASE_ENVIRONMENT
    by_module = importlib.metadata.packages_distributions()
    needed = {module: {canonical(d) for d in by_module.get(module, [module])} for module in imported_modules()}
    missing = {module: dists for module, dists in needed.items() if not dists & listed}
    assert not missing, f"imported but not installed on Binder (binder/requirements.txt): {missing}"


def test_ddlab_s_own_dependencies_are_there_too_since_postbuild_installs_it_without_them():
    import tomllib

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert {canonical(re.split(r"[<>=!~\[; ]", d)[0]) for d in dependencies} <= requirement_names(
        BINDER / "requirements.txt"
    )


def test_no_test_or_site_tool_and_nothing_from_the_repository_in_the_image_s_requirements():
    text = (BINDER / "requirements.txt").read_text()
    assert not requirement_names(BINDER / "requirements.txt") & NEVER_IN_THE_IMAGE
    references = [line for line in text.splitlines() if re.match(r"\s*(-e|-r|--requirement|--editable|\.)", line)]
    assert references == [], "repo2docker installs a file that names the repository only after copying it"


def test_a_supported_python_and_a_postbuild_that_installs_ddlab_and_all_its_data():
    version = re.fullmatch(r"python-(\d+)\.(\d+)\s*", (BINDER / "runtime.txt").read_text())
    assert version and (int(version[1]), int(version[2])) >= (3, 11)
    steps = [line for line in (BINDER / "postBuild").read_text().splitlines() if line and not line.startswith("#")]
    assert "python -m pip install --no-cache-dir --no-deps ." in steps
    assert "python -m ddlab data --all" in steps
