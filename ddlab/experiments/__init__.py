"""The papers' side studies, each built on the core flow (config -> distill -> evaluate).

baselines.py    real-image baselines and coresets laid out like a distilled set (notebooks 03, 09)
comparison.py   Wang et al.'s Table 1: distilled sets beside the baselines (notebook 03)
transfer.py     distilled under one init setting, tested under another (notebook 02)
sweeps.py       steps, epochs and images per class (notebook 04)
adaptation.py   a few images that adapt pretrained networks to MNIST (notebook 04)
poisoning.py    a set that makes networks call one digit another (notebook 04)
leaderboard.py  every method under one protocol, with time and memory (notebooks 09, 15)
memory.py       peak memory of a block of code, for the leaderboard
fair.py         fair scores: hard and soft labels, random real images treated the same way (09, 13)
fair_record.py  the fair-score table at every size, measured once by a benchmark (notebook 15)
"""

from . import adaptation, baselines, comparison, fair, fair_record, leaderboard, poisoning, sweeps, transfer

__all__ = [
    "adaptation",
    "baselines",
    "comparison",
    "fair",
    "fair_record",
    "leaderboard",
    "poisoning",
    "sweeps",
    "transfer",
]
