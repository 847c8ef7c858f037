"""ddlab — the Dataset Distillation Lab.

    data = ddlab.load("mnist")                                      # whole MNIST, on the device
    result = ddlab.distill(ddlab.DD(init="fixed", ipc=1, steps=1), data,   # learn 10 images
                           callbacks=[ddlab.LiveView()], seed=0)
    print(ddlab.evaluate(result, data))                             # train on them, test

Glossary of the names used across the package:
    ipc        images per class, in all (a DD set splits them evenly over its steps)
    x_syn      synthetic images, normalised like the real ones: (N, C, H, W)
    theta      network weights as a {name: tensor} dict ("params"); stacked: {name: (n, ...)}
    theta0     an initialisation; "fixed" = one known draw, "random" = fresh draws
    steps      distinct synthetic batches; epochs = passes over them; lrs = learned step sizes
    inner_lr   the step size of the inner training (DD, MTT: its initial value, then learned)
    outer loss the loss on real data after training on synthetic data (what distillation lowers)
"""

from . import environment, exercises, experiments, plots, profile, recipes, sources
from .callbacks import Event
from .data import Dataset, load
from .distill import DivergenceError, distill, load_or_distill
from .evaluate import Scores, evaluate
from .functional import Schedule, train_many, unroll
from .live import LiveView, Replay
from .methods import DC, DD, DM, DSA, MTT, available as available_methods, config_for
from .nets import MLP, ConvNet, LeNet, make_net
from .plots import show_images
from .sources import assets
from .synthetic import SyntheticSet

__all__ = [
    "environment",
    "exercises",
    "experiments",
    "plots",
    "profile",
    "recipes",
    "sources",
    "assets",
    "Event",
    "Dataset",
    "load",
    "DivergenceError",
    "distill",
    "load_or_distill",
    "Scores",
    "evaluate",
    "Schedule",
    "train_many",
    "unroll",
    "LiveView",
    "Replay",
    "available_methods",
    "config_for",
    "DD",
    "DC",
    "DSA",
    "DM",
    "MTT",
    "ConvNet",
    "LeNet",
    "MLP",
    "make_net",
    "show_images",
    "SyntheticSet",
]
