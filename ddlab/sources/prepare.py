"""Everything the course reads, had once: for a Binder image (`binder/postBuild`) or a course machine's
shared data folder, so that a session downloads nothing and builds nothing a learner must wait for.

``python -m ddlab data --all`` runs `prepare_course`: every dataset (MNIST, Fashion-MNIST, the other
digits notebooks 02 and 04 pretrain on), the active profile's pretrained pools, and every course file
an installed ddlab would otherwise fetch on first use (in a clone they are read in place, so there is
nothing to fetch). Each step goes through the same verified loaders the notebooks call.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import recordings
from ..data import DATASETS, load
from ..experiments import fair
from ..inits import PRETRAINED_SETTINGS, pool
from ..recipes import dd_adaptation
from . import assets, experts, teachers
from .course_files import course_file
from .other_digits import load_source_digits


def prepare_course(say: Callable[[str], None] = print) -> None:
    """Fetch, verify and build what the notebooks read (see the module docstring), saying each step."""
    for name, info in DATASETS.items():
        data = load(name, device="cpu")
        say(f"{info.title}: {len(data.x_train):,} + {len(data.x_test):,} images (source: {data.source})")
    digits = load_source_digits(device="cpu")
    say(f"other digits to pretrain on: {digits.name}, {len(digits.x_train):,} images")
    mnist = load("mnist", device="cpu")
    for setting in PRETRAINED_SETTINGS:
        spec = dd_adaptation(setting).inits()
        pool(spec, mnist)
        say(f"pretrained pool for {setting}: {spec.pool_size} {spec.arch} networks")
    shipped = [
        *((f"assets/{name}.pt", digest, False) for name, digest in assets.SHA256.items()),
        *((f"assets/{name}.json", None, False) for name in assets.SHA256),
        *((f"assets/recordings/{name}.pt", digest, True) for name, digest in recordings.SHA256.items()),
        *((f"assets/experts/{name}", digest, True) for name, digest in experts.SHA256.items()),
        *((f"assets/whole_data/{name}", digest, True) for name, digest in fair.SHA256.items()),
        *((f"assets/teachers/{name}", digest, True) for name, digest in teachers.SHA256.items()),
        *((f"benchmarks/notebook_times_{p}.json", None, False) for p in ("default", "seminar")),
    ]
    for relative, digest, with_sidecar in shipped:
        course_file(relative, digest, with_sidecar=with_sidecar)
    say(
        f"course files: {len(shipped)} reference sets, recordings, expert trajectories, whole-data networks, teachers "
        f"and timing tables at hand"
    )
