"""Notebook 13's exercises: how much of a learned-label set lives in its labels, and what Label Solve's
closed-form labels do for random real images under a kernel."""
from __future__ import annotations

from .answers import numbers_of, scores_of
from .core import exercise


@exercise("13.1", choices=("most of the accuracy stays", "most of the accuracy goes"),
          why="The images were learned together with their label vectors, for one network and a few "
              "steps: a label is the direction and size of the step an image pushes, entries below 0 "
              "included. One-hot labels change every step the schedule takes, so the images, alone, "
              "no longer teach what they were made to: labels are part of what a set stores.",
          hint="`soft.with_hard_labels()` is the same set with class indices only; evaluate both "
               "sets with `ddlab.evaluate(..., data)`.",
          solution='''
prediction = "most of the accuracy goes"
answer = {"learned": ddlab.evaluate(soft, data), "hard": ddlab.evaluate(soft.with_hard_labels(), data)}
check("13.1", prediction, answer)
''')
def labels_carry(answer) -> str:
    scores = scores_of(answer, ("learned", "hard"))
    kept = scores["hard"].mean / scores["learned"].mean
    return "most of the accuracy stays" if kept >= 0.5 else "most of the accuracy goes"


@exercise("13.2", choices=("Label Solve's labels", "one-hot labels"),
          why="Label Solve picks the support labels that minimise the kernel regression's squared "
              "error on thousands of real images, in closed form; one-hot labels are one point of "
              "that search space, so on data like the target set the solved labels predict better. "
              "Same ten images: what changed is only what they are labelled.",
          hint="`kernels.accuracy(support, targets, data.x_test, data.y_test, 'ntk', depth)` scores "
               "a support set; use `one_hot` and `solved` as the targets.",
          solution='''
prediction = "Label Solve's labels"
answer = {label: kernels.accuracy(support, targets, data.x_test, data.y_test, "ntk", DEPTH)
          for label, targets in (("one-hot", one_hot), ("label solve", solved))}
check("13.2", prediction, answer)
''')
def solved_labels(answer) -> str:
    accuracy = numbers_of(answer, ("one-hot", "label solve"))
    return "Label Solve's labels" if accuracy["label solve"] > accuracy["one-hot"] else "one-hot labels"
