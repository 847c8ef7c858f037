"""Set-up shared by all tests: headless matplotlib, and MNIST loaded once per session."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")   # before anything imports pyplot: no display in CI

import pytest


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST on the CPU (fetched on first use; `make test` has fetched it already)."""
    from ddlab.data import load

    return load("mnist", device="cpu")
