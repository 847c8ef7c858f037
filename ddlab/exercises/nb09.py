"""Notebook 09's exercises: value for time, do ConvNet-made images teach an MLP, coresets at ten per class.
The checks take leaderboard rows and tables, whose scores record the set and network they measured,
and verify the learner's choice of rows and leads against them."""

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


def _why_lead(outcome: str) -> str:
    return {
        "every one": "A distilled image was optimised through a ConvNet, but what it carries is mostly "
        "not the ConvNet's: each class's typical strokes, gathered into one picture, which a network "
        "without convolutions can learn from too. So the MLP, trained on one image per class, still "
        "learns more from any distilled set than from a random real digit, however much each set "
        "loses from the ConvNet's column. What is tied to the ConvNet shows in how far the columns "
        "differ from set to set, not in whether the set beats real images.",
        "not every one": "At least one distilled set carries so much that only a ConvNet can use "
        "that an MLP learns no more from it than from random real digits: its pixels encode the "
        "ConvNet's local features rather than the class's shape. That is the risk of optimising "
        "images through one architecture.",
    }[outcome]


@exercise(
    "09.2",
    choices=("every one", "not every one"),
    why=_why_lead,
    hint="Each item of `cross.rows` is (method, ipc, {arch: Scores}). Take the rows at 1 image per "
    "class; a set's lead is its MLP mean minus the MLP mean of the random_real row. Hand the check "
    "`cross` and the leads of the distilled sets (not random_real, herding or k-center): it "
    "recomputes them from the scores.",
    solution="""
prediction = "every one"
mlp = {method: scores["mlp"].mean for method, ipc, scores in cross.rows if ipc == 1}
answer = {"cross": cross,
          "leads": {method: mlp[method] - mlp["random_real"] for method in mlp
                    if method not in ("random_real", "herding", "kcenter")}}
check("09.2", prediction, answer)
""",
    typed={"dc": 0.30, "dsa": 0.35, "dm": 0.36, "mtt": 0.35},
    wrong_setting=(
        "import dataclasses as _dataclasses\n"
        "_cross = _dataclasses.replace(cross, rows=tuple((m, i, {**s, 'mlp': s['convnet']}) "
        "for m, i, s in cross.rows))\n"
        "_mlp = {m: s['mlp'].mean for m, i, s in _cross.rows if i == 1}\n"
        "counterfeit = {'cross': _cross, 'leads': {m: _mlp[m] - _mlp['random_real'] for m in _mlp "
        "if m not in ('random_real', 'herding', 'kcenter')}}"
    ),
)
def every_lead_on_the_mlp(answer) -> str:
    from ..experiments import baselines
    from ..experiments.leaderboard import CrossArchitecture

    keys_of(answer, ("cross", "leads"))
    cross = answer["cross"]
    if not isinstance(cross, CrossArchitecture):
        raise NotYet(
            f"answer['cross'] should be what leaderboard.cross_architecture returns, got {type(cross).__name__}"
        )
    mlp = {}
    for method, ipc, scores in cross.rows:
        if ipc != 1:
            continue
        found = scores_of(scores, tuple(scores), same_images=True)
        if "mlp" not in found or found["mlp"].evaluated.arch != "mlp":
            raise NotYet(f"the mlp column of {method} at 1 per class was not measured on MLPs")
        mlp[method] = found["mlp"].mean
    if "random_real" not in mlp:
        raise NotYet("`cross` has no random_real row at 1 image per class: cross_architecture of every row")
    leads = {method: m - mlp["random_real"] for method, m in mlp.items() if method not in baselines.CORESETS}
    if not leads:
        raise NotYet("`cross` has no distilled set at 1 image per class: cross_architecture of every row")
    if not isinstance(answer["leads"], dict) or set(answer["leads"]) != set(leads):
        raise NotYet(
            f"answer['leads'] should be a dict {{method: lead}} for the distilled sets at 1 per class, {sorted(leads)}"
        )
    recomputed(
        torch.tensor([float(answer["leads"][m]) for m in sorted(leads)]),
        torch.tensor([leads[m] for m in sorted(leads)]),
        "answer['leads']",
        "each distilled set's MLP mean minus random_real's, at 1 image per class",
    )
    return "every one" if min(leads.values()) > 0 else "not every one"


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
