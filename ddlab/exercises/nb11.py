"""Notebook 11's exercises: how much of the agreement is forced, when real training is most curved.
The checks take what `analysis` measured (an agreement that records its set, a curvature curve):
the first recomputes the learner's gap above the floor from it, the second reads the trend itself."""

from __future__ import annotations

from ..analysis.agreement import Agreement
from ..analysis.hessian import CurvatureCurve
from ..synthetic import fingerprint
from .core import NotYet, exercise
from .provenance import keys_of, recomputed, set_of


def _why_floor(outcome: str) -> str:
    return (
        "Two classifiers of accuracies a and b must agree on at least a + b - 1 of the images, so at 80% "
        "accuracy each about 60 points of agreement are forced. "
    ) + {
        "well above the floor": "What lies above the floor is chosen: here the two networks make the *same* "
        "mistakes on more than 5 points of the test images, on average.",
        "near the floor": "Here little lies above it (5 points or less, on average): the two networks agree "
        "where both are right and seldom share a mistake, so the agreement says little "
        "about shared early training.",
    }[outcome]


@exercise(
    "11.1",
    choices=("well above the floor", "near the floor"),
    why=_why_floor,
    hint="The floor of each distilled-data network is `accuracy + early_accuracy - 1` (fields of "
    "`agreements['DM']`); subtract it from the measured agreement `early`, and hand the check the "
    "DM set and its agreement with it: it recomputes the gap.",
    solution="""
prediction = "well above the floor"
dm = agreements["DM"]
answer = {"DM set": dm_set, "agreement": dm, "above floor": dm.early - (dm.accuracy + dm.early_accuracy - 1)}
check("11.1", prediction, answer)
""",
    typed=[0.12, 0.10],
    wrong_setting=(
        'counterfeit = {"DM set": dm_set, "agreement": agreements["DC"], "above floor": '
        'agreements["DC"].early - (agreements["DC"].accuracy + agreements["DC"].early_accuracy - 1)}'
    ),
)
def above_the_floor(answer) -> str:
    keys_of(answer, ("DM set", "agreement", "above floor"))
    dm = set_of(answer["DM set"], "answer['DM set']", method="dm")
    agreement = answer["agreement"]
    if not isinstance(agreement, Agreement):
        raise NotYet(
            f"answer['agreement'] should be one entry of what analysis.agreement returns, got {type(agreement).__name__}"
        )
    if agreement.images != fingerprint(dm.images):
        raise NotYet("answer['agreement'] was measured on another set than answer['DM set']: take agreements['DM']")
    above = recomputed(
        answer["above floor"],
        agreement.early - (agreement.accuracy + agreement.early_accuracy - 1),
        "answer['above floor']",
        "early - (accuracy + early_accuracy - 1), network by network",
    )
    return "well above the floor" if above.mean().item() > 0.05 else "near the floor"


@exercise(
    "11.2",
    choices=("more curved", "flatter"),
    why="At initialisation every prediction is near uniform and the loss surface around the weights is "
    "flat. As real training leaves the initialisation the network commits to classes and the loss bends "
    "sharply within the first hundred steps (it eases again later, but stays far above where it "
    "began): the early phase the matching methods distil is the phase where curvature builds up.",
    hint="`curvature.mean('real')` lists the mean trace of the real loss at every step of "
    "`curvature.steps`; hand the check `curvature`: it compares the first and last entries.",
    solution="""
prediction = "more curved"
answer = curvature
check("11.2", prediction, answer)
""",
    typed=[10.0, 50.0],
    wrong_setting=(
        "import dataclasses as _dataclasses\n"
        "counterfeit = _dataclasses.replace(curvature, steps=curvature.steps[:1], "
        "traces={k: v[:1] for k, v in curvature.traces.items()})"
    ),
)
def curvature_grows(answer) -> str:
    if not isinstance(answer, CurvatureCurve) or "real" not in answer.traces:
        raise NotYet(f"`answer` should be what analysis.curvature_during_training returns, got {type(answer).__name__}")
    if len(answer.steps) < 2:
        raise NotYet(
            f"`answer` was measured at step {answer.steps} only: the question is how the curvature "
            "changes along training, so it needs the start and a later step"
        )
    real = answer.mean("real")
    return "more curved" if real[-1] > real[0] else "flatter"
