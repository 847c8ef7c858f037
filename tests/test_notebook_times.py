"""benchmarks/notebook_times.py --save: re-measuring some notebooks keeps the others' times, which
notebook 00 sums into each route's time."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest


@pytest.fixture
def notebook_times(tmp_path, monkeypatch):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "notebook_times.py"
    spec = importlib.util.spec_from_file_location("notebook_times", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "notebook_times", module)  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "times_file", lambda profile: tmp_path / f"notebook_times_{profile}.json")
    return module


def old_entry(seconds):
    return {"wall_s": seconds, "cpu_s": seconds, "peak_mib": 900, "failed": None, "date": "2026-01-01"}


def test_a_partial_save_replaces_only_the_measured_notebooks(notebook_times, tmp_path):
    path = tmp_path / "notebook_times_default.json"
    path.write_text(
        json.dumps(
            {
                "profile": "default",
                "machine": notebook_times.this_machine(),
                "notebooks": {"00_welcome": old_entry(3.0), "13_labels": old_entry(200.0)},
            }
        )
    )
    notebook_times.save("default", {"13_labels": notebook_times.Cost(100.04, 150.0, 1300.4, None, [])})
    saved = json.loads(path.read_text())["notebooks"]
    assert saved["00_welcome"] == old_entry(3.0)
    assert saved["13_labels"]["wall_s"] == 100.0 and saved["13_labels"]["peak_mib"] == 1300
    assert saved["13_labels"]["date"] != "2026-01-01"


def test_a_partial_save_on_another_machine_is_refused(notebook_times, tmp_path):
    path = tmp_path / "notebook_times_default.json"
    path.write_text(
        json.dumps(
            {
                "profile": "default",
                "machine": "a 64-core server",
                "notebooks": {"00_welcome": old_entry(3.0), "13_labels": old_entry(200.0)},
            }
        )
    )
    with pytest.raises(SystemExit, match="measured on 'a 64-core server'"):
        notebook_times.save("default", {"13_labels": notebook_times.Cost(100.0, 150.0, 1300.0, None, [])})
    assert json.loads(path.read_text())["notebooks"]["13_labels"] == old_entry(200.0)
