"""The leaderboard: every method of the course on MNIST with the same number of images per class.

One entry is one way to get `ipc` images per class — a distillation method (DD under random inits,
DC, DSA, DM, MTT) run through `ddlab.load_or_distill` (once per machine), a reference set from `assets/`, or a coreset of real
images (`ddlab.experiments.baselines`: random, herding, k-center) — and `run` turns it into a `Row`: the set,
its test accuracy (mean ± std over fresh networks), the wall time and peak memory of making it, and
where it came from. `Leaderboard` renders the rows as a table beside the papers' numbers,
`cross_architecture` trains other networks on the ConvNet-made sets, `show_sets` draws them.

Fairness. Every set but DD's is judged the same way: the DC/DSA/DM/MTT protocol (`ddlab.protocol`,
each set with its paper's augmentation; MTT with its learned step size) on a ConvNet of one width,
the same networks' seeds and the same test images for every row; only the images differ. DD's set
is a training *schedule* (images with learned step sizes for LeNet), so it is replayed under Wang et
al.'s protocol on unseen random LeNet initialisations instead, and left out of the cross-architecture
table (it was not made on a ConvNet).

The field since 2022 (`SINCE_2022`, notebooks 14-15) enters under the same judge: IDC (a stored set
decoded into four images per stored one, with its paper's augmentation, as every set gets its own),
SRe2L and RDED (images a teacher recovered or chose, scored on that teacher's soft labels). Notebook
15 (section 9) sets their rows beside notebook 09's at one image per class, once they are taught.

Fair columns (`ddlab.experiments.fair`, DD-Ranking's argument): accuracy alone credits a set's images
with what its learned labels and its protocol do. With a plan's `fair` budget each row also carries
its score with class labels only, beside random real images of the same classes judged the same way
(`judge`); with learned labels, beside those images labelled by a teacher trained on the real data;
and the gap to networks trained on the real data; beside a set its teacher relabelled (SRe2L, RDED),
the random images take that teacher's labels. `Leaderboard` prints them as a second table.

Budgets (`ddlab.recipes.leaderboard()`, from the active `ddlab.profile`). Live runs start from each
method's course recipe (what its own notebook runs). A CPU cannot run the papers' budgets, so the
default profile cuts each live run to a minute or so at width 32 (`LeaderboardPlan.overrides`), evaluates on
fewer networks, epochs and test images, and uses a reference set from `assets/` where one exists for
the method and size; each row says which it is and what was changed. Quick compares 1 image per
class; default and full compare 1 and 10 (at 10 per class the default profile takes every distilled
set from `assets/`: live runs of that size cost CPU-hours). The full profile (a GPU) runs the
recipes' full settings and uses no reference sets.

Peak memory is what Binder and GPUs limit (`ddlab.experiments.memory`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields

from .. import methods, papers, protocol, recipes
from ..callbacks import Callback
from ..data import Dataset
from ..distill import load_or_distill, made_before
from ..evaluate import Scores, format_accuracy
from ..methods import IDC, expert_spec
from ..recipes import LeaderboardPlan
from ..sources import assets, teachers
from ..sources.assets import RecordedScore
from ..sources.experts import cache_path, shipped_path
from ..synthetic import SyntheticSet
from . import baselines
from .fair import FairScores, Judge, fair_scores, points
from .memory import PeakMemory

DISTILLED = ("dd", "dc", "dsa", "dm", "mtt")  # the canon's methods that learn their images (notebooks 01-08)
METHODS = DISTILLED + baselines.CORESETS
SINCE_2022 = ("idc", "sre2l", "rded")  # notebooks 14-15: more images per byte; a teacher's images and labels
ARCHS = ("convnet", "mlp", "lenet")  # networks of the cross-architecture table


# How each leaderboard entry is looked up in `ddlab.papers` (the verified table): the paper key and
# the setting. DD's entry is Wang et al.'s random-init LeNet runs, counted in images (ipc x 10
# classes); IDC's is multi-formation (factor 2). Coresets, DM on MNIST, and MTT, SRe2L and RDED (no
# MNIST results) are not in the table: shown as "—".
def paper_number(method: str, ipc: int) -> papers.PaperNumber | None:
    """The checked paper number for `method` at `ipc` images per class on MNIST, or None when the
    table holds none (`ddlab.papers` says why: not published, or not checked)."""
    try:
        if method == "dd":
            return papers.number(paper="wang2018", dataset="mnist", method="dd", images=10 * ipc, init="random")
        if method in ("dc", "dsa", "dm"):
            return papers.number(paper=method, dataset="mnist", ipc=ipc)
        if method == "idc":
            return papers.number(paper="idc", dataset="mnist", ipc=ipc, factor=IDC.factor)
    except ValueError:
        return None
    return None


PAPER_NOTE = (
    "Paper: the published MNIST number from `ddlab.papers` (the course's verified table, with "
    "paper, table and source); — where the table has none: coresets (Zhao et al.'s coreset rows "
    "were not checked), MTT, SRe2L and RDED (published no MNIST result), DD at 1 per class (not run "
    "by the paper), and DM on MNIST unless the table holds it."
)


def reference_asset(method: str, ipc: int) -> tuple[str, SyntheticSet] | None:
    """A reference set in assets/ made by `method` with `ipc` images per class (DD: under random
    inits; IDC: with multi-formation, not IDC-I), verified and loaded (on the CPU), with its name;
    None if there is none. Where several
    match, the first by name: `mtt_dsa_mnist_10` (MTT with DSA, as its paper) before `mtt_mnist_10`,
    a set before its earlier `_stage` runs. Read from the sets' own configs, which every copy carries
    (the JSON summaries exist only in a clone)."""
    for name in sorted(assets.SHA256):
        reference = assets.load(name)
        made = reference.config
        per_class = int(made.get("ipc", 0))
        if made.get("dataset", "mnist") != "mnist":  # the leaderboard is MNIST's (a Fashion-MNIST IDC set is not)
            continue
        if made.get("method") == method and per_class == ipc and _is_the_entry(made):
            return name, reference
    return None


def _is_the_entry(made: dict) -> bool:
    """Whether a set of the right method and size is the method's leaderboard entry: DD's under
    random inits (a fixed-init set fits one network), IDC's with its multi-formation factor (IDC-I
    is notebook 14's comparison)."""
    if made.get("method") == "dd":
        return made.get("init") == "random"
    if made.get("method") == "idc":
        return int(made.get("factor", IDC.factor)) == IDC.factor
    return True


@dataclass(frozen=True)
class Row:
    method: str  # a name of METHODS or SINCE_2022
    ipc: int  # images per class
    synthetic: SyntheticSet  # the set that was evaluated
    scores: Scores  # test accuracy of every evaluated network
    seconds: float | None  # wall time of making the set (an asset: of its recorded run, if known)
    peak_mib: float | None  # peak memory while making it (None: loaded from assets/)
    added_mib: float | None  # how far that peak rose above the memory in use before
    source: str  # how the set was made: live with which budget, or which asset
    fair: FairScores | None = None  # the set against random real images and all the real data (plan.fair)
    paper_judged: RecordedScore | None = None  # an asset's score under its paper's own judge (its JSON)

    @property
    def paper(self) -> str | None:
        found = paper_number(self.method, self.ipc)
        return None if found is None else found.value


def score(
    synthetic: SyntheticSet, data: Dataset, plan: LeaderboardPlan, arch: str | None = None, seed: int = 0
) -> Scores:
    """Test accuracy of the plan's fresh networks trained on `synthetic` under its paper's protocol
    (augmentation; MTT: learned step size) at the plan's ConvNet width and share of the epochs, on
    `arch` (default: the ConvNet) — a DD set: replayed on unseen random LeNet initialisations —
    scored on the first `plan.test_examples` test images."""
    return judge(synthetic, plan, arch, seed)(synthetic, data)


def judge(synthetic: SyntheticSet, plan: LeaderboardPlan, arch: str | None = None, seed: int = 0) -> Judge:
    """How `score` judges `synthetic`: its paper's protocol at the plan's width and share of the
    epochs, on `arch` (default: the ConvNet) — for a set with learned step sizes (DD): replayed
    on unseen random initialisations — with the plan's networks and test images. The fair columns
    (`ddlab.experiments.fair`) judge the random real images beside the set with the same judge."""
    chosen = None if synthetic.lrs is not None else protocol.sized(synthetic.config, plan.evaluation, arch=arch)
    return Judge(chosen, plan.evaluation.n_models, plan.test_examples, seed)


def run(
    method: str,
    ipc: int,
    data: Dataset,
    seed: int = 0,
    plan: LeaderboardPlan | None = None,
    callbacks: Iterable[Callback] = (),
) -> Row:
    """Make the set of `method` with `ipc` images per class (a reference asset if the plan uses them
    and one exists, else live: distilled with `callbacks` through `ddlab.load_or_distill`, so once
    per machine and replayed in the seminar profile, or selected) and score it. A set a teacher
    relabelled (SRe2L, RDED) is scored on its soft labels, and its fair columns label the random
    real images with that same teacher."""
    if method not in METHODS + SINCE_2022:
        raise ValueError(f"unknown method {method!r}; available: {', '.join(METHODS + SINCE_2022)}")
    if isinstance(ipc, bool) or not isinstance(ipc, int) or ipc < 1:
        raise ValueError(f"ipc must be a positive integer, got {ipc!r}")
    plan = plan or recipes.leaderboard()
    found = reference_asset(method, ipc) if plan.use_assets else None
    if found is not None:
        name, synthetic = found
        synthetic, seconds, peak, added = synthetic.to(data.device), _recorded_seconds(name), None, None
        source = f"reference set assets/{name}.pt, made by `{synthetic.config.get('command', '?')}`"
        paper_judged = assets.recorded_score(name, paper=True) if "paper_score" in assets.summary(name) else None
    else:
        with PeakMemory(data.device) as memory:
            start = time.perf_counter()
            synthetic, source, earlier = _make(method, ipc, data, seed, plan, list(callbacks))
            seconds = time.perf_counter() - start
        peak, added = memory.mib, memory.added
        if earlier:  # loaded, not made now: the time of the run that made it; no memory to measure
            seconds, peak, added = synthetic.history["time"][-1], None, None
        paper_judged = None
    scores = score(synthetic, data, plan, seed=seed)
    fair = (
        None
        if plan.fair is None
        else fair_scores(
            synthetic,
            data,
            judge(synthetic, plan, seed=seed),
            plan.fair,
            seed,
            scored=scores,
            teacher=teachers.relabeller(synthetic.config, data),
        )
    )
    return Row(method, ipc, synthetic, scores, seconds, peak, added, source, fair, paper_judged)


def _recorded_seconds(name: str) -> float | None:
    """How long the run that made asset `name` took, from its JSON summary (only in a clone)."""
    summary = assets.ASSETS_DIR / f"{name}.json"
    return float(json.loads(summary.read_text())["seconds"]) if summary.is_file() else None


def _make(
    method: str, ipc: int, data: Dataset, seed: int, plan: LeaderboardPlan, callbacks: list[Callback]
) -> tuple[SyntheticSet, str, bool]:
    """The set, how it was made, and whether it was made earlier (loaded, not made now)."""
    if method in baselines.CORESETS:
        return baselines.coreset(method, data, ipc, seed, plan.width), "live: selected from the training images", False
    if method == "rded":  # no optimisation, so no driver: seconds in every profile
        made = methods.rded(recipes.rded_live(ipc), data, seed)
        return made, f"live: recipes.rded_live({ipc}), real patches chosen by the shipped teacher", False
    config, options = recipes.leaderboard_live(method, ipc, plan)
    earlier = made_before(config, data, seed, **options)
    note = "; loaded: made earlier on this machine (time: its run's)" if earlier else ""
    if method == "mtt" and not earlier:
        spec = expert_spec(config)
        cached = shipped_path(spec, data) is not None or cache_path(spec, data).is_file()
        note = ", experts shipped or cached" if cached else ", experts built first (cached for next time)"
    synthetic = load_or_distill(config, data, callbacks=callbacks, seed=seed, **options)
    call, base = recipes.leaderboard_recipe(method, ipc)
    changed = ", ".join(
        f"{f.name} {getattr(config, f.name)}"
        for f in fields(config)
        if f.name != "iterations" and getattr(config, f.name) != getattr(base, f.name)
    )
    return (
        synthetic,
        f"live: {config.iterations} iterations of {call}{'; changed: ' * bool(changed)}{changed}{note}",
        earlier,
    )


@dataclass(frozen=True)
class Leaderboard:
    rows: tuple[Row, ...]
    plan: LeaderboardPlan

    def __str__(self) -> str:
        lines = [
            "| method | images / class | accuracy (%) | paper (%) | ours, paper's judge (%) | time to make (s) | "
            "peak memory, MiB (+ rise) | made by |",
            "|---" * 8 + "|",
        ]
        for row in sorted(self.rows, key=lambda r: (r.ipc, -r.scores.mean)):
            peak = (
                "—"
                if row.peak_mib is None
                else f"{row.peak_mib:.0f}"
                + ("" if row.added_mib is None or math.isnan(row.added_mib) else f" (+{row.added_mib:.0f})")
            )
            seconds = "—" if row.seconds is None else f"{row.seconds:.1f}"
            judged = row.paper_judged
            judged = "—" if judged is None else format_accuracy(judged.mean, judged.std, judged.n_models, unit="")
            lines.append(
                f"| {row.method} | {row.ipc} | {row.scores.format(unit='')} | {row.paper or '—'} | {judged} | "
                f"{seconds} | {peak} | {row.source} |"
            )
        lines += [
            "",
            f"MNIST, mean ± std over {self.plan.describe()}, the paper protocol's augmentation "
            "(MTT: its learned step size). DD: LeNet replaying its learned step sizes from unseen "
            "random initialisations. Time and memory: making the set, not evaluating it; memory is "
            "the whole process's peak (data included) on a CPU, the CUDA allocator's on a GPU, and "
            "in brackets how far it rose above what was in use before. Ours, paper's judge: a reference "
            "set scored once the way its paper scores (ConvNets of width 128, 1,000 epochs, its augmentation; "
            "`python -m ddlab assets --paper-score`), the number to set beside the paper's. " + PAPER_NOTE,
        ]
        fair = self.fair_table()
        return "\n".join(lines + (["", fair] if fair else []))

    def fair_table(self) -> str:
        """The fair columns of the rows that have them (`Row.fair`) as a Markdown table, biggest
        hard-label gain first; "" if no row has them."""
        rows = sorted((r for r in self.rows if r.fair is not None), key=lambda r: (r.ipc, -r.fair.gain))
        if not rows:
            return ""
        lines = [
            "| method | images / class | hard labels (%) | random real (%) | gain | soft labels (%) | "
            "random real, teacher's labels (%) | gain | all real data (%) | gap |",
            "|---" * 10 + "|",
        ]
        cell = lambda scores: "—" if scores is None else scores.format(unit="")  # noqa: E731
        for row in rows:
            f = row.fair
            lines.append(
                f"| {row.method} | {row.ipc} | {cell(f.hard)} | {cell(f.random_hard)} | {points(f.gain)} | "
                f"{cell(f.soft)} | {cell(f.random_soft)} | {points(f.soft_gain)} | {cell(f.whole)} | "
                f"{points(f.gap)} |"
            )
        budget = self.plan.fair
        seen = "all the" if budget.examples is None else f"{budget.examples:,} random"
        lines += [
            "",
            "Fair scores (DD-Ranking, Li et al. 2025): each set beside random real training images of the "
            "same classes and counts, trained exactly like it (its row's protocol, networks and test images). "
            "Hard labels: the set's images with class labels only; soft labels: with the labels "
            "it learned, beside the random images labelled by a teacher (the set's own, SRe2L's and RDED's; "
            "else a network trained on the real data), "
            "so that what soft labels alone add is not credited to the images; — where a set has none. "
            "Gains and gap in percentage points. All real data: "
            f"{budget.n_models} network(s) of the protocol's architecture trained on {seen} training images "
            f"for {budget.epochs} epoch(s) without augmentation (the first is the teacher); gap: how far the "
            "hard-label accuracy stays below them.",
        ]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return str(self)


@dataclass(frozen=True)
class CrossArchitecture:
    rows: tuple[tuple[str, int, dict[str, Scores]], ...]  # (method, ipc, arch -> scores)
    archs: tuple[str, ...]
    plan: LeaderboardPlan

    def __str__(self) -> str:
        lines = ["| method | images / class | " + " | ".join(self.archs) + " |", "|---" * (len(self.archs) + 2) + "|"]
        for method, ipc, scores in self.rows:
            lines.append(f"| {method} | {ipc} | " + " | ".join(scores[a].format(unit="") for a in self.archs) + " |")
        lines += [
            "",
            f"Test accuracy (%) of networks trained on each ConvNet-made set: {self.plan.describe()} "
            "(the MLP and LeNet under the same protocol). DD's set was made for LeNet and is left out.",
        ]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return str(self)


def cross_architecture(
    rows: Iterable[Row],
    data: Dataset,
    archs: tuple[str, ...] = ARCHS,
    seed: int = 0,
    plan: LeaderboardPlan | None = None,
) -> CrossArchitecture:
    """Every ConvNet-made row's set trained on each of `archs` under the leaderboard's protocol (the
    ConvNet column is the row's own score)."""
    plan = plan or recipes.leaderboard()
    unknown = [a for a in archs if a not in protocol.ARCHITECTURES]
    if unknown:
        raise ValueError(f"unknown architecture {unknown[0]!r}; available: {', '.join(protocol.ARCHITECTURES)}")
    table = []
    for row in rows:
        if row.synthetic.lrs is not None:
            continue
        scores = {
            a: row.scores if a == "convnet" else score(row.synthetic, data, plan, arch=a, seed=seed) for a in archs
        }
        table.append((row.method, row.ipc, scores))
    return CrossArchitecture(tuple(table), tuple(archs), plan)
