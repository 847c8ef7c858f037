"""Notebook 08's exercises: what the normalised loss measures, whether distilling brought students
closer to the experts, and why MTT divides by the expert's own step. Each check takes the students
or the experts' trajectories and measures the losses and distances itself."""

from __future__ import annotations

import math

import torch

from ..methods import TrajectoryMatching, parameter_distance
from ..sources.experts import Trajectories
from .core import NotYet, exercise
from .provenance import keys_of, real_images, same_values, set_of

ONE = ("below 1", "exactly 1", "above 1")
SETS = ("distilled", "random real")
STRETCHES = ("early", "late")


@exercise(
    "08.1",
    choices=ONE,
    why="A student that does not move stays at theta*_t, exactly as far from theta*_{t+M} as the "
    "denominator measures: the loss is 1. Below 1 is progress towards the expert; above 1, a "
    "student that walked away from it.",
    hint="`TrajectoryMatching(dataclasses.replace(config, inner_lr=1e-12), data, "
    "torch.Generator().manual_seed(0), trajectories)` is a student with step size 1e-12; "
    "hand it to the check, which computes one `outer_loss()` of it.",
    solution="""
import dataclasses

prediction = "exactly 1"
answer = TrajectoryMatching(dataclasses.replace(config, inner_lr=1e-12), data, torch.Generator().manual_seed(0), trajectories)
check("08.1", prediction, answer)
""",
    typed=1.0,
    wrong_setting="counterfeit = method",
)
def still_student(answer) -> str:
    if not isinstance(answer, TrajectoryMatching):
        raise NotYet(f"`answer` should be a TrajectoryMatching student, got {type(answer).__name__}")
    if (step := answer.log_lr.exp().item()) > 1e-8:
        raise NotYet(
            f"this student takes steps of {step:.3g}: a student that does not move takes steps of "
            "(almost) 0, such as 1e-12"
        )
    value = answer.outer_loss().item()
    return "exactly 1" if abs(value - 1) < 1e-3 else "below 1" if value < 1 else "above 1"


def _why_closer(outcome: str) -> str:
    return {
        "distilled": "The images (and alpha) were learned so that N steps on them cover M expert epochs: on "
        "the same draws of expert, start epoch and batches, the distilled students land closer "
        "to the expert than students of the random real images they started from.",
        "random real": "The images were learned on other draws than these five, and a short run moves "
        "them and alpha little from where they started: on these draws the distillation has "
        "not yet paid. A longer run (the default profile, or the reference set) should "
        "turn it around.",
    }[outcome]


@exercise(
    "08.2",
    choices=SETS,
    why=_why_closer,
    hint="Hand the check the distilled set `result` (it goes with its learned step size "
    "`result.config['learned_lr']`) and the student `method`, still on its random real images "
    "and the config's step size: it scores both on the same 5 draws of expert, start epoch and batches.",
    solution="""
prediction = "distilled"
answer = {"distilled": result, "random real": method}
check("08.2", prediction, answer)
""",
    typed={"distilled": [0.6] * 5, "random real": [0.9] * 5},
    wrong_setting='counterfeit = {"distilled": dataclasses.replace(result, images=method.images.detach().clone()), "random real": method}',
)
def closer_to_the_expert(answer) -> str:
    keys_of(answer, SETS)
    distilled = set_of(answer["distilled"], "answer['distilled']", method="mtt")
    student = answer["random real"]
    if not isinstance(student, TrajectoryMatching):
        raise NotYet(
            f"answer['random real'] should be the TrajectoryMatching student `method`, got {type(student).__name__}"
        )
    real_images(student.images, "answer['random real'].images")
    if same_values(distilled.images.cpu(), student.images.cpu()):
        raise NotYet("answer['distilled'] holds the random real images: hand over the distilled set `result`")
    losses = {
        "distilled": matching_losses(student, distilled.images, distilled.config["learned_lr"]),
        "random real": matching_losses(student, student.images, student.config.inner_lr),
    }
    return min(SETS, key=losses.get)


def matching_losses(student: TrajectoryMatching, images: torch.Tensor, step_size: float, draws: int = 5) -> float:
    """The mean matching loss of `images` at step size `step_size`, on the same `draws` every call."""
    probe = TrajectoryMatching(student.config, student.data, torch.Generator().manual_seed(1), student.experts)
    with torch.no_grad():
        probe.images.copy_(images)
        probe.log_lr.fill_(math.log(step_size))
    return sum(probe.outer_loss().item() for _ in range(draws)) / draws


@exercise(
    "08.3",
    choices=STRETCHES,
    why="Training moves the weights far at first and less and less later, so the raw distance "
    "||theta^_N - theta*_{t+M}||^2 would weigh early starts much more than late ones. "
    "Dividing by the expert's own step ||theta*_t - theta*_{t+M}||^2 makes every start "
    "epoch count alike.",
    hint="Each stretch is a pair of epochs (start, end) of the experts: 0 -> M (early) and "
    "T+ -> T+ + M (late), with M = config.expert_epochs_matched and T+ = config.max_start_epoch. "
    "With `trajectories`, the check averages `parameter_distance(trajectories.at(e, start), "
    "trajectories.at(e, end))` over the experts e.",
    solution="""
prediction = "early"
M, T_plus = config.expert_epochs_matched, config.max_start_epoch
answer = {"trajectories": trajectories, "early": (0, M), "late": (T_plus, T_plus + M)}
check("08.3", prediction, answer)
""",
    typed={"early": [40.0, 42.0, 41.0, 39.0], "late": [5.0, 6.0, 5.5, 4.0]},
    wrong_setting='counterfeit = {**answer, "late": answer["early"]}',
)
def farther_stretch(answer) -> str:
    keys_of(answer, ("trajectories", *STRETCHES))
    trajectories = answer["trajectories"]
    if not isinstance(trajectories, Trajectories):
        raise NotYet(f"answer['trajectories'] should be the experts' `trajectories`, got {type(trajectories).__name__}")
    last = trajectories.spec.epochs
    for name in STRETCHES:
        span = answer[name]
        if not (
            isinstance(span, tuple)
            and len(span) == 2
            and all(isinstance(t, int) for t in span)
            and 0 <= span[0] < span[1] <= last
        ):
            raise NotYet(
                f"answer[{name!r}] should be a pair of epochs (start, end), 0 <= start < end <= {last}, got {span!r}"
            )
    (early_start, early_end), (late_start, late_end) = answer["early"], answer["late"]
    if late_start <= early_start:
        raise NotYet(
            f"the late stretch should start after the early one: T+ = config.max_start_epoch, "
            f"got starts {early_start} and {late_start}"
        )
    if late_end - late_start != early_end - early_start:
        raise NotYet("both stretches should span the same M = config.expert_epochs_matched epochs")
    moved = {
        name: sum(
            parameter_distance(trajectories.at(e, start), trajectories.at(e, end)).item()
            for e in range(trajectories.spec.n_experts)
        )
        / trajectories.spec.n_experts
        for name, (start, end) in ((name, answer[name]) for name in STRETCHES)
    }
    return max(STRETCHES, key=moved.get)
