"""Make the recordings the seminar profile replays (`ddlab.recordings`).

Each named run is distilled once, in the default profile, exactly as its notebook calls it (recipe,
seed, driver options), through `ddlab.load_or_distill` (so its set is cached as the notebook's own
run would be) with a `Recorder` beside it. The recording, which keeps the finished set too, is
written to ``assets/recordings/<method>_<digest>.pt`` with its sha256 sidecar, and the line to add
to `ddlab.recordings.SHA256` is printed.

    OMP_NUM_THREADS=1 python benchmarks/make_recordings.py dd_fixed_mnist_10 dm_mnist_1
    python benchmarks/make_recordings.py --list
    python benchmarks/make_recordings.py --all --fresh     # every course run (about half an hour)

A recording needs the live run, so a run already in the cache is refused unless ``--fresh`` (which
deletes the cached set and distils it again: same seed, same set on the same machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ["DDLAB_PROFILE"] = "default"  # before ddlab reads it: recordings are of default-profile runs

import ddlab  # noqa: E402
from ddlab import recipes, recordings  # noqa: E402
from ddlab.sources import cache  # noqa: E402

SEED = 0


def make(name: str, frames: int, fresh: bool) -> None:
    run = recipes.live_runs()[name]
    what, config, options, data = run.where, run.config, run.options, ddlab.load(run.dataset)
    key = recordings.run_key(config, data, SEED, options)
    cached = recordings.run_path(key)
    if cached.is_file():
        if not fresh:
            sys.exit(
                f"{name}: its run is cached at {cached}; a recording needs the live run: pass --fresh "
                f"to distil it again"
            )
        cached.unlink()
        cache.sidecar(cached).unlink(missing_ok=True)
    recorder = recordings.Recorder(frames)
    start = time.perf_counter()
    made = ddlab.load_or_distill(config, data, callbacks=[recorder], seed=SEED, **options)
    seconds = time.perf_counter() - start
    if made.interrupted or not recorder.done:
        sys.exit(f"{name}: the run did not finish; nothing written")
    path = recordings.RECORDINGS_DIR / f"{recordings.run_name(key)}.pt"
    recorder.recording(key=key, result=made).save(path)
    digest = cache.sidecar(path).read_text().strip()
    accuracy = made.history["accuracy"][-1] if made.history.get("accuracy") else float("nan")
    print(
        f"{name}: {len(recorder)} frames, {path.stat().st_size / 1e3:.0f} kB, {seconds:.0f} s, "
        f"last validation accuracy {100 * accuracy:.1f}% -> {path.relative_to(recordings.RECORDINGS_DIR.parents[1])}"
    )
    print(f'    "{recordings.run_name(key)}": "{digest}",   # {what}')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    runs = recipes.live_runs()
    parser.add_argument("runs", nargs="*", metavar="RUN", help=f"runs to record: {', '.join(runs)}")
    parser.add_argument("--frames", type=int, default=recordings.MAX_FRAMES, help="frames kept per recording")
    parser.add_argument("--fresh", action="store_true", help="distil again a run that is already cached")
    parser.add_argument("--all", action="store_true", help="record every run of the list")
    parser.add_argument("--list", action="store_true", help="list the runs and exit")
    args = parser.parse_args(argv)
    if args.all:
        args.runs = list(runs)
    if args.list or not args.runs:
        for name, run in runs.items():
            print(f"{name:20} {run.where}")
        return
    unknown = [name for name in args.runs if name not in runs]
    if unknown:
        parser.error(f"unknown run(s) {', '.join(unknown)}; choose from: {', '.join(runs)}")
    for name in args.runs:
        make(name, args.frames, args.fresh)


if __name__ == "__main__":
    main()
