"""Distillation methods: one file per paper, all behind one small interface (`base.Method`).

    dd.py    Wang et al. 2018, Dataset Distillation: unroll a few SGD steps, learn images and step sizes
    dc.py    Zhao et al. 2021, gradient matching (DC), and with siamese augmentation (DSA)
    dm.py    Zhao & Bilen 2023, distribution matching (DM)
    mtt.py   Cazenavette et al. 2022, matching training trajectories (MTT)
    kip.py   Nguyen, Chen & Lee 2021, kernel inducing points (KIP): kernel ridge regression on the set
    sre2l.py Yin, Xing & Shen 2023, squeeze, recover, relabel (SRe2L): images a BatchNorm teacher recovers
    rded.py  Sun et al. 2024, RDED: real patches a teacher finds typical, stitched (made directly, no driver)
    idc.py   Kim et al. 2022, IDC: gradient matching on multi-formed images (more images per stored byte)

Each method file imports `base` and registers itself; this package imports every method file
explicitly (no import magic, no cycle), so ``config_for("dm")`` and ``distill(DM(...), data)`` find
them all. Code outside `ddlab.methods` imports from here, not from the method files: the configs, and
the few helpers an experiment shares with its method (DD's relabelling for poisoning, MTT's expert
spec for the leaderboard's note on cached experts), and the distances the write-it-yourself exercises
check a learner's code against (DC's layer distance, MTT's parameter distance).
"""

from .base import Method, available, config_for, config_from_dict, method_for, register, registered
from .dc import DC, DSA, gradient_distance, layer_distance, weight_gradients
from .dd import DD, check_attack, relabel
from .dm import DM, DistributionMatching
from .idc import IDC, decode, training_set
from .kip import KIP
from .mtt import MTT, TrajectoryMatching, expert_spec, parameter_distance
from .rded import RDED, rded
from .sre2l import SRe2L, bn_statistics_loss

__all__ = [
    "Method",
    "available",
    "config_for",
    "config_from_dict",
    "method_for",
    "register",
    "registered",
    "DC",
    "DSA",
    "DD",
    "DM",
    "IDC",
    "decode",
    "KIP",
    "MTT",
    "check_attack",
    "expert_spec",
    "layer_distance",
    "parameter_distance",
    "relabel",
    "training_set",
    "RDED",
    "SRe2L",
    "bn_statistics_loss",
    "rded",
    "DistributionMatching",
    "TrajectoryMatching",
    "gradient_distance",
    "weight_gradients",
]
