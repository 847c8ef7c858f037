"""Notebook 08's write-it-yourself exercise: MTT's normalised parameter distance."""

from __future__ import annotations

import torch

from ...methods import parameter_distance
from ..code import code_exercise
from .networks import between


def normalised(student, start, target):
    """MTT's loss as `TrajectoryMatching.outer_loss` ends: ||student - target||^2 / ||start - target||^2."""
    return parameter_distance(student, target) / parameter_distance(start, target)


def _norms_not_squared(student, start, target):
    """The ratio of the distances rather than of their squares: the square root of MTT's loss."""
    return (parameter_distance(student, target) / parameter_distance(start, target)).sqrt()


@code_exercise(
    "08.w1",
    name="normalised_distance",
    reference=normalised,
    wrong=_norms_not_squared,
    wrt=("student",),
    why="Every layer's weights count as one long vector, and dividing by how far the expert "
    "itself moved makes the loss scale-free: 1 means the student got no closer than where "
    "it started, 0 that it landed on the expert, whatever the epoch or the expert.",
    hint="Sum `((a[name] - b[name]) ** 2).sum()` over the names of the dicts for each squared distance, then divide.",
    solution="""
def normalised_distance(student, start, target):
    def squared(a, b):
        return sum(((a[name] - b[name]) ** 2).sum() for name in a)
    return squared(student, target) / squared(start, target)

check_code("08.w1", normalised_distance)
""",
)
def normalised_distance_inputs(generator: torch.Generator) -> dict:
    channels = between(2, 6, generator)
    shapes = {
        "features.0.weight": (channels, 1, 3, 3),
        "features.0.bias": (channels,),
        "classifier.weight": (10, channels * between(4, 16, generator)),
        "classifier.bias": (10,),
    }

    def weights(scale: float) -> dict:
        return {
            name: scale * torch.randn(shape, generator=generator, dtype=torch.float64) for name, shape in shapes.items()
        }

    target = weights(1.0)
    start = {name: p + d for (name, p), d in zip(target.items(), weights(0.5).values())}
    student = {name: p + d for (name, p), d in zip(target.items(), weights(0.3).values())}
    return {"student": student, "start": start, "target": target}
