"""Notebook 03's exercises: why baselines get their own step size, and herding against k-center."""
from __future__ import annotations

from .answers import scores_of
from .core import exercise


@exercise("03.1", choices=("higher", "lower"),
          why="A step size that suits learned images is wrong for real ones: real images were never "
              "shaped for a few large steps, so each baseline gets its own step size, tuned on a "
              "validation slice, before the comparison is fair.",
          hint="`import dataclasses, torch` first; then `dataclasses.replace(sets['class_average'], "
               "lrs=torch.full_like(...))` gives the same images with another step size; evaluate it "
               "and the tuned set the same way.",
          solution='''
import dataclasses
import torch

prediction = "lower"
untuned = dataclasses.replace(sets["class_average"], lrs=torch.full_like(sets["class_average"].lrs, 0.02))
answer = {"untuned": ddlab.evaluate(untuned, data), "tuned": ddlab.evaluate(sets["class_average"], data)}
check("03.1", prediction, answer)
''')
def untuned_against_tuned(answer) -> str:
    scores = scores_of(answer, ("untuned", "tuned"))
    return "lower" if scores["untuned"].mean < scores["tuned"].mean else "higher"


def _why_herding_or_kcenter(outcome: str) -> str:
    rules = ("Herding adds the image that keeps the running mean of its picks closest to the class mean, "
             "so it picks typical digits; k-center adds the image farthest from every pick so far, so it "
             "covers the class and spends images on its unusual corners. ")
    return rules + {
        "herding": "With ten images per class and a few gradient steps, typical digits teach more than "
                   "outliers: a network that has seen the common shapes reads most test digits.",
        "kcenter": "With ten images per class, covering the variety of handwriting teaches more than "
                   "repeating its typical shapes: the unusual corners are where test digits go wrong.",
    }[outcome]


@exercise("03.2", choices=("herding", "kcenter"), why=_why_herding_or_kcenter,
          hint="Lay both baselines out like `random_reference` (10 per class) with "
               "`baselines.make_baseline(name, data, random_reference, init='random')`, and evaluate "
               "both on the same unseen random networks.",
          solution='''
prediction = "herding"
made = {name: baselines.make_baseline(name, data, random_reference, init="random") for name in ("herding", "kcenter")}
answer = {name: ddlab.evaluate(s, data, init="random", n_models=ddlab.profile.pick(quick=2, default=10))
          for name, s in made.items()}
check("03.2", prediction, answer)
''')
def herding_against_kcenter(answer) -> str:
    scores = scores_of(answer, ("herding", "kcenter"))
    return "kcenter" if scores["kcenter"].mean > scores["herding"].mean else "herding"
