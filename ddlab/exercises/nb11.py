"""Notebook 11's exercises: how much of the agreement is forced, when real training is most curved."""
from __future__ import annotations

import torch

from .core import NotYet, exercise


def _why_floor(outcome: str) -> str:
    return ("Two classifiers of accuracies a and b must agree on at least a + b - 1 of the images, so at 80% "
            "accuracy each about 60 points of agreement are forced. ") + {
        "well above the floor": "What lies above the floor is chosen: here the two networks make the *same* "
                                "mistakes on more than 5 points of the test images, on average.",
        "near the floor": "Here little lies above it (5 points or less, on average): the two networks agree "
                          "where both are right and seldom share a mistake, so the agreement says little "
                          "about shared early training.",
    }[outcome]


@exercise("11.1", choices=("well above the floor", "near the floor"), why=_why_floor,
          hint="The floor of each distilled-data network is `accuracy + early_accuracy - 1` (fields of "
               "`agreements['DM']`); subtract it from the measured agreement `early`.",
          solution='''
prediction = "well above the floor"
dm = agreements["DM"]
answer = dm.early - (dm.accuracy + dm.early_accuracy - 1)
check("11.1", prediction, answer)
''')
def above_the_floor(answer) -> str:
    if not isinstance(answer, torch.Tensor) or answer.dim() != 1 or not len(answer):
        raise NotYet("`answer` should be a 1-D tensor: for each DM network, its agreement minus its floor")
    if answer.min() < -1e-6 or answer.max() > 1:
        raise NotYet("an agreement can never fall below its floor a + b - 1: check the sign and the fields used")
    return "well above the floor" if answer.mean().item() > 0.05 else "near the floor"


def _why_curvature(outcome: str) -> str:
    return {
        "more curved": "At initialisation every prediction is near uniform and the loss surface around the "
                       "weights is flat. As real training leaves the initialisation the network commits to "
                       "classes and the loss bends sharply: the early phase the matching methods distil is "
                       "the phase where curvature builds up.",
        "flatter": "The curvature builds up early, as the network commits to classes, then falls again as "
                   "training settles into a wide valley: this run was long enough to pass the peak, so it "
                   "ends flatter than it began.",
    }[outcome]


@exercise("11.2", choices=("more curved", "flatter"), why=_why_curvature,
          hint="`curvature.mean('real')` lists the mean trace of the real loss at every step of "
               "`curvature.steps`; compare its first and last entries.",
          solution='''
prediction = "more curved"
answer = curvature.mean("real")
check("11.2", prediction, answer)
''')
def curvature_grows(answer) -> str:
    if not isinstance(answer, (list, tuple)) or len(answer) < 2 or not all(isinstance(v, float) for v in answer):
        raise NotYet("`answer` should be the list of mean traces of the real loss, one per measured step "
                     "(curvature.mean('real'))")
    return "more curved" if answer[-1] > answer[0] else "flatter"
