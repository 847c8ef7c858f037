"""Notebook 15's exercises: do SRe2L's recovered images teach a fresh network better than random real
images, and do a teacher's soft labels lift random real images? The checks take the scores the learner
measured (which record the images, the labels trained on and the networks) and the sets they came from,
and verify them against the shipped reference set and the shipped teacher before reading the outcome."""

from __future__ import annotations

import torch

from ..evaluate import Scores
from ..synthetic import fingerprint
from .core import NotYet, exercise
from .provenance import keys_of, mnist, real_images, scores_of, set_of

REFERENCE = "sre2l_mnist_10"  # the SRe2L set exercise 15.1 asks about: 1,000 recovery steps, shipped in assets/


def _same_networks(answer: dict[str, Scores], first: str, second: str) -> None:
    a, b = answer[first].evaluated, answer[second].evaluated
    if (a.arch, a.seed, a.init_scheme, a.lrs) != (b.arch, b.seed, b.init_scheme, b.lrs):
        raise NotYet(
            f"answer[{first!r}] and answer[{second!r}] were measured by different networks: use `judge` for both"
        )


def _class_labels(scores: Scores, name: str) -> None:
    if scores.evaluated.soft_labels:
        raise NotYet(f"answer[{name!r}] trained on soft labels: score the images with their class labels")


@exercise(
    "15.1",
    choices=("SRe2L's images", "random real images"),
    why=lambda outcome: (
        "The teacher reads every recovered image as its class with near certainty, and their batch "
        "statistics match what its BatchNorm layers remember; yet ten random real digits teach a fresh "
        "network more. Recovery fits one network's classifier and a batch's averages, not what makes a "
        "digit a digit to another network: the pixels exploit the teacher's features."
        if outcome == "random real images"
        else "The recovered images beat random real digits here: what the teacher's classifier and its "
        "BatchNorm statistics ask of them carried over to fresh networks under this judge."
    ),
    hint="`judge(reference.with_hard_labels(), data)` scores the SRe2L images with their class labels; "
    "`fair.random_like(reference, data)` is a random real image of the same class in each place.",
    solution="""
prediction = "random real images"
answer = {"sre2l": judge(reference.with_hard_labels(), data), "random real": judge(fair.random_like(reference, data), data)}
check("15.1", prediction, answer)
""",
    typed={"sre2l": 0.27, "random real": 0.47},
    wrong_setting='counterfeit = {"sre2l": answer["random real"], "random real": answer["random real"]}',
)
def recovered_or_real(answer) -> str:
    from ..sources import assets

    scores = scores_of(answer, ("sre2l", "random real"))
    if scores["sre2l"].evaluated.method != "sre2l" or scores["sre2l"].evaluated.images != fingerprint(
        assets.load(REFERENCE).images
    ):
        raise NotYet("answer['sre2l'] should score the SRe2L reference set `reference`")
    if scores["random real"].evaluated.method != "random_real":
        raise NotYet("answer['random real'] should score `fair.random_like(reference, data)`")
    for name in ("sre2l", "random real"):
        _class_labels(scores[name], name)
    _same_networks(scores, "sre2l", "random real")
    return "SRe2L's images" if scores["sre2l"].mean > scores["random real"].mean else "random real images"


TEMPERATURE = 20.0  # RDED's relabelling temperature (`ddlab.methods.RDED`), the one exercise 15.2 names


@exercise(
    "15.2",
    choices=("they lift the score", "they lower the score"),
    why=lambda outcome: (
        "At T = 20 the teacher's label of a digit is nearly uniform (look at `relabelled.soft_labels`): "
        "its largest entry is a few points above the others. Fitting such targets, a network's gradient "
        "towards the right class is many times smaller than a class label's, and within the judge's "
        "short training it learns less. The papers' students fit the teacher's labels with the student's "
        "logits divided by T too, and for hundreds of epochs; this protocol does neither."
        if outcome == "they lower the score"
        else "The teacher's labels lift random real images here: what they say about the other classes "
        "(a 7 that looks a little like a 1) is information a class label lacks, and this training had "
        "time to use it."
    ),
    hint="`dataclasses.replace(random_real, soft_labels=teacher.soft_labels(random_real.images, 20))` "
    "gives the random images the teacher's labels; score it and `random_real` with `judge`.",
    solution="""
prediction = "they lower the score"
relabelled = dataclasses.replace(random_real, soft_labels=teacher.soft_labels(random_real.images, 20))
answer = {"relabelled": relabelled, "class labels": judge(random_real, data), "teacher's labels": judge(relabelled, data)}
check("15.2", prediction, answer)
""",
    typed={"class labels": 0.47, "teacher's labels": 0.35},
    wrong_setting='counterfeit = {**answer, "teacher\'s labels": answer["class labels"]}',
)
def teacher_labels_lift(answer) -> str:
    from ..sources import teachers

    keys_of(answer, ("relabelled", "class labels", "teacher's labels"))
    relabelled = set_of(answer["relabelled"], "answer['relabelled']", method="random_real")
    if relabelled.soft_labels is None:
        raise NotYet("answer['relabelled'] has no soft labels: give `random_real` the teacher's")
    real_images(relabelled.images, "answer['relabelled'].images")
    data = mnist()
    teacher = teachers.load_or_train(teachers.TeacherSpec(), data)  # the shipped one: width 32, all of MNIST
    expected = teacher.soft_labels(relabelled.images.detach().cpu(), TEMPERATURE)
    found = relabelled.soft_labels.detach().cpu()
    if found.shape != expected.shape or not torch.allclose(found.double(), expected.double(), atol=1e-4):
        raise NotYet("answer['relabelled'].soft_labels are not the teacher's labels at T = 20 of its images")
    scores = scores_of(
        {k: answer[k] for k in ("class labels", "teacher's labels")}, ("class labels", "teacher's labels")
    )
    images = fingerprint(relabelled.images)
    for name in scores:
        if scores[name].evaluated.images != images:
            raise NotYet(f"answer[{name!r}] did not score the images of answer['relabelled']")
    _class_labels(scores["class labels"], "class labels")
    taught = scores["teacher's labels"].evaluated
    if not taught.soft_labels or taught.targets != fingerprint(relabelled.soft_labels):
        raise NotYet("answer[\"teacher's labels\"] should score `relabelled`, trained on the teacher's labels")
    _same_networks(scores, "class labels", "teacher's labels")
    lifted = scores["teacher's labels"].mean > scores["class labels"].mean
    return "they lift the score" if lifted else "they lower the score"
