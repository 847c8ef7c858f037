"""The tree stays as `ruff check` and `ruff format` want it, with pyproject.toml's settings.

These are the checks the pre-commit hooks run (.pre-commit-config.yaml), here so that CI holds
every commit to them, hooks installed or not. The lint test is shown to fail on a file that breaks
the rules, so a configuration that checks nothing cannot pass it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    if importlib.util.find_spec("ruff") is None:
        pytest.fail("ruff is not installed (pip install -r requirements.txt)")
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_ruff_check_is_clean():
    lint = ruff("check", "--no-cache", "--output-format", "concise", ".")
    assert lint.returncode == 0, f"`ruff check .` finds problems (`ruff check --fix FILE` fixes most):\n{lint.stdout}"


def test_ruff_format_leaves_the_tree_as_it_is():
    form = ruff("format", "--no-cache", "--check", "--output-format", "concise", ".")
    assert form.returncode == 0, f"`ruff format .` would change these files:\n{form.stdout}"


def test_ruff_check_rejects_a_file_that_breaks_the_rules(tmp_path):
    # An unused import, imports out of order, and typing's old alias: F401, I001, UP035.
    (tmp_path / "bad.py").write_text("from typing import List\nimport sys\nimport os\n\nprint(os.sep, List)\n")
    lint = ruff("check", "--no-cache", "--config", str(CONFIG), "bad.py", cwd=tmp_path)
    found = {code for code in ("F401", "I001", "UP035") if code in lint.stdout}
    assert lint.returncode == 1 and found == {"F401", "I001", "UP035"}, (
        f"want F401, I001 and UP035 reported, got exit {lint.returncode}:\n{lint.stdout}{lint.stderr}"
    )
