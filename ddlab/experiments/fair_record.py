"""The fair-score table at every size, measured once and shipped: what notebook 15 prints.

`benchmarks/decoupled.py --record` scores SRe2L, RDED and IDC at 1 and 10 images per class on MNIST
and Fashion-MNIST the fair ways of `ddlab.experiments.fair` and keeps every score in
``benchmarks/fair_scores.json``. Making those sets takes CPU-minutes to CPU-hours (SRe2L's recovery
at 10 per class, IDC's matching), more than a notebook can wait, so the notebook reads the record
(`course_file`: the clone's own file, else fetched once) and prints it here, every number from it.
"""

from __future__ import annotations

import json

from ..sources.course_files import course_file

RECORD = "benchmarks/fair_scores.json"
NAMES = {"sre2l": "SRe2L", "rded": "RDED", "idc": "IDC"}
DATASETS = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def load() -> dict:
    """The record: its judge, machine, date and commit, and one row per dataset, method and size."""
    return json.loads(course_file(RECORD).read_text())


def _cell(score: dict | None) -> str:
    if score is None:
        return "—"
    return f"{100 * score['mean']:.1f}" + (f" ± {100 * score['std']:.1f}" if score["n"] > 1 else "")


def _gain(a: dict | None, b: dict | None) -> str:
    return "—" if a is None or b is None else f"{100 * (a['mean'] - b['mean']):+.1f}"


def table(record: dict) -> str:
    """The record as a Markdown table (accuracies in %, gains in points; MNIST first, then by images
    per class and method), with its judge below."""
    lines = [
        "| dataset | method | images / class | class labels | random real | gain | T | teacher's labels | "
        "random real, teacher's | gain | all real data |",
        "|---" * 11 + "|",
    ]
    order = lambda r: (list(DATASETS).index(r["dataset"]), r["ipc"], list(NAMES).index(r["method"]))  # noqa: E731
    for r in sorted(record["rows"], key=order):
        t = "—" if r["temperature"] is None else f"{r['temperature']:g}"
        lines.append(
            f"| {DATASETS.get(r['dataset'], r['dataset'])} | {NAMES.get(r['method'], r['method'])} | {r['ipc']} | "
            f"{_cell(r['hard'])} | {_cell(r['random_hard'])} | {_gain(r['hard'], r['random_hard'])} | {t} | "
            f"{_cell(r['soft'])} | {_cell(r['random_soft'])} | {_gain(r['soft'], r['random_soft'])} | "
            f"{_cell(r['whole'])} |"
        )
    lines += [
        "",
        f"Judge: {record['judge']}. Measured by `{record['command']}` on {record['machine']}, "
        f"{record['date']} (commit {record['commit']}). IDC has no teacher: class labels only.",
    ]
    return "\n".join(lines)


def label_lifts(record: dict, dataset: str) -> list[float]:
    """How far a teacher's labels move random real images (random real with the teacher's labels
    minus with class labels), in points, for every row of `dataset` that has a teacher."""
    return [
        100 * (r["random_soft"]["mean"] - r["random_hard"]["mean"])
        for r in record["rows"]
        if r["dataset"] == dataset and r["random_soft"] is not None
    ]
