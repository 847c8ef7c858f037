"""Does every exercise's outcome hold? Each notebook solved and run in every profile and over seeds,
with the outcome each check computed (issue 27, item 3).

An exercise is only a question if its outcome does not hang on the budget or the luck of the draw: a
learner in the default profile, a teacher in the seminar profile and CI in the quick profile must all
see the outcome the worked solution predicts. So, for each (profile, seed, notebook):

- the notebook runs in a fresh kernel (nbclient) with its exercises solved: after every exercise cell
  the worked solution (`ddlab.exercises.solution`) runs, as a learner who solved it would; cells
  after the last exercise are skipped (they decide no outcome);
- **seed s** shifts every seed the kernel sets by ``1000 * s``: ``torch.Generator`` is replaced by a
  subclass whose ``manual_seed(k)`` seeds ``k + 1000 * s`` (and ``torch.manual_seed`` likewise), so
  every draw of the notebook and of ddlab (evaluation networks, real images, initialisations, probes)
  changes while the code stays the learner's. Not shifted: the *fixed* initialisation of
  `ddlab.inits` (the one network a fixed-init set was made for is part of the set, not a draw) and
  what is loaded from a cache or the assets. Seed 0 patches nothing: it is the course as shipped;
- the distilled sets are the course's own in every seed: what the seminar replays and what a default
  run of the notebook's seed 0 makes (the recordings' final sets, put into the run cache of a data
  folder made for the benchmark), so each exercise is judged on the sets a learner really has and the
  default profile does not distil for an hour per seed. Quick runs distil live (under the shifted
  seed), as they cost seconds;
- after the last exercise, the kernel reports the outcome every check computed and its verdicts.

Each run's results go into ``benchmarks/exercise_outcomes.json`` as soon as it ends, so an interrupted
measurement resumes where it stopped (runs already there are skipped unless ``--fresh``). The table
(exercise × profile × seed, the outcome each time, and whether it always matched the solution's
prediction) is printed from the JSON, ready for RESULTS.md.

    python benchmarks/exercise_outcomes.py --profiles quick --seeds 0 1 2
    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/exercise_outcomes.py   # all: 3 profiles x 3 seeds
    python benchmarks/exercise_outcomes.py --table                          # print the table only
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ddlab import recordings
from ddlab.data import data_root
from ddlab.exercises import core, ids as exercise_ids
from ddlab.exercises.code import ids as written_ids
from ddlab.sources import cache

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RESULTS = Path(__file__).with_name("exercise_outcomes.json")
PROFILES = ("quick", "seminar", "default")
SEED_STRIDE = 1000  # seed s shifts every seed by this much: far from any seed a notebook sets itself
REPORT = "## exercise outcomes ##"

SHIFT_SEEDS = """
import torch as _torch

_shift = [{offset}]  # the benchmark's seed {seed}: every seed this kernel sets is shifted by {offset} ...


class _ShiftedGenerator(_torch.Generator):
    def manual_seed(self, seed):
        return super().manual_seed(int(seed) + _shift[0])


_unshifted_manual_seed = _torch.manual_seed
_torch.Generator = _ShiftedGenerator
_torch.manual_seed = _torch.random.manual_seed = lambda seed: _unshifted_manual_seed(int(seed) + _shift[0])

import ddlab.inits as _inits
import ddlab.methods.dd as _dd

_draw_inits = _inits.draw_inits


def _fixed_unshifted(spec, *args, **kwargs):
    # ... but the fixed initialisation: it is part of what a fixed-init set is (the one network it
    # was distilled for, drawn from its config's seed), not a draw of the measurement
    if spec.setting != "fixed":
        return _draw_inits(spec, *args, **kwargs)
    _shift[0] = 0
    try:
        return _draw_inits(spec, *args, **kwargs)
    finally:
        _shift[0] = {offset}


_inits.draw_inits = _dd.draw_inits = _fixed_unshifted
"""

REPORT_OUTCOMES = f"""
import json as _json
from ddlab.exercises import code as _code, core as _core
_verdicts = {{**_core._VERDICTS, **_code._RESULTS}}  # predict-then-check, and write-it-yourself
print({REPORT!r}, _json.dumps({{"outcomes": _core._OUTCOMES, "verdicts": _verdicts}}))
"""


def expected(id: str) -> str | None:
    """The outcome exercise `id`'s worked solution predicts (its ``prediction = ...`` line); None for a
    write-it-yourself exercise, whose check passes or fails on the function alone."""
    if id in written_ids():
        return None
    for line in core.get(id).solution.splitlines():
        if line.startswith("prediction ="):
            return ast.literal_eval(line.split("=", 1)[1].strip())
    raise ValueError(f"exercise {id}: its solution sets no `prediction = ...` literal")


def solved(path: Path, seed: int):
    """`path` with its exercises solved, cut after the last one, seeds shifted for `seed`, and a last
    cell reporting the outcomes; None for a notebook without exercises."""
    nb = nbformat.read(path, as_version=4)
    cells = core.exercise_cells(nb)
    if not cells:
        return None
    for i, id in sorted(cells.items(), reverse=True):
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(core.get(id).solution))
    nb.cells = nb.cells[: max(cells) + len(cells) + 1]  # every exercise cell and its solution
    if seed:
        nb.cells.insert(0, nbformat.v4.new_code_cell(SHIFT_SEEDS.format(seed=seed, offset=SEED_STRIDE * seed)))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_OUTCOMES))
    return nb


def run(nb, folder: Path) -> tuple[dict, str | None]:
    """Execute `nb` in a fresh kernel (which inherits os.environ); its report, and the first error."""
    client = NotebookClient(nb, timeout=None, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    error = None
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as failure:
                error = f"cell {index}: {str(failure).strip().splitlines()[-1]}"
                if index < len(nb.cells) - 1:  # still report what the checks before it computed
                    client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
                break
    for output in nb.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if REPORT in text:
            return json.loads(text.split(REPORT, 1)[1]), error
    return {"outcomes": {}, "verdicts": {}}, error or "the kernel reported no outcomes"


def prepared_data(base: Path) -> Path:
    """The data folder every run starts from: the datasets (linked from this machine's data folder),
    each profile's pretrained pools and course files, and the course's distilled sets in the run cache,
    taken from the shipped recordings (the default-profile runs of seed 0)."""
    if (base / ".ready").is_file():
        return base
    base.mkdir(parents=True, exist_ok=True)
    for name in ("MNIST", "FashionMNIST", "fashion_mnist"):
        if (data_root() / name).exists() and not (base / name).exists():
            (base / name).symlink_to((data_root() / name).resolve())
    for profile in PROFILES:
        env = {**os.environ, "DDLAB_DATA": str(base), "DDLAB_PROFILE": profile}
        subprocess.run([sys.executable, "-m", "ddlab", "data", "--all"], env=env, check=True, stdout=subprocess.DEVNULL)
    runs = base / "runs"
    for name in recordings.SHA256:
        recording = recordings.Recording.load(recordings.RECORDINGS_DIR / f"{name}.pt")
        if recording.has_result():
            cache.write_state(runs / f"{name}.pt", recording.result("cpu").state())
    (base / ".ready").write_text(f"{datetime.now():%Y-%m-%d %H:%M}\n")
    return base


def seed_folder(base: Path, seed: int) -> Path:
    """A copy of `base` for one seed's runs, hard-linked (ddlab writes files whole, by renaming a new
    one into place, so a run can add or replace files here without touching `base`)."""
    folder = base.parent / f"seed{seed}"
    if not folder.exists():
        subprocess.run(["cp", "-al", str(base), str(folder)], check=True)
    return folder


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def machine() -> str:
    pinned = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.machine()}, {pinned} of {os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"


def load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"runs": {}}


def save_result(key: str, entry: dict) -> None:
    results = load_results()  # re-read: another process may have added runs meanwhile
    results["runs"][key] = entry
    results["runs"] = dict(sorted(results["runs"].items()))
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


def measure(profiles: list[str], seeds: list[int], prefixes: list[str], work: Path, fresh: bool) -> None:
    notebooks = [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if not prefixes or p.name.startswith(tuple(prefixes))]
    base = prepared_data(work / "base")
    done = load_results()["runs"]
    for profile in profiles:
        for seed in seeds:
            folder = seed_folder(base, seed)
            for path in notebooks:
                key = f"{profile}/{seed}/{path.name[:2]}"
                if key in done and not fresh and done[key].get("error") is None:
                    continue
                nb = solved(path, seed)
                if nb is None:
                    continue
                os.environ.update(DDLAB_DATA=str(folder), DDLAB_PROFILE=profile)
                start = time.perf_counter()
                report, error = run(nb, NOTEBOOKS)
                wall = time.perf_counter() - start
                entry = {**report, "error": error, "wall_s": round(wall, 1), "commit": commit(), "machine": machine()}
                entry["date"] = f"{datetime.now():%Y-%m-%d}"
                save_result(key, entry)
                shown = ", ".join(f"{id} {outcome}" for id, outcome in report["outcomes"].items())
                print(f"{key}: {wall:.0f} s  {shown}{'  ERROR ' + error if error else ''}", flush=True)


def table(profiles: list[str], seeds: list[int]) -> str:
    """Exercise × (profile, seed): the outcome each run's check computed; ✓ where it is the worked
    solution's prediction, ✗ where not, · where not measured; and whether it holds everywhere measured."""
    runs = load_results()["runs"]
    columns = [(p, s) for p in profiles for s in seeds]
    lines = [
        "| exercise | predicted | " + " | ".join(f"{p} {s}" for p, s in columns) + " | holds |",
        "|---|---|" + "---|" * len(columns) + "---|",
    ]
    for id in sorted(exercise_ids()):
        want, cells, seen = expected(id), [], []
        for p, s in columns:
            run = runs.get(f"{p}/{s}/{id[:2]}")
            got = None if run is None else run["outcomes"].get(id)
            if got is None:
                cells.append("·")
            else:
                seen.append(got)
                cells.append(f"{'✓' if got == want else '✗ ' + got}")
        holds = "—" if not seen else "yes" if all(o == want for o in seen) else "**no**"
        lines.append(f"| {id} | {want} | " + " | ".join(cells) + f" | {holds} ({len(seen)}/{len(columns)}) |")
    for id in sorted(written_ids()):  # write-it-yourself: did the worked function pass its check?
        cells, seen = [], []
        for p, s in columns:
            run = runs.get(f"{p}/{s}/{id[:2]}")
            verdict = None if run is None else (run["verdicts"].get(id) or [None])[-1]
            if verdict is None:
                cells.append("·")
            else:
                seen.append(verdict)
                cells.append("✓" if verdict == "passed" else f"✗ {verdict}")
        holds = "—" if not seen else "yes" if all(v == "passed" for v in seen) else "**no**"
        lines.append(
            f"| {id} (write it) | passes | " + " | ".join(cells) + f" | {holds} ({len(seen)}/{len(columns)}) |"
        )
    minutes = {p: sum(r["wall_s"] for k, r in runs.items() if k.startswith(p + "/")) / 60 for p in profiles}
    errors = [f"{k}: {r['error']}" for k, r in runs.items() if r.get("error")]
    lines.append("")
    lines.append("Minutes of running per profile (all seeds): " + ", ".join(f"{p} {m:.1f}" for p, m in minutes.items()))
    if errors:
        lines.append("Runs that stopped on an error: " + "; ".join(errors))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", nargs="+", choices=PROFILES, default=list(PROFILES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", default=[], metavar="PREFIX", help="only these notebooks, e.g. 03 09")
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="folder for the benchmark's data folders (default: exercise_outcomes/ in the data folder)",
    )
    parser.add_argument("--fresh", action="store_true", help="run again what the JSON already has")
    parser.add_argument("--table", action="store_true", help="only print the table from the JSON")
    args = parser.parse_args(argv)
    if not args.table:
        work = args.work or data_root() / "exercise_outcomes"
        measure(args.profiles, args.seeds, args.only, work, args.fresh)
    print(table(args.profiles, args.seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
