"""Notebook 03's exercises: why baselines get their own step size, and herding against k-center."""

from __future__ import annotations

from .core import NotYet, exercise
from .provenance import scores_of


@exercise(
    "03.1",
    choices=("higher", "lower"),
    why="A step size that suits learned images is wrong for real ones: real images were never "
    "shaped for a few large steps, so each baseline gets its own step size, tuned on a "
    "validation slice, before the comparison is fair.",
    hint="`import dataclasses, torch` first; then `dataclasses.replace(sets['class_average'], "
    "lrs=torch.full_like(...))` gives the same images with another step size; evaluate it "
    "and the tuned set the same way.",
    solution="""
import dataclasses
import torch

prediction = "lower"
untuned = dataclasses.replace(sets["class_average"], lrs=torch.full_like(sets["class_average"].lrs, 0.02))
answer = {"untuned": ddlab.evaluate(untuned, data), "tuned": ddlab.evaluate(sets["class_average"], data)}
check("03.1", prediction, answer)
""",
    typed={"untuned": 0.50, "tuned": 0.70},
    wrong_setting='counterfeit = {"untuned": answer["tuned"], "tuned": answer["tuned"]}',
)
def untuned_against_tuned(answer) -> str:
    scores = scores_of(answer, ("untuned", "tuned"), same_images=True)
    untuned, tuned = scores["untuned"].evaluated.lrs, scores["tuned"].evaluated.lrs
    if untuned is None or tuned is None:
        raise NotYet("evaluate the baseline laid out like a DD set (with step sizes), as `sets` holds it")
    if any(abs(lr - 0.02) > 1e-6 for lr in untuned):
        raise NotYet(
            f"answer['untuned'] should replay every step at 0.02, got step sizes from {min(untuned):.4f} "
            f"to {max(untuned):.4f}"
        )
    if untuned == tuned:
        raise NotYet("answer['tuned'] replayed step size 0.02 too: evaluate the tuned set as `sets` holds it")
    return "lower" if scores["untuned"].mean < scores["tuned"].mean else "higher"


def _why_herding_or_kcenter(outcome: str) -> str:
    rules = (
        "Herding adds the image that keeps the running mean of its picks closest to the class mean, "
        "so it picks typical digits; k-center adds the image farthest from every pick so far, so it "
        "covers the class and spends images on its unusual corners. "
    )
    return (
        rules
        + {
            "herding": "With ten images per class and a few gradient steps, typical digits teach more than "
            "outliers: a network that has seen the common shapes reads most test digits.",
            "kcenter": "With ten images per class, covering the variety of handwriting teaches more than "
            "repeating its typical shapes: the unusual corners are where test digits go wrong.",
        }[outcome]
    )


@exercise(
    "03.2",
    choices=("herding", "kcenter"),
    why=_why_herding_or_kcenter,
    hint="Lay both baselines out like `random_reference` (10 per class) with "
    "`baselines.make_baseline(name, data, random_reference, init='random')`, and evaluate "
    "both on the same unseen random networks.",
    solution="""
prediction = "herding"
made = {name: baselines.make_baseline(name, data, random_reference, init="random") for name in ("herding", "kcenter")}
answer = {name: ddlab.evaluate(s, data, init="random", n_models=ddlab.profile.pick(quick=2, default=10))
          for name, s in made.items()}
check("03.2", prediction, answer)
""",
    typed={"herding": 0.60, "kcenter": 0.50},
    wrong_setting='counterfeit = {"herding": answer["herding"], "kcenter": answer["herding"]}',
)
def herding_against_kcenter(answer) -> str:
    scores = scores_of(answer, ("herding", "kcenter"), setting={"herding": "random", "kcenter": "random"})
    for name, found in scores.items():
        if found.evaluated.method != name:
            raise NotYet(
                f"answer[{name!r}] measured a set made by {found.evaluated.method!r}: evaluate the {name} baseline"
            )
    herding, kcenter = scores["herding"], scores["kcenter"]
    if herding.evaluated.seed != kcenter.evaluated.seed or len(herding.accuracies) != len(kcenter.accuracies):
        raise NotYet("evaluate both sets on the same networks: the same n_models and seed")
    return "kcenter" if scores["kcenter"].mean > scores["herding"].mean else "herding"
