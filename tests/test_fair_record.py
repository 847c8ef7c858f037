"""The fair-score table notebook 15 prints from its record: every row of the issue's grid is there,
each printed from the record, and the verdict's lifts are computed from the scores."""

import pytest

from ddlab.experiments import fair_record


def score(mean, std=0.01, n=2):
    return {"mean": mean, "std": std, "n": n}


RECORD = {
    "command": "benchmarks/decoupled.py --record",
    "judge": "2 fresh networks per set",
    "machine": "x86_64, 1 thread(s)",
    "date": "2026-12-07",
    "commit": "abc1234",
    "rows": [
        {"dataset": "mnist", "method": "rded", "ipc": 1, "source": "recipes.rded_mnist(1)", "seconds": 3.0,
         "temperature": 20.0, "hard": score(0.687), "random_hard": score(0.469), "soft": score(0.549),
         "random_soft": score(0.352), "whole": score(0.96, 0.0, 1)},
        {"dataset": "mnist", "method": "idc", "ipc": 1, "source": "idc_mnist_10", "seconds": 200.0,
         "temperature": None, "hard": score(0.8), "random_hard": score(0.45), "soft": None,
         "random_soft": None, "whole": score(0.96, 0.0, 1)},
    ],
}  # fmt: skip


def test_the_table_prints_each_score_and_gain_from_the_record():
    lines = fair_record.table(RECORD).splitlines()
    assert lines[2] == (
        "| MNIST | RDED | 1 | 68.7 ± 1.0 | 46.9 ± 1.0 | +21.8 | 20 | 54.9 ± 1.0 | 35.2 ± 1.0 | +19.7 | 96.0 |"
    )
    assert lines[3] == "| MNIST | IDC | 1 | 80.0 ± 1.0 | 45.0 ± 1.0 | +35.0 | — | — | — | — | 96.0 |"
    assert "commit abc1234" in lines[-1] and "IDC has no teacher" in lines[-1]


def test_the_verdict_reads_the_lifts_of_rows_with_a_teacher_only():
    assert fair_record.label_lifts(RECORD, "mnist") == pytest.approx([-11.7])
    assert fair_record.label_lifts(RECORD, "fashion_mnist") == []


def test_the_shipped_record_holds_every_method_size_and_dataset():
    rows = fair_record.load()["rows"]
    grid = {(r["dataset"], r["method"], r["ipc"]) for r in rows}
    expected = {(d, m, i) for d in ("mnist", "fashion_mnist") for m in ("sre2l", "rded", "idc") for i in (1, 10)}
    assert grid == expected
    for r in rows:
        assert 0.1 < r["random_hard"]["mean"] < 1 and r["hard"]["n"] >= 2
        assert (r["soft"] is None) == (r["method"] == "idc") == (r["random_soft"] is None)
