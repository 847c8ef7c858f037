"""Notebook 13's exercises: how much of a learned-label set lives in its labels, and what Label Solve's
closed-form labels do for random real images under a kernel. The checks take the scores (which record
the labels trained on) or the support set and its two labellings, and score the kernel themselves."""

from __future__ import annotations

import torch

from .. import kernels
from .core import NotYet, exercise
from .provenance import distinct, keys_of, mnist, real_images, scores_of, tensor_like

DEPTH = 3  # notebook 13's kernel: a 3-hidden-layer ReLU network's NTK, as its labels were solved with


@exercise(
    "13.1",
    choices=("most of the accuracy stays", "most of the accuracy goes"),
    why="The images were learned together with their label vectors, for one network and a few "
    "steps: a label is the direction and size of the step an image pushes, entries below 0 "
    "included. One-hot labels change every step the schedule takes, so the images, alone, "
    "no longer teach what they were made to: labels are part of what a set stores.",
    hint="`soft.with_hard_labels()` is the same set with class indices only; evaluate both "
    "sets with `ddlab.evaluate(..., data)`.",
    solution="""
prediction = "most of the accuracy goes"
answer = {"learned": ddlab.evaluate(soft, data), "hard": ddlab.evaluate(soft.with_hard_labels(), data)}
check("13.1", prediction, answer)
""",
    typed={"learned": 0.96, "hard": 0.20},
    wrong_setting='counterfeit = {"learned": answer["learned"], "hard": answer["learned"]}',
)
def labels_carry(answer) -> str:
    scores = scores_of(answer, ("learned", "hard"), same_images=True)
    for name, soft in (("learned", True), ("hard", False)):
        if scores[name].evaluated.soft_labels != soft:
            raise NotYet(
                f"answer[{name!r}] trained on {'learned' if not soft else 'hard'} labels: "
                + ("evaluate `soft` as it is" if soft else "evaluate soft.with_hard_labels()")
            )
    kept = scores["hard"].mean / scores["learned"].mean
    return "most of the accuracy stays" if kept >= 0.5 else "most of the accuracy goes"


@exercise(
    "13.2",
    choices=("Label Solve's labels", "one-hot labels"),
    why="Label Solve picks the support labels that minimise the kernel regression's squared "
    "error on thousands of real images, in closed form; one-hot labels are one point of "
    "that search space, so on data like the target set the solved labels predict better. "
    "Same ten images: what changed is only what they are labelled.",
    hint="`kernels.accuracy(support, targets, data.x_test, data.y_test, 'ntk', depth)` scores "
    "a support set; hand the check `support` and its two labellings, `one_hot` and `solved`: "
    "it scores both.",
    solution="""
prediction = "Label Solve's labels"
answer = {"support": support, "one-hot": one_hot, "label solve": solved}
check("13.2", prediction, answer)
""",
    typed={"one-hot": 0.45, "label solve": 0.55},
    wrong_setting='counterfeit = {**answer, "label solve": answer["one-hot"]}',
)
def solved_labels(answer) -> str:
    keys_of(answer, ("support", "one-hot", "label solve"))
    support = tensor_like(answer["support"], "answer['support']", (10, 1, 28, 28)).detach().cpu()
    real_images(support, "answer['support']")
    targets = {
        name: tensor_like(answer[name], f"answer[{name!r}]", (10, 10)).detach().cpu()
        for name in ("one-hot", "label solve")
    }
    if not torch.equal(targets["one-hot"].argmax(1), torch.arange(10)) or len(targets["one-hot"].unique()) != 2:
        raise NotYet("answer['one-hot'] should be the one-hot labels of the ten classes, in order (`one_hot`)")
    distinct(targets, "one-hot", "label solve", "answer['label solve'] should be the labels Label Solve found")
    test = mnist()
    accuracy = {
        name: kernels.accuracy(support, t, test.x_test, test.y_test, "ntk", DEPTH) for name, t in targets.items()
    }
    return "Label Solve's labels" if accuracy["label solve"] > accuracy["one-hot"] else "one-hot labels"
