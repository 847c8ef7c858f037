"""Reference results that are too long to recompute on a laptop CPU, shipped in the repo's `assets/`.

Each asset is a saved `SyntheticSet` whose config records the command that made it
(``python -m ddlab distill ... --out assets/NAME.pt``) and its measured accuracy. In a clone the
file is read from `assets/`; where ddlab was pip-installed without the repository (Colab), it is
fetched once from GitHub into the data cache. Either way its sha256 must match the one recorded
here before it is opened, so a stale or tampered file is never used.
"""
from __future__ import annotations

import hashlib
import json
import shlex
import urllib.request
from pathlib import Path

from .course import BRANCH, REPO
from .data import data_root
from .synthetic import SyntheticSet

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"

# name -> sha256 of assets/<name>.pt. `tests/test_assets.py` keeps this in step with the files.
SHA256: dict[str, str] = {
    "dd_fixed_mnist_10": "0c73b639f229dd1146a4ace1cb7b1bc5183d107a41c0ec5224a8c33eca2142a8",
    "dd_fixed_mnist_100": "9eb1673eb10a29a4833e0e54b0b040b3d393c34c1706fb0eb476914344fb4ba8",
    "dc_mnist_10": "b6c2971f37deda7b350536f9fa3cc8d3c9200f265cb08d822bd4c4c4e1c63c7c",
    "dc_mnist_100": "274a2f32d83ee954387d4bf583c455df12caf69ba7427b54084b4ba8b10613a7",
    "dd_random_mnist_100": "8c987f92c86bf91b18499abfa95ac5afaa2ef1b7eabd51146c759a1da0be5e78",
    "dd_random_mnist_100_stage1": "9baf4dc7a6915fc71835f244058884412b5da184053a5f5ec410497ea19558e5",
    "dd_random_mnist_100_stage2": "fa3cfc4bc1072e5b3b1e763f28d9a034e7072119c8dd08097f866532a43a1919",
    "dm_mnist_10": "9658474c36ca5e0f244ba12aa1de5cfc02d33184faf709bf31e49a31d6ec06fa",
    "dm_mnist_100": "fa4b57b7809902b5c34687859aa9459dd47938f679e611dac594e166c32a6e54",
    "dsa_mnist_10": "82f2ea6fda5f119ddfa6864c11b113f2e83cbe90287249e3036267a084607dd3",
    "dsa_mnist_100": "7a9b2fa3fddff087b3d02eb3948e104cf96cff14755d2eacdec20b3f8d1973c1",
    "mtt_dsa_mnist_10": "460afa4b65f9ca463c0a78b7ed8c0df38edde80730b58b8a7c1350d3b516c052",
    "mtt_mnist_100": "e64c1b38faa26bb3364f27f8a6c89d15ebc1852e27a3d69936442d40365a8ac7",
    "mtt_mnist_10": "14ae17da9223ae77c801bb79b1427d1fb61e878c53eea545effdffd7f07747c4",
}


def path(name: str) -> Path:
    """A verified local copy of asset `name` (fetched from GitHub if the repo isn't here)."""
    if name not in SHA256:
        raise ValueError(f"unknown asset {name!r}; available: {', '.join(sorted(SHA256)) or 'none'}")
    local = ASSETS_DIR / f"{name}.pt"
    if not local.is_file():
        local = data_root() / "assets" / f"{name}.pt"
        if not (local.is_file() and sha256(local) == SHA256[name]):
            _download(name, local)
    if sha256(local) != SHA256[name]:
        raise ValueError(f"asset {local} does not match its recorded sha256; regenerate it with the "
                         f"command in assets/README.md or restore it from git")
    return local


def load(name: str, device=None) -> SyntheticSet:
    """Load reference set `name` (see `SHA256` for the names), verified, onto `device`."""
    return SyntheticSet.load(path(name), device or "cpu")


def summary(name: str) -> dict:
    """The JSON written beside asset `name` when it was made: command, config, accuracy, machine."""
    path(name)  # unknown names fail here, with the list of known ones
    return json.loads((ASSETS_DIR / f"{name}.json").read_text())


def recorded_argv(name: str, out: Path | None = None) -> list[str]:
    """The ``python -m ddlab`` arguments that made asset `name`, writing to `out` if given."""
    argv = shlex.split(summary(name)["command"])
    if argv[:3] != ["python", "-m", "ddlab"] or "--out" not in argv:
        raise ValueError(f"asset {name!r} records no 'python -m ddlab ... --out' command")
    argv = argv[3:]
    if out is not None:
        argv[argv.index("--out") + 1] = str(out)
    return argv


def sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def _download(name: str, target: Path) -> None:
    url = f"https://raw.githubusercontent.com/{REPO}/{BRANCH}/assets/{name}.pt"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        urllib.request.urlretrieve(url, partial)
    except OSError as error:
        raise RuntimeError(f"asset {name!r} is not in this checkout and could not be fetched from {url} ({error})") from None
    partial.replace(target)
