"""The course's runs, each defined once: notebooks, benchmarks and `assets/` all call these.

A recipe is a config whose budget follows `ddlab.profile`, so the notebook that runs it, the
benchmark that times it and the command that regenerates its reference set cannot drift apart.
"""
from __future__ import annotations

from . import profile
from .methods.dd import DD


def dd_fixed_mnist_10() -> DD:
    """Notebook 01: 10 images (one per class), 1 step x 3 epochs, one fixed LeNet initialisation.

    The paper's optimiser settings, with 256 instead of 1,024 real images per outer iteration in
    the quick and default profiles: four times cheaper iterations reach 88% far sooner on a CPU,
    at the price of a noisier outer gradient. The full profile is the paper's recipe (1,024 real
    images, ~23k iterations = 400 epochs of 58, halving Adam's step every 40 epochs)."""
    return DD(init="fixed", ipc=1, steps=1, epochs=3,
              real_batch=profile.pick(quick=256, default=256, full=1024),
              iterations=profile.pick(quick=60, default=4000, full=23400),
              lr_decay_every=profile.pick(quick=30, default=1000, full=2340))
