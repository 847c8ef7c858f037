"""Notebook 01's exercises: where the knowledge of a fixed-init set lives, whether its learned step
sizes matter, and what back-propagating through training costs."""

from __future__ import annotations

import math

from ..figures.dd import UnrollCost, unroll_cost
from .core import NotYet, exercise
from .provenance import mnist, scores_of


@exercise(
    "01.1",
    choices=("about equal", "far below"),
    why="Fixed-init data is tailored to one network: the pixels encode the weight update that "
    "carries that one theta_0 to a good network, through the features that theta_0 computes. "
    "From any other theta_0 the same pixels give a gradient that points nowhere useful "
    "(Wang et al.: fixed-init data does not transfer; notebook 02 distils for random inits).",
    hint="`ddlab.evaluate(s, data)` scores a set on the init it was made for; "
    "`ddlab.evaluate(s, data, init='random', n_models=...)` on fresh random ones. Use the "
    "reference set: a quick run is too short for either number to mean much.",
    solution="""
prediction = "far below"
answer = {"fixed": ddlab.evaluate(reference, data),
          "random": ddlab.evaluate(reference, data, init="random", n_models=ddlab.profile.pick(quick=2, default=20))}
check("01.1", prediction, answer)
""",
    typed={"fixed": 0.92, "random": 0.12},
    wrong_setting='counterfeit = {"fixed": answer["fixed"], "random": answer["fixed"]}',
)
def fixed_on_random(answer) -> str:
    scores = scores_of(answer, ("fixed", "random"), setting={"fixed": "fixed", "random": "random"}, same_images=True)
    if scores["fixed"].evaluated.made_for != "fixed":
        raise NotYet("the question is about a set distilled for the fixed init: evaluate `reference`")
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


@exercise(
    "01.2",
    choices=("higher", "about the same", "lower"),
    why=_why_equal_steps,
    hint="`dataclasses.replace(reference, lrs=...)` makes a copy with other step sizes; "
    "`reference.lrs.mean().expand(len(reference.lrs)).clone()` is their mean, repeated. "
    "Evaluate both sets on the fixed init.",
    solution="""
import dataclasses

prediction = "lower"
equal_steps = dataclasses.replace(reference, lrs=reference.lrs.mean().expand(len(reference.lrs)).clone())
answer = {"learned": ddlab.evaluate(reference, data), "equal": ddlab.evaluate(equal_steps, data)}
check("01.2", prediction, answer)
""",
    typed={"learned": 0.92, "equal": 0.80},
    wrong_setting='counterfeit = {"learned": answer["learned"], "equal": answer["learned"]}',
)
def equal_step_sizes(answer) -> str:
    scores = scores_of(answer, ("learned", "equal"), setting={"learned": "fixed", "equal": "fixed"}, same_images=True)
    learned, equal = scores["learned"].evaluated.lrs, scores["equal"].evaluated.lrs
    if learned is None or equal is None or len(learned) != len(equal):
        raise NotYet("evaluate a set with step sizes (a DD set such as `reference`) and its copy with equal ones")
    if len(set(learned)) == 1:
        raise NotYet("answer['learned'] replayed equal step sizes already: evaluate `reference` as it was learned")
    mean = sum(learned) / len(learned)
    if not all(math.isclose(lr, mean, rel_tol=1e-4) for lr in equal):
        raise NotYet(
            f"answer['equal'] should replay every step at the learned steps' mean ({mean:.4f}), "
            f"got step sizes from {min(equal):.4f} to {max(equal):.4f}"
        )
    gap = scores["equal"].mean - scores["learned"].mean
    return "higher" if gap > 0.02 else "lower" if gap < -0.02 else "about the same"


@exercise(
    "01.3",
    choices=("grows with the length", "stays the same"),
    why="Plain training forgets each step once it is taken. The meta-gradient cannot: to pass the "
    "gradient back from the real loss to the images, autograd keeps every step's weights and "
    "activations, so memory grows linearly with the unroll, and so does time. That is what DC "
    "(match one step's gradients, no unroll) and MTT (unroll a few steps from an expert's "
    "checkpoint) are built to avoid.",
    hint="`dd_figures.unroll_cost(data, lengths=(4, 16))` measures one outer iteration at "
    "two unroll lengths; compare its `saved_mb`.",
    solution="""
prediction = "grows with the length"
answer = dd_figures.unroll_cost(data, lengths=(4, 16))
check("01.3", prediction, answer)
""",
    typed={"lengths": [4, 16], "saved_mb": [1.0, 4.0]},
    wrong_setting=(
        "import dataclasses as _dataclasses\n"
        "counterfeit = _dataclasses.replace(answer, saved_mb=(answer.saved_mb[0],) * len(answer.saved_mb))"
    ),
)
def memory_with_length(answer) -> str:
    if not isinstance(answer, UnrollCost) or len(answer.lengths) < 2 or answer.lengths[-1] <= answer.lengths[0]:
        raise NotYet(
            "`answer` should be what `dd_figures.unroll_cost` returns, for at least two unroll lengths, shortest first"
        )
    # The memory autograd keeps is a count of bytes: measured again here, it must be what the answer says.
    again = unroll_cost(mnist(), (answer.lengths[0], answer.lengths[-1]), answer.images, answer.real_batch, repeats=1)
    if not all(
        math.isclose(a, b, rel_tol=0.05) for a, b in zip(again.saved_mb, (answer.saved_mb[0], answer.saved_mb[-1]))
    ):
        raise NotYet(
            f"`answer` says {answer.saved_mb[0]:.1f} and {answer.saved_mb[-1]:.1f} MB, but measured again "
            f"its unrolls keep {again.saved_mb[0]:.1f} and {again.saved_mb[-1]:.1f} MB: measure it with "
            "dd_figures.unroll_cost"
        )
    return "grows with the length" if answer.saved_mb[-1] > 1.2 * answer.saved_mb[0] else "stays the same"
