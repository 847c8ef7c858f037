"""Notebook 09's exercises: value for time, whose images depend on the ConvNet, coresets at ten per class."""
from __future__ import annotations

import torch

from .core import NotYet, exercise


def _rows(answer, what: str) -> list:
    from ..experiments.leaderboard import Row
    if not isinstance(answer, (list, tuple)) or not answer:
        raise NotYet(f"`answer` should be a non-empty list of leaderboard rows: {what}")
    for row in answer:
        if not isinstance(row, Row):
            raise NotYet(f"every item of `answer` should be a row of `rows` (a leaderboard.Row), got {type(row).__name__}")
    return list(answer)


@exercise("09.1", choices=("coreset", "distilled"),
          why="A rule that picks real images (herding, k-center) costs a fraction of a second; any "
              "optimisation of pixels costs seconds to hours. Whenever a coreset already beats random "
              "picks it is the value-for-time winner, even if a distilled set beats it by far on accuracy.",
          hint="Keep the rows that have a `seconds` (not None) and whose `scores.mean` is above the "
               "random_real row's of the same `ipc`; the check finds the fastest among them.",
          solution='''
prediction = "coreset"
random_row = {r.ipc: r for r in rows if r.method == "random_real"}
answer = [r for r in rows if r.seconds is not None and r.scores.mean > random_row[r.ipc].scores.mean]
check("09.1", prediction, answer)
''')
def fastest_better_than_random(answer) -> str:
    from ..experiments import baselines
    rows = _rows(answer, "those with a time to make that beat random real images")
    if any(r.seconds is None for r in rows):
        raise NotYet("keep only rows with a recorded time (`r.seconds is not None`)")
    if any(r.method == "random_real" for r in rows):
        raise NotYet("random_real cannot beat itself: keep only rows above it")
    fastest = min(rows, key=lambda r: r.seconds)
    return "coreset" if fastest.method in baselines.CORESETS else "distilled"


def _why_drop(outcome: str) -> str:
    return {
        "distilled": "Distilled pixels were optimised through one architecture, so part of what they carry "
                     "is specific to the ConvNet: an MLP, which sees no local patterns, cannot use it. Real "
                     "images were optimised for nothing and lose less. (The families' average drops: with "
                     "a few networks each row alone is noisy.)",
        "coreset": "An MLP trained briefly on a few real digits is a weak learner whatever the images, and "
                   "the distilled sets, made to teach fast, give it more to start from: what they carry "
                   "is less tied to the ConvNet than to training on few images. (The families' average "
                   "drops: with a few networks each row alone is noisy.)",
    }[outcome]


@exercise("09.2", choices=("distilled", "coreset"), why=_why_drop,
          hint="Each item of `cross.rows` is (method, ipc, {arch: Scores}); the drop of a row is its "
               "ConvNet mean minus its MLP mean. The check averages the drops of each family.",
          solution='''
prediction = "coreset"
answer = {(method, ipc): scores["convnet"].mean - scores["mlp"].mean for method, ipc, scores in cross.rows}
check("09.2", prediction, answer)
''')
def biggest_drop(answer) -> str:
    from ..experiments import baselines
    from ..experiments.leaderboard import METHODS
    if not isinstance(answer, dict) or len(answer) < 2:
        raise NotYet("`answer` should be a dict {(method, ipc): drop from ConvNet to MLP} over the rows of `cross`")
    for key, drop in answer.items():
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] in METHODS):
            raise NotYet(f"the keys should be (method, ipc) pairs as in cross.rows, got {key!r}")
        if not isinstance(drop, (int, float)) or not -1 <= drop <= 1:
            raise NotYet(f"answer[{key!r}] should be a difference of two accuracies in [0, 1], got {drop!r}")
    coreset = [d for (method, _), d in answer.items() if method in baselines.CORESETS]
    distilled = [d for (method, _), d in answer.items() if method not in baselines.CORESETS]
    if not coreset or not distilled:
        raise NotYet("include every row of `cross.rows`, coresets and distilled sets alike")
    return "distilled" if sum(distilled) / len(distilled) > sum(coreset) / len(coreset) else "coreset"


def _why_herding_at_ten(outcome: str) -> str:
    rule = ("Herding keeps the running mean of its picks on the class mean, so its picks are typical "
            "digits. ")
    return rule + {
        "herding": "Even at ten per class, typical digits teach a network more in a short training than "
                   "random ones, which include odd writing the network then spends its steps on.",
        "random_real": "At ten per class, covering the variety of handwriting matters too: random picks "
                       "cover it, while herding's typical picks repeat the common shapes.",
    }[outcome]


@exercise("09.3", choices=("herding", "random_real"), why=_why_herding_at_ten,
          hint="`leaderboard.run(method, 10, data)` returns a Row; build a dict with one row per method.",
          solution='''
prediction = "herding"
answer = {m: leaderboard.run(m, 10, data) for m in ("herding", "random_real")}
check("09.3", prediction, answer)
''')
def herding_at_ten(answer) -> str:
    from ..experiments.leaderboard import Row
    if not isinstance(answer, dict) or set(answer) != {"herding", "random_real"}:
        raise NotYet("`answer` should be a dict with the keys 'herding' and 'random_real'")
    for method, row in answer.items():
        if not isinstance(row, Row):
            raise NotYet(f"answer[{method!r}] should be what leaderboard.run returns, got {type(row).__name__}")
        if row.method != method or row.ipc != 10:
            raise NotYet(f"answer[{method!r}] is the row of {row.method} at {row.ipc} per class; "
                         f"run {method!r} at 10 per class")
        if row.synthetic.images.shape[0] != 10 * len(torch.unique(row.synthetic.labels)):
            raise NotYet(f"answer[{method!r}] should hold 10 images per class")
    return "herding" if answer["herding"].scores.mean > answer["random_real"].scores.mean else "random_real"
