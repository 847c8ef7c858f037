"""The course's runs, each defined once: notebooks, benchmarks and `assets/` all call these.

A recipe is a config whose budget follows `ddlab.profile`, so the notebook that runs it, the
benchmark that times it and the command that regenerates its reference set cannot drift apart.
"""
from __future__ import annotations

from typing import Any, Callable

from . import profile
from .methods.dd import DD
from .methods.dm import DM
from .methods.gm import DC, DSA
from .methods.mtt import MTT, budget as mtt_budget


def dd_fixed_mnist_10() -> DD:
    """Notebook 01: 10 images (one per class), 1 step x 3 epochs, one fixed LeNet initialisation.

    The paper's algorithm with a budget for a CPU: 256 (default) or 512 (full) instead of 1,024
    real images per outer iteration, and Adam's step 0.02 instead of 0.01, halved every
    `lr_decay_every` iterations. Cheaper, bolder iterations get a 2-core CPU to 88% in minutes;
    the price is a noisier outer gradient, which the driver's best-on-validation choice absorbs.
    The numbers behind this choice are in benchmarks/RESULTS.md."""
    return DD(init="fixed", ipc=1, steps=1, epochs=3, lr=0.02,
              real_batch=profile.pick(quick=256, default=256, full=512),
              iterations=profile.pick(quick=60, default=6000, full=15000),
              lr_decay_every=profile.pick(quick=30, default=1500, full=1500))


def dd_init_settings_mnist_10() -> DD:
    """Notebook 02: 10 images (1 step x 3 epochs) distilled for random initialisations, and with
    ``dataclasses.replace(config, init=...)`` under the three other init settings of Wang et al.

    Notebook 01's optimiser, on a budget a 2-core CPU spends in minutes: under a random setting an
    iteration unrolls `n_nets` networks, so it costs about four fixed-init iterations. Measured
    with 500 iterations: validation accuracy climbs to ~44% by iteration 250 and then wanders
    between 35 and 45%; the set scored 34.7 +- 9.8% on 20 unseen random inits -- hence 400. The
    quick profile shrinks the pretrained pool to 4 networks (2 for distilling, 2 unseen), the size
    the unit tests build. The paper's random-init size (100 images) takes 3.8 hours on a CPU: it ships
    as the reference set `assets/dd_random_mnist_100` (made in three stages, each command in its JSON;
    benchmarks/RESULTS.md)."""
    return DD(init="random", ipc=1, steps=1, epochs=3, lr=0.02, real_batch=256,
              n_nets=profile.pick(quick=2, default=4),
              pool_size=profile.pick(quick=4, default=30), pool_train=profile.pick(quick=2, default=10),
              iterations=profile.pick(quick=10, default=400, full=3000),
              lr_decay_every=profile.pick(quick=1000, default=1000, full=1000))


# (method, init) -> the course recipe the command line starts from, so that
# ``python -m ddlab distill dd --init fixed`` runs exactly what notebook 01 runs.
BY_METHOD_AND_INIT: dict[tuple[str, str], Callable[[], Any]] = {
    ("dd", "fixed"): dd_fixed_mnist_10,
}


def recipe_for(method: str, init: str | None) -> Callable[[], Any] | None:
    """The course recipe for `method` under `init`, or None where the paper's defaults apply."""
    return BY_METHOD_AND_INIT.get((method, init))


def mtt_mnist(ipc: int = 1) -> MTT:
    """Notebooks 08 and 09: trajectory matching with `ipc` images per class, sized for the profile by
    `ddlab.methods.mtt.budget` (the one place MTT's budgets are defined, so the two cannot drift).

    Quick: seconds. Default: a width-32 ConvNet; 4 experts x 4 epochs on 10,000 MNIST images (about
    4 CPU-minutes to build, once, then read from the verified cache); 20 student steps matching 2
    expert epochs; 300 iterations at 0.6 CPU-seconds each for ipc 1 (about 6 for ipc 10). Full: the
    paper's settings with 20 experts (a GPU's job). Measured: benchmarks/RESULTS.md, MTT section."""
    return mtt_budget(ipc=ipc)


def dc_mnist(ipc: int = 1) -> DC:
    """Notebook 05: gradient matching (DC) from noise, `ipc` images per class.

    The paper's algorithm and loops on a CPU budget: a ConvNet of width 16 instead of 128 (an
    iteration costs about width squared), 64 instead of 256 real images per class, and 400 instead
    of 1,000 networks: about 3 CPU-minutes for ipc 1, where a paper-size iteration alone takes a
    minute. Full: the paper's settings, 1,000 networks of `outer_loop` updates each (ipc 10: 10,000
    updates; a GPU's job). Measured: benchmarks/RESULTS.md, "Gradient and distribution matching"."""
    return DC(ipc=ipc, **_matching_budget(DC(ipc=ipc).loops()[0] * 1000))


def dsa_mnist(ipc: int = 1) -> DSA:
    """Notebook 06: DC with differentiable siamese augmentation, from real images, on DC's budget."""
    return DSA(ipc=ipc, **_matching_budget(DSA(ipc=ipc).loops()[0] * 1000))


def dm_mnist(ipc: int = 1) -> DM:
    """Notebook 07: distribution matching from real images, `ipc` images per class.

    An iteration is a few times cheaper than DC's at the same width (no inner training, no
    second-order gradient), so the default budget affords a width-32 ConvNet, with 64 real images
    per class and 200 instead of 20,000 iterations (at width 32 the best set was found within the
    first few hundred). Full: the paper's settings (a GPU's job). Measured: benchmarks/RESULTS.md."""
    return DM(ipc=ipc, width=profile.pick(quick=8, default=32, full=128),
              real_batch=profile.pick(quick=16, default=64, full=256),
              iterations=profile.pick(quick=10, default=200, full=20000),
              validation_epochs=profile.pick(quick=10, default=50))


def _matching_budget(paper_iterations: int) -> dict[str, int]:
    """The profile's width, real batch, iterations and validation epochs for DC and DSA."""
    return dict(width=profile.pick(quick=8, default=16, full=128),
                real_batch=profile.pick(quick=16, default=64, full=256),
                iterations=profile.pick(quick=10, default=400, full=paper_iterations),
                validation_epochs=profile.pick(quick=10, default=50))
