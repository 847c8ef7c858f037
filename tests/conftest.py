"""Set-up shared by all tests: headless matplotlib, MNIST loaded once per session, and the notebooks
run by nbval, solved (tests/solved_notebooks.py)."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports pyplot: no display in CI

import pytest


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST on the CPU (fetched on first use; `make test` has fetched it already)."""
    from ddlab.data import load

    return load("mnist", device="cpu")


def pytest_pycollect_makemodule(module_path, parent):
    """tests/test_notebooks_run.py collects every notebook of the course too, as nbval items."""
    from solved_notebooks import harness_module

    return harness_module(module_path, parent)
