"""Every run of the course and every budget, defined once and sized by `ddlab.profile`.

A recipe is a method config whose budget follows the active profile, so the notebook that runs it,
the command line that starts from it, the benchmark that times it and the command that regenerates
its reference set cannot drift apart. Budgets that are not a distillation — how much of a paper's
evaluation protocol a set gets, the leaderboard's plan, the analyses' training runs — live here too,
as small records the code that uses them reads. The seminar profile distils exactly what the default
one does (so its recorded runs can be replayed: `ddlab.recordings`) and only evaluates smaller. Why each size was chosen, with the measurements
behind it, is in benchmarks/RESULTS.md.

    notebook 01        dd_fixed_mnist_10                  notebook 05   dc_mnist(ipc)
    notebook 02        dd_init_settings_mnist_10          notebook 06   dsa_mnist(ipc)
    notebook 04        dd_sweep_base, dd_adaptation(init), dd_poison(attack)
    notebook 07        dm_mnist(ipc)                      notebook 08   mtt_mnist(ipc)
    notebook 09        leaderboard(), leaderboard_recipe(method, ipc), whole_data() (fair scores)
    notebooks 10-12    analysis()                         every set     evaluation()
    notebook 13        dd_labels_mnist(n_images), kip_live(ipc), dm_mnist(ipc) on Fashion-MNIST
    notebook 14        idc_live(ipc, factor): idc_mnist(ipc) cut to a two-minute live run
    live runs          live_runs(): every load_or_distill call of the notebooks, validation_pace(config)
    decoupled          sre2l_mnist(ipc), rded_mnist(ipc), decoupled_teacher() (benchmarks/decoupled.py)
    notebook 15        sre2l_live(ipc), rded_live(ipc): the same on the shipped teacher in every profile
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import profile
from .inits import PRETRAINED_SETTINGS
from .methods import DC, DD, DM, DSA, IDC, KIP, MTT, RDED, SRe2L
from .protocol import Budget

# --- Wang et al. 2018 (DD) ---------------------------------------------------------------------


def dd_fixed_mnist_10() -> DD:
    """Notebook 01: 10 images (one per class), 1 step x 3 epochs, one fixed LeNet initialisation.

    The paper's algorithm with a budget for a CPU: fewer real images per outer iteration (256, full
    profile 512, instead of 1,024) and a bolder Adam step (0.02 instead of 0.01), halved every
    `lr_decay_every` iterations. Cheaper, bolder iterations reach a good set within minutes; the
    price is a noisier outer gradient, which the driver's best-on-validation choice absorbs. The
    default's 3,000 iterations keep notebook 01 within five minutes on one core, Binder's budget;
    most of the accuracy comes in the first thousand (benchmarks/RESULTS.md, benchmarks/dd_fixed.py)."""
    return DD(
        init="fixed",
        ipc=1,
        steps=1,
        epochs=3,
        lr=0.02,
        real_batch=profile.pick(quick=256, default=256, full=512),
        iterations=profile.pick(quick=60, default=3000, full=15000),
        lr_decay_every=profile.pick(quick=30, default=750, full=1500),
    )


def dd_labels_mnist(n_images: int = 10) -> DD:
    """Notebook 13: notebook 01's setting (one fixed LeNet, one step) with learned labels, `n_images`
    images in all (10: one per class; fewer than 10: each image starts shared by two classes or
    more). Five epochs at half notebook 01's Adam step: with labels that may grow past one-hot the
    unroll gets sharp, and the longer, gentler run was the best of those tried (benchmarks/RESULTS.md).
    The full profile is the command of the reference sets dd_fixed_labels_mnist_10 and _5
    (Sucholutsky & Schonlau's setting)."""
    per_class = dict(ipc=1) if n_images == 10 else dict(n_images=n_images)
    return dataclasses.replace(
        dd_fixed_mnist_10(),
        learn_labels=True,
        epochs=5,
        lr=0.01,
        **per_class,
        iterations=profile.pick(quick=30, default=600, full=24000),
        lr_decay_every=profile.pick(quick=30, default=300, full=4000),
    )


def dd_init_settings_mnist_10() -> DD:
    """Notebook 02: 10 images (1 step x 3 epochs) distilled for random initialisations, and with
    ``dataclasses.replace(config, init=...)`` under the three other init settings of Wang et al.

    Notebook 01's optimiser, on a budget a 2-core CPU spends in minutes: under a random setting an
    iteration unrolls `n_nets` networks. Validation accuracy stops climbing after a few hundred
    iterations, hence 400. The quick profile shrinks the pretrained pool to 4 networks (2 for
    distilling, 2 unseen), the size the unit tests build. The paper's random-init size (100 images)
    takes hours on a CPU: it ships as the reference set `assets/dd_random_mnist_100`."""
    return DD(
        init="random",
        ipc=1,
        steps=1,
        epochs=3,
        lr=0.02,
        real_batch=256,
        n_nets=profile.pick(quick=2, default=4),
        pool_size=profile.pick(quick=4, default=30),
        pool_train=profile.pick(quick=2, default=10),
        iterations=profile.pick(quick=10, default=400, full=3000),
        lr_decay_every=profile.pick(quick=1000, default=1000, full=1000),
    )


def dd_sweep_base() -> DD:
    """Notebook 04's sweeps: 10 images (1 step x 3 epochs) for one fixed LeNet init, one short run
    per grid point (Adam 0.05: bold steps pay off in short runs, as for adaptation)."""
    return DD(
        init="fixed",
        ipc=1,
        steps=1,
        epochs=3,
        lr=0.05,
        real_batch=256,
        iterations=profile.pick(quick=8, default=150, full=2000),
        lr_decay_every=profile.pick(quick=100, default=100, full=500),
    )


def dd_adaptation(init: str) -> DD:
    """Notebook 04: 10 images (1 step x 3 epochs) that adapt LeNets pretrained on other digits.

    Adam 0.05 and initial step sizes 0.1 instead of the paper's 0.01 and 0.02: starting from a
    pretrained network, the few hundred iterations a CPU affords need bolder steps.
    random_pretrained draws 2 of the pool's first 20 networks per iteration and is tested on the
    other 10. The quick profile uses a pool of 4 offline-pretrained networks (2 distilling, 2 unseen)."""
    if init not in PRETRAINED_SETTINGS:
        raise ValueError(f"adaptation needs a pretrained init setting ({', '.join(PRETRAINED_SETTINGS)}), got {init!r}")
    single = init == "fixed_pretrained"  # one network per iteration instead of two: faster
    return DD(
        init=init,
        ipc=1,
        steps=1,
        epochs=3,
        lr=0.05,
        inner_lr=0.1,
        real_batch=256,
        n_nets=2,
        pool_size=profile.pick(quick=4, default=30),
        pool_train=profile.pick(quick=2, default=20),
        pretrain_source=profile.pick(quick="digits", default="auto"),  # quick: no probe for USPS
        iterations=profile.pick(quick=6 if single else 3, default=200 if single else 150, full=2000),
        lr_decay_every=profile.pick(quick=100, default=100, full=500),
    )


def dd_poison(attack: tuple[int, int] = (3, 8)) -> DD:
    """Notebook 04's poison: the fixed_pretrained adaptation recipe with ``attack=(source, target)``."""
    return dataclasses.replace(dd_adaptation("fixed_pretrained"), attack=tuple(attack))


# --- DC, DSA, DM (Zhao et al.) ------------------------------------------------------------------


def dc_mnist(ipc: int = 1) -> DC:
    """Notebook 05: gradient matching (DC) from noise, `ipc` images per class.

    The paper's algorithm and loops on a CPU budget: a ConvNet of width 16 instead of 128 (an
    iteration costs about width squared), 64 instead of 256 real images per class, and 400 instead
    of 1,000 networks. Full: the paper's settings, 1,000 networks of `outer_loop` updates each."""
    return DC(ipc=ipc, **_matching_budget(DC(ipc=ipc).loops()[0] * 1000))


def dsa_mnist(ipc: int = 1) -> DSA:
    """Notebook 06: DC with differentiable siamese augmentation, from real images, on DC's budget."""
    return DSA(ipc=ipc, **_matching_budget(DSA(ipc=ipc).loops()[0] * 1000))


def dm_mnist(ipc: int = 1) -> DM:
    """Notebooks 07 and 10-12: distribution matching from real images, `ipc` images per class.

    An iteration is a few times cheaper than DC's at the same width (no inner training, no
    second-order gradient), so the default budget affords a width-32 ConvNet, with 64 real images
    per class and 200 instead of 20,000 iterations. Full: the paper's settings."""
    return DM(
        ipc=ipc,
        width=profile.pick(quick=8, default=32, full=128),
        real_batch=profile.pick(quick=16, default=64, full=256),
        iterations=profile.pick(quick=10, default=200, full=20000),
        validation_epochs=profile.pick(quick=10, default=50),
    )


def _matching_budget(paper_iterations: int) -> dict[str, int]:
    """The profile's width, real batch, iterations and validation epochs for DC and DSA."""
    return dict(
        width=profile.pick(quick=8, default=16, full=128),
        real_batch=profile.pick(quick=16, default=64, full=256),
        iterations=profile.pick(quick=10, default=400, full=paper_iterations),
        validation_epochs=profile.pick(quick=10, default=50),
    )


def idc_mnist(ipc: int = 1, factor: int = 2) -> IDC:
    """IDC's gradient matching on multi-formed images (`factor` 1: IDC-I), `ipc` stored images per class.

    The code's loop on a CPU budget: a width-16 ConvNet, 32 real images per class per update, 20
    image updates per network with 256 real images of network training between them, and 400
    updates instead of 200,000 — so a pixel step size thousands of times the code's, which is sized
    for 200,000 small steps and leaves the images where they started in 400. Full: the code's
    MNIST settings."""
    return IDC(
        ipc=ipc,
        factor=factor,
        width=profile.pick(quick=8, default=16, full=128),
        lr=profile.pick(quick=1.0, default=0.3, full=IDC.lr),
        real_batch=profile.pick(quick=16, default=32, full=64),
        net_examples=profile.pick(quick=64, default=256, full=500),
        inner_loop=profile.pick(quick=5, default=20, full=100),
        iterations=profile.pick(quick=10, default=400, full=200_000),
        validation_epochs=profile.pick(quick=10, default=50),
    )


def idc_live(ipc: int = 1, factor: int = 2) -> IDC:
    """Notebook 14's live run: `idc_mnist`'s loop at the shipped reference set's pixel step size
    (0.05, `assets/idc_mnist_10.json`), cut to what a learner watches in about two minutes on one
    core: 150 image updates (default). Quick: `idc_mnist`'s seconds. Full: the code's settings."""
    return dataclasses.replace(
        idc_mnist(ipc, factor),
        lr=profile.pick(quick=1.0, default=0.05, full=IDC.lr),
        iterations=profile.pick(quick=10, default=150, full=200_000),
        validation_epochs=profile.pick(quick=10, default=30),
    )


# --- MTT (Cazenavette et al. 2022) --------------------------------------------------------------


def mtt_mnist(ipc: int = 1, **overrides: Any) -> MTT:
    """Notebooks 08 and 09: trajectory matching with `ipc` images per class.

    Default: a width-32 ConvNet; 4 experts x 4 epochs on 10,000 MNIST images (built once, then read
    from the verified cache); 20 student steps matching 2 expert epochs; 200 iterations. Quick:
    seconds. Full: the config's defaults, the paper's settings with 20 experts. `overrides` change
    single settings (benchmarks sweep them)."""
    sized = profile.pick(
        quick=dict(
            n_experts=2,
            expert_epochs=2,
            width=16,
            expert_examples=1024,
            max_start_epoch=1,
            expert_epochs_matched=1,
            syn_steps=5,
            iterations=20,
        ),
        default=dict(n_experts=4, expert_epochs=4, width=32, expert_examples=10_000, syn_steps=20, iterations=200),
        full={},
    )
    return MTT(**{**sized, "ipc": ipc, **overrides})


# --- KIP (Nguyen et al. 2021) ------------------------------------------------------------------


def kip_mnist(ipc: int = 1) -> KIP:
    """Kernel inducing points with `ipc` images per class and learned labels, under the NTK of a
    3-hidden-layer ReLU network: what `benchmarks/kip.py` reaches its targets with (a real batch of
    2,000; at 10 per class 2,500 steps, the step size a quarter for the last 1,000). An iteration is
    two kernel matrices and one small solve, so the default budget is minutes on a CPU."""
    longer = ipc >= 10
    return KIP(
        ipc=ipc,
        learn_labels=True,
        depth=3,
        real_batch=profile.pick(quick=500, default=2000),
        iterations=profile.pick(quick=10, default=2500 if longer else 1000),
        lr_decay_every=profile.pick(quick=1000, default=1500 if longer else 1000),
        lr_decay=0.25 if longer else 1.0,
    )


def kip_live(ipc: int = 1) -> KIP:
    """Notebook 13's live KIP run: `kip_mnist(ipc)` on half the real images per step and a third of
    the steps, so the notebook shows KIP learning within a minute; `kip_mnist` is the full run
    whose numbers `benchmarks/kip.py` reports."""
    return dataclasses.replace(
        kip_mnist(ipc), real_batch=profile.pick(quick=500, default=1000), iterations=profile.pick(quick=10, default=300)
    )


# --- decoupled distillation: SRe2L (Yin et al. 2023), RDED (Sun et al. 2024) --------------------


def decoupled_teacher() -> dict[str, int]:
    """The teacher SRe2L and RDED share (`ddlab.sources.teachers`): a BatchNorm ConvNet of width 32
    trained one epoch on all of MNIST, once per machine. Quick: a width-8 one on 2,048 images,
    seconds. Full: the papers' ConvNet width, 128."""
    return profile.pick(
        quick=dict(width=8, teacher_epochs=1, teacher_examples=2048),
        default=dict(width=32, teacher_epochs=1, teacher_examples=60_000),
        full=dict(width=128, teacher_epochs=1, teacher_examples=60_000),
    )


def sre2l_mnist(ipc: int = 1) -> SRe2L:
    """SRe2L with `ipc` images per class: their small-dataset recovery (Adam 0.25, r_bn 0.01,
    jitter 4, T = 30) for half their 1,000 iterations in the default profile (a CPU's minutes), all
    of them in the full one; quick: 10."""
    return SRe2L(
        ipc=ipc,
        iterations=profile.pick(quick=10, default=500, full=1000),
        validation_epochs=profile.pick(quick=5, default=50),
        **decoupled_teacher(),
    )


def rded_mnist(ipc: int = 1) -> RDED:
    """RDED with `ipc` images per class: the settings of their scripts for small images (CIFAR's
    32x32: factor 1, 5 crops of each of 300 real images per class; T = 20); quick: 20 real images
    per class. Why not their ImageNet factor 2: the course's protocol trains on the stored images
    as they are, never zooming into one patch as their students' random crops do, and mosaics of
    four small digits then score below chance (benchmarks/RESULTS.md, decoupled section)."""
    return RDED(ipc=ipc, factor=1, candidates=profile.pick(quick=20, default=300), **decoupled_teacher())


# The default profile's teacher (`decoupled_teacher()`), shipped in assets/teachers/: what notebook 15
# relabels and recovers with in every profile (a quick profile's token teacher knows too few digits).
SHIPPED_TEACHER = dict(width=32, teacher_epochs=1, teacher_examples=60_000)


def sre2l_live(ipc: int = 1) -> SRe2L:
    """Notebook 15's live recovery: `sre2l_mnist(ipc)` (500 steps by default, 10 in the quick profile)
    from the shipped teacher in the quick profile too, so even its 10 steps recover from a teacher that
    knows the digits."""
    return dataclasses.replace(sre2l_mnist(ipc), **profile.pick(quick=SHIPPED_TEACHER, default={}, full={}))


def rded_live(ipc: int = 1) -> RDED:
    """Notebook 15's RDED set, made in seconds: `rded_mnist(ipc)` (300 real images per class by
    default, 20 in the quick profile) with the shipped teacher in the quick profile too."""
    return dataclasses.replace(rded_mnist(ipc), **profile.pick(quick=SHIPPED_TEACHER, default={}, full={}))


# --- the command line ---------------------------------------------------------------------------


def course_recipe(method: str, init: str | None = None, ipc: int | None = None) -> Any:
    """The course recipe the command line starts from for `method` (and DD's `init`), so that
    ``python -m ddlab distill dd --init fixed`` runs exactly what notebook 01 runs. DD: notebook 01's
    recipe for the fixed init, notebook 02's for random, notebook 04's adaptation for the pretrained
    settings; the matching methods: their notebook's recipe at `ipc` images per class (default 1)."""
    if method == "dd":
        if init in PRETRAINED_SETTINGS:
            return dd_adaptation(init)
        return dd_init_settings_mnist_10() if init == "random" else dd_fixed_mnist_10()
    makers: dict[str, Callable[[int], Any]] = {
        "dc": dc_mnist,
        "dsa": dsa_mnist,
        "dm": dm_mnist,
        "mtt": mtt_mnist,
        "kip": kip_mnist,
        "idc": idc_mnist,
        "sre2l": sre2l_mnist,
    }
    if method not in makers:
        raise ValueError(f"no course recipe for method {method!r}; recipes exist for: dd, {', '.join(makers)}")
    return makers[method](ipc or 1)


# --- the runs the notebooks show live ----------------------------------------------------------


def validation_pace(config: Any, checks: int = 4) -> int:
    """`eval_every` for a course run shown live: `checks` validation checks spread over its
    iterations (at least 10 apart). A check trains and tests a few networks, which costs a matching
    method more than tens of its iterations, so the notebooks' short runs pick their best set from a
    few checks rather than the driver's default of up to fifty."""
    return max(10, config.iterations // checks)


@dataclass(frozen=True)
class LiveRun:
    """One `ddlab.load_or_distill` call of the course, as its notebook makes it (seed 0)."""

    where: str  # the notebooks that call it, and how
    config: Any
    options: dict[str, Any]  # the driver options of that call
    dataset: str = "mnist"  # the `ddlab.load` name of the data it distils


def live_runs() -> dict[str, LiveRun]:
    """Every run a notebook distils through `load_or_distill`, by name: the runs whose recordings
    the seminar profile replays (benchmarks/make_recordings.py records them). One name, one call:
    a notebook that needs an earlier notebook's set makes the same call and loads it (notebook 09
    takes reference sets from assets/ for DC, DSA, DM and MTT, and distils DD's live)."""
    config, options = leaderboard_live("dd", 1)  # where reference sets stand in, notebook 09's one live run
    return {**_notebook_runs(), "leaderboard_dd_1": LiveRun("notebook 09: leaderboard_live('dd', 1)", config, options)}


def _notebook_runs() -> dict[str, LiveRun]:
    """The live runs of the notebooks that teach a method (01-08) and of notebook 13."""

    def shown(where: str, config: Any, checks: int = 4) -> LiveRun:
        return LiveRun(
            f"{where}, {checks} check{'s' * (checks > 1)}", config, {"eval_every": validation_pace(config, checks)}
        )

    return {
        "dd_fixed_mnist_10": LiveRun("notebook 01: dd_fixed_mnist_10()", dd_fixed_mnist_10(), {}),
        "dd_random_mnist_10": LiveRun("notebook 02: dd_init_settings_mnist_10()", dd_init_settings_mnist_10(), {}),
        "dd_fixed_setting_mnist_10": LiveRun(
            "notebook 02: dd_init_settings_mnist_10() under the fixed init",
            dataclasses.replace(dd_init_settings_mnist_10(), init="fixed"),
            {},
        ),
        "dd_adapt_fixed": LiveRun(
            "notebooks 02 and 04: dd_adaptation('fixed_pretrained')", dd_adaptation("fixed_pretrained"), {}
        ),
        "dd_adapt_random": LiveRun(
            "notebooks 02 and 04: dd_adaptation('random_pretrained')", dd_adaptation("random_pretrained"), {}
        ),
        "dd_poison_3_8": LiveRun("notebook 04: dd_poison(attack=(3, 8))", dd_poison(attack=(3, 8)), {}),
        "dc_mnist_1": shown("notebook 05: dc_mnist(1)", dc_mnist(1)),
        "dsa_mnist_1": shown("notebook 06: dsa_mnist(1)", dsa_mnist(1)),
        "dm_mnist_1": shown("notebooks 07 and 10-12: dm_mnist(1)", dm_mnist(1)),
        "dm_mnist_10": shown("notebook 07: dm_mnist(10)", dm_mnist(10), checks=1),
        "mtt_mnist_1": shown("notebook 08: mtt_mnist(1)", mtt_mnist(1), checks=6),
        "dd_labels_mnist_5": LiveRun("notebook 13: dd_labels_mnist(5)", dd_labels_mnist(5), {}),
        "kip_live_mnist_1": shown("notebook 13: kip_live(1)", kip_live(1), checks=1),
        "idc_live_mnist_1": shown("notebook 14: idc_live(1)", idc_live(1), checks=2),
        "dm_fashion_mnist_1": dataclasses.replace(
            shown("notebook 13: dm_mnist(1) on Fashion-MNIST", dm_mnist(1)), dataset="fashion_mnist"
        ),
        "sre2l_live_mnist_1": shown("notebook 15: sre2l_live(1)", sre2l_live(1), checks=2),
    }


# --- evaluation ---------------------------------------------------------------------------------


def evaluation() -> Budget:
    """How much of its paper's protocol a set without step sizes is evaluated with by default
    (`ddlab.evaluate`): the full profile runs the papers' epochs and 20 networks; a CPU affords a
    share of the epochs and a few networks."""
    return profile.pick(
        quick=Budget(epoch_fraction=0.02, n_models=2),
        seminar=Budget(epoch_fraction=0.05, n_models=2),
        default=Budget(epoch_fraction=0.3, n_models=4),
        full=Budget(epoch_fraction=1.0, n_models=20),
    )


# --- networks trained on all the real data (fair scores) ---------------------------------------


@dataclass(frozen=True)
class WholeData:
    """How big the networks trained on the real training data are (`ddlab.experiments.fair`: the
    ceiling a set is compared with, and the teacher that labels random real images). They train with
    the evaluation protocol's optimiser on its network, without augmentation, and are cached."""

    epochs: int  # passes over the training images
    n_models: int  # networks: the ceiling's mean ± std; the first is the teacher
    examples: int | None = None  # random training images they see; None: all of them


def whole_data() -> WholeData:
    """The real-data networks' budget. One epoch over all of MNIST already puts a ConvNet and DD's
    LeNet within a few points of their ceiling (benchmarks/RESULTS.md, "Fair scores"), so the
    default profile trains one network for one epoch, once per machine (then read from the cache);
    the seminar profile a sixth of the images, the quick profile a token network; the full profile
    (a GPU) four networks for ten epochs, for a mean ± std."""
    return profile.pick(
        quick=WholeData(epochs=1, n_models=1, examples=1000),
        seminar=WholeData(epochs=1, n_models=1, examples=10_000),
        default=WholeData(epochs=1, n_models=1),
        full=WholeData(epochs=10, n_models=4),
    )


# --- notebook 09: the leaderboard ---------------------------------------------------------------


@dataclass(frozen=True)
class LeaderboardPlan:
    """What the active profile affords the leaderboard."""

    ipcs: tuple[int, ...]  # images per class compared
    evaluation: Budget  # every row's evaluation (its ConvNet width is the table's)
    test_examples: int  # test images each network is scored on (the first ones)
    use_assets: bool  # take a reference set from assets/ where one exists
    checks: int  # validation checks per live run (the driver returns the best)
    check_models: int  # networks per validation check
    check_examples: int  # training images in the validation slice
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # method -> settings of its live run
    fair: WholeData | None = None  # the fair columns' real-data networks (`whole_data`); None: no fair columns

    @property
    def width(self) -> int:
        return self.evaluation.width

    def describe(self) -> str:
        return (
            f"{self.evaluation.n_models} fresh networks per set, tested on the first {self.test_examples} "
            f"test images; ConvNet width {self.width}, {self.evaluation.epoch_fraction:g} x the protocol's epochs"
        )


def leaderboard() -> LeaderboardPlan:
    """The leaderboard's budget. Live runs start from each method's course recipe
    (`leaderboard_recipe`): quick = seconds; default = about a CPU-minute each, so fewer iterations
    than the recipes (DC from real images, as its noise start needs far more); full = the recipes'
    full profile, the papers' settings, and no reference sets. The default evaluation is a ranking:
    a tenth of the protocol's epochs, two networks and 2,000 test images (a standard error of about
    0.5 points at 90%): scoring the rows, most of all the ten-per-class ones, is most of notebook 09's
    time (benchmarks/RESULTS.md, notebooks 09-11 section and the notebook times of issue 16)."""
    return profile.pick(
        quick=LeaderboardPlan(
            ipcs=(1,),
            evaluation=Budget(0.02, 2, width=16),
            test_examples=1000,
            use_assets=True,
            checks=1,
            check_models=1,
            check_examples=500,
            overrides={
                "dd": dict(iterations=3, real_batch=64),
                "dc": dict(iterations=3, init="real"),
                "dsa": dict(iterations=3),
                "dm": dict(iterations=5),
                "mtt": dict(iterations=5),
            },
            fair=whole_data(),
        ),
        seminar=LeaderboardPlan(
            ipcs=(1,),
            evaluation=Budget(0.05, 2, width=32),
            test_examples=2000,
            use_assets=True,
            checks=4,
            check_models=2,
            check_examples=1000,
            overrides={
                "dd": dict(iterations=100),
                "dc": dict(iterations=80, init="real"),
                "dsa": dict(iterations=80),
                "mtt": dict(iterations=100),
            },
            fair=whole_data(),
        ),
        default=LeaderboardPlan(
            ipcs=(1, 10),
            evaluation=Budget(0.1, 2, width=32),
            test_examples=2000,
            use_assets=True,
            checks=4,
            check_models=2,
            check_examples=1000,
            overrides={
                "dd": dict(iterations=100),
                "dc": dict(iterations=80, init="real"),
                "dsa": dict(iterations=80),
                "mtt": dict(iterations=100),
            },
            fair=whole_data(),
        ),
        full=LeaderboardPlan(
            ipcs=(1, 10),
            evaluation=Budget(1.0, 20, width=128),
            test_examples=10_000,
            use_assets=False,
            checks=50,
            check_models=4,
            check_examples=2000,
            fair=whole_data(),
        ),
    )


def leaderboard_recipe(method: str, ipc: int) -> tuple[str, Any]:
    """The course recipe of `method` for `ipc` images per class, and how it is called: what the
    method's own notebook runs (DD: notebook 02's random-init recipe laid out as the paper's
    random-init runs, `ipc` steps of one image per class)."""
    if method == "dd":
        return (
            f"recipes.dd_init_settings_mnist_10() as {ipc} step(s) of one image per class",
            dataclasses.replace(dd_init_settings_mnist_10(), ipc=ipc, steps=ipc),
        )
    makers = {
        "dc": dc_mnist,
        "dsa": dsa_mnist,
        "dm": dm_mnist,
        "mtt": mtt_mnist,
        "idc": idc_mnist,
        "sre2l": sre2l_mnist,
    }
    if method not in makers:
        raise ValueError(f"{method!r} is not distilled; distilled methods: dd, {', '.join(makers)}")
    return f"recipes.{makers[method].__name__}({ipc})", makers[method](ipc)


def leaderboard_live(method: str, ipc: int, plan: LeaderboardPlan | None = None) -> tuple[Any, dict[str, Any]]:
    """The config and driver options of a live leaderboard run of `method` (`plan`: the profile's):
    its course recipe (`leaderboard_recipe`) changed by the plan's overrides, DC/DSA/DM at the
    plan's width (DD's LeNet has none; MTT keeps its recipe's, the width its cached experts were
    trained at). Where that config is a run a notebook already makes (DM at 1 per class is notebook
    07's), that run's own options, so the leaderboard loads it rather than making it again; else
    the plan's validation checks."""
    plan = plan or leaderboard()
    width = {"width": plan.width} if method in ("dc", "dsa", "dm") else {}
    config = dataclasses.replace(leaderboard_recipe(method, ipc)[1], **width, **plan.overrides.get(method, {}))
    for course in _notebook_runs().values():
        if course.config == config and course.dataset == "mnist":
            return config, course.options
    return config, {
        "eval_every": validation_pace(config, plan.checks),
        "eval_models": plan.check_models,
        "eval_examples": plan.check_examples,
    }


# --- notebooks 10-12: Yang et al. 2024's analyses -----------------------------------------------


@dataclass(frozen=True)
class AnalysisPlan:
    """How big the analyses' training runs are: many networks per measured point, so a narrower,
    shorter protocol than a set's own evaluation (only the size changes, never the optimiser).
    Where a number only compares or ranks (agreement, recognition, mixing curves), it is measured on
    the first `test_examples` test images: 2,000 give a standard error under 1 point."""

    evaluation: Budget  # networks trained on a set: width, share of epochs, count
    real_examples: int  # recognition: real training images the networks learn from
    real_epochs: int  # recognition: epochs over them
    curvature_steps: int  # Hessian traces: real-training steps watched
    curvature_every: int  # ... measured every this many steps
    curvature_probes: int  # Hutchinson probes per trace
    curvature_examples: int  # real images the real-data trace is taken on
    ks: tuple[int, ...] = (0, 2, 10, 50, 250)  # mixing: real images added per class (the paper's)
    test_examples: int = 10_000  # test images a compared or ranked number is measured on
    networks: int = 4  # networks per measured point in notebooks 10 and 11
    real_steps: int = 300  # agreement, recognition curve: real-training steps watched
    real_every: int = 10  # ... a checkpoint every this many steps
    subset_ipcs: tuple[int, ...] = (1, 2, 5, 10, 20, 50)  # agreement: real images per class of the subset networks

    @property
    def width(self) -> int:
        """ConvNet channels of networks trained on real data (a set's own width in the full profile)."""
        return self.evaluation.width or 128


def analysis() -> AnalysisPlan:
    """The analyses' budget: the papers' size in the full profile (width of each set, 1,000 epochs,
    20 networks); a narrow ConvNet and a tenth of the epochs by default, cut where the findings stay
    visible (benchmarks/RESULTS.md, notebooks 09-11 section: mixing up to 25 real images per class, agreement
    on 2,000 test images with subsets up to 20 per class, 200 real-training steps)."""
    return profile.pick(
        quick=AnalysisPlan(
            Budget(0.03, 2, width=8),  # at 0.01, a network leaving one image out barely trains: 12.1 hung on the seed
            real_examples=1000,
            real_epochs=3,  # at 1 epoch the MLP judges stay near chance on real digits for some seeds
            curvature_steps=80,  # the rise of the real loss's curvature shows from step 60 on: exercise 11.2 asks about it
            curvature_every=40,
            curvature_probes=4,
            curvature_examples=128,
            ks=(0, 2, 10),
            test_examples=1000,
            networks=1,
            real_steps=30,
            real_every=5,
            subset_ipcs=(1, 5, 20),
        ),
        seminar=AnalysisPlan(
            Budget(0.03, 2, width=16),
            real_examples=2000,
            real_epochs=1,
            curvature_steps=60,
            curvature_every=20,
            curvature_probes=4,
            curvature_examples=128,
            ks=(0, 2, 10),
            test_examples=1000,
            networks=2,
            real_steps=60,
            real_every=10,
            subset_ipcs=(1, 5, 20),
        ),
        default=AnalysisPlan(
            Budget(0.1, 4, width=16),
            real_examples=10_000,
            real_epochs=2,
            curvature_steps=200,
            curvature_every=20,
            curvature_probes=16,
            curvature_examples=512,
            ks=(0, 2, 10, 25),
            test_examples=2000,
            networks=3,
            real_steps=200,
            real_every=10,
            subset_ipcs=(1, 2, 5, 10, 20),
        ),
        full=AnalysisPlan(
            Budget(1.0, 20),
            real_examples=60_000,
            real_epochs=10,
            curvature_steps=300,
            curvature_every=5,
            curvature_probes=64,
            curvature_examples=2048,
            networks=10,
        ),
    )
