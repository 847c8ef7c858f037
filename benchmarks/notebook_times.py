"""How long every notebook takes, and what it costs, executed top to bottom as a learner would.

Each notebook runs in a fresh kernel (nbclient, the engine behind nbconvert and nbval) with
DDLAB_PROFILE set to the chosen profile, from notebooks/ as its working directory. Printed as a
markdown table, ready for RESULTS.md:

- wall time, from starting the kernel to the last cell's end (a learner waits for the start too);
- CPU time of the kernel and of every process it started, so that a notebook which keeps both
  cores busy shows it (CPU time above wall time);
- peak RSS of the kernel process (Linux's VmHWM, read just before the kernel is shut down), the
  number that decides whether a notebook fits Binder's memory;
- with ``--cells N``, the N slowest cells of each notebook (from nbclient's timing metadata), the
  list that says where to cut;
- with ``--save``, the table as ``benchmarks/notebook_times_<profile>.json`` too, where notebook 00
  reads each route's time through the course (`ddlab.routes.route_times`); with ``--only``, the
  measured notebooks replace their own entries and the others are kept.

    python benchmarks/notebook_times.py --profile quick
    OMP_NUM_THREADS=1 python benchmarks/notebook_times.py --profile default --only 01 05 --cells 5
    python benchmarks/notebook_times.py --profile default --save      # all of them, on an idle machine
    python benchmarks/notebook_times.py --profile default --cores 1   # Binder's budget: one thread, one core
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ddlab.profile import PROFILES
from ddlab.routes import times_file

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


@dataclass(frozen=True)
class Cost:
    wall: float  # seconds
    cpu: float  # seconds of CPU, kernel and its children
    peak_mib: float | None  # peak resident memory of the kernel; None where /proc is missing
    error: str | None  # the first failing cell's error, None when every cell ran
    cells: list[tuple[float, int, str]]  # (seconds, cell number, first line) per code cell run


def cpu_seconds(kernel: psutil.Process) -> float:
    """User + system time of the kernel, its finished children and its running ones."""
    times = kernel.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in kernel.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:  # ended meanwhile; its parent has its time once it is reaped
            pass
    return total


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set size (VmHWM) in MiB; None without Linux's /proc."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # reported in kB
    return None


def cell_seconds(cell) -> float | None:
    """How long an executed cell ran, from the timestamps nbclient writes when asked to."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (parse(end) - parse(start)).total_seconds()


def cell_times(nb) -> list[tuple[float, int, str]]:
    timed = [
        (cell_seconds(cell), index, cell.source.strip().splitlines()[0] if cell.source.strip() else "")
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
    ]
    return [(seconds, index, line) for seconds, index, line in timed if seconds is not None]


def run(notebook: Path) -> Cost:
    """Execute `notebook` in a fresh kernel and measure it (the kernel inherits os.environ)."""
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=None,
        kernel_name="python3",
        record_timing=True,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    start, error = time.perf_counter(), None
    with client.setup_kernel():
        kernel = psutil.Process(client.km.provisioner.process.pid)
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        except CellExecutionError as failure:
            error = str(failure).strip().splitlines()[-1]
        wall = time.perf_counter() - start
        return Cost(wall, cpu_seconds(kernel), peak_rss_mib(kernel.pid), error, cell_times(nb))


def duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def memory(mib: float | None) -> str:
    return "n/a" if mib is None else f"{mib:.0f} MiB"


def chosen(prefixes: list[str]) -> list[Path]:
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    picked = [nb for nb in notebooks if not prefixes or nb.name.startswith(tuple(prefixes))]
    if not picked:
        raise SystemExit(f"notebook_times: no notebook in {NOTEBOOKS} starts with any of {prefixes}")
    return picked


def this_machine() -> str:
    pinned = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
        + (f", pinned to {pinned} of them" if pinned != os.cpu_count() else "")
    )


def pin(cores: int) -> None:
    """Run this process and every kernel it starts on the first `cores` CPUs with as many threads: a
    Binder session's budget is one core, whatever the machine has."""
    available = sorted(os.sched_getaffinity(0))
    if not 1 <= cores <= len(available):
        raise SystemExit(f"notebook_times: --cores {cores} is not between 1 and the {len(available)} CPUs available")
    os.sched_setaffinity(0, available[:cores])
    os.environ["OMP_NUM_THREADS"] = str(cores)


def save(profile: str, costs: dict[str, Cost]) -> None:
    """Write the measured notebooks into benchmarks/notebook_times_<profile>.json, keeping the entries
    of the notebooks not measured this time (`--only`), each entry with its own date. Why merge: one
    notebook re-measured after a change must not erase the other thirteen that notebook 00 sums. A
    partial run on another kind of machine is refused: the routes' sums would mix machines."""
    machine = this_machine()
    path = times_file(profile)
    kept = json.loads(path.read_text()) if path.is_file() else {"machine": machine, "notebooks": {}}
    if kept["machine"] != machine and set(kept["notebooks"]) - set(costs):
        raise SystemExit(
            f"notebook_times: {path} was measured on {kept['machine']!r}, this is {machine!r}; "
            f"measure every notebook here (no --only) to replace it"
        )
    today = f"{datetime.now():%Y-%m-%d}"
    measured = {
        name: {
            "wall_s": round(c.wall, 1),
            "cpu_s": round(c.cpu, 1),
            "peak_mib": c.peak_mib and round(c.peak_mib),
            "failed": c.error,
            "date": today,
        }
        for name, c in costs.items()
    }
    notebooks = dict(sorted({**kept["notebooks"], **measured}.items()))
    path.write_text(json.dumps({"profile": profile, "machine": machine, "notebooks": notebooks}, indent=2) + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=PROFILES, default="default", help="DDLAB_PROFILE for the kernels")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="PREFIX",
        help="only the notebooks whose names start so, e.g. --only 00 01",
    )
    parser.add_argument("--cells", type=int, default=0, metavar="N", help="also print each notebook's N slowest cells")
    parser.add_argument(
        "--save",
        action="store_true",
        help="also write the times to benchmarks/notebook_times_<profile>.json (notebook 00 reads it; "
        "with --only, only those notebooks' entries change)",
    )
    parser.add_argument(
        "--cores",
        type=int,
        default=None,
        metavar="N",
        help="pin the kernels to N cores with N threads (1: Binder's budget); not with --save, "
        "whose tables are the ones notebook 00 prints",
    )
    args = parser.parse_args(argv)
    if args.cores is not None:
        if args.save:
            raise SystemExit(
                "notebook_times: --cores measures a budget for RESULTS.md; --save keeps the "
                "tables notebook 00 prints, measured on the whole machine"
            )
        pin(args.cores)
    os.environ["DDLAB_PROFILE"] = args.profile
    print(f"profile {args.profile} · {this_machine()}\n")
    print("| notebook | wall time | CPU time | peak RSS |\n|---|---|---|---|")
    costs, notebooks = [], chosen(args.only)
    for notebook in notebooks:
        cost = run(notebook)
        costs.append(cost)
        failed = f" (FAILED: {cost.error})" if cost.error else ""
        print(
            f"| {notebook.stem}{failed} | {duration(cost.wall)} | {duration(cost.cpu)} | {memory(cost.peak_mib)} |",
            flush=True,
        )
        for seconds, index, line in sorted(cost.cells, reverse=True)[: args.cells]:
            print(f"|   cell {index}: `{line[:60]}` | {duration(seconds)} | | |", flush=True)
    peaks = [c.peak_mib for c in costs if c.peak_mib is not None]
    print(
        f"| **total** (largest peak) | {duration(sum(c.wall for c in costs))} | "
        f"{duration(sum(c.cpu for c in costs))} | {memory(max(peaks, default=None))} |"
    )
    if args.save:
        save(args.profile, {nb.stem: c for nb, c in zip(notebooks, costs)})
    return 1 if any(c.error for c in costs) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
