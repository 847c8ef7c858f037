"""Notebook 01's exercises: where the knowledge of a fixed-init set lives, whether its learned step
sizes matter, and what back-propagating through training costs."""
from __future__ import annotations

from ..evaluate import Scores
from ..figures.dd import UnrollCost
from .answers import scores_of
from .core import NotYet, exercise


def settings_of(scores: dict[str, Scores], wanted: dict[str, str]) -> None:
    for name, setting in wanted.items():
        if scores[name].setting != setting:
            raise NotYet(f"answer[{name!r}] was evaluated under init={scores[name].setting!r}; "
                         f"evaluate it under init={setting!r}")


@exercise("01.1", choices=("about equal", "far below"),
          why="Fixed-init data is tailored to one network: the pixels encode the weight update that "
              "carries that one theta_0 to a good network, through the features that theta_0 computes. "
              "From any other theta_0 the same pixels give a gradient that points nowhere useful "
              "(Wang et al.: fixed-init data does not transfer; notebook 02 distils for random inits).",
          hint="`ddlab.evaluate(s, data)` scores a set on the init it was made for; "
               "`ddlab.evaluate(s, data, init='random', n_models=...)` on fresh random ones. Use the "
               "reference set: a quick run is too short for either number to mean much.",
          solution='''
prediction = "far below"
answer = {"fixed": ddlab.evaluate(reference, data),
          "random": ddlab.evaluate(reference, data, init="random", n_models=ddlab.profile.pick(quick=2, default=20))}
check("01.1", prediction, answer)
''')
def fixed_on_random(answer) -> str:
    scores = scores_of(answer, ("fixed", "random"))
    settings_of(scores, {"fixed": "fixed", "random": "random"})
    return "far below" if scores["random"].mean < scores["fixed"].mean - 0.2 else "about equal"


def _why_equal_steps(outcome: str) -> str:
    return {
        "lower": "The images were optimised together with their step sizes: the pixels encode updates "
                 "meant to be taken with exactly those step lengths. The same images with equal steps "
                 "(the same total distance) take the network somewhere else.",
        "about the same": "The learned step sizes stayed close to their mean, so equal steps take nearly "
                          "the same path: here the images, not the lengths, carry the knowledge.",
        "higher": "The step sizes were learned by a noisy optimisation and picked with its best set on a "
                  "validation slice; evened out, they happen to suit the images better on the test set. "
                  "Learned is not the same as optimal for one network's test accuracy.",
    }[outcome]


@exercise("01.2", choices=("higher", "about the same", "lower"), why=_why_equal_steps,
          hint="`dataclasses.replace(reference, lrs=...)` makes a copy with other step sizes; "
               "`reference.lrs.mean().expand(len(reference.lrs)).clone()` is their mean, repeated. "
               "Evaluate both sets on the fixed init.",
          solution='''
import dataclasses

prediction = "lower"
equal_steps = dataclasses.replace(reference, lrs=reference.lrs.mean().expand(len(reference.lrs)).clone())
answer = {"learned": ddlab.evaluate(reference, data), "equal": ddlab.evaluate(equal_steps, data)}
check("01.2", prediction, answer)
''')
def equal_step_sizes(answer) -> str:
    scores = scores_of(answer, ("learned", "equal"))
    gap = scores["equal"].mean - scores["learned"].mean
    return "higher" if gap > 0.02 else "lower" if gap < -0.02 else "about the same"


@exercise("01.3", choices=("grows with the length", "stays the same"),
          why="Plain training forgets each step once it is taken. The meta-gradient cannot: to pass the "
              "gradient back from the real loss to the images, autograd keeps every step's weights and "
              "activations, so memory grows linearly with the unroll, and so does time. That is what DC "
              "(match one step's gradients, no unroll) and MTT (unroll a few steps from an expert's "
              "checkpoint) are built to avoid.",
          hint="`dd_figures.unroll_cost(data, lengths=(4, 16))` measures one outer iteration at "
               "two unroll lengths; compare its `saved_mb`.",
          solution='''
prediction = "grows with the length"
answer = dd_figures.unroll_cost(data, lengths=(4, 16))
check("01.3", prediction, answer)
''')
def memory_with_length(answer) -> str:
    if not isinstance(answer, UnrollCost) or len(answer.lengths) < 2 or answer.lengths[-1] <= answer.lengths[0]:
        raise NotYet("`answer` should be what `dd_figures.unroll_cost` returns, for at least two "
                     "unroll lengths, shortest first")
    return "grows with the length" if answer.saved_mb[-1] > 1.2 * answer.saved_mb[0] else "stays the same"
