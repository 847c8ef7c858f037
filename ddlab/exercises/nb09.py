"""Notebook 09's exercises: value for time, whose images depend on the ConvNet, coresets at ten per class.
The checks take leaderboard rows and tables, whose scores record the set and network they measured,
and verify the learner's choice of rows and drops against them."""

from __future__ import annotations

import torch

from ..synthetic import fingerprint
from .core import NotYet, exercise
from .provenance import keys_of, recomputed, scores_of


def rows_of(rows, what: str) -> list:
    """`rows` as a non-empty list of leaderboard rows whose scores measured their own set, or a NotYet."""
    from ..experiments.leaderboard import Row

    if not isinstance(rows, (list, tuple)) or not rows:
        raise NotYet(f"{what} should be a non-empty list of leaderboard rows")
    for row in rows:
        if not isinstance(row, Row):
            raise NotYet(
                f"every item of {what} should be a row of `rows` (a leaderboard.Row), got {type(row).__name__}"
            )
        scores_of({"score": row.scores}, ("score",))
        if row.scores.evaluated.images != fingerprint(row.synthetic.images):
            raise NotYet(f"the row of {row.method} at {row.ipc} per class carries scores of another set")
    return list(rows)


@exercise(
    "09.1",
    choices=("coreset", "distilled"),
    why="A rule that picks real images (herding, k-center) costs a fraction of a second; any "
    "optimisation of pixels costs seconds to hours. Whenever a coreset already beats random "
    "picks it is the value-for-time winner, even if a distilled set beats it by far on accuracy.",
    hint="Keep the rows that have a `seconds` (not None) and whose `scores.mean` is above the "
    "random_real row's of the same `ipc`; hand the check those and all `rows`: it checks your "
    "choice against them and finds the fastest.",
    solution="""
prediction = "coreset"
random_row = {r.ipc: r for r in rows if r.method == "random_real"}
answer = {"rows": rows,
          "chosen": [r for r in rows if r.seconds is not None and r.scores.mean > random_row[r.ipc].scores.mean]}
check("09.1", prediction, answer)
""",
    typed=[{"method": "herding", "ipc": 1, "seconds": 0.1, "accuracy": 0.7}],
    wrong_setting='counterfeit = {"rows": rows, "chosen": [r for r in rows if r.seconds is not None]}',
)
def fastest_better_than_random(answer) -> str:
    from ..experiments import baselines

    keys_of(answer, ("rows", "chosen"))
    rows, chosen = rows_of(answer["rows"], "answer['rows']"), rows_of(answer["chosen"], "answer['chosen']")
    random_real = {r.ipc: r.scores.mean for r in rows if r.method == "random_real"}
    beat = [r for r in rows if r.seconds is not None and r.ipc in random_real and r.scores.mean > random_real[r.ipc]]
    picked, right = {id(r) for r in chosen}, {id(r) for r in beat}
    if picked != right:
        wrong = next(r for r in chosen + beat if (id(r) in picked) != (id(r) in right))
        raise NotYet(
            f"the row of {wrong.method} at {wrong.ipc} per class should "
            f"{'not ' * (id(wrong) in picked)}be in answer['chosen']: keep exactly the rows with a time "
            "that beat random_real at their images per class"
        )
    fastest = min(chosen, key=lambda r: r.seconds)
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


@exercise(
    "09.2",
    choices=("distilled", "coreset"),
    why=_why_drop,
    hint="Each item of `cross.rows` is (method, ipc, {arch: Scores}); the drop of a row is its "
    "ConvNet mean minus its MLP mean. Hand the check `cross` with your drops: it recomputes them and "
    "averages the drops of each family.",
    solution="""
prediction = "coreset"
answer = {"cross": cross,
          "drops": {(method, ipc): scores["convnet"].mean - scores["mlp"].mean for method, ipc, scores in cross.rows}}
check("09.2", prediction, answer)
""",
    typed={("herding", 1): 0.30, ("kcenter", 1): 0.25, ("dc", 1): 0.10, ("dm", 1): 0.12},
    wrong_setting=(
        "import dataclasses as _dataclasses\n"
        "_cross = _dataclasses.replace(cross, rows=tuple((m, i, {**s, 'mlp': s['convnet']}) "
        "for m, i, s in cross.rows))\n"
        "counterfeit = {'cross': _cross, 'drops': {(m, i): 0.0 for m, i, _ in _cross.rows}}"
    ),
)
def biggest_drop(answer) -> str:
    from ..experiments import baselines
    from ..experiments.leaderboard import CrossArchitecture

    keys_of(answer, ("cross", "drops"))
    cross = answer["cross"]
    if not isinstance(cross, CrossArchitecture):
        raise NotYet(
            f"answer['cross'] should be what leaderboard.cross_architecture returns, got {type(cross).__name__}"
        )
    drops = {}
    for method, ipc, scores in cross.rows:
        found = scores_of(scores, tuple(scores), same_images=True)
        for arch in ("convnet", "mlp"):
            if arch not in found or found[arch].evaluated.arch != arch:
                raise NotYet(f"the {arch} column of {method} at {ipc} per class was not measured on {arch}s")
        drops[method, ipc] = found["convnet"].mean - found["mlp"].mean
    if not isinstance(answer["drops"], dict) or set(answer["drops"]) != set(drops):
        raise NotYet("answer['drops'] should be a dict {(method, ipc): drop} with one entry per row of cross.rows")
    keys = sorted(drops)
    recomputed(
        torch.tensor([float(answer["drops"][k]) for k in keys]),
        torch.tensor([drops[k] for k in keys]),
        "answer['drops']",
        "each row's ConvNet mean minus its MLP mean",
    )
    coreset = [d for (method, _), d in drops.items() if method in baselines.CORESETS]
    distilled = [d for (method, _), d in drops.items() if method not in baselines.CORESETS]
    if not coreset or not distilled:
        raise NotYet("`cross` should hold coresets and distilled sets alike: cross_architecture of every row")
    return "distilled" if sum(distilled) / len(distilled) > sum(coreset) / len(coreset) else "coreset"


@exercise(
    "09.3",
    choices=("shrinks", "grows"),
    why="Herding keeps the running mean of its picks on the class mean, so its picks are typical "
    "digits. At one image per class that choice is everything: a typical digit against a random "
    "one, often oddly written. With ten, random picks already cover each class's common shapes, so "
    "typical picks have less to add and the lead shrinks: a rule that picks images matters most "
    "where there are fewest, which is where distillation competes too.",
    hint="`leaderboard.run(method, ipc, data)` returns a Row; build a dict keyed by (method, ipc) with "
    "the four rows of herding and random_real at 1 and 10 images per class.",
    solution="""
prediction = "shrinks"
answer = {(m, ipc): leaderboard.run(m, ipc, data) for m in ("herding", "random_real") for ipc in (1, 10)}
check("09.3", prediction, answer)
""",
    typed={("herding", 1): 0.75, ("random_real", 1): 0.47, ("herding", 10): 0.91, ("random_real", 10): 0.85},
    wrong_setting=("counterfeit = {(m, ipc): answer[(m, 1)] for m in ('herding', 'random_real') for ipc in (1, 10)}"),
)
def herding_lead(answer) -> str:
    wanted = [(method, ipc) for method in ("herding", "random_real") for ipc in (1, 10)]
    if not isinstance(answer, dict):
        raise NotYet(f"`answer` should be a dict keyed by (method, ipc), got {type(answer).__name__}")
    if set(answer) != set(wanted):
        raise NotYet(f"`answer` should have exactly the keys {wanted}, got {sorted(answer, key=str)}")
    for (method, ipc), row in answer.items():
        rows_of([row], f"answer[{(method, ipc)!r}]")
        if row.method != method or row.ipc != ipc:
            raise NotYet(
                f"answer[{(method, ipc)!r}] is the row of {row.method} at {row.ipc} per class; "
                f"run leaderboard.run({method!r}, {ipc}, data)"
            )
        if row.synthetic.images.shape[0] != ipc * len(torch.unique(row.synthetic.labels)):
            raise NotYet(f"answer[{(method, ipc)!r}] should hold {ipc} image(s) per class")
    lead = {ipc: answer["herding", ipc].scores.mean - answer["random_real", ipc].scores.mean for ipc in (1, 10)}
    return "shrinks" if lead[10] < lead[1] else "grows"
