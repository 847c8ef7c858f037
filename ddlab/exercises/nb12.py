"""Notebook 12's exercises: does every distilled image help, and whom does each one hurt. Both checks
take the DM set and its leave-one-out influence (which records the set it measured) with the per-image
numbers the learner computed from it, and recompute those."""

from __future__ import annotations

import torch

from ..analysis.influence import Influence
from ..synthetic import fingerprint
from .core import NotYet, exercise
from .provenance import keys_of, mnist, recomputed, set_of


def influence_of(answer, computed: str) -> Influence:
    """The answer's influence, checked to be measured on the answer's DM set (`computed`: the third key)."""
    keys_of(answer, ("DM set", "influence", computed))
    dm = set_of(answer["DM set"], "answer['DM set']", method="dm")
    influence = answer["influence"]
    if not isinstance(influence, Influence):
        raise NotYet(
            f"answer['influence'] should be what analysis.leave_one_out returns, got {type(influence).__name__}"
        )
    if influence.images != fingerprint(dm.images):
        raise NotYet(
            "answer['influence'] was measured on another set than answer['DM set']: "
            "hand over the DM set and its `influence`"
        )
    return influence


@exercise(
    "12.1",
    choices=("every image helps", "some image hurts"),
    why="Each image was optimised together with the others to lower the loss of networks trained on the "
    "whole set, so leaving any one out makes the average test image worse: its mean loss change is positive.",
    hint="`influence.loss_change` is (distilled images, test images); averaged over the test "
    "images (dim=1) it is one number per image. Hand it to the check with the DM set and `influence`: "
    "it recomputes it.",
    solution="""
prediction = "every image helps"
answer = {"DM set": dm_set, "influence": influence, "mean change": influence.loss_change.mean(dim=1)}
check("12.1", prediction, answer)
""",
    typed=[0.01] * 10,
    wrong_setting='counterfeit = {**answer, "DM set": sets["DC"]}',
)
def every_image_helps(answer) -> str:
    influence = influence_of(answer, "mean change")
    changes = recomputed(
        answer["mean change"],
        influence.loss_change.mean(dim=1),
        "answer['mean change']",
        "influence.loss_change averaged over the test images (dim=1)",
    )  # (images,)
    return "every image helps" if bool((changes > 0).all()) else "some image hurts"


@exercise(
    "12.2",
    choices=("mostly its own class", "mostly other classes"),
    why="With the image in the set, a network pushes its class up wherever the image's features "
    "appear. The test images that this hurts are digits of *other* classes that share those "
    "features: a 3 that looks a little like an 8 is read as an 8 more often when the distilled "
    "8 is there. What an image teaches is its class, and its mistakes are its class's "
    "look-alikes, which is what makes naming its strokes worth trying.",
    hint="For image i, `influence.hurt(i, 16)` indexes the test images it hurts most; compare "
    "their labels (`data.y_test[...]`) with `influence.labels[i]` and take the mean. Hand the "
    "shares to the check with the DM set and `influence`: it recomputes them.",
    solution="""
prediction = "mostly other classes"
share = torch.stack([(data.y_test[influence.hurt(i, 16)].cpu() == influence.labels[i].cpu()).float().mean()
                     for i in range(len(influence.labels))])
answer = {"DM set": dm_set, "influence": influence, "own-class share": share}
check("12.2", prediction, answer)
""",
    typed=[0.0] * 10,
    wrong_setting='counterfeit = {**answer, "DM set": sets["DC"]}',
)
def own_class_among_hurt(answer) -> str:
    influence, labels = influence_of(answer, "own-class share"), mnist().y_test
    expected = torch.stack(
        [
            (labels[influence.hurt(i, 16).cpu()] == influence.labels[i]).float().mean()
            for i in range(len(influence.labels))
        ]
    )
    purity = recomputed(
        answer["own-class share"],
        expected,
        "answer['own-class share']",
        "for each image, the share of its 16 most-hurt test images that carry its label",
    )
    return "mostly its own class" if purity.mean().item() >= 0.5 else "mostly other classes"
