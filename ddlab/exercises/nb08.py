"""Notebook 08's exercises: what the normalised loss measures, whether distilling brought students
closer to the experts, and why MTT divides by the expert's own step."""
from __future__ import annotations

from .answers import lists_of, number_of
from .core import NotYet, exercise

ONE = ("below 1", "exactly 1", "above 1")
SETS = ("distilled", "random real")
STRETCHES = ("early", "late")


@exercise("08.1", choices=ONE,
          why="A student that does not move stays at theta*_t, exactly as far from theta*_{t+M} as the "
              "denominator measures: the loss is 1. Below 1 is progress towards the expert; above 1, a "
              "student that walked away from it.",
          hint="`TrajectoryMatching(dataclasses.replace(config, inner_lr=1e-12), data, "
               "torch.Generator().manual_seed(0), trajectories)` is a student with step size 1e-12; "
               "compute one `outer_loss()` of it.",
          solution='''
import dataclasses

prediction = "exactly 1"
still = TrajectoryMatching(dataclasses.replace(config, inner_lr=1e-12), data, torch.Generator().manual_seed(0), trajectories)
answer = still.outer_loss().item()
check("08.1", prediction, answer)
''')
def still_student(answer) -> str:
    value = number_of(answer, "`answer`")
    if value < 0:
        raise NotYet("a ratio of two squared distances cannot be negative: compute the matching loss")
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


@exercise("08.2", choices=SETS, why=_why_closer,
          hint="`matching_losses(images, step_size)` above scores a set on the same 5 draws every call: "
               "the distilled set goes with its learned step size `result.config['learned_lr']`.",
          solution='''
prediction = "distilled"
answer = {"distilled": matching_losses(result.images, result.config["learned_lr"]),
          "random real": matching_losses(method.images, config.inner_lr)}
check("08.2", prediction, answer)
''')
def closer_to_the_expert(answer) -> str:
    losses = lists_of(answer, SETS)
    mean = {name: sum(v) / len(v) for name, v in losses.items()}
    return min(SETS, key=mean.get)


@exercise("08.3", choices=STRETCHES,
          why="Training moves the weights far at first and less and less later, so the raw distance "
              "||theta^_N - theta*_{t+M}||^2 would weigh early starts much more than late ones. "
              "Dividing by the expert's own step ||theta*_t - theta*_{t+M}||^2 makes every start "
              "epoch count alike.",
          hint="`trajectories.at(expert, epoch)` is a weight dict; `parameter_distance(a, b)` their "
               "squared distance. Per expert: epochs 0 -> M (early) and T+ -> T+ + M (late).",
          solution='''
prediction = "early"
M, T_plus = config.expert_epochs_matched, config.max_start_epoch
answer = {"early": [parameter_distance(trajectories.at(e, 0), trajectories.at(e, M)).item() for e in range(spec.n_experts)],
          "late": [parameter_distance(trajectories.at(e, T_plus), trajectories.at(e, T_plus + M)).item() for e in range(spec.n_experts)]}
check("08.3", prediction, answer)
''')
def farther_stretch(answer) -> str:
    moved = lists_of(answer, STRETCHES)
    if moved["early"] == moved["late"]:
        raise NotYet("the two lists are identical: `late` should start at epoch T+ = "
                     "config.max_start_epoch, not at 0")
    mean = {name: sum(v) / len(v) for name, v in moved.items()}
    return max(STRETCHES, key=mean.get)
