"""One run, reused: every set a notebook distils goes through `ddlab.load_or_distill`, so it is made
once per machine and a later notebook (or the same one run again) loads it; the course's live runs
are listed once each in `recipes.live_runs`, which is what the seminar's recordings are made from."""

import re
from pathlib import Path

import nbformat
import pytest

from ddlab import recipes, recordings

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# Plain `distill` calls that make no set anyone needs again, and why.
NOT_A_SET = {"07_distribution_matching": "five DC iterations, timed to compare the cost of an iteration"}


def code_without_comments(path: Path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    lines = "\n".join(c.source for c in cells if c.cell_type == "code").splitlines()
    return "\n".join(line.split("#")[0] for line in lines)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_distils_through_load_or_distill(path):
    plain = re.findall(r"(?<!load_or_)distill\(", code_without_comments(path))
    allowed = 1 if path.stem in NOT_A_SET else 0
    assert len(plain) == allowed, (
        f"{path.name} calls ddlab.distill {len(plain)} time(s): use load_or_distill, "
        f"so the set is made once per machine and later notebooks load it"
    )


def test_every_live_run_is_listed_once(monkeypatch):
    monkeypatch.setenv("DDLAB_PROFILE", "default")
    keys = [
        recordings.run_name(recordings.run_key(run.config, run.dataset, 0, run.options))
        for run in recipes.live_runs().values()
    ]
    assert len(keys) == len(set(keys)), "two names in recipes.live_runs are the same run"


def test_the_dm_set_of_notebook_07_is_loaded_by_10_to_12_with_the_same_call():
    call = "ddlab.load_or_distill(config, data, callbacks=[live], seed=0, eval_every=ddlab.recipes.validation_pace(config))"
    for stem in ("07_distribution_matching", "10_substitute", "11_early_dynamics", "12_pointwise"):
        (path,) = [p for p in NOTEBOOKS if p.stem == stem]
        code = code_without_comments(path)
        assert call in code and "recipes.dm_mnist(" in code, f"{stem} does not make notebook 07's DM call"
