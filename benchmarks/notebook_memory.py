"""Peak memory and wall time of every notebook, executed top to bottom in a fresh kernel.

Binder gives a session about 2 GB of RAM, so every notebook's default profile must stay under
1.5 GB peak resident memory on a CPU. Each notebook runs in its own `jupyter nbconvert --execute`
child process; when that child exits, the kernel it started has exited and been reaped, so the
kernel's peak RSS is the largest ``ru_maxrss`` among this script's descendants (Linux reports
the maximum over all waited-for descendants, not a sum). Run one notebook per invocation of the
inner step so the maxima of different notebooks do not mix.

    python benchmarks/notebook_memory.py                       # every notebook, default profile
    DDLAB_PROFILE=quick python benchmarks/notebook_memory.py notebooks/01_*.ipynb
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MIB = 1536


def measure_one(notebook: Path) -> tuple[float, float, int]:
    """(peak RSS in MiB of the notebook's kernel or nbconvert, wall seconds, exit status)."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        status = subprocess.call(
            [
                sys.executable,
                "-m",
                "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--ExecutePreprocessor.timeout=3600",
                "--output-dir",
                out,
                str(notebook),
            ],
            cwd=notebook.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak_kib / 1024, seconds, status


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        peak, seconds, status = measure_one(Path(argv[1]))
        print(f"{peak:.0f} {seconds:.1f} {status}")
        return 0
    notebooks = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    profile = os.environ.get("DDLAB_PROFILE") or "default"
    print(f"profile: {profile}; limit {LIMIT_MIB} MiB; torch threads: {os.environ.get('OMP_NUM_THREADS', 'all')}")
    print("| notebook | peak RSS (MiB) | wall time | ran |")
    print("|---|---|---|---|")
    worst = 0.0
    for notebook in notebooks:
        line = subprocess.run(
            [sys.executable, __file__, "--one", str(notebook.resolve())], capture_output=True, text=True, check=True
        ).stdout.split()
        peak, seconds, status = float(line[0]), float(line[1]), int(line[2])
        worst = max(worst, peak)
        print(
            f"| {notebook.name} | {peak:.0f} | {seconds / 60:.1f} min | {'ok' if status == 0 else 'FAILED'} |",
            flush=True,
        )
    print(f"largest peak: {worst:.0f} MiB ({'within' if worst <= LIMIT_MIB else 'OVER'} the {LIMIT_MIB} MiB budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
