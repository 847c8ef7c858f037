"""Reference results that are too long to recompute on a laptop CPU, shipped in the repo's `assets/`.

Each asset is a saved `SyntheticSet` whose config records the command that made it
(``python -m ddlab distill ... --out assets/NAME.pt``) and its measured accuracy. In a clone the
file is read from `assets/`; where ddlab was pip-installed without the repository (Colab), it is
fetched once into the data cache (`ddlab.sources.course_files`). Either way its sha256 must match the one recorded
here before it is opened, so a stale or tampered file is never used.

Each JSON also records a *check score* (`check_score`, recorded once by
``python -m ddlab assets --record-check NAME``): the set's accuracy under a short, fixed protocol
(few epochs, two narrow networks, the first thousand test images). Why a second number: re-scoring every set under
its full protocol takes most of a CI run, while the short one takes seconds and still moves when the
images do (tests/test_assets.py shows it). The full accuracy stays the one reported.

A ConvNet set's JSON also records its *paper score* (``python -m ddlab assets --paper-score NAME``):
its accuracy under its paper's own evaluation (`ddlab.protocol.as_published`: width 128, 1,000
epochs, the paper's augmentation) on `PAPER_SCORE_MODELS` networks. The course judges its sets on
narrower, shorter-trained networks; only this number stands beside the paper's on equal terms.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..evaluate import format_accuracy
from ..protocol import as_published
from ..synthetic import SyntheticSet
from .cache import write_atomic
from .course_files import course_file

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"

# name -> sha256 of assets/<name>.pt. `tests/test_assets.py` keeps this in step with the files.
SHA256: dict[str, str] = {
    "dd_fixed_mnist_10": "e4591f5f53009f9c052fb22ba5c5a96e68086323634c5a239ad9895ad931ae50",
    "dd_fixed_mnist_100": "57f62c6304bcdd271d04871898db08d1e6963877f2eae1b33b5c0128785022b5",
    "dc_mnist_10": "a9861c4194a80b29075d0dcb669186376703c54fef7cef4e9b3450143684f7ed",
    "dc_mnist_100": "fd0031201e38c4062954c70abbc9945e5c0b69e8b57bd8b20528c3dfe1cba626",
    "dd_fixed_labels_mnist_10": "0b0271963289bee0f9c5a6980607b4e2acd45dd0abaaa4407499bd55490f1022",
    "dd_fixed_labels_mnist_5": "48d62090b5ef9b3a205ba3445d0466ccf8ee4a37526b81ddeed61baa56b62b34",
    "dd_random_mnist_100": "d64b1a382dde4b0bf87379ac0f7e8768246540de881632d7cd7c9110b750f7d5",
    "dd_random_mnist_100_stage1": "375d0e4f78d80414cfdaf63cd617cd16f224a85bc304b01de6f04ca90479fbd0",
    "dd_random_mnist_100_stage2": "3ee1dbe4cf5ea2e46d2315d027b24ce74ce06a46de080612fbd6db32d9081a76",
    "dm_mnist_10": "4b03fef73851aa7099639903f014bf25ea1da16e9988ca59944e98a122c90292",
    "dm_mnist_100": "b894069eb46f090f7b4f07755fbd8a2bd4a98755899364ac4c3ad880cae3b68e",
    "dsa_mnist_10": "2a9d75333b11233f81db6b8a1cd5444983a013d437ace75779c11e56bb564470",
    "dsa_mnist_100": "56671693faf60b8f8506c43c0a95ecd8b36be7382d6177e2b94fe77b4eaac804",
    "mtt_dsa_mnist_10": "414cb380d919946dc751c56e908747190a3b766ad111b7efeab3432b5fd6f476",
    "mtt_mnist_100": "63ec3394ea6fdc9427312e98cef2bed72bc2eb2377338ef6b32a95e86619e4dc",
    "mtt_mnist_10": "676c4d9cc4f48331496dda1c58b5e2d467d4b285ef15385b3b2b816fb946a486",
    "idc_mnist_10_stage1": "7b9613e7b04bd6cd3c1a391342e5863ff53abe22c072afc55d625472f756a4fe",
    "idc_mnist_100": "71e0ca3398ce08c7324d1f16295971d44805a831cf8307290d476da20e757119",
    "idc_mnist_10": "23ad720af43de9cc96982ba58a9d4479145a503daf86eb1ee3bf5e8b9cbf29fb",
    "idc_i_mnist_10": "b411bc39cfe1a88e350ca55d3338f95128dbf2e65efadbbe014a5b852841ba05",
    "idc_fashion_mnist_10": "a068db97f28547ff897c0cba0cac955db4454eeb4b0a36e45471a746d6bbeef2",
    "idc_fashion_mnist_100": "153a7c6a481e88648a987c933c721c72b04328982e9a05cd56bc7c4a9c3ab432",
    "idc_i_fashion_mnist_10": "c1bbc6d3faed4636e3cf517713ea3218eba565b5c77c60d451e099a93e1c2c7b",
    "sre2l_mnist_10": "a786ec8616a03d639703ca36f5d1ff9b04d50166a339860c0152609a3bb9d656",
    "sre2l_mnist_100": "779edc944ffdc0183f16e6aa423ce7c74a16ebeb2f3a1e7f289c09a21278ab68",
}


def path(name: str) -> Path:
    """A verified local copy of asset `name` (fetched once where the repository isn't here)."""
    if name not in SHA256:
        raise ValueError(f"unknown asset {name!r}; available: {', '.join(sorted(SHA256)) or 'none'}")
    local = course_file(f"assets/{name}.pt", SHA256[name], in_clone=ASSETS_DIR / f"{name}.pt")
    if sha256(local) != SHA256[name]:
        raise ValueError(
            f"asset {local} does not match its recorded sha256; regenerate it with the "
            f"command in assets/README.md or restore it from git"
        )
    return local


def load(name: str, device=None) -> SyntheticSet:
    """Load reference set `name` (see `SHA256` for the names), verified, onto `device`."""
    return SyntheticSet.load(path(name), device or "cpu")


def summary(name: str) -> dict:
    """The JSON written beside asset `name` when it was made: command, config, accuracy, machine
    (fetched once from GitHub where the repository is not here, like the set)."""
    path(name)  # unknown names fail here, with the list of known ones
    return json.loads(course_file(f"assets/{name}.json", in_clone=ASSETS_DIR / f"{name}.json").read_text())


@dataclass(frozen=True)
class RecordedScore:
    """A reference set's test accuracy as its JSON records it (measured when the set was made, or later
    under its paper's own judge), and the judge that measured it. The course's sets were scored when
    made under the default profile's judge (its share of the protocol's epochs; as many networks as
    the JSON says), the judge ``ddlab.evaluate`` uses in that profile: a notebook reads the number in a
    millisecond instead of training the networks again."""

    mean: float  # in [0, 1]
    std: float
    n_models: int
    protocol: dict[str, Any] | None  # the ConvNet protocol; None: Wang et al.'s (a DD set's own schedule)
    when: str = "recorded when made"  # when and by what it was measured

    def judge(self) -> str:
        if self.protocol is None:
            return f"{self.n_models} network{'s' * (self.n_models > 1)}, its own schedule"
        p = self.protocol
        cutmix = f" and CutMix (p {p['cutmix']:g})" if p.get("cutmix") else ""
        return f"{self.n_models} ConvNets of width {p['width']}, {p['epochs']} epochs, {p['augmentation']} augmentation{cutmix}"

    def __str__(self) -> str:
        return f"{format_accuracy(self.mean, self.std, self.n_models)} ({self.judge()}; {self.when})"


def recorded_score(name: str, paper: bool = False) -> RecordedScore:
    """Asset `name`'s accuracy from its JSON, with the judge it was measured under; `paper=True`:
    its paper score instead (under its paper's own protocol, `paper_score_settings`)."""
    made = summary(name)
    if paper:
        if "paper_score" not in made:
            raise ValueError(
                f"asset {name!r} has no paper score; ConvNet sets with one: "
                f"{', '.join(n for n in sorted(SHA256) if 'paper_score' in summary(n))}"
            )
        judged = made["paper_score"]
        return RecordedScore(
            judged["accuracy"],
            judged["accuracy_std"],
            judged["n_models"],
            judged["protocol"],
            f"recorded by {judged['command']}",
        )
    return RecordedScore(made["accuracy"], made.get("accuracy_std") or 0.0, made["n_models"], made.get("protocol"))


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


# The short protocol of a check score: what `record_check` writes into a JSON (the test reads the
# recorded one back, so changing these only changes checks recorded later).
CHECK_MODELS = 2  # networks trained (DD sets under a fixed init: its one network)
CHECK_EPOCHS = 20  # epochs of a set without step sizes (a DD set replays its own schedule)
CHECK_WIDTH = 32  # ConvNet channels at most (a full-width ConvNet costs most of a check)
CHECK_TEST_EXAMPLES = 1000  # the first test images, scored on


def check_settings(name: str) -> dict[str, Any]:
    """The short check of asset `name`: its recorded protocol cut to `CHECK_EPOCHS` epochs and at most
    `CHECK_WIDTH` channels (a DD set: its own schedule), `CHECK_MODELS` networks of its run's seed,
    the first `CHECK_TEST_EXAMPLES` test images (`ddlab.evaluate.check_score` scores a set under it)."""
    made = summary(name)
    recorded = made.get("protocol")
    return {
        "n_models": CHECK_MODELS,
        "seed": made["seed"],
        "test_examples": CHECK_TEST_EXAMPLES,
        "protocol": recorded and {**recorded, "epochs": CHECK_EPOCHS, "width": min(recorded["width"], CHECK_WIDTH)},
    }


PAPER_SCORE_MODELS = 5  # networks of a paper score: the papers train 20, a CPU affords fewer at full width


def paper_score_settings(name: str) -> dict[str, Any]:
    """How asset `name`'s paper score is measured: its paper's own protocol at full width and length
    (`ddlab.protocol.as_published`), `PAPER_SCORE_MODELS` networks of its run's seed."""
    made = summary(name)
    if made.get("protocol") is None:
        raise ValueError(
            f"asset {name!r} is a DD set: its recorded score already is its paper's protocol "
            "(Wang et al. replay the learned schedule on the networks it was made for)"
        )
    return {"n_models": PAPER_SCORE_MODELS, "seed": made["seed"], "protocol": asdict(as_published(made["config"]))}


def write_entries(name: str, entries: dict[str, Any]) -> None:
    """Record `entries` (e.g. {"check": the settings of a score and the accuracy measured under them})
    in asset `name`'s JSON, replacing those keys, atomically."""
    write_atomic(ASSETS_DIR / f"{name}.json", (json.dumps({**summary(name), **entries}, indent=2) + "\n").encode())
