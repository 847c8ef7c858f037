"""Where the course lives on the web: the one place that names its GitHub repository.

The Colab and Binder badges (README and every notebook's first cell) and the Colab install cell
all point here; `tests/test_notebooks.py` checks them against these constants, so moving the
repository means changing `REPO` and re-running `make test` to find every stale link.
"""
from __future__ import annotations

import json
from pathlib import Path

REPO = "ddlab-course/ddlab"    # GitHub <owner>/<name>
BRANCH = "main"


def colab_url(notebook: str) -> str:
    """The Colab link that opens `notebooks/<notebook>` (a file name such as "00_welcome.ipynb")."""
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{notebook}"


def binder_url() -> str:
    """The Binder link that opens JupyterLab on the notebooks folder."""
    return f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/notebooks"


def pip_url() -> str:
    """What Colab's install cell gives to pip: the package straight from GitHub."""
    return f"git+https://github.com/{REPO}@{BRANCH}"


# Notebook 00's two routes: the seminar's thread (plus one of 10-12 to discuss) and the whole course.
SEMINAR_ROUTE = ("00", "01", "02", "05", "07", "09")
TIMES_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def times_file(profile: str) -> Path:
    """Where `benchmarks/notebook_times.py --save` keeps the measured time of every notebook."""
    return TIMES_DIR / f"notebook_times_{profile}.json"


def route_times() -> str:
    """Each route's time through the course, summed from the last measurement of every notebook
    (`benchmarks/notebook_times.py --save`, in a clone): the seminar route in the seminar profile,
    the whole course in the default profile, with the machine and the days they were measured on."""
    lines = []
    for route, profile, wanted in (("seminar", "seminar", SEMINAR_ROUTE), ("self-study", "default", None)):
        path = times_file(profile)
        if not path.is_file():
            lines.append(f"{route} route: not measured here ({path} is missing: it ships with a clone of the repository)")
            continue
        measured = json.loads(path.read_text())
        picked = {name: t for name, t in measured["notebooks"].items() if wanted is None or name[:2] in wanted}
        if wanted is not None and len(picked) != len(wanted):
            raise ValueError(f"{path} lacks notebooks of the {route} route {wanted}: it has {sorted(picked)}")
        minutes = sum(t["wall_s"] for t in picked.values()) / 60
        slowest = max(picked, key=lambda name: picked[name]["wall_s"])
        dates = sorted({t["date"] for t in picked.values() if "date" in t})
        when = "" if not dates else f", {dates[0]}" if len(dates) == 1 else f", {dates[0]} to {dates[-1]}"
        lines.append(f"{route} route ({len(picked)} notebooks, {profile} profile): {minutes:.0f} min of running "
                     f"in all, the longest {slowest} at {picked[slowest]['wall_s'] / 60:.1f} min "
                     f"(measured on {measured['machine']}{when})")
    return "\n".join(lines)
