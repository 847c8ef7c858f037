"""The two routes through the course and what they cost: the times and memory peaks measured per notebook.

`benchmarks/notebook_times.py --save` measures every notebook in a fresh kernel and writes one table
per profile; notebook 00 reads them to say how long each route runs, and its environment check
(`ddlab.environment`) compares the session's free memory with the measured peaks. The tables are
course files (`ddlab.sources.course_files`): read in a clone, fetched once by an installed ddlab.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .sources.course_files import FetchError, course_file

# Notebook 00's two routes: the seminar's thread (plus one of 10-12 to discuss) and the whole course.
SEMINAR_ROUTE = ("00", "01", "02", "05", "07", "09")
TIMES_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def times_file(profile: str) -> Path:
    """Where `benchmarks/notebook_times.py --save` keeps the measured time of every notebook (in a clone)."""
    return TIMES_DIR / f"notebook_times_{profile}.json"


def measured(profile: str) -> dict[str, Any]:
    """The table of `profile`'s measured notebooks: {"machine": ..., "notebooks": {name: {"wall_s", "peak_mib",
    ...}}}. Raises `FetchError` (one line) where it is neither here nor to be fetched."""
    return json.loads(course_file(f"benchmarks/{times_file(profile).name}", in_clone=times_file(profile)).read_text())


def route_times() -> str:
    """Each route's time through the course, summed from the last measurement of every notebook: the
    seminar route in the seminar profile, the whole course in the default profile, with the machine and
    the days they were measured on."""
    lines = []
    for route, profile, wanted in (("seminar", "seminar", SEMINAR_ROUTE), ("self-study", "default", None)):
        try:
            table = measured(profile)
        except FetchError as error:
            lines.append(f"{route} route: not measured here ({error})")
            continue
        picked = {name: t for name, t in table["notebooks"].items() if wanted is None or name[:2] in wanted}
        if wanted is not None and len(picked) != len(wanted):
            raise ValueError(
                f"the {profile} timings lack notebooks of the {route} route {wanted}: they have {sorted(picked)}"
            )
        minutes = sum(t["wall_s"] for t in picked.values()) / 60
        slowest = max(picked, key=lambda name: picked[name]["wall_s"])
        dates = sorted({t["date"] for t in picked.values() if "date" in t})
        when = "" if not dates else f", {dates[0]}" if len(dates) == 1 else f", {dates[0]} to {dates[-1]}"
        lines.append(
            f"{route} route ({len(picked)} notebooks, {profile} profile): {minutes:.0f} min of running "
            f"in all, the longest {slowest} at {picked[slowest]['wall_s'] / 60:.1f} min "
            f"(measured on {table['machine']}{when})"
        )
    return "\n".join(lines)


def peak_memory_mib(profile: str = "default") -> tuple[float, float]:
    """The smallest and the largest peak resident memory of the notebooks measured in `profile` (MiB)."""
    peaks = [t["peak_mib"] for t in measured(profile)["notebooks"].values() if t.get("peak_mib")]
    if not peaks:
        raise ValueError(f"the {profile} timings record no memory peaks")
    return min(peaks), max(peaks)
